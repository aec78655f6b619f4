#include "rl/bcq.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iomanip>
#include <sstream>
#include <stdexcept>

#include "engine/ops.hpp"

namespace mtf {

namespace {
// count N(0, 1) floats into out, clamped to +-clamp_at when clamp_at > 0.
void fill_normal(float* out, Index count, Rng& rng, float clamp_at = 0) {
  rng.fill_normal(out, std::size_t(count));
  if (clamp_at > 0)
    for (Index i = 0; i < count; ++i) out[i] = std::min(std::max(out[i], -clamp_at), clamp_at);
}
}  // namespace

void BcqConfig::check(const ConfigReader& r) const {
  check_gradient_shards(r, gradient_shards, batch_size);
  // Sizes before any network exists: a width of 2^20 would otherwise die of bad_alloc inside a
  // parallel region, where no exception can be caught.
  const std::int64_t max_state_dim = input_limits().max_state_dim;
  if (state_dim > max_state_dim) limit_exceeded(r.source(), "state_dim", state_dim, max_state_dim, "max_state_dim");
  const std::int64_t in = state_dim + action_dim, rows = std::int64_t(batch_size) * sampled_actions;  // the target's
  check_network_size(r.source(), "vae_hidden", in, vae_hidden, 2 * latent(), rows);      // repeated states
  check_network_size(r.source(), "actor_hidden", in, actor_hidden, action_dim, rows);
  check_network_size(r.source(), "critic_hidden", in, critic_hidden, 1, rows);
}

Bcq::Bcq(const BcqConfig& config) : ConfiguredLearner(config), step_(config.gradient_shards) {
  const Index S = config.state_dim, A = config.action_dim;
  // Construction order fixes which random numbers initialize which network.
  vae_ = std::make_unique<ConditionalVae<float>>(VaeSpec{S, A, config.latent(), config.vae_hidden}, rng_);
  actor_ = std::make_unique<Perturbation<float>>(PerturbationSpec{S, A, config.actor_hidden, config.rho}, rng_);
  actor_target_ = std::make_unique<Perturbation<float>>(PerturbationSpec{S, A, config.actor_hidden, config.rho}, rng_);
  critic_ = std::make_unique<TwinCritic<float>>(CriticSpec{S, A, config.critic_hidden}, rng_);
  critic_target_ = std::make_unique<TwinCritic<float>>(CriticSpec{S, A, config.critic_hidden}, rng_);
  // Algorithm 1, line 2: targets start as copies.
  actor_target_->params().copy_from(actor_->params());
  critic_target_->params().copy_from(critic_->params());
  vae_opt_ = Adam<float>(vae_->params().size(), AdamConfig{config.vae_lr});
  actor_opt_ = Adam<float>(actor_->params().size(), AdamConfig{config.actor_lr});
  critic_opt_ = Adam<float>(critic_->params().size(), AdamConfig{config.critic_lr});
  step_.attach(vae_->params());
  step_.attach(actor_->params());
  step_.attach(critic_->params());
}

BcqStats Bcq::train_iteration(const TransitionBatch& batch) {
  const Index M = batch.rows(), L = config_.latent(), n = config_.sampled_actions;
  noise_.vae_eps.resize(M, L);  // no-ops after the first call with this batch size
  noise_.actor_z.resize(M, L);
  noise_.target_z.resize(M * n, L);
  step_.reseed(rng_);  // each shard draws its rows' noise on its own thread, from its own generator
  return run_iteration(batch, noise_, /*draw_noise=*/true);
}

BcqStats Bcq::train_iteration(const TransitionBatch& batch, const BcqNoise& noise) {
  return run_iteration(batch, noise, /*draw_noise=*/false);
}

// Algorithm 1, one iteration: two phases of the sharded step, then the soft target updates.
BcqStats Bcq::run_iteration(const TransitionBatch& batch, const BcqNoise& noise, bool draw_noise) {
  const Index M = batch.rows();
  target_y_.resize(M, 1);  // no-ops after the first call with this batch size
  q1_values_.resize(M, 1);
  step_.run(M, {
      // 1. Generative model G (eq. 3).
      Step::Phase({{&vae_->params(), &vae_opt_}},
                  [&](const Step::Shard& s) {
                    if (draw_noise) draw_shard_noise(s);  // noise_ is `noise` then
                    vae_loss(s, batch, noise);
                  }),
      // 2. Perturbation P (eq. 5) with the updated G, then 3. critics (eq. 6-7) on the target networks'
      //    y: the actor is updated before the critic (Algorithm 1, lines 8-9).
      Step::Phase({{&actor_->params(), &actor_opt_}, {&critic_->params(), &critic_opt_}},
                  [&](const Step::Shard& s) {
                    actor_loss(s, batch, noise);
                    critic_targets(s, batch, noise);
                    critic_loss(s, batch);
                  }),
  });
  // 4. Every L iterations: soft target updates (Algorithm 1, lines 10–13).
  if (++iteration_ % config_.target_period == 0) {
    actor_target_->params().soft_update_from(actor_->params(), float(config_.eta));
    critic_target_->params().soft_update_from(critic_->params(), float(config_.eta));
  }

  step_.share_rows(q1_values_);  // each process computed its shards' rows: the metrics below need all
  step_.share_rows(target_y_);
  const ShardStats sum = step_.summed_stats();
  BcqStats stats;
  stats.vae_loss = sum.vae_loss;
  stats.reconstruction = sum.reconstruction;
  stats.kl = sum.kl;
  stats.actor_loss = sum.actor_loss;
  stats.perturbation_abs = sum.perturbation_abs;
  stats.critic_loss = sum.critic_loss;
  const auto q1v = q1_values_.array();
  stats.q1_mean = q1v.mean();
  stats.q1_std = std::sqrt(std::max(0.0f, (q1v - stats.q1_mean).square().mean()));
  stats.target_mean = target_y_.mean();
  return stats;
}

// The shard's rows of noise_ from its generator: eps ~ N(0, 1) for the VAE, and z ~ N(0, 1) clamped to
// the prior's +-0.5 for a_hat ~ G(s) (n per next state for the target).
void Bcq::draw_shard_noise(const Step::Shard& s) {
  const Index L = config_.latent(), n = config_.sampled_actions, b = s.begin, m = s.rows;
  const float clamp_at = float(ConditionalVae<float>::kPriorZClamp);
  fill_normal(noise_.vae_eps.data() + b * L, m * L, s.rng);
  fill_normal(noise_.actor_z.data() + b * L, m * L, s.rng, clamp_at);
  fill_normal(noise_.target_z.data() + b * n * L, m * n * L, s.rng, clamp_at);
}

// 1. Generative model G (eq. 3): reconstruction + kl_weight * KL(E(z|s,a) || N(0,1)).
void Bcq::vae_loss(const Step::Shard& sh, const TransitionBatch& batch, const BcqNoise& noise) {
  const Index S = config_.state_dim, A = config_.action_dim, L = config_.latent(), b = sh.begin, m = sh.rows;
  Tape<float>& t = sh.tape;
  const Var s = t.input(batch.state.data() + b * S, m, S), a = t.input(batch.action.data() + b * A, m, A);
  const auto rec = vae_->reconstruct(t, s, a, t.input(noise.vae_eps.data() + b * L, m, L));
  const Var reconstruction = ops::mse(t, rec.action, a);
  const Var kl = ops::gaussian_kl(t, rec.mean, rec.log_std);
  const Var loss = ops::scale(t, ops::add(t, reconstruction, ops::scale(t, kl, float(config_.kl_weight))), sh.weight);
  t.backward(loss);
  sh.stats.vae_loss = t.scalar(loss);
  sh.stats.reconstruction = sh.weight * t.scalar(reconstruction);
  sh.stats.kl = sh.weight * t.scalar(kl);
}

// 2. Perturbation P (eq. 5): maximize Q1(s, a_hat + xi(s, a_hat)), a_hat ~ G(s). G is sampled without
//    gradient; Q1 passes gradients to its input only (ParamGrad::Skip): no critic weight gradients.
void Bcq::actor_loss(const Step::Shard& sh, const TransitionBatch& batch, const BcqNoise& noise) {
  const Index S = config_.state_dim, L = config_.latent(), b = sh.begin, m = sh.rows;
  Tape<float>& t = sh.tape;
  const Var s = t.input(batch.state.data() + b * S, m, S);
  Var a_hat;
  {
    NoGradScope<float> no_grad(t);
    a_hat = vae_->decode(t, s, t.input(noise.actor_z.data() + b * L, m, L));
  }
  const Var perturbed = actor_->forward(t, s, a_hat);
  const Var q = critic_->q1(t, s, perturbed, ParamGrad::Skip);
  const Var loss = ops::scale(t, ops::mean(t, q), -sh.weight);
  t.backward(loss);
  sh.stats.actor_loss = t.scalar(loss);
  sh.stats.perturbation_abs = sh.weight * (t.value(perturbed) - t.value(a_hat)).cwiseAbs().mean();
}

// Each network sees every next state n times (rows i*n + j); the *_repeated calls take s' once (m, S)
// and compute its share of their first layer once per state. Rows are independent, so the values do not
// depend on how the states are split.
void Bcq::critic_targets(const Step::Shard& sh, const TransitionBatch& batch, const BcqNoise& noise) {
  const Index n = config_.sampled_actions, S = config_.state_dim, L = config_.latent(), b = sh.begin, m = sh.rows;
  const float gamma = float(config_.gamma), lambda = float(config_.lambda);
  Tape<float>& t = sh.tape;
  t.reset();
  NoGradScope<float> no_grad(t);
  const Var s_next = t.input(batch.next_state.data() + b * S, m, S);                     // (m, S)
  const Var z = t.input(noise.target_z.data() + b * n * L, m * n, L);                    // (m n, L)
  const Var a_hat_next = vae_->decode_repeated(t, s_next, z, n);                         // (m n, A)
  const Var a_next = actor_target_->forward_repeated(t, s_next, a_hat_next, n);          // (m n, A)
  const auto [q1_next, q2_next] = critic_target_->both_repeated(t, s_next, a_next, n);   // (m n, 1)
  Var mixed = ops::minimum(t, q1_next, q2_next);
  if (lambda != 1.0f)
    mixed = ops::add(t, ops::scale(t, mixed, lambda), ops::scale(t, ops::maximum(t, q1_next, q2_next), 1.0f - lambda));
  const Var best = ops::group_max(t, mixed, n);                                         // (m, 1)
  const Var y = ops::add(t, t.input(batch.reward.data() + b, m, 1),
                         ops::scale(t, ops::mul(t, t.input(batch.not_done.data() + b, m, 1), best), gamma));
  target_y_.middleRows(b, m) = t.value(y);
}

// 3. Critics (eq. 6–7): both regress on the shard's targets y (target_y_ rows, computed just before).
void Bcq::critic_loss(const Step::Shard& sh, const TransitionBatch& batch) {
  const Index S = config_.state_dim, A = config_.action_dim, b = sh.begin, m = sh.rows;
  Tape<float>& t = sh.tape;
  t.reset();
  const Var y = t.input(target_y_.data() + b, m, 1);                                        // (m, 1)
  const Var s = t.input(batch.state.data() + b * S, m, S), a = t.input(batch.action.data() + b * A, m, A);
  const auto [q1, q2] = critic_->both(t, s, a);
  const Var loss = ops::scale(t, ops::add(t, ops::mse(t, q1, y), ops::mse(t, q2, y)), sh.weight);
  t.backward(loss);
  sh.stats.critic_loss = t.scalar(loss);
  q1_values_.middleRows(b, m) = t.value(q1);
}

UpdateMetrics Bcq::update(const TransitionBatch& batch) {
  const BcqStats s = train_iteration(batch);
  UpdateMetrics m;
  m.add("vae_loss", s.vae_loss);
  m.add("reconstruction", s.reconstruction);
  m.add("kl", s.kl);
  m.add("actor_loss", s.actor_loss);
  m.add("critic_loss", s.critic_loss);
  m.add("q1_mean", s.q1_mean);
  m.add("q1_std", s.q1_std);
  m.add("target_mean", s.target_mean);
  m.add("perturbation_abs", s.perturbation_abs);
  return m;
}

std::string Bcq::progress(const UpdateMetrics& m) const {
  std::ostringstream o;
  o << std::fixed << std::setprecision(4) << "critic " << m.get("critic_loss") << "  Q1 " << m.get("q1_mean")
    << " ± " << m.get("q1_std") << "  vae " << m.get("vae_loss");
  return o.str();
}

// ------------------------------------------------------------------------------------------- serving

namespace {
constexpr Index kBcqServeChunk = 1024;
}  // namespace

void bcq_serve(ConditionalVae<float>& vae, Perturbation<float>& actor, TwinCritic<float>& critic, int sampled_actions,
               Tape<float>& t, const float* states, Index count, float* actions, Rng& rng) {
  // States go through in chunks of kServeChunk: the tape holds count * n rows of every layer, so serving
  // a whole dataset at once (an estimator scoring 300 k next states) would need gigabytes. A chunk of
  // 1024 states draws a multiple of 512 normals, the generator's own block, so the noise — and every
  // action — is bit for bit what one call over all the states gives (rows are independent).
  constexpr Index kServeChunk = kBcqServeChunk;
  const Index n = sampled_actions, S = vae.spec().state_dim, A = vae.spec().action_dim;
  for (Index first = 0; first < count; first += kServeChunk) {
    const Index rows = std::min(kServeChunk, count - first);
    t.reset();
    NoGradScope<float> no_grad(t);
    // n candidates per state (rows i*n + j); the networks take each state once (*_repeated).
    const Var s = t.input(states + first * S, rows, S);  // (rows, S)
    const Var z = t.leaf(rows * n, vae.spec().latent_dim);
    const float clamp_at = float(ConditionalVae<float>::kPriorZClamp);
    rng.fill_normal(t.value(z).data(), std::size_t(t.value(z).size()));
    t.value(z) = t.value(z).cwiseMax(-clamp_at).cwiseMin(clamp_at);
    const Var proposals = vae.decode_repeated(t, s, z, n);              // (rows n, A)
    const Var candidates = actor.forward_repeated(t, s, proposals, n);  // (rows n, A)
    const Var q = critic.q1_repeated(t, s, candidates, n);              // (rows n, 1)
    copy_best_candidates(t.value(q), t.value(candidates), rows, n, actions + first * A);
  }
}

void Bcq::act(const float* states, Index count, float* actions, Rng& rng) {
  bcq_serve(*vae_, *actor_, *critic_, config_.sampled_actions, serve_tape_, states, count, actions, rng);
}

namespace {
// A deployed BCQ policy: its own copies of G, P and Q (built from the learner's config, so the same
// shapes, then filled with its weights), which training cannot change underneath it.
class BcqSnapshot : public Policy {
 public:
  BcqSnapshot(const BcqConfig& c, const ConditionalVae<float>& vae, const Perturbation<float>& actor,
              const TwinCritic<float>& critic, std::string name)
      : sampled_actions_(c.sampled_actions), name_(std::move(name)) {
    Rng unused(0);  // initialization is overwritten by the copies
    vae_ = std::make_unique<ConditionalVae<float>>(vae.spec(), unused);
    actor_ = std::make_unique<Perturbation<float>>(actor.spec(), unused);
    critic_ = std::make_unique<TwinCritic<float>>(critic.spec(), unused);
    vae_->params().copy_from(vae.params());
    actor_->params().copy_from(actor.params());
    critic_->params().copy_from(critic.params());
  }
  void act(const float* states, int n, float* actions, Rng& rng) override {
    bcq_serve(*vae_, *actor_, *critic_, sampled_actions_, tape_, states, n, actions, rng);
  }
  std::string name() const override { return name_; }

