// serving/mtf_serving.cpp — the C interface (mtf_serving.h) over ServedPolicy: opaque handles, status
// codes, and a per-thread last-error message; every exception stops here.
#include "serving/mtf_serving.h"

#include <new>
#include <stdexcept>
#include <string>

#include "serving/served_policy.hpp"

struct mtf_policy {
  mtf::ServedPolicy policy;
};
struct mtf_scratch {
  mtf::ServedPolicy::Scratch scratch;
};

namespace {

thread_local std::string last_error;

mtf_status failed(mtf_status status, const char* what) {
  try {
    last_error = what;
  } catch (...) {  // no memory for the message: keep the status
  }
  return status;
}

// Runs body(), mapping what it throws to a status and this thread's message.
template <class Body>
mtf_status guarded(mtf_status file_status, Body&& body) {
  try {
    body();
    return MTF_OK;
  } catch (const std::bad_alloc&) {
    return failed(MTF_ERROR_MEMORY, "out of memory");
  } catch (const std::invalid_argument& e) {  // a caller's argument, unless the file is what was read
    return failed(file_status == MTF_ERROR_FILE ? MTF_ERROR_FILE : MTF_ERROR_ARGUMENT, e.what());
  } catch (const std::exception& e) {
    return failed(file_status, e.what());
  } catch (...) {
    return failed(MTF_ERROR_INTERNAL, "unknown error");
  }
}

}  // namespace

extern "C" {

mtf_status mtf_policy_load(const char* path, int expected_state_dim, int expected_action_dim, mtf_policy** out) {
  if (!path || !out) return failed(MTF_ERROR_ARGUMENT, "mtf_policy_load: null path or out");
  *out = nullptr;
  return guarded(MTF_ERROR_FILE, [&] {
    *out = new mtf_policy{mtf::ServedPolicy::load(path, expected_state_dim, expected_action_dim)};
  });
}

void mtf_policy_free(mtf_policy* policy) { delete policy; }
int mtf_policy_state_dim(const mtf_policy* policy) { return policy ? policy->policy.state_dim() : 0; }
int mtf_policy_action_dim(const mtf_policy* policy) { return policy ? policy->policy.action_dim() : 0; }
const char* mtf_policy_algorithm(const mtf_policy* policy) { return policy ? policy->policy.algorithm().c_str() : ""; }

mtf_status mtf_scratch_new(uint64_t seed, mtf_scratch** out) {
  if (!out) return failed(MTF_ERROR_ARGUMENT, "mtf_scratch_new: null out");
  *out = nullptr;
  return guarded(MTF_ERROR_INTERNAL, [&] { *out = new mtf_scratch{mtf::ServedPolicy::Scratch(seed)}; });
}

void mtf_scratch_free(mtf_scratch* scratch) { delete scratch; }
void mtf_scratch_reseed(mtf_scratch* scratch, uint64_t seed) {
  if (scratch) scratch->scratch.reseed(seed);
}

mtf_status mtf_policy_decide(const mtf_policy* policy, const float* states, int n, float* actions, float* alphas,
                             mtf_scratch* scratch) {
  if (!policy || !scratch) return failed(MTF_ERROR_ARGUMENT, "mtf_policy_decide: null policy or scratch");
  return guarded(MTF_ERROR_INTERNAL, [&] { policy->policy.decide(states, n, actions, alphas, scratch->scratch); });
}

const char* mtf_last_error(void) { return last_error.c_str(); }

}  // extern "C"
