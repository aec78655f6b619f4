#include "rl/cql_sac.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iomanip>
#include <sstream>

#include "engine/ops.hpp"

namespace mtf {

void CqlSacConfig::check(const ConfigReader& r) const {
  check_gradient_shards(r, gradient_shards, batch_size);
  // Sizes before any network exists: a width of 2^20 would otherwise die of bad_alloc inside a
  // parallel region, where no exception can be caught.
  const std::int64_t max_state_dim = input_limits().max_state_dim;
  if (state_dim > max_state_dim) limit_exceeded(r.source(), "state_dim", state_dim, max_state_dim, "max_state_dim");
  // The penalty evaluates both critics on 3 n actions per state; the actor samples n per state.
  const std::int64_t rows = std::int64_t(batch_size) * 3 * cql_samples;
  check_network_size(r.source(), "actor_hidden", state_dim, actor_hidden, 2 * action_dim, rows);
  check_network_size(r.source(), "critic_hidden", state_dim + action_dim, critic_hidden, 1, rows);
}

CqlSac::CqlSac(const CqlSacConfig& config) : ConfiguredLearner(config), step_(config.gradient_shards) {
  const Index S = config.state_dim, A = config.action_dim;
  // Construction order fixes which random numbers initialize which network.
  actor_ = std::make_unique<GaussianActor<float>>(GaussianActorSpec{S, A, config.actor_hidden}, rng_);
  critic_ = std::make_unique<TwinCritic<float>>(CriticSpec{S, A, config.critic_hidden}, rng_);
  critic_target_ = std::make_unique<TwinCritic<float>>(CriticSpec{S, A, config.critic_hidden}, rng_);
  critic_target_->params().copy_from(critic_->params());  // targets start as copies
  log_alpha_.add("log_alpha", 1, 1);                      // 0: alpha = 1 (the peer's start)
  actor_opt_ = Adam<float>(actor_->params().size(), AdamConfig{config.actor_lr});
  critic_opt_ = Adam<float>(critic_->params().size(), AdamConfig{config.critic_lr});
  alpha_opt_ = Adam<float>(log_alpha_.size(), AdamConfig{config.alpha_lr});
  step_.attach(actor_->params());
  step_.attach(critic_->params());
  step_.attach(log_alpha_);
}

float CqlSac::alpha() const { return std::exp(log_alpha_.values()[0]); }

CqlSacStats CqlSac::train_iteration(const TransitionBatch& batch) {
  const Index M = batch.rows(), A = config_.action_dim, n = config_.cql_samples;
  noise_.actor_eps.resize(M, A);  // no-ops after the first call with this batch size
  noise_.target_eps.resize(M, A);
  noise_.uniform.resize(M * n, A);
  noise_.current_eps.resize(M * n, A);
  noise_.next_eps.resize(M * n, A);
  step_.reseed(rng_);  // each shard draws its rows' noise on its own thread, from its own generator
  return run_iteration(batch, noise_, /*draw_noise=*/true);
}

CqlSacStats CqlSac::train_iteration(const TransitionBatch& batch, const CqlSacNoise& noise) {
  return run_iteration(batch, noise, /*draw_noise=*/false);
}

// One iteration: three phases of the sharded step (each sees the updates of the ones before, as the
// peer's three optimizer steps do), then the Polyak average of the target critics. The actor's sample
// a~ is formed twice, in phases 1 and 2, from the same eps and the same weights (the tape is per phase):
// the same values, one extra forward pass of the actor on M rows.
CqlSacStats CqlSac::run_iteration(const TransitionBatch& batch, const CqlSacNoise& noise, bool draw_noise) {
  const Index M = batch.rows();
  target_y_.resize(M, 1);  // no-ops after the first call with this batch size
  q1_values_.resize(M, 1);
  step_.run(M, {
      // 1. Temperature.
      Step::Phase({{&log_alpha_, &alpha_opt_}},
                  [&](const Step::Shard& s) {
                    if (draw_noise) draw_shard_noise(s);  // noise_ is `noise` then
                    temperature_loss(s, batch, noise);
                  }),
      // 2. Actor, with the new temperature.
      Step::Phase({{&actor_->params(), &actor_opt_}}, [&](const Step::Shard& s) { actor_loss(s, batch, noise); }),
      // 3. Critics: SAC target and CQL(H) penalty, with the new actor.
      Step::Phase({{&critic_->params(), &critic_opt_}},
                  [&](const Step::Shard& s) {
                    critic_targets(s, batch, noise);
                    critic_loss(s, batch, noise);
                  }),
  });
  // 4. Polyak averaging of the target critics, every iteration.
  critic_target_->params().soft_update_from(critic_->params(), float(config_.tau));
  ++iteration_;

  step_.share_rows(q1_values_);  // each process computed its shards' rows: the metrics below need all
  step_.share_rows(target_y_);
  const ShardStats sum = step_.summed_stats();
  CqlSacStats stats;
  stats.alpha_loss = sum.alpha_loss;
  stats.alpha = alpha();
  stats.entropy = sum.entropy;
  stats.actor_loss = sum.actor_loss;
  stats.critic_loss = sum.critic_loss;
  stats.bellman = sum.bellman;
  stats.cql_penalty = sum.cql_penalty;
  const auto q1v = q1_values_.array();
  stats.q1_mean = q1v.mean();
  stats.q1_std = std::sqrt(std::max(0.0f, (q1v - stats.q1_mean).square().mean()));
  stats.target_mean = target_y_.mean();
  return stats;
}

// The shard's rows of noise_ from its generator: N(0, 1) for every reparameterized sample, U[-1, 1) for
// the penalty's uniform actions.
void CqlSac::draw_shard_noise(const Step::Shard& s) {
  const Index A = config_.action_dim, n = config_.cql_samples, b = s.begin, m = s.rows;
  s.rng.fill_normal(noise_.actor_eps.data() + b * A, std::size_t(m * A));
  s.rng.fill_normal(noise_.target_eps.data() + b * A, std::size_t(m * A));
  float* uniform = noise_.uniform.data() + b * n * A;
  for (Index i = 0; i < m * n * A; ++i) uniform[i] = float(s.rng.uniform(-1.0, 1.0));
  s.rng.fill_normal(noise_.current_eps.data() + b * n * A, std::size_t(m * n * A));
  s.rng.fill_normal(noise_.next_eps.data() + b * n * A, std::size_t(m * n * A));
}

// 1. Temperature: J(alpha) = -mean(log_alpha (log pi(a~|s) + H)), a~ ~ pi(s) without gradient to the
//    actor. J is linear in log_alpha, so its gradient is the constant -mean(log pi + H): the shard writes
//    its share into its gradient buffer of log_alpha (no tape needed past the sample).
void CqlSac::temperature_loss(const Step::Shard& sh, const TransitionBatch& batch, const CqlSacNoise& noise) {
  const Index S = config_.state_dim, A = config_.action_dim, b = sh.begin, m = sh.rows;
  Tape<float>& t = sh.tape;
  NoGradScope<float> no_grad(t);
  const Var s = t.input(batch.state.data() + b * S, m, S);
  const auto pi = actor_->sample(t, s, t.input(noise.actor_eps.data() + b * A, m, A));
  const float mean_log_prob = t.value(pi.log_prob).mean();
  const float gap = mean_log_prob + float(config_.entropy_target());  // mean(log pi + H) over the shard
  log_alpha_.grads(std::size_t(sh.index))[0] += -sh.weight * gap;
  sh.stats.alpha_loss = -sh.weight * log_alpha_.values()[0] * gap;
  sh.stats.entropy = -sh.weight * mean_log_prob;
}

// 2. Actor: mean(alpha log pi(a~|s) - min(Q1, Q2)(s, a~)) with the same a~ (the same eps, the actor not
//    yet changed), now with gradient; the critics pass gradients to a~ only (ParamGrad::Skip).
void CqlSac::actor_loss(const Step::Shard& sh, const TransitionBatch& batch, const CqlSacNoise& noise) {
  const Index S = config_.state_dim, A = config_.action_dim, b = sh.begin, m = sh.rows;
  Tape<float>& t = sh.tape;
  const Var s = t.input(batch.state.data() + b * S, m, S);
  const auto pi = actor_->sample(t, s, t.input(noise.actor_eps.data() + b * A, m, A));
  const auto [q1, q2] = critic_->both(t, s, pi.action, ParamGrad::Skip);
  const Var objective = ops::sub(t, ops::scale(t, pi.log_prob, alpha()), ops::minimum(t, q1, q2));  // (m, 1)
  const Var loss = ops::scale(t, ops::mean(t, objective), sh.weight);
  t.backward(loss);
  sh.stats.actor_loss = t.scalar(loss);
}

// 3a. The SAC target y = r + gamma nd (min(Q1', Q2')(s', a') - alpha log pi(a'|s')), a' ~ pi(s'), from the
//     actor just updated; no gradient.
void CqlSac::critic_targets(const Step::Shard& sh, const TransitionBatch& batch, const CqlSacNoise& noise) {
  const Index S = config_.state_dim, A = config_.action_dim, b = sh.begin, m = sh.rows;
  Tape<float>& t = sh.tape;
  t.reset();
  NoGradScope<float> no_grad(t);
  const Var s_next = t.input(batch.next_state.data() + b * S, m, S);
  const auto next = actor_->sample(t, s_next, t.input(noise.target_eps.data() + b * A, m, A));
  const auto [q1_next, q2_next] = critic_target_->both(t, s_next, next.action);
  const Var soft_value = ops::sub(t, ops::minimum(t, q1_next, q2_next), ops::scale(t, next.log_prob, alpha()));
  const Var y = ops::add(t, t.input(batch.reward.data() + b, m, 1),
                         ops::scale(t, ops::mul(t, t.input(batch.not_done.data() + b, m, 1), soft_value),
                                    float(config_.gamma)));
  target_y_.middleRows(b, m) = t.value(y);
}

// 3b. Critics: Bellman MSE to y for both, plus cql_weight times the CQL(H) penalty of each:
//     mean_i logsumexp_k [Q_j(s_i, b_ik) - log q(b_ik)] - mean_i Q_j(s_i, a_i) over 3n actions per state.
void CqlSac::critic_loss(const Step::Shard& sh, const TransitionBatch& batch, const CqlSacNoise& noise) {
  const Index S = config_.state_dim, A = config_.action_dim, n = config_.cql_samples, b = sh.begin, m = sh.rows;
  const Index k = 3 * n;  // actions per state in the log-sum-exp
  Tape<float>& t = sh.tape;
  t.reset();
  const Var y = t.input(target_y_.data() + b, m, 1);                                          // (m, 1)
  const Var s = t.input(batch.state.data() + b * S, m, S), a = t.input(batch.action.data() + b * A, m, A);
  // The penalty's actions, without gradient. Each source gives n rows per state (rows i*n + j); viewed as
  // (m, n A) and laid side by side they become, viewed back, rows i*3n + k of state i: k < n uniform,
  // then n from pi(s_i), then n from pi(s'_i). Their log-densities are laid out the same way.
  Var actions, log_density;
  {
    NoGradScope<float> no_grad(t);
    const Var s_next = t.input(batch.next_state.data() + b * S, m, S);
    const Var uniform = t.input(noise.uniform.data() + b * n * A, m * n, A);                   // (m n, A)
    const auto current = actor_->sample_repeated(t, s, t.input(noise.current_eps.data() + b * n * A, m * n, A), n);
    const auto next = actor_->sample_repeated(t, s_next, t.input(noise.next_eps.data() + b * n * A, m * n, A), n);
    actions = ops::reshape(t,
                           ops::concat_cols(t, ops::reshape(t, uniform, m, n * A),
                                            ops::reshape(t, current.action, m, n * A),
                                            ops::reshape(t, next.action, m, n * A)),
                           m * k, A);                                                         // (m 3n, A)
    const Var uniform_density = t.leaf(m, n);  // log of U[-1, 1]^A's density 2^-A
    t.value(uniform_density).setConstant(float(double(A) * std::log(0.5)));
    log_density = ops::reshape(t,
                               ops::concat_cols(t, uniform_density, ops::reshape(t, current.log_prob, m, n),
                                                ops::reshape(t, next.log_prob, m, n)),
                               m * k, 1);                                                     // (m 3n, 1)
  }
  const auto [q1, q2] = critic_->both(t, s, a);                                               // (m, 1)
  const auto [q1_sampled, q2_sampled] = critic_->both_repeated(t, s, actions, k);            // (m 3n, 1)
  const auto penalty = [&](Var q_sampled, Var q_data) {
    const Var lse = ops::group_logsumexp(t, ops::sub(t, q_sampled, log_density), k);          // (m, 1)
    return ops::sub(t, ops::mean(t, lse), ops::mean(t, q_data));
  };
  const Var bellman = ops::add(t, ops::mse(t, q1, y), ops::mse(t, q2, y));
  const Var cql = ops::add(t, penalty(q1_sampled, q1), penalty(q2_sampled, q2));
  const Var loss =
      ops::scale(t, ops::add(t, bellman, ops::scale(t, cql, float(config_.cql_weight))), sh.weight);
  t.backward(loss);
  sh.stats.critic_loss = t.scalar(loss);
  sh.stats.bellman = sh.weight * t.scalar(bellman);
  sh.stats.cql_penalty = sh.weight * t.scalar(cql);
  q1_values_.middleRows(b, m) = t.value(q1);
}

UpdateMetrics CqlSac::update(const TransitionBatch& batch) {
  const CqlSacStats s = train_iteration(batch);
  UpdateMetrics m;
  m.add("critic_loss", s.critic_loss);
  m.add("bellman", s.bellman);
  m.add("cql_penalty", s.cql_penalty);
  m.add("actor_loss", s.actor_loss);
  m.add("alpha", s.alpha);
  m.add("alpha_loss", s.alpha_loss);
  m.add("entropy", s.entropy);
  m.add("q1_mean", s.q1_mean);
  m.add("q1_std", s.q1_std);
  m.add("target_mean", s.target_mean);
  return m;
}

std::string CqlSac::progress(const UpdateMetrics& m) const {
  std::ostringstream o;
  o << std::fixed << std::setprecision(4) << "critic " << m.get("critic_loss") << "  cql " << m.get("cql_penalty")
    << "  Q1 " << m.get("q1_mean") << " ± " << m.get("q1_std") << "  alpha " << m.get("alpha");
  return o.str();
}

// ------------------------------------------------------------------------------------------- serving

namespace {
constexpr Index kCqlSacServeChunk = 1024;
}  // namespace

void cql_sac_serve(GaussianActor<float>& actor, Tape<float>& t, const float* states, Index count, float* actions) {
  // In chunks, so that serving a whole dataset (an estimator scoring 300 k next states) keeps the tape
  // at 1024 rows per layer; rows are independent, so the actions do not depend on the chunking.
  constexpr Index kServeChunk = kCqlSacServeChunk;
  const Index S = actor.spec().state_dim, A = actor.spec().action_dim;
  for (Index first = 0; first < count; first += kServeChunk) {
    const Index rows = std::min(kServeChunk, count - first);
    t.reset();
    NoGradScope<float> no_grad(t);
    const Var a = actor.mean_action(t, t.input(states + first * S, rows, S));
    std::memcpy(actions + first * A, t.value(a).data(), sizeof(float) * std::size_t(rows * A));
  }
}

void CqlSac::act(const float* states, Index count, float* actions, Rng&) {
  cql_sac_serve(*actor_, serve_tape_, states, count, actions);
}

namespace {
// A deployed CQL+SAC policy: its own copy of the actor, which training cannot change underneath it.
class CqlSacSnapshot : public Policy {
 public:
  CqlSacSnapshot(const GaussianActor<float>& actor, std::string name) : name_(std::move(name)) {
    Rng unused(0);  // initialization is overwritten by the copy
    actor_ = std::make_unique<GaussianActor<float>>(actor.spec(), unused);
    actor_->params().copy_from(actor.params());
  }
  void act(const float* states, int n, float* actions, Rng&) override {
    cql_sac_serve(*actor_, tape_, states, n, actions);
  }
  std::string name() const override { return name_; }

