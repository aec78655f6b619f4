#include "ope/fqe.hpp"

#include <chrono>
#include <cmath>
#include <iomanip>
#include <ostream>

#include "engine/ops.hpp"

namespace mtf {

ConservativeFqe::ConservativeFqe(const FqeConfig& config, Index state_dim, Index action_dim, const ProcessGroup& group)
    : config_(config), state_dim_(state_dim), action_dim_(action_dim), rng_(config.seed),
      step_(config.gradient_shards, group) {
  check_network_size("estimator config", "hidden", state_dim + action_dim, config.hidden, 1, config.q_rows_per_step());
  const CriticSpec spec{state_dim, action_dim, config.hidden};
  q_ = std::make_unique<QNetwork<float>>(spec, rng_);
  q_target_ = std::make_unique<QNetwork<float>>(spec, rng_);
  q_target_->params().copy_from(q_->params());  // Algorithm 2 line 1: one random initialization
  opt_ = Adam<float>(q_->params().size(), AdamConfig{config.lr});
  step_.attach(q_->params());
}

// Algorithm 2, lines 3-6 on one minibatch, then the periodic target refresh.
FqeStats ConservativeFqe::step(const TransitionBatch& batch, const MatrixR<float>& policy_actions,
                               const MatrixR<float>& policy_next_actions) {
  // The logsumexp penalty draws uniform actions on the shards' generators; the linear one draws nothing
  // (and so keeps the bits it had before the variant existed).
  if (config_.penalty == "logsumexp") step_.reseed(rng_);
  step_.run(batch.rows(), {Step::Phase({{&q_->params(), &opt_}}, [&](const Step::Shard& s) {
              loss(s, batch, policy_actions, policy_next_actions);
            })});
  if (++steps_ % config_.target_period == 0) {
    if (config_.target_eta >= 1.0) q_target_->params().copy_from(q_->params());
    else q_target_->params().soft_update_from(q_->params(), float(config_.target_eta));
  }
  return step_.summed_stats();
}

// Algorithm 2's loss on the shard's rows, weighted by its share w of the minibatch (so the shards'
// gradients sum to the minibatch's): w [alpha (mean Q(s, pi_e(s)) - mean Q(s, a)) + 0.5 mean (Q(s, a) - y)^2].
void ConservativeFqe::loss(const Step::Shard& sh, const TransitionBatch& batch, const MatrixR<float>& policy_actions,
                           const MatrixR<float>& policy_next_actions) {
  const Index S = state_dim_, A = action_dim_, b = sh.begin, m = sh.rows;
  const float w = sh.weight;
  Tape<float>& t = sh.tape;
  Var y;
  {
    NoGradScope<float> no_grad(t);
    const Var q_next = q_target_->forward(t, t.input(batch.next_state.data() + b * S, m, S),
                                          t.input(policy_next_actions.data() + b * A, m, A));  // (m, 1)
    y = ops::add(t, t.input(batch.reward.data() + b, m, 1),
                 ops::scale(t, ops::mul(t, t.input(batch.not_done.data() + b, m, 1), q_next), float(config_.gamma)));
  }
  if (config_.bound_targets) y = ops::clamp(t, y, return_lo_, return_hi_);  // a constant: no gradient either way
  // Q(s, a), Q(s, pi_e(s)) (and for logsumexp N uniform actions) in one pass over (2 + N) m rows: row
  // (2 + N) i pairs state i with its logged action, the next row with the evaluated policy's, then the
  // uniform ones. The state's share of the first layer is computed once per state
  // (QNetwork::forward_repeated), and the pass's GEMMs are that much taller.
  const bool soft = config_.penalty == "logsumexp";
  const Index per_state = soft ? 2 + config_.penalty_samples : 2;
  const Var actions = t.leaf(per_state * m, A);  // ((2 + N) m, A), constant: no gradient flows to the actions
  for (Index i = 0; i < m; ++i) {
    t.value(actions).row(per_state * i) = batch.action.row(b + i);
    t.value(actions).row(per_state * i + 1) = policy_actions.row(b + i);
    for (Index j = 2; j < per_state; ++j)
      for (Index d = 0; d < A; ++d) t.value(actions)(per_state * i + j, d) = float(sh.rng.uniform(-1.0, 1.0));
  }
  const Var states = t.input(batch.state.data() + b * S, m, S);
  const Var q_rows = ops::reshape(t, q_->forward_repeated(t, states, actions, per_state), m, per_state);
  const Var q_data = ops::slice_cols(t, q_rows, 0, 1);  // Q(s, a)       (m, 1)
  Var penalty;
  if (soft) {
    // log-mean-exp over pi_e(s) and the uniform actions: logsumexp - log(N + 1)    (m, 1)
    const Index k = per_state - 1;
    const Var lse = ops::group_logsumexp(t, ops::reshape(t, ops::slice_cols(t, q_rows, 1, k), m * k, 1), k);
    penalty = ops::sub(t, ops::affine(t, ops::mean(t, lse), 1.0f, -float(std::log(double(k)))), ops::mean(t, q_data));
  } else {
    const Var q_pi = ops::slice_cols(t, q_rows, 1, 1);  // Q(s, pi_e(s)) (m, 1)
    penalty = ops::sub(t, ops::mean(t, q_pi), ops::mean(t, q_data));
  }
  const Var td = ops::scale(t, ops::mse(t, q_data, y), 0.5f);
  const Var loss = ops::scale(t, ops::add(t, ops::scale(t, penalty, float(config_.alpha)), td), w);
  t.backward(loss);
  FqeStats& st = sh.stats;
  st.loss = t.scalar(loss);
  st.td_loss = w * t.scalar(td);
  st.penalty = w * t.scalar(penalty);
  st.q_data_mean = w * t.value(q_data).mean();
  st.target_mean = w * t.value(y).mean();
}

void ConservativeFqe::fit(const TransitionBatch& data, Policy& policy, std::ostream* progress) {
  const Index n = data.rows();
  MatrixR<float> pi_s(n, action_dim_), pi_next(n, action_dim_);
  policy.act(data.state.data(), int(n), pi_s.data(), rng_);
  policy.act(data.next_state.data(), int(n), pi_next.data(), rng_);
  fit(data, pi_s, pi_next, progress);
}

void ConservativeFqe::set_return_bounds(float lo, float hi) {
  if (!(lo <= hi)) throw std::invalid_argument("ConservativeFqe::set_return_bounds: lo > hi");
  return_lo_ = lo;
  return_hi_ = hi;
}

void ConservativeFqe::fit(const TransitionBatch& data, const MatrixR<float>& policy_actions,
                          const MatrixR<float>& policy_next_actions, std::ostream* progress) {
  const Index n = data.rows();
  if (n == 0) throw std::invalid_argument("ConservativeFqe::fit: no transitions");
  if (config_.bound_targets) {
    // Any policy's discounted return lies in [min(0, r_min), max(0, r_max)] / (1 - gamma) when every
    // reward lies in [r_min, r_max] and sessions may end at any step.
    const double scale = config_.gamma < 1 ? 1.0 / (1.0 - config_.gamma) : std::numeric_limits<double>::infinity();
    set_return_bounds(float(std::min(0.0, double(data.reward.minCoeff())) * scale),
                      float(std::max(0.0, double(data.reward.maxCoeff())) * scale));
  }
  if (data.state_dim() != state_dim_ || data.action_dim() != action_dim_)
    throw std::invalid_argument("ConservativeFqe::fit: data have state/action dims " +
                                std::to_string(data.state_dim()) + "/" + std::to_string(data.action_dim()) +
                                ", the estimator " + std::to_string(state_dim_) + "/" + std::to_string(action_dim_));
  if (policy_actions.rows() != n || policy_next_actions.rows() != n || policy_actions.cols() != action_dim_ ||
      policy_next_actions.cols() != action_dim_)
    throw std::invalid_argument("ConservativeFqe::fit: policy actions must be one row of " +
                                std::to_string(action_dim_) + " per transition");
  const int m = config_.batch_size;
  TransitionBatch batch(m, state_dim_, action_dim_);
  MatrixR<float> pi_s(m, action_dim_), pi_next(m, action_dim_);
  const auto start = std::chrono::steady_clock::now();
  for (long long k = 1; k <= config_.steps; ++k) {
    for (Index i = 0; i < m; ++i) {  // uniform minibatch (Algorithm 2 line 3)
      const Index r = Index(rng_.below(std::uint64_t(n)));
      batch.state.row(i) = data.state.row(r);
      batch.action.row(i) = data.action.row(r);
      batch.reward(i, 0) = data.reward(r, 0);
      batch.next_state.row(i) = data.next_state.row(r);
      batch.not_done(i, 0) = data.not_done(r, 0);
      pi_s.row(i) = policy_actions.row(r);
      pi_next.row(i) = policy_next_actions.row(r);
    }
    last_ = step(batch, pi_s, pi_next);
    if (!std::isfinite(last_.loss))
      throw EstimatorDiverged("estimator diverged at step " + std::to_string(steps_) + ": loss " +
                              std::to_string(last_.loss) + " (TD " + std::to_string(last_.td_loss) + ")");
    if (k % config_.log_every == 0 || k == config_.steps) {
      if (!q_->params().all_finite())
        throw EstimatorDiverged("estimator diverged at step " + std::to_string(steps_) + ": a Q weight is not finite");
      if (progress) {
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        *progress << "fqe step " << k << "/" << config_.steps << "  " << std::fixed << std::setprecision(1)
                  << double(k) / secs << " steps/s  TD loss " << std::setprecision(5) << last_.td_loss
                  << "  penalty " << last_.penalty << "  Q(s,a) " << last_.q_data_mean << "\n";
      }
    }
  }
  seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

Eigen::ArrayXd ConservativeFqe::estimate_per_state(const MatrixR<float>& initial_states, Policy& policy) {
  const Index n = initial_states.rows(), reps = config_.estimate_samples;
  if (initial_states.cols() != state_dim_)
    throw std::invalid_argument("ConservativeFqe::estimate: initial states have " +
                                std::to_string(initial_states.cols()) + " columns, expected " +
                                std::to_string(state_dim_));
  MatrixR<float> actions(n, action_dim_);
  Eigen::ArrayXd per_state = Eigen::ArrayXd::Zero(n);
  for (Index r = 0; r < reps; ++r) {
    policy.act(initial_states.data(), int(n), actions.data(), rng_);
    tape_.reset();
    NoGradScope<float> no_grad(tape_);
    const Var q = q_->forward(tape_, tape_.input(initial_states), tape_.input(actions));
    per_state += tape_.value(q).col(0).cast<double>().array().cwiseMax(return_lo_).cwiseMin(return_hi_);
  }
  return per_state / double(reps);
}

FqeEstimate ConservativeFqe::estimate(const MatrixR<float>& initial_states, Policy& policy) {
  const Eigen::ArrayXd per_state = estimate_per_state(initial_states, policy);
  const double n = double(per_state.size());
  FqeEstimate e;
  e.value = per_state.mean();
  e.std_error = n > 1 ? std::sqrt((per_state - e.value).square().sum() / (n - 1) / n) : 0.0;
  e.steps = steps_;
  e.last = last_;
  e.seconds = seconds_;
  return e;
}

}  // namespace mtf
