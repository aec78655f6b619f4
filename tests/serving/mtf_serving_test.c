/* tests/serving/mtf_serving_test.c — the C interface (serving/mtf_serving.cpp), compiled as C:
 *   mtf_serving_test POLICY TRAINING_CHECKPOINT
 * loads an exported BCQ policy of the simulator's dims, decides states twice from the same seed (same
 * bits) and once from another (other bits), checks the alphas lie in the default bounds, and that errors
 * come back as status codes with messages naming the file and the field. Exit status 0 when all hold. */
#include <stdio.h>
#include <string.h>

#include "serving/mtf_serving.h"

static int failures = 0;
#define CHECK(cond)                                                  \
  do {                                                               \
    if (!(cond)) {                                                   \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                    \
    }                                                                \
  } while (0)

enum { N = 5, S = 64, A = 12 };

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: mtf_serving_test POLICY TRAINING_CHECKPOINT\n");
    return 2;
  }
  mtf_policy* policy = NULL;
  if (mtf_policy_load(argv[1], S, A, &policy) != MTF_OK) {
    fprintf(stderr, "load failed: %s\n", mtf_last_error());
    return 1;
  }
  CHECK(mtf_policy_state_dim(policy) == S);
  CHECK(mtf_policy_action_dim(policy) == A);
  CHECK(strcmp(mtf_policy_algorithm(policy), "bcq") == 0);

  static float states[N * S], a1[N * A], a2[N * A], a3[N * A], alphas[N * A];
  for (int i = 0; i < N * S; ++i) states[i] = (float)((i * 37 % 101) - 50) / 25.0f;
  mtf_scratch *s1 = NULL, *s2 = NULL;
  CHECK(mtf_scratch_new(42, &s1) == MTF_OK);
  CHECK(mtf_scratch_new(42, &s2) == MTF_OK);
  CHECK(mtf_policy_decide(policy, states, N, a1, alphas, s1) == MTF_OK);
  CHECK(mtf_policy_decide(policy, states, N, a2, NULL, s2) == MTF_OK);
  CHECK(memcmp(a1, a2, sizeof a1) == 0);
  mtf_scratch_reseed(s2, 43);
  CHECK(mtf_policy_decide(policy, states, N, a3, NULL, s2) == MTF_OK);
  CHECK(memcmp(a1, a3, sizeof a1) != 0);
  for (int i = 0; i < N * A; ++i) {
    CHECK(a1[i] >= -1.0f && a1[i] <= 1.0f);
    CHECK(alphas[i] >= -1.0f && alphas[i] <= 1.0f); /* the default bounds: [0, 1] or [-1, 0] */
  }

  /* Errors: status codes and this thread's message. */
  CHECK(mtf_policy_decide(policy, states, -1, a1, NULL, s1) == MTF_ERROR_ARGUMENT);
  CHECK(strstr(mtf_last_error(), "n = -1 states") != NULL);
  CHECK(mtf_policy_decide(NULL, states, 1, a1, NULL, s1) == MTF_ERROR_ARGUMENT);
  mtf_policy* other = NULL;
  CHECK(mtf_policy_load(argv[2], 0, 0, &other) == MTF_ERROR_FILE);
  CHECK(other == NULL);
  CHECK(strstr(mtf_last_error(), argv[2]) != NULL);
  CHECK(strstr(mtf_last_error(), "field \"format\": missing: this is a training checkpoint") != NULL);
  CHECK(mtf_policy_load(argv[1], 32, 0, &other) == MTF_ERROR_FILE);
  CHECK(strstr(mtf_last_error(), "field \"state_dim\": the policy takes 64 state values, the caller has 32") != NULL);
  CHECK(mtf_policy_load("/nonexistent/x.policy", 0, 0, &other) == MTF_ERROR_FILE);
  CHECK(strstr(mtf_last_error(), "/nonexistent/x.policy") != NULL);

  mtf_scratch_free(s1);
  mtf_scratch_free(s2);
  mtf_policy_free(policy);
  mtf_policy_free(NULL);
  if (failures == 0) printf("C interface: all checks passed (%s, %d states)\n", argv[1], N);
  return failures == 0 ? 0 : 1;
}
