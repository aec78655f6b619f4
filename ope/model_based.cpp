#include "ope/model_based.hpp"

#include <chrono>
#include <cmath>
#include <iomanip>
#include <ostream>

#include "engine/ops.hpp"
#include "ope/fqe.hpp"
#include "rl/data/dataset.hpp"

namespace mtf {

void ModelBasedConfig::check(const ConfigReader& r) const {
  check_gradient_shards(r, gradient_shards, batch_size);
  if (pessimism > 0 && ensemble < 2) r.fail("pessimism", "needs an ensemble of at least 2 models (their disagreement)");
  check_network_size(r.source(), "hidden", 1, hidden, 1, batch_size);
}

namespace {

MlpSpec model_spec(const ModelBasedConfig& c, Index S, Index A) {
  if (c.hidden.empty()) throw std::invalid_argument("model_based: \"hidden\" needs at least one layer");
  MlpSpec spec;
  spec.in = S + A;
  spec.widths = c.hidden;
  spec.widths.push_back(S + 2);  // [ds_std (S), r_std, continuation logit]
  return spec;
}

// Column means and standard deviations (floored at 1e-3) of x (n, d).
void column_moments(const MatrixR<float>& x, Eigen::RowVectorXf& mean, Eigen::RowVectorXf& sd) {
  const Eigen::RowVectorXd m = x.cast<double>().colwise().mean();
  const Eigen::RowVectorXd var = (x.cast<double>().rowwise() - m).array().square().colwise().mean();
  mean = m.cast<float>();
  sd = var.array().sqrt().max(1e-3).cast<float>().matrix();
}

}  // namespace

ModelBasedEstimator::ModelBasedEstimator(const ModelBasedConfig& config, Index state_dim, Index action_dim,
                                         const ProcessGroup& group)
    : config_(config), S_(state_dim), A_(action_dim), rng_(config.seed), step_(config.gradient_shards, group) {
  check_network_size("model_based config", "hidden", state_dim + action_dim, config.hidden, 1, config.batch_size);
  for (int k = 0; k < config.ensemble; ++k) {
    Member m;
    m.model = std::make_unique<Mlp<float>>(model_spec(config, state_dim, action_dim), rng_);
    m.opt = Adam<float>(m.model->params().size(), AdamConfig{config.lr});
    step_.attach(m.model->params());
    members_.push_back(std::move(m));
  }
}

// The model's loss on the shard's rows of a minibatch, weighted by the shard's share w:
//   w mean_i [ |ds_hat - ds|^2 / S + (r_hat - r)^2 + (sigmoid(c_logit) - not_done)^2 ]   (standardized)
void ModelBasedEstimator::loss(const Step::Shard& sh, Mlp<float>& model, const MatrixR<float>& inputs,
                               const MatrixR<float>& targets) {
  const Index S = S_, in = S_ + A_, out = S_ + 2, b = sh.begin, m = sh.rows;
  Tape<float>& t = sh.tape;
  const Var x = t.input(inputs.data() + b * in, m, in);         // (m, S + A)
  const Var y = t.input(targets.data() + b * out, m, out);      // (m, S + 2): ds_std, r_std, not_done
  const Var pred = model.forward(t, x);                         // (m, S + 2)
  const Var dyn = ops::mse(t, ops::slice_cols(t, pred, 0, S), ops::slice_cols(t, y, 0, S));
  const Var rew = ops::mse(t, ops::slice_cols(t, pred, S, 1), ops::slice_cols(t, y, S, 1));
  const Var cont = ops::mse(t, ops::sigmoid(t, ops::slice_cols(t, pred, S + 1, 1)), ops::slice_cols(t, y, S + 1, 1));
  // ops::mse averages over every element, so the dynamics term is already sum_d / S per row.
  const Var total = ops::scale(t, ops::add(t, ops::add(t, dyn, rew), cont), sh.weight);
  t.backward(total);
  ModelStats& st = sh.stats;
  st.loss = t.scalar(total);
  st.dynamics = sh.weight * t.scalar(dyn);
  st.reward = sh.weight * t.scalar(rew);
  st.continuation = sh.weight * t.scalar(cont);
}

void ModelBasedEstimator::fit_model(const TransitionBatch& data, std::ostream* progress) {
  const Index n = data.rows(), S = S_, A = A_;
  if (n == 0) throw std::invalid_argument("model_based: no transitions to fit");
  if (data.state_dim() != S || data.action_dim() != A)
    throw std::invalid_argument("model_based: data have state/action dims " + std::to_string(data.state_dim()) + "/" +
                                std::to_string(data.action_dim()) + ", the estimator " + std::to_string(S) + "/" +
                                std::to_string(A));
  // Standardize once: inputs [s_std, a], targets [ds_std, r_std, not_done].
  const MatrixR<float> delta = data.next_state - data.state;
  column_moments(data.state, state_mean_, state_sd_);
  column_moments(delta, delta_mean_, delta_sd_);
  state_min_ = data.state.colwise().minCoeff();
  state_max_ = data.state.colwise().maxCoeff();
  const double r_mean = data.reward.cast<double>().mean();
  reward_mean_ = float(r_mean);
  reward_sd_ = float(std::max(1e-3, std::sqrt((data.reward.cast<double>().array() - r_mean).square().mean())));
  MatrixR<float> inputs(n, S + A), targets(n, S + 2);
  inputs.leftCols(S) = (data.state.rowwise() - state_mean_).array().rowwise() / state_sd_.array();
  inputs.rightCols(A) = data.action;
  targets.leftCols(S) = (delta.rowwise() - delta_mean_).array().rowwise() / delta_sd_.array();
  targets.col(S) = (data.reward.col(0).array() - reward_mean_) / reward_sd_;
  targets.col(S + 1) = data.not_done.col(0);

  const int m = config_.batch_size;
  MatrixR<float> batch_in(m, S + A), batch_out(m, S + 2);
  const auto start = std::chrono::steady_clock::now();
  for (long long k = 1; k <= config_.steps; ++k) {
    for (Member& member : members_) {  // each member its own uniform minibatch
      for (Index i = 0; i < m; ++i) {
        const Index r = Index(rng_.below(std::uint64_t(n)));
        batch_in.row(i) = inputs.row(r);
        batch_out.row(i) = targets.row(r);
      }
      Mlp<float>& model = *member.model;
      step_.run(m, {Step::Phase({{&model.params(), &member.opt}},
                                [&](const Step::Shard& sh) { loss(sh, model, batch_in, batch_out); })});
      last_ = step_.summed_stats();  // (the last member's)
      if (!std::isfinite(last_.loss))
        throw EstimatorDiverged("model_based: the model's fit diverged at step " + std::to_string(k));
    }
    if (progress && (k % config_.log_every == 0 || k == config_.steps)) {
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      *progress << "model step " << k << "/" << config_.steps << "  " << std::fixed << std::setprecision(1)
                << double(k) / secs << " steps/s  dynamics " << std::setprecision(5) << last_.dynamics << "  reward "
                << last_.reward << "  continuation " << last_.continuation << "\n";
    }
  }
  for (const Member& member : members_)
    if (!member.model->params().all_finite()) throw EstimatorDiverged("model_based: a model weight is not finite");
  fitted_ = true;
  ++fits_;
}

void ModelBasedEstimator::fit(const TransitionBatch& data, Policy&, std::ostream* progress) {
  TransitionFingerprint fp;
  fp.add(data);
  const std::uint64_t key = fp.hash() ^ std::uint64_t(fp.rows());
  if (fitted_ && key == fitted_rows_hash_) return;  // the same data: the model does not depend on the policy
  fit_model(data, progress);
  fitted_rows_hash_ = key;
}

Eigen::ArrayXd ModelBasedEstimator::estimate_per_state(const MatrixR<float>& initial_states, Policy& policy) {
  if (!fitted_) throw std::logic_error("model_based: estimate before fit");
  const Index n = initial_states.rows(), S = S_, A = A_;
  if (initial_states.cols() != S)
    throw std::invalid_argument("model_based: initial states have " + std::to_string(initial_states.cols()) +
                                " columns, expected " + std::to_string(S));
  MatrixR<float> state(n, S), actions(n, A), inputs(n, S + A);
  Eigen::ArrayXd total = Eigen::ArrayXd::Zero(n);
  for (int rep = 0; rep < config_.estimate_samples; ++rep) {
    state = initial_states;
    Eigen::ArrayXd weight = Eigen::ArrayXd::Ones(n), value = Eigen::ArrayXd::Zero(n);
    double discount = 1;
    for (int step = 0; step < config_.horizon; ++step) {
      policy.act(state.data(), int(n), actions.data(), rng_);
      inputs.leftCols(S) = (state.rowwise() - state_mean_).array().rowwise() / state_sd_.array();
      inputs.rightCols(A) = actions;
      // Each member's prediction (n, S + 2); the rollout follows their mean.
      const int K = config_.ensemble;
      MatrixR<double> sum = MatrixR<double>::Zero(n, S + 2);
      Eigen::ArrayXd r_sq = Eigen::ArrayXd::Zero(n), c_sq = Eigen::ArrayXd::Zero(n);
      for (Member& member : members_) {
        tape_.reset();
        NoGradScope<float> no_grad(tape_);
        MatrixR<double> pred = tape_.value(member.model->forward(tape_, tape_.input(inputs))).cast<double>();
        pred.col(S) = pred.col(S).array() * reward_sd_ + reward_mean_;      // reward
        pred.col(S + 1) = 1.0 / (1.0 + (-pred.col(S + 1).array()).exp());  // continuation probability
        sum += pred;
        r_sq += pred.col(S).array().square();
        c_sq += pred.col(S + 1).array().square();
      }
      const MatrixR<double> mean = sum / double(K);
      Eigen::ArrayXd reward = mean.col(S).array(), cont = mean.col(S + 1).array();
      if (config_.pessimism > 0) {  // population sd over the members
        const Eigen::ArrayXd r_sd = (r_sq / double(K) - reward.square()).max(0.0).sqrt();
        const Eigen::ArrayXd c_sd = (c_sq / double(K) - cont.square()).max(0.0).sqrt();
        reward -= config_.pessimism * r_sd;
        cont = (cont - config_.pessimism * c_sd).max(0.0).min(1.0);
      }
      value += discount * weight * reward;
      weight *= cont;
      discount *= config_.gamma;
      for (Index i = 0; i < n; ++i)
        for (Index d = 0; d < S; ++d)
          state(i, d) = std::clamp(float(state(i, d) + mean(i, d) * delta_sd_(d) + delta_mean_(d)), state_min_(d),
                                   state_max_(d));
      if (discount * weight.maxCoeff() < 1e-6) break;  // every rollout's remaining weight is negligible
    }
    total += value;
  }
  return total / double(config_.estimate_samples);
}

}  // namespace mtf
