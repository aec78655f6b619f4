// rl/uwac_td3.hpp — UWAC+TD3: TD3 (rl/td3.hpp) with Uncertainty Weighted Actor-Critic (Wu, Zhai,
// Srivastava, Susskind, Zhang, Salakhutdinov and Goh 2021), the paper's baseline "UWAC+TD3" of section
// 4.4.1 (SPEC section 4: MC-dropout critics, losses weighted by the inverse variance of the target Q).
//
// What one iteration computes — exactly the PyTorch peer's TD3.train_step with uwac=True
// (../shared/peers/torch_baselines.py), at its T = 10, beta = 0.8, clip 1.5:
//   * the critics have dropout (p = dropout) after each hidden layer's ReLU (nets/dropout_critic.hpp);
//   * target: a~' as in TD3 (one smoothing noise per next state), then T dropout samples of
//     min(Q'1, Q'2)(s', a~') from the TARGET critics with dropout on (the peer calls critic_t.train());
//     y = r + gamma * not_done * mean_T, and w = clamp(beta / var_T, 0, max_weight), var_T the unbiased
//     sample variance over the T samples (torch.var's default);
//   * critics: mean(w (Q1(s, a) - y)^2) + mean(w (Q2(s, a) - y)^2), with dropout ON in the online critics'
//     forward too (one sample, fresh masks per head): the peer's critic is an nn.Module left in train
//     mode, so its nn.Dropout is active in the Bellman step;
//   * delayed actor (every policy_delay-th iteration, after the critic step, as TD3):
//     -mean(w_pi * mean_T Q1(s, pi(s))) over T dropout samples of the online Q1, w_pi = clamp(beta /
//     var_T Q1(s, pi(s)), 0, max_weight) without gradient; then TD3's Polyak updates.
// No deviation from the peer's update. Two differences of computation only: the T samples of a row run
// its first critic layer once (it precedes every dropout; the peer runs it on x.repeat(T, 1)), and the
// samples' mean and variance are summed in double (the peer's in float): the same values to rounding.
//
// Which published weighting this is: the UWAC paper's critic and actor objectives — the inverse variance
// beta / Var multiplying the squared TD error once and the actor's Q — with the weight clipped to
// [0, max_weight] as the authors' code clips it (clip_bottom 0; clip_top 1.0 there, 1.5 in the peer and
// here). The authors' code
// (apple/ml-uwac, built on BEAR) differs: by default exp(-beta var) instead of beta / var, the weight
// inside the square ((Q - y) w)^2, i.e. w^2, and the target's variance as the sum of the two heads'
// variances rather than the variance of their minimum. The peer takes the paper's form with TD3's
// clipped double-Q target, whose own spread (of the min over the two heads) is the uncertainty that y
// carries; this learner does the same so that the speed comparison is of the same computation.
//
// Dropout masks are inputs: drawn from the learner's Rng (each gradient shard from its generator, as the
// smoothing noise) or given by the caller (UwacTd3Noise) so fixtures can inject PyTorch's.
// Serving pi(s), snapshots and checkpoints (the same sections) are TD3's.
#pragma once
#include <string>
#include <vector>

#include "rl/td3.hpp"

namespace mtf {

struct UwacTd3Config : TwinDelayedConfig, JsonConfig<UwacTd3Config> {
  double dropout = 0.1;     // critics' MC-dropout rate (the peer's, and the UWAC code's default drop_rate)
  int dropout_samples = 10; // T: dropout samples per state for the variances (the peer's)
  double beta = 0.8;        // weight scale beta (the peer's)
  double max_weight = 1.5;  // weights clipped to [0, max_weight] (the peer's)

  template <class Self, class Visit>
  static void fields(Self& c, Visit& v) {
    shared_fields(c, v);
    v("dropout", c.dropout, 0.0, 0.9);
    v("dropout_samples", c.dropout_samples, 2, 1024);  // a sample variance needs two
    v("beta", c.beta, 0.0, 1e6);
    v("max_weight", c.max_weight, 0.0, 1e6);
  }
  void check(const ConfigReader& r) const { check_shared(r, dropout_samples); }
};

/// The random inputs of one UWAC+TD3 iteration: TD3's smoothing noise and the dropout masks, each a list
/// over the hidden layers l of a head, entries 0 or 1/(1-p); rows i*T + j are sample j of minibatch row i.
struct UwacTd3Noise : Td3Noise {
  std::vector<MatrixR<float>> target_q1, target_q2;  // (M T, hidden[l]) the target critics at (s', a~')
  std::vector<MatrixR<float>> critic_q1, critic_q2;  // (M, hidden[l]) the critics at (s, a)
  std::vector<MatrixR<float>> actor_q1;              // (M T, hidden[l]) Q1 at (s, pi(s))
};

class UwacTd3 : public Td3 {
 public:
  using Config = UwacTd3Config;  // the registry reads this config (create_learner<UwacTd3>)
  explicit UwacTd3(const UwacTd3Config& config);

  /// One iteration with noise and masks drawn from the learner's Rng.
  Td3Stats train_iteration(const TransitionBatch& batch) {
    injected_masks_ = nullptr;
    return Td3::train_iteration(batch);
  }
  /// One iteration with the given noise and masks.
  Td3Stats train_iteration(const TransitionBatch& batch, const UwacTd3Noise& noise);

  std::string algorithm() const override { return "uwac_td3"; }
  nlohmann::json hyperparameters() const override { return config_to_json(uwac_); }
  /// TD3's metrics and "critic_weight", the mean of w over the minibatch.
  UpdateMetrics update(const TransitionBatch& batch) override;
  const UwacTd3Config& config() const { return uwac_; }

 protected:
  bool same_hyperparameters(const nlohmann::json& hyper, const std::string& source) const override;
  void prepare(Index rows) override;
  void critic_targets(const Step::Shard& s, const TransitionBatch& batch) override;
  void critic_loss(const Step::Shard& s, const TransitionBatch& batch) override;
  void actor_loss(const Step::Shard& s, const TransitionBatch& batch) override;

 private:
  /// One head's masks for the shard's rows into out[0, hidden layers): the injected ones' rows, or
  /// drawn from the shard's generator into tape leaves. samples: rows per minibatch row.
  void masks(const Step::Shard& s, const std::vector<MatrixR<float>>* injected, Index samples, Var* out);
  /// The shard's mask handles, [0, hidden layers) per head (sized once: no allocation per iteration).
  Var* shard_masks(const Step::Shard& s, int head) { return mask_vars_[std::size_t(s.index)].data() + head * layers_; }

  UwacTd3Config uwac_;
  Index layers_;                           // hidden layers per critic head
  std::vector<std::vector<Var>> mask_vars_;  // [shard][2 * layers_]
  const UwacTd3Noise* injected_masks_ = nullptr;
  MatrixR<float> target_weight_;  // (M, 1) w of the critic step
  MatrixR<float> actor_weight_;   // (M, 1) w_pi of the actor step
};

}  // namespace mtf
