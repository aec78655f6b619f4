#include "rl/td3.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iomanip>
#include <sstream>
#include <stdexcept>

#include "engine/ops.hpp"

namespace mtf {

namespace {
MlpSpec actor_spec(const TwinDelayedConfig& c) {
  std::vector<Index> widths = c.actor_hidden;
  widths.push_back(c.action_dim);
  return MlpSpec{c.state_dim, widths, Activation::Relu, Activation::Tanh};
}

// pi(s) for `count` states, no gradient. In chunks: the tape holds every layer's rows, and an estimator
// may score a day's 300 k next states in one call (rows are independent: chunking changes no bit).
constexpr Index kTd3ServeChunk = 4096;
void td3_serve(Mlp<float>& actor, Tape<float>& t, const float* states, Index count, float* actions) {
  constexpr Index kServeChunk = kTd3ServeChunk;
  const Index S = actor.spec().in, A = actor.spec().widths.back();
  for (Index first = 0; first < count; first += kServeChunk) {
    const Index rows = std::min(kServeChunk, count - first);
    t.reset();
    NoGradScope<float> no_grad(t);
    const Var a = actor.forward(t, t.input(states + first * S, rows, S));
    std::memcpy(actions + first * A, t.value(a).data(), sizeof(float) * std::size_t(rows * A));
  }
}

// A deployed TD3 (or UWAC+TD3) policy: its own copy of the actor.
class Td3Snapshot : public Policy {
 public:
  Td3Snapshot(const Mlp<float>& actor, std::string name) : name_(std::move(name)) {
    Rng unused(0);  // the initialization is overwritten by the copy
    actor_ = std::make_unique<Mlp<float>>(actor.spec(), unused);
    actor_->params().copy_from(actor.params());
  }
  void act(const float* states, int n, float* actions, Rng&) override { td3_serve(*actor_, tape_, states, n, actions); }
  std::string name() const override { return name_; }

