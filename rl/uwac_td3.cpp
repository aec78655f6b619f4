#include "rl/uwac_td3.hpp"

#include <algorithm>
#include <stdexcept>

#include "engine/ops.hpp"

namespace mtf {

namespace {
Td3Config shared_part(const UwacTd3Config& c) {
  Td3Config td3;
  static_cast<TwinDelayedConfig&>(td3) = c;
  return td3;
}

struct MeanVariance {
  double mean, variance;
};
// Mean and unbiased variance (divided by n - 1, torch.var's default) of x[0, n), n >= 2; two passes in
// double, so that nearly equal samples do not cancel to a negative or noisy variance.
MeanVariance mean_variance(const float* x, Index n) {
  double sum = 0;
  for (Index j = 0; j < n; ++j) sum += x[j];
  const double mean = sum / double(n);
  double squares = 0;
  for (Index j = 0; j < n; ++j) squares += (x[j] - mean) * (x[j] - mean);
  return {mean, squares / double(n - 1)};
}

// UWAC's weight clamp(beta / var, 0, max_weight); a zero variance gives max_weight, a NaN stays NaN (the
// trainer stops on it).
float uncertainty_weight(double variance, const UwacTd3Config& c) {
  return float(std::min(std::max(c.beta / variance, 0.0), c.max_weight));
}
}  // namespace

UwacTd3::UwacTd3(const UwacTd3Config& config)
    : Td3(shared_part(config)), uwac_(config), layers_(Index(config.critic_hidden.size())) {
  mask_vars_.assign(std::size_t(config.gradient_shards), std::vector<Var>(std::size_t(2 * layers_)));
}

Td3Stats UwacTd3::train_iteration(const TransitionBatch& batch, const UwacTd3Noise& noise) {
  const Index M = batch.rows(), T = uwac_.dropout_samples;
  auto require = [&](const std::vector<MatrixR<float>>& masks, Index rows, const char* name) {
    bool ok = Index(masks.size()) == layers_;
    for (Index l = 0; ok && l < layers_; ++l)
      ok = masks[std::size_t(l)].rows() == rows && masks[std::size_t(l)].cols() == uwac_.critic_hidden[std::size_t(l)];
    if (!ok)
      throw std::invalid_argument(std::string("UwacTd3Noise::") + name + ": expected " + std::to_string(layers_) +
                                  " masks of " + std::to_string(rows) + " rows and the critic's hidden widths");
  };
  require(noise.target_q1, M * T, "target_q1");
  require(noise.target_q2, M * T, "target_q2");
  require(noise.critic_q1, M, "critic_q1");
  require(noise.critic_q2, M, "critic_q2");
  require(noise.actor_q1, M * T, "actor_q1");
  injected_masks_ = &noise;
  const Td3Stats stats = run_iteration(batch, &noise);
  injected_masks_ = nullptr;
  return stats;
}

void UwacTd3::prepare(Index rows) {
  Td3::prepare(rows);
  target_weight_.resize(rows, 1);  // no-ops after the first call with this batch size
  actor_weight_.resize(rows, 1);
}

void UwacTd3::masks(const Step::Shard& sh, const std::vector<MatrixR<float>>* injected, Index samples, Var* out) {
  Tape<float>& t = sh.tape;
  const Index rows = sh.rows * samples, first = sh.begin * samples;
  for (Index l = 0; l < layers_; ++l) {
    const Index width = uwac_.critic_hidden[std::size_t(l)];
    if (injected != nullptr) {
      out[l] = t.input((*injected)[std::size_t(l)].data() + first * width, rows, width);
    } else {
      out[l] = t.leaf(rows, width);
      fill_dropout_mask(t.value(out[l]).data(), std::size_t(rows * width), uwac_.dropout, sh.rng);
    }
  }
}

// Target: T dropout samples of min(Q'1, Q'2)(s', a~'); y = r + gamma * not_done * their mean, and the
// critic weight w from their variance. No gradient.
void UwacTd3::critic_targets(const Step::Shard& sh, const TransitionBatch& batch) {
  const Index S = config_.state_dim, T = uwac_.dropout_samples, b = sh.begin, m = sh.rows;
  const UwacTd3Noise* inj = injected_masks_;
  Tape<float>& t = sh.tape;
  t.reset();
  NoGradScope<float> no_grad(t);
  const Var s_next = t.input(batch.next_state.data() + b * S, m, S);  // (m, S)
  const Var a_next = smoothed_next_action(sh, s_next);                // (m, A): one a~' per next state
  Var* masks1 = shard_masks(sh, 0);
  Var* masks2 = shard_masks(sh, 1);
  masks(sh, inj ? &inj->target_q1 : nullptr, T, masks1);
  masks(sh, inj ? &inj->target_q2 : nullptr, T, masks2);
  const auto [q1, q2] = critic_target_->both(t, s_next, a_next, masks1, masks2, T);  // (m T, 1)
  const float* q = t.value(ops::minimum(t, q1, q2)).data();
  const double gamma = config_.gamma;
  double weights = 0;
  for (Index i = 0; i < m; ++i) {
    const MeanVariance mv = mean_variance(q + i * T, T);
    target_y_(b + i, 0) = float(batch.reward(b + i, 0) + gamma * batch.not_done(b + i, 0) * mv.mean);
    target_weight_(b + i, 0) = uncertainty_weight(mv.variance, uwac_);
    weights += target_weight_(b + i, 0);
  }
  sh.stats.critic_weight = sh.weight * float(weights / double(m));
}

// Critics: mean(w (Q1 - y)^2) + mean(w (Q2 - y)^2), one dropout sample each (the peer's train mode).
void UwacTd3::critic_loss(const Step::Shard& sh, const TransitionBatch& batch) {
  const Index S = config_.state_dim, A = config_.action_dim, b = sh.begin, m = sh.rows;
  const UwacTd3Noise* inj = injected_masks_;
  Tape<float>& t = sh.tape;
  t.reset();
  const Var y = t.input(target_y_.data() + b, m, 1), w = t.input(target_weight_.data() + b, m, 1);  // (m, 1)
  const Var s = t.input(batch.state.data() + b * S, m, S), a = t.input(batch.action.data() + b * A, m, A);
  Var* masks1 = shard_masks(sh, 0);
  Var* masks2 = shard_masks(sh, 1);
  masks(sh, inj ? &inj->critic_q1 : nullptr, 1, masks1);
  masks(sh, inj ? &inj->critic_q2 : nullptr, 1, masks2);
  const auto [q1, q2] = critic_->both(t, s, a, masks1, masks2);
  auto weighted_squared_error = [&](Var q) { return ops::mean(t, ops::mul(t, w, ops::square(t, ops::sub(t, q, y)))); };
  const Var loss = ops::add(t, weighted_squared_error(q1), weighted_squared_error(q2));
  finish_critic_loss(sh, ops::scale(t, loss, sh.weight), q1);
}

// Delayed actor: -mean(w_pi * mean_T Q1(s, pi(s))) over T dropout samples of Q1 (no critic weight
// gradients), w_pi from their variance, without gradient.
void UwacTd3::actor_loss(const Step::Shard& sh, const TransitionBatch& batch) {
  const Index S = config_.state_dim, T = uwac_.dropout_samples, b = sh.begin, m = sh.rows;
  const UwacTd3Noise* inj = injected_masks_;
  Tape<float>& t = sh.tape;
  const Var s = t.input(batch.state.data() + b * S, m, S);
  Var* masks1 = shard_masks(sh, 0);
  masks(sh, inj ? &inj->actor_q1 : nullptr, T, masks1);
  const Var q = critic_->q1(t, s, actor_->forward(t, s), masks1, T, ParamGrad::Skip);  // (m T, 1)
  const float* qv = t.value(q).data();
  double weights = 0;
  for (Index i = 0; i < m; ++i) {
    actor_weight_(b + i, 0) = uncertainty_weight(mean_variance(qv + i * T, T).variance, uwac_);
    weights += actor_weight_(b + i, 0);
  }
  const Var q_mean = ops::scale(t, ops::row_sum(t, ops::reshape(t, q, m, T)), 1.0f / float(T));  // (m, 1)
  const Var w = t.input(actor_weight_.data() + b, m, 1);
  const Var loss = ops::scale(t, ops::mean(t, ops::mul(t, w, q_mean)), -sh.weight);
  t.backward(loss);
  sh.stats.actor_loss = t.scalar(loss);
  sh.stats.actor_weight = sh.weight * float(weights / double(m));
}

UpdateMetrics UwacTd3::update(const TransitionBatch& batch) {
  const Td3Stats s = train_iteration(batch);
  UpdateMetrics m = metrics(s);
  m.add("critic_weight", s.critic_weight);
  return m;
}

bool UwacTd3::same_hyperparameters(const nlohmann::json& hyper, const std::string& source) const {
  return config_to_json(config_from_json<UwacTd3Config>(hyper, source)) == config_to_json(uwac_);
}

}  // namespace mtf
