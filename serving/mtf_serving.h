/* serving/mtf_serving.h — the serving API for C and for other languages' foreign-function interfaces:
 * the same as serving/served_policy.hpp behind opaque handles. No C++ exception crosses it: every call
 * that can fail returns an mtf_status, and mtf_last_error() gives the message of this thread's last
 * failure (naming the file and the field for a bad policy file).
 *
 *   mtf_policy* policy; mtf_scratch* scratch;
 *   if (mtf_policy_load("bcq.policy", &policy) != MTF_OK) fprintf(stderr, "%s\n", mtf_last_error());
 *   mtf_scratch_new(seed, &scratch);                          one per calling thread
 *   mtf_policy_decide(policy, states, n, actions, alphas, scratch);
 *   mtf_scratch_free(scratch); mtf_policy_free(policy);
 *
 * Threads: mtf_policy_decide may run on many threads at once with one policy, each thread with its own
 * scratch; after warm-up it allocates nothing. Randomness (BCQ's latent samples) comes from the scratch's
 * generator: same seed and same calls, same bits (mtf_scratch_reseed before a call makes it reproducible
 * on its own). */
#ifndef MTF_SERVING_H
#define MTF_SERVING_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mtf_policy mtf_policy;   /* a loaded policy: immutable, shared by threads */
typedef struct mtf_scratch mtf_scratch; /* one calling thread's working memory and generator */

typedef enum mtf_status {
  MTF_OK = 0,
  MTF_ERROR_ARGUMENT = 1, /* a null pointer, a negative count */
  MTF_ERROR_FILE = 2,     /* the policy file is missing, unreadable, corrupt, of another format or dims */
  MTF_ERROR_MEMORY = 3,   /* out of memory */
  MTF_ERROR_INTERNAL = 4  /* anything else (a bug: please report the message) */
} mtf_status;

/* Loads an exported policy (`mtf export`). expected_state_dim / expected_action_dim: 0 for any, else the
 * dims the caller will pass (a policy of other dims is MTF_ERROR_FILE naming the field). */
mtf_status mtf_policy_load(const char* path, int expected_state_dim, int expected_action_dim, mtf_policy** out);
void mtf_policy_free(mtf_policy* policy); /* null is fine */
int mtf_policy_state_dim(const mtf_policy* policy);
int mtf_policy_action_dim(const mtf_policy* policy);
/* "bcq", "bc", "td3", "uwac_td3", "cql_sac"; owned by the policy. */
const char* mtf_policy_algorithm(const mtf_policy* policy);

mtf_status mtf_scratch_new(uint64_t seed, mtf_scratch** out);
void mtf_scratch_free(mtf_scratch* scratch); /* null is fine */
void mtf_scratch_reseed(mtf_scratch* scratch, uint64_t seed);

/* states: n x state_dim floats, row-major; actions: n x action_dim (in [-1, 1]); alphas: n x action_dim
 * fusion weights, or null. */
mtf_status mtf_policy_decide(const mtf_policy* policy, const float* states, int n, float* actions, float* alphas,
                             mtf_scratch* scratch);

/* The message of the calling thread's last failed call ("" if none); valid until its next failing call. */
const char* mtf_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* MTF_SERVING_H */
