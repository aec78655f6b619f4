// ope/model_based.hpp — a model-based off-policy estimator (the Deep OPE benchmark's "MB", Fu et al.
// 2021; Paduraru 2013): learn the logged dynamics once, then roll every policy out inside the model.
//
// Model: one MLP  [s_std, a] -> [ds_std, r_std, c_logit]  (S + A -> hidden... -> S + 2), where
//   s_std  = (s - mean_s) / sd_s,  ds_std = (s' - s - mean_ds) / sd_ds,  r_std = (r - mean_r) / sd_r,
//   c = sigmoid(c_logit) the probability that the session continues after the step (not_done),
// statistics from the fitted data (sd floored at 1e-3 so constant features stay finite). Loss on a
// minibatch of m transitions:
//   mean_i [ sum_d (ds_std_hat - ds_std)^2 / S + (r_std_hat - r_std)^2 + (c_hat - not_done)^2 ]
// (squared error on the continuation probability: the Brier score, a proper scoring rule that needs no
// log of a probability near 0 or 1).
//
// Rollout from n initial states, estimate_samples times for a stochastic policy:
//   V-hat(s_0) = sum_{t < horizon} gamma^t w_t r_hat_t,   w_0 = 1,  w_{t+1} = w_t c_hat_t,
//   s_{t+1} = clamp(s_t + ds_hat_t, data min, data max),   a_t ~ pi_e(s_t).
// The continuation is carried as a weight (expected termination) instead of sampled, which removes the
// termination's sampling noise from the estimate; states are clamped to the box of the logged states so
// a rollout that drifts does not extrapolate the model far beyond its data.
//
// Ensemble and pessimism (MOPO, Yu et al. 2020; the Deep OPE benchmark's strongest estimators are
// model-based and ensembles): `ensemble` K models, each with its own initialization and minibatch order;
// a rollout follows their mean prediction, and with `pessimism` lambda > 0 the reward and the
// continuation probability of each step are lowered by lambda times the members' standard deviation:
//   r_t = mean_k r_k - lambda sd_k r_k,   c_t = clamp(mean_k c_k - lambda sd_k c_k, 0, 1).
// Where the logs support an action the members agree and nothing changes; where they do not (the box's
// corners, far from every logged action) they disagree and the estimate falls, as the conservative
// estimators' penalty intends, but by an amount the data's own uncertainty sets.
//
// The fit does not depend on the evaluated policy: fit() trains once per data (recognized by its rows'
// fingerprint) and only records the policy otherwise, so one estimator evaluates many policies at the
// cost of one model.
#pragma once
#include <memory>

#include "engine/adam.hpp"
#include "engine/json_config.hpp"
#include "engine/sharded_step.hpp"
#include "nets/mlp.hpp"
#include "ope/estimator.hpp"

namespace mtf {

struct ModelBasedConfig : JsonConfig<ModelBasedConfig> {
  std::vector<Index> hidden = {256, 256};
  int batch_size = 256;
  long long steps = 5000;
  double lr = 1e-3;
  double gamma = 0.95;      // the return's discount (the FQE estimators' appendix-A value)
  int horizon = 100;        // rollout steps (gamma^100 = 0.006: the tail beyond is below the model's error)
  int estimate_samples = 1; // rollouts per initial state (>1 for stochastic policies)
  int ensemble = 1;         // K models
  double pessimism = 0;     // lambda: reward and continuation lowered by lambda x the members' sd
  int gradient_shards = 2;
  long long log_every = 1000;
  std::uint64_t seed = 0;

  template <class Self, class Visit>
  static void fields(Self& c, Visit& v) {
    v.widths("hidden", c.hidden);
    v("batch_size", c.batch_size, 1, 1 << 20);
    v("steps", c.steps, 0LL, 1LL << 40);
    v("lr", c.lr, 0.0, 1.0);
    v("gamma", c.gamma, 0.0, 1.0);
    v("horizon", c.horizon, 1, 1 << 16);
    v("estimate_samples", c.estimate_samples, 1, 1 << 16);
    v("ensemble", c.ensemble, 1, 64);
    v("pessimism", c.pessimism, 0.0, 1e3);
    v("gradient_shards", c.gradient_shards, 1, 1 << 10);
    v("log_every", c.log_every, 1LL, 1LL << 40);
    v("seed", c.seed);
  }
  void check(const ConfigReader& r) const;
};

struct ModelStats {
  float loss = 0, dynamics = 0, reward = 0, continuation = 0;  // the loss and its three terms (standardized)
};

class ModelBasedEstimator : public OffPolicyEstimator {
 public:
  /// `group`: the processes each gradient step's shards spread over (the members are not spread: they
  /// share one generator and the rollouts follow their mean at every step).
  ModelBasedEstimator(const ModelBasedConfig& config, Index state_dim, Index action_dim,
                      const ProcessGroup& group = ProcessGroup::world());
  std::string name() const override { return "model_based"; }
  void fit(const TransitionBatch& data, Policy& policy, std::ostream* progress = nullptr) override;
  Eigen::ArrayXd estimate_per_state(const MatrixR<float>& initial_states, Policy& policy) override;
  nlohmann::json settings() const override { return config_.to_json(); }

  /// Trains the model on `data` (what fit() does the first time it sees that data).
  void fit_model(const TransitionBatch& data, std::ostream* progress = nullptr);
  /// The last minibatch's loss terms.
  const ModelStats& last_stats() const { return last_; }
  long long fits() const { return fits_; }

 private:
  using Step = ShardedStep<ModelStats>;
  struct Member {
    std::unique_ptr<Mlp<float>> model;
    Adam<float> opt;
  };
  void loss(const Step::Shard& sh, Mlp<float>& model, const MatrixR<float>& inputs, const MatrixR<float>& targets);

  ModelBasedConfig config_;
  Index S_, A_;
  Rng rng_;
  std::vector<Member> members_;
  Step step_;
  Tape<float> tape_;  // rollouts
  // Standardization of the fitted data, and the box of its states.
  Eigen::RowVectorXf state_mean_, state_sd_, delta_mean_, delta_sd_, state_min_, state_max_;
  float reward_mean_ = 0, reward_sd_ = 1;
  std::uint64_t fitted_rows_hash_ = 0;
  bool fitted_ = false;
  long long fits_ = 0;
  ModelStats last_;
};

}  // namespace mtf
