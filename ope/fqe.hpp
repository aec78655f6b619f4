// ope/fqe.hpp — the Conservative Offline Policy Estimator: fitted Q evaluation with a CQL regularizer
// (paper section 4.3.1, eq. 9–10, Algorithm 2; SPEC section 4).
//
// Each step k, on a minibatch of m transitions (s, a, r, s', not_done) of the evaluation data:
//   y      = r + gamma * not_done * Q_target(s', pi_e(s'))                  (Algorithm 2 line 4, with the
//                                                                            s' the paper's typo drops)
//   loss   = alpha * (mean Q(s, pi_e(s)) - mean Q(s, a)) + 1/2 mean (Q(s, a) - y)^2      (minimized)
// and Q_target is refreshed every target_period steps (hard copy by default). alpha = 0 is plain FQE.
// Two variants of issue 17, by configuration:
//   penalty "logsumexp" (CQL(H), Kumar et al. 2020, eq. 4 with a uniform proposal):
//     penalty = mean_s log( 1/(N+1) sum_{a' in {pi_e(s), u_1..u_N}} exp Q(s, a') ) - mean Q(s, a),
//     u_j ~ U[-1, 1]^A from the shard's generator: a soft maximum over the whole box, so every action
//     the data does not support is pushed down, not only the evaluated policy's;
//   bound_targets: y and the estimates are clamped to the feasible discounted-return range
//     [min(0, r_min), max(0, r_max)] / (1 - gamma) of the fitted data's rewards, so an extrapolating Q
//     cannot bootstrap itself beyond what any policy could earn.
// The estimate is V-hat(pi_e) = mean over n initial states s0 of mean_j Q(s0, a_j), a_j ~ pi_e(s0)
// (eq. 9). The estimator sees the policy only through the simulator's Policy interface.
#pragma once
#include <iosfwd>
#include <limits>
#include <memory>
#include <stdexcept>
#include <vector>

#include "engine/adam.hpp"
#include "engine/sharded_step.hpp"
#include "nets/critic.hpp"
#include "ope/fqe_config.hpp"
#include "rl/data/transition_batch.hpp"
#include "rl/data/policy.hpp"

namespace mtf {

class EstimatorDiverged : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct FqeStats {
  float loss = 0;          // the whole objective
  float td_loss = 0;       // 1/2 mean (Q(s,a) - y)^2
  float penalty = 0;       // mean Q(s, pi_e(s)) - mean Q(s, a)  (before multiplying by alpha)
  float q_data_mean = 0;   // mean Q(s, a)
  float target_mean = 0;   // mean y
};

struct FqeEstimate {
  double value = 0;        // V-hat
  double std_error = 0;    // over initial states (the spread of Q(s0, pi(s0)), not the fit's error)
  long long steps = 0;
  FqeStats last;
  double seconds = 0;
};

class ConservativeFqe {
 public:
  /// `group`: the processes each gradient step's shards spread over (ShardedStep); ProcessGroup::single()
  /// fits whole in this process (an ensemble member on its owner rank, ope/estimator.cpp).
  ConservativeFqe(const FqeConfig& config, Index state_dim, Index action_dim,
                  const ProcessGroup& group = ProcessGroup::world());
  ConservativeFqe(const ConservativeFqe&) = delete;
  ConservativeFqe& operator=(const ConservativeFqe&) = delete;

  /// One gradient step. policy_actions = pi_e(s) (M, A), policy_next_actions = pi_e(s') (M, A).
  FqeStats step(const TransitionBatch& batch, const MatrixR<float>& policy_actions,
                const MatrixR<float>& policy_next_actions);

  /// Algorithm 2: config.steps steps on minibatches drawn uniformly from `data` (the evaluation split).
  /// The policy is queried once per transition, for s and for s', before fitting (a stochastic policy
  /// thus contributes one sampled action per transition, an unbiased sample of its expectation); this
  /// keeps an expensive policy (BCQ serving) out of the K-step loop. Progress (and the TD loss) every
  /// log_every steps. A non-finite loss or weight stops with EstimatorDiverged.
  void fit(const TransitionBatch& data, Policy& policy, std::ostream* progress = nullptr);
  /// The same with the policy's actions given: policy_actions[i] = pi_e(s_i), policy_next_actions[i] =
  /// pi_e(s'_i), one row per transition of `data`.
  void fit(const TransitionBatch& data, const MatrixR<float>& policy_actions,
           const MatrixR<float>& policy_next_actions, std::ostream* progress = nullptr);

  /// Eq. 9 on the given initial states (n, S): mean over states of the mean Q over estimate_samples
  /// actions drawn from the policy.
  FqeEstimate estimate(const MatrixR<float>& initial_states, Policy& policy);
  /// Sets the clamp range of bound_targets (fit() sets it from its data's rewards).
  void set_return_bounds(float lo, float hi);
  /// Per initial state: the mean over estimate_samples actions of Q(s0, a), a ~ pi_e(s0). V-hat is their mean.
  Eigen::ArrayXd estimate_per_state(const MatrixR<float>& initial_states, Policy& policy);

  QNetwork<float>& q() { return *q_; }
  QNetwork<float>& q_target() { return *q_target_; }
  const FqeConfig& config() const { return config_; }
  long long steps_done() const { return steps_; }
  Rng& rng() { return rng_; }

 private:
  FqeConfig config_;
  Index state_dim_, action_dim_;
  Rng rng_;
  std::unique_ptr<QNetwork<float>> q_, q_target_;
  Adam<float> opt_;
  using Step = ShardedStep<FqeStats>;
  /// Algorithm 2's loss on one gradient shard's rows.
  void loss(const Step::Shard& s, const TransitionBatch& batch, const MatrixR<float>& policy_actions,
            const MatrixR<float>& policy_next_actions);
  Step step_;
  Tape<float> tape_;  // estimates
  float return_lo_ = -std::numeric_limits<float>::infinity(), return_hi_ = std::numeric_limits<float>::infinity();
  long long steps_ = 0;
  FqeStats last_;
  double seconds_ = 0;
};

}  // namespace mtf