 private:
  int sampled_actions_;
  std::string name_;
  std::unique_ptr<ConditionalVae<float>> vae_;
  std::unique_ptr<Perturbation<float>> actor_;
  std::unique_ptr<TwinCritic<float>> critic_;
  Tape<float> tape_;
};
}  // namespace

std::shared_ptr<Policy> Bcq::snapshot(const std::string& name) const {
  return std::make_shared<BcqSnapshot>(config_, *vae_, *actor_, *critic_, name);
}

bool Bcq::all_finite() const {
  return vae_->params().all_finite() && actor_->params().all_finite() &&
         actor_target_->params().all_finite() && critic_->params().all_finite() &&
         critic_target_->params().all_finite();
}

// ------------------------------------------------------------------------------------ checkpoints

void Bcq::save_sections(Checkpoint& out) const {
  out.put("vae", vae_->params().to_bytes());
  out.put("actor", actor_->params().to_bytes());
  out.put("actor_target", actor_target_->params().to_bytes());
  out.put("critic", critic_->params().to_bytes());
  out.put("critic_target", critic_target_->params().to_bytes());
  out.put("vae_adam", vae_opt_.to_bytes());
  out.put("actor_adam", actor_opt_.to_bytes());
  out.put("critic_adam", critic_opt_.to_bytes());
}

void Bcq::export_sections(Checkpoint& out) const {
  const BcqConfig& c = config_;
  out.meta["serving"] = {{"kind", "bcq"},           {"latent_dim", c.latent()},
                         {"decoder_hidden", c.vae_hidden}, {"actor_hidden", c.actor_hidden},
                         {"critic_hidden", c.critic_hidden}, {"rho", c.rho},
                         {"sampled_actions", c.sampled_actions}, {"chunk", kBcqServeChunk}};
  out.put("decoder", vae_->params().subset("decoder.").to_bytes());
  out.put("perturbation", actor_->params().to_bytes());
  out.put("q1", critic_->params().subset("q1.").to_bytes());
}

void Bcq::load_sections(const Checkpoint& in) {
  const std::string& src = in.source();
  // Restore into a scratch learner first so a bad section leaves this one untouched.
  Bcq scratch(config_);
  scratch.vae_->params().from_bytes(in.get("vae"), src + ": vae");
  scratch.actor_->params().from_bytes(in.get("actor"), src + ": actor");
  scratch.actor_target_->params().from_bytes(in.get("actor_target"), src + ": actor_target");
  scratch.critic_->params().from_bytes(in.get("critic"), src + ": critic");
  scratch.critic_target_->params().from_bytes(in.get("critic_target"), src + ": critic_target");
  scratch.vae_opt_.from_bytes(in.get("vae_adam"), src + ": vae_adam");
  scratch.actor_opt_.from_bytes(in.get("actor_adam"), src + ": actor_adam");
  scratch.critic_opt_.from_bytes(in.get("critic_adam"), src + ": critic_adam");

  vae_->params().copy_from(scratch.vae_->params());
  actor_->params().copy_from(scratch.actor_->params());
  actor_target_->params().copy_from(scratch.actor_target_->params());
  critic_->params().copy_from(scratch.critic_->params());
  critic_target_->params().copy_from(scratch.critic_target_->params());
  vae_opt_ = scratch.vae_opt_;
  actor_opt_ = scratch.actor_opt_;
  critic_opt_ = scratch.critic_opt_;
}

}  // namespace mtf