 private:
  std::string name_;
  std::unique_ptr<GaussianActor<float>> actor_;
  Tape<float> tape_;
};
}  // namespace

std::shared_ptr<Policy> CqlSac::snapshot(const std::string& name) const {
  return std::make_shared<CqlSacSnapshot>(*actor_, name);
}

bool CqlSac::all_finite() const {
  return actor_->params().all_finite() && critic_->params().all_finite() && critic_target_->params().all_finite() &&
         log_alpha_.all_finite();
}

// ------------------------------------------------------------------------------------ checkpoints

void CqlSac::save_sections(Checkpoint& out) const {
  out.put("actor", actor_->params().to_bytes());
  out.put("critic", critic_->params().to_bytes());
  out.put("critic_target", critic_target_->params().to_bytes());
  out.put("log_alpha", log_alpha_.to_bytes());
  out.put("actor_adam", actor_opt_.to_bytes());
  out.put("critic_adam", critic_opt_.to_bytes());
  out.put("alpha_adam", alpha_opt_.to_bytes());
}

void CqlSac::export_sections(Checkpoint& out) const {
  out.meta["serving"] = {{"kind", "gaussian_mean"}, {"hidden", actor_->spec().hidden}, {"chunk", kCqlSacServeChunk}};
  out.put("actor", actor_->params().to_bytes());
}

void CqlSac::load_sections(const Checkpoint& in) {
  const std::string& src = in.source();
  // Restore into a scratch learner first so a bad section leaves this one untouched.
  CqlSac scratch(config_);
  scratch.actor_->params().from_bytes(in.get("actor"), src + ": actor");
  scratch.critic_->params().from_bytes(in.get("critic"), src + ": critic");
  scratch.critic_target_->params().from_bytes(in.get("critic_target"), src + ": critic_target");
  scratch.log_alpha_.from_bytes(in.get("log_alpha"), src + ": log_alpha");
  scratch.actor_opt_.from_bytes(in.get("actor_adam"), src + ": actor_adam");
  scratch.critic_opt_.from_bytes(in.get("critic_adam"), src + ": critic_adam");
  scratch.alpha_opt_.from_bytes(in.get("alpha_adam"), src + ": alpha_adam");

  actor_->params().copy_from(scratch.actor_->params());
  critic_->params().copy_from(scratch.critic_->params());
  critic_target_->params().copy_from(scratch.critic_target_->params());
  log_alpha_.copy_from(scratch.log_alpha_);
  actor_opt_ = scratch.actor_opt_;
  critic_opt_ = scratch.critic_opt_;
  alpha_opt_ = scratch.alpha_opt_;
}

}  // namespace mtf
