// ope/fqe_config.hpp — settings of the Conservative Offline Policy Estimator (paper section 4.3.1,
// Algorithm 2, appendix A; SPEC section 4), with the paper's values as defaults. Strict JSON.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/json_config.hpp"
#include "engine/tensor.hpp"

namespace mtf {

struct FqeConfig : JsonConfig<FqeConfig> {
  std::vector<Index> hidden = {256, 256};  // Q network (SPEC section 3)
  int batch_size = 512;                    // m (appendix A)
  long long steps = 5000;                  // K gradient steps (appendix A)
  double lr = 1e-4;                        // Adam (appendix A)
  double gamma = 0.95;                     // appendix A
  double alpha = 5e-4;                     // CQL penalty alpha_c (appendix A); 0 = plain FQE
  std::string penalty = "linear";          // "linear": the paper's mean Q(s, pi_e(s)) - mean Q(s, a) (eq. 10);
                                           // "logsumexp": CQL(H), log-mean-exp of Q over pi_e(s) and
                                           // penalty_samples uniform actions of the box, minus mean Q(s, a)
  int penalty_samples = 10;                // uniform actions per state for "logsumexp"
  bool bound_targets = false;              // clamp targets and estimates to the feasible return range
                                           // [min(0, r_min), max(0, r_max)] / (1 - gamma) of the fitted data
  int target_period = 100;                 // target network refreshed every T steps (SPEC: hard copy)
  double target_eta = 1.0;                 // 1 = hard copy; < 1 = soft update at each refresh
  int initial_states = 5000;               // n test initial states averaged in V-hat (appendix A)
  int estimate_samples = 1;                // actions drawn per initial state (>1 for stochastic policies)
  int gradient_shards = 2;                 // step() splits its minibatch so (see BcqConfig::gradient_shards):
                                           // results depend on this number, not on the thread count
  long long log_every = 500;
  std::uint64_t seed = 0;
  // Read by the estimator interface (ope/estimator.cpp), not by one ConservativeFqe: the fits' own
  // variance is larger than the truth's differences between policies (issue 17), so an estimator may be
  // `ensemble` K independent fits (member 0 with `seed`, member k with mix_seed(seed, k): its own
  // initialization and minibatch order; the policy's actions queried once and shared) whose per-state
  // estimates are averaged, minus `pessimism` lambda x their sample sd (the members agree where the data
  // pin Q down and disagree where it extrapolates).
  int ensemble = 1;
  double pessimism = 0;

  template <class Self, class Visit>
  static void fields(Self& c, Visit& v) {
    v.widths("hidden", c.hidden);
    v("batch_size", c.batch_size, 1, 1 << 20);
    v("steps", c.steps, 0LL, 1LL << 40);
    v("lr", c.lr, 0.0, 1.0);
    v("gamma", c.gamma, 0.0, 1.0);
    v("alpha", c.alpha, 0.0, 1e6);
    v("penalty", c.penalty);
    v("penalty_samples", c.penalty_samples, 1, 1 << 12);
    v("bound_targets", c.bound_targets);
    v("target_period", c.target_period, 1, 1 << 30);
    v("target_eta", c.target_eta, 0.0, 1.0);
    v("initial_states", c.initial_states, 1, 1 << 30);
    v("estimate_samples", c.estimate_samples, 1, 1 << 16);
    v("gradient_shards", c.gradient_shards, 1, 1 << 10);
    v("log_every", c.log_every, 1LL, 1LL << 40);
    v("seed", c.seed);
    v("ensemble", c.ensemble, 1, 64);
    v("pessimism", c.pessimism, 0.0, 1e3);
  }
  /// Rows one step's Q pass forms: (2 + penalty_samples) per transition for logsumexp, else 2 (Q(s, a)
  /// and Q(s, pi_e(s))). The size limits are checked on these rows, not on batch_size alone.
  long long q_rows_per_step() const {
    return (long long)batch_size * (penalty == "logsumexp" ? 2 + penalty_samples : 2);
  }
  /// gradient_shards <= batch_size; penalty is linear or logsumexp.
  void check(const ConfigReader& r) const;
};

}  // namespace mtf