 private:
  std::string name_;
  std::unique_ptr<Mlp<float>> actor_;
  Tape<float> tape_;
};
}  // namespace

void TwinDelayedConfig::check_shared(const ConfigReader& r, int critic_samples) const {
  check_gradient_shards(r, gradient_shards, batch_size);
  // Sizes before any network exists (a width of 2^20 would die of bad_alloc in a parallel region).
  const std::int64_t max_state_dim = input_limits().max_state_dim;
  if (state_dim > max_state_dim) limit_exceeded(r.source(), "state_dim", state_dim, max_state_dim, "max_state_dim");
  check_network_size(r.source(), "actor_hidden", state_dim, actor_hidden, action_dim, batch_size);
  check_network_size(r.source(), "critic_hidden", state_dim + action_dim, critic_hidden, 1,
                     std::int64_t(batch_size) * critic_samples);
}

Td3::Td3(const Td3Config& config) : ConfiguredLearner(config), step_(config.gradient_shards) {
  const Index S = config.state_dim, A = config.action_dim;
  // Construction order fixes which random numbers initialize which network.
  actor_ = std::make_unique<Mlp<float>>(actor_spec(config), rng_);
  actor_target_ = std::make_unique<Mlp<float>>(actor_spec(config), rng_);
  critic_ = std::make_unique<DropoutTwinCritic<float>>(CriticSpec{S, A, config.critic_hidden}, rng_);
  critic_target_ = std::make_unique<DropoutTwinCritic<float>>(CriticSpec{S, A, config.critic_hidden}, rng_);
  // Targets start as copies (TD3 Algorithm 1, line 2).
  actor_target_->params().copy_from(actor_->params());
  critic_target_->params().copy_from(critic_->params());
  actor_opt_ = Adam<float>(actor_->params().size(), AdamConfig{config.actor_lr});
  critic_opt_ = Adam<float>(critic_->params().size(), AdamConfig{config.critic_lr});
  step_.attach(actor_->params());
  step_.attach(critic_->params());
}

Td3Stats Td3::train_iteration(const TransitionBatch& batch) {
  step_.reseed(rng_);  // each shard draws its rows' noise on its own thread, from its own generator
  return run_iteration(batch, nullptr);
}

Td3Stats Td3::train_iteration(const TransitionBatch& batch, const Td3Noise& noise) {
  if (noise.target_noise.rows() != batch.rows() || noise.target_noise.cols() != config_.action_dim)
    throw std::invalid_argument("Td3Noise::target_noise: expected " + std::to_string(batch.rows()) + " x " +
                                std::to_string(config_.action_dim) + ", got " +
                                std::to_string(noise.target_noise.rows()) + " x " +
                                std::to_string(noise.target_noise.cols()));
  return run_iteration(batch, &noise);
}

void Td3::prepare(Index rows) {
  target_y_.resize(rows, 1);  // no-ops after the first call with this batch size
  q1_values_.resize(rows, 1);
}

// One iteration: the critic phase, then every policy_delay-th iteration the actor phase (it reads the
// critic just updated) and the Polyak updates.
Td3Stats Td3::run_iteration(const TransitionBatch& batch, const Td3Noise* noise) {
  const Index M = batch.rows();
  prepare(M);
  injected_ = noise;
  const bool actor_step = (iteration_ + 1) % config_.policy_delay == 0;
  auto critic_pass = [&](const Step::Shard& s) {
    critic_targets(s, batch);
    critic_loss(s, batch);
  };
  auto actor_pass = [&](const Step::Shard& s) { actor_loss(s, batch); };
  const Step::Phase critic_phase({{&critic_->params(), &critic_opt_}}, critic_pass);
  if (actor_step)
    step_.run(M, {critic_phase, Step::Phase({{&actor_->params(), &actor_opt_}}, actor_pass)});
  else
    step_.run(M, {critic_phase});
  injected_ = nullptr;
  ++iteration_;
  step_.share_rows(q1_values_);  // each process computed its shards' rows: the metrics below need all
  step_.share_rows(target_y_);
  const ShardStats sum = step_.summed_stats();
  if (actor_step) {
    actor_target_->params().soft_update_from(actor_->params(), float(config_.tau));
    critic_target_->params().soft_update_from(critic_->params(), float(config_.tau));
    last_actor_loss_ = sum.actor_loss;
  }

  Td3Stats stats;
  stats.critic_loss = sum.critic_loss;
  stats.actor_loss = last_actor_loss_;
  stats.actor_step = actor_step;
  const auto q1v = q1_values_.array();
  stats.q1_mean = q1v.mean();
  stats.q1_std = std::sqrt(std::max(0.0f, (q1v - stats.q1_mean).square().mean()));
  stats.target_mean = target_y_.mean();
  stats.critic_weight = sum.critic_weight;
  stats.actor_weight = actor_step ? sum.actor_weight : 0.0f;
  return stats;
}

// a~' = clamp(pi'(s') + clamp(sigma eps, +-c), -1, 1), no gradient.
Var Td3::smoothed_next_action(const Step::Shard& sh, Var next_state) {
  const Index A = config_.action_dim, b = sh.begin, m = sh.rows;
  Tape<float>& t = sh.tape;
  NoGradScope<float> no_grad(t);
  const Var a = actor_target_->forward(t, next_state);  // (m, A)
  Var eps;
  if (injected_ != nullptr) {
    eps = t.input(injected_->target_noise.data() + b * A, m, A);
  } else {
    eps = t.leaf(m, A);
    sh.rng.fill_normal(t.value(eps).data(), std::size_t(m * A));
  }
  const float c = float(config_.noise_clip);
  const Var noise = ops::clamp(t, ops::scale(t, eps, float(config_.policy_noise)), -c, c);
  return ops::clamp(t, ops::add(t, a, noise), -1.0f, 1.0f);
}

// 1. The clipped double-Q target y = r + gamma * not_done * min(Q'1, Q'2)(s', a~').
void Td3::critic_targets(const Step::Shard& sh, const TransitionBatch& batch) {
  const Index S = config_.state_dim, b = sh.begin, m = sh.rows;
  Tape<float>& t = sh.tape;
  t.reset();
  NoGradScope<float> no_grad(t);
  const Var s_next = t.input(batch.next_state.data() + b * S, m, S);
  const auto [q1, q2] = critic_target_->both(t, s_next, smoothed_next_action(sh, s_next));
  const Var y = ops::add(t, t.input(batch.reward.data() + b, m, 1),
                         ops::scale(t, ops::mul(t, t.input(batch.not_done.data() + b, m, 1), ops::minimum(t, q1, q2)),
                                    float(config_.gamma)));
  target_y_.middleRows(b, m) = t.value(y);
}

// 1. Critics: MSE(Q1, y) + MSE(Q2, y).
void Td3::critic_loss(const Step::Shard& sh, const TransitionBatch& batch) {
  const Index S = config_.state_dim, A = config_.action_dim, b = sh.begin, m = sh.rows;
  Tape<float>& t = sh.tape;
  t.reset();
  const Var y = t.input(target_y_.data() + b, m, 1);
  const Var s = t.input(batch.state.data() + b * S, m, S), a = t.input(batch.action.data() + b * A, m, A);
  const auto [q1, q2] = critic_->both(t, s, a);
  finish_critic_loss(sh, ops::scale(t, ops::add(t, ops::mse(t, q1, y), ops::mse(t, q2, y)), sh.weight), q1);
}

void Td3::finish_critic_loss(const Step::Shard& sh, Var loss, Var q1) {
  Tape<float>& t = sh.tape;
  t.backward(loss);
  sh.stats.critic_loss = t.scalar(loss);
  q1_values_.middleRows(sh.begin, sh.rows) = t.value(q1);
}

// 2. Delayed actor: maximize Q1(s, pi(s)); Q1 forms no weight gradients (ParamGrad::Skip).
void Td3::actor_loss(const Step::Shard& sh, const TransitionBatch& batch) {
  const Index S = config_.state_dim, b = sh.begin, m = sh.rows;
  Tape<float>& t = sh.tape;
  const Var s = t.input(batch.state.data() + b * S, m, S);
  const Var q = critic_->q1(t, s, actor_->forward(t, s), nullptr, 1, ParamGrad::Skip);
  const Var loss = ops::scale(t, ops::mean(t, q), -sh.weight);
  t.backward(loss);
  sh.stats.actor_loss = t.scalar(loss);
}

UpdateMetrics Td3::metrics(const Td3Stats& s) {
  UpdateMetrics m;
  m.add("critic_loss", s.critic_loss);
  m.add("actor_loss", s.actor_loss);
  m.add("q1_mean", s.q1_mean);
  m.add("q1_std", s.q1_std);
  m.add("target_mean", s.target_mean);
  return m;
}

UpdateMetrics Td3::update(const TransitionBatch& batch) { return metrics(train_iteration(batch)); }

std::string Td3::progress(const UpdateMetrics& m) const {
  std::ostringstream o;
  o << std::fixed << std::setprecision(4) << "critic " << m.get("critic_loss") << "  Q1 " << m.get("q1_mean")
    << " ± " << m.get("q1_std") << "  actor " << m.get("actor_loss");
  return o.str();
}

void Td3::act(const float* states, Index count, float* actions, Rng&) {
  td3_serve(*actor_, serve_tape_, states, count, actions);
}

std::shared_ptr<Policy> Td3::snapshot(const std::string& name) const {
  return std::make_shared<Td3Snapshot>(*actor_, name);
}

bool Td3::all_finite() const {
  return actor_->params().all_finite() && actor_target_->params().all_finite() && critic_->params().all_finite() &&
         critic_target_->params().all_finite();
}

// ------------------------------------------------------------------------------------ checkpoints

void Td3::save_sections(Checkpoint& out) const {
  out.put("actor", actor_->params().to_bytes());
  out.put("actor_target", actor_target_->params().to_bytes());
  out.put("critic", critic_->params().to_bytes());
  out.put("critic_target", critic_target_->params().to_bytes());
  out.put("actor_adam", actor_opt_.to_bytes());
  out.put("critic_adam", critic_opt_.to_bytes());
  // The last actor step's loss: iterations without one report it, so a resumed run reports what the
  // uninterrupted one would.
  out.put("last_actor_loss", std::string(reinterpret_cast<const char*>(&last_actor_loss_), sizeof(float)));
}

// The actor alone, with td3_serve's chunk of states (a chunk's row count can pick another GEMM kernel).
void Td3::export_sections(Checkpoint& out) const {
  std::vector<Index> hidden = actor_->spec().widths;
  hidden.pop_back();
  out.meta["serving"] = {{"kind", "mlp"}, {"hidden", hidden}, {"chunk", kTd3ServeChunk}};
  out.put("policy", actor_->params().to_bytes());
}

void Td3::load_sections(const Checkpoint& in) {
  const std::string& src = in.source();
  // Restore into a scratch learner first so a bad section leaves this one untouched. (UWAC+TD3's
  // networks are TD3's, so a Td3 of the shared hyper-parameters holds its sections too.)
  Td3 scratch(config_);
  scratch.actor_->params().from_bytes(in.get("actor"), src + ": actor");
  scratch.actor_target_->params().from_bytes(in.get("actor_target"), src + ": actor_target");
  scratch.critic_->params().from_bytes(in.get("critic"), src + ": critic");
  scratch.critic_target_->params().from_bytes(in.get("critic_target"), src + ": critic_target");
  scratch.actor_opt_.from_bytes(in.get("actor_adam"), src + ": actor_adam");
  scratch.critic_opt_.from_bytes(in.get("critic_adam"), src + ": critic_adam");
  const std::string_view loss = in.get("last_actor_loss");
  if (loss.size() != sizeof(float))
    throw std::runtime_error(src + ": last_actor_loss: expected " + std::to_string(sizeof(float)) + " bytes, got " +
                             std::to_string(loss.size()));
  std::memcpy(&scratch.last_actor_loss_, loss.data(), sizeof(float));

  actor_->params().copy_from(scratch.actor_->params());
  actor_target_->params().copy_from(scratch.actor_target_->params());
  critic_->params().copy_from(scratch.critic_->params());
  critic_target_->params().copy_from(scratch.critic_target_->params());
  actor_opt_ = scratch.actor_opt_;
  critic_opt_ = scratch.critic_opt_;
  last_actor_loss_ = scratch.last_actor_loss_;
}

}  // namespace mtf
