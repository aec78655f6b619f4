#include "rl/bcq.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "engine/atomic_file.hpp"
#include "engine/ops.hpp"
#include "engine/threads.hpp"

namespace mtf {

namespace {
constexpr char kCheckpointMagic[] = "MTFBCQCK";
constexpr std::uint32_t kCheckpointVersion = 1;

// count N(0, 1) floats into out, clamped to +-clamp_at when clamp_at > 0.
void fill_normal(float* out, Index count, Rng& rng, float clamp_at = 0) {
  rng.fill_normal(out, std::size_t(count));
  if (clamp_at > 0)
    for (Index i = 0; i < count; ++i) out[i] = std::min(std::max(out[i], -clamp_at), clamp_at);
}
}  // namespace

Bcq::Bcq(const BcqConfig& config) : config_(config), rng_(config.seed) {
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
  const auto shards = std::size_t(config.gradient_shards);
  vae_->params().set_gradient_shards(shards);
  actor_->params().set_gradient_shards(shards);
  critic_->params().set_gradient_shards(shards);
  shard_tapes_ = make_shard_tapes<float>(shards);
  shard_stats_.resize(shards);
  shard_rngs_.resize(shards);
}

BcqStats Bcq::train_iteration(const TransitionBatch& batch) {
  const Index M = batch.rows(), L = config_.latent(), n = config_.sampled_actions;
  noise_.vae_eps.resize(M, L);  // no-ops after the first call with this batch size
  noise_.actor_z.resize(M, L);
  noise_.target_z.resize(M * n, L);
  // One generator per shard, seeded from the learner's: each shard draws its rows' noise on its own
  // thread, and the draws depend on the shard count, not on the thread count.
  for (Rng& shard_rng : shard_rngs_) shard_rng.reseed(rng_.next_u64());
  return run_iteration(batch, noise_, /*draw_noise=*/true);
}

BcqStats Bcq::train_iteration(const TransitionBatch& batch, const BcqNoise& noise) {
  return run_iteration(batch, noise, /*draw_noise=*/false);
}

// Shard k's rows of noise_ from shard_rngs_[k]: eps ~ N(0, 1) for the VAE, and z ~ N(0, 1) clamped to
// the prior's +-0.5 for a_hat ~ G(s) (n per next state for the target).
void Bcq::draw_shard_noise(int k, Index batch_rows) {
  const Index L = config_.latent(), n = config_.sampled_actions;
  const Range rows = split_range(batch_rows, config_.gradient_shards, k);
  const Index b = rows.begin, m = rows.size();
  const float clamp_at = float(ConditionalVae<float>::kPriorZClamp);
  Rng& rng = shard_rngs_[std::size_t(k)];
  fill_normal(noise_.vae_eps.data() + b * L, m * L, rng);
  fill_normal(noise_.actor_z.data() + b * L, m * L, rng, clamp_at);
  fill_normal(noise_.target_z.data() + b * n * L, m * n * L, rng, clamp_at);
}

BcqStats Bcq::run_iteration(const TransitionBatch& batch, const BcqNoise& noise, bool draw_noise) {
  const Index M = batch.rows();
  const int shards = config_.gradient_shards;
  if (M < shards)
    throw std::invalid_argument("Bcq::train_iteration: minibatch of " + std::to_string(M) + " rows, fewer than the " +
                                std::to_string(shards) + " gradient shards");
  target_y_.resize(M, 1);  // no-ops after the first call with this batch size
  q1_values_.resize(M, 1);
  vae_opt_.advance();
  actor_opt_.advance();
  critic_opt_.advance();
  // One fork per iteration. Each team member runs whole shards (rows split_range(M, shards, k)) on the
  // shard's own tape, accumulating into the shard's gradient buffers; between the blocks the team sums
  // the shards and applies Adam, each member on its own slice of the flat buffers.
  run_team(shards, [&](int team, int member) {
    // 1. Generative model G (eq. 3).
    for (int k = member; k < shards; k += team) {
      if (draw_noise) draw_shard_noise(k, M);  // noise_ is `noise` then
      vae_shard(k, batch, noise);
    }
#pragma omp barrier
    vae_opt_.sum_shards_and_update(vae_->params(), team, member);
#pragma omp barrier
    // 2. Perturbation P (eq. 5) with the updated G, then 3. critics (eq. 6-7) on the target networks'
    //    y. Neither block changes what the other reads (P's loss reads Q1's weights, which only the
    //    update after the next barrier changes), so a shard runs both before the team meets again.
    for (int k = member; k < shards; k += team) {
      actor_shard(k, batch, noise);
      const Range rows = split_range(M, shards, k);
      targets_for_states(*shard_tapes_[std::size_t(k)], batch, noise, rows.begin, rows.end);
      critic_shard(k, batch);
    }
#pragma omp barrier
    actor_opt_.sum_shards_and_update(actor_->params(), team, member);
    critic_opt_.sum_shards_and_update(critic_->params(), team, member);
  });

  BcqStats stats;
  for (const ShardStats& s : shard_stats_) {  // shard order: the same sums whatever the thread count
    stats.vae_loss += s.vae_loss;
    stats.reconstruction += s.reconstruction;
    stats.kl += s.kl;
    stats.actor_loss += s.actor_loss;
    stats.perturbation_abs += s.perturbation_abs;
    stats.critic_loss += s.critic_loss;
  }
  const auto q1v = q1_values_.array();
  stats.q1_mean = q1v.mean();
  stats.q1_std = std::sqrt(std::max(0.0f, (q1v - stats.q1_mean).square().mean()));
  stats.target_mean = target_y_.mean();

  // 4. Every L iterations: soft target updates (Algorithm 1, lines 10–13).
  if (++iteration_ % config_.target_period == 0) {
    actor_target_->params().soft_update_from(actor_->params(), float(config_.eta));
    critic_target_->params().soft_update_from(critic_->params(), float(config_.eta));
  }
  return stats;
}

// Shard k of an M-row minibatch: its rows, its tape (reset) and `params`' shard-k gradients (zeroed).
// Its loss is its rows' mean times weight = rows / M, so the shards' gradients sum to the gradient of the
// minibatch mean.
Bcq::Shard Bcq::open_shard(int k, Index batch_rows, Parameters<float>& params) {
  const Range rows = split_range(batch_rows, config_.gradient_shards, k);
  Tape<float>& tape = *shard_tapes_[std::size_t(k)];
  tape.reset();
  params.zero_grad(std::size_t(k));
  return {rows.begin, rows.size(), float(rows.size()) / float(batch_rows), tape};
}

// 1. Generative model G (eq. 3): reconstruction + kl_weight * KL(E(z|s,a) || N(0,1)) on the shard's rows.
void Bcq::vae_shard(int k, const TransitionBatch& batch, const BcqNoise& noise) {
  const Index S = config_.state_dim, A = config_.action_dim, L = config_.latent();
  const auto [b, m, w, t] = open_shard(k, batch.rows(), vae_->params());
  const Var s = t.input(batch.state.data() + b * S, m, S), a = t.input(batch.action.data() + b * A, m, A);
  const auto rec = vae_->reconstruct(t, s, a, t.input(noise.vae_eps.data() + b * L, m, L));
  const Var reconstruction = ops::mse(t, rec.action, a);
  const Var kl = ops::gaussian_kl(t, rec.mean, rec.log_std);
  const Var loss = ops::scale(t, ops::add(t, reconstruction, ops::scale(t, kl, float(config_.kl_weight))), w);
  t.backward(loss);
  ShardStats& st = shard_stats_[std::size_t(k)];
  st.vae_loss = t.scalar(loss);
  st.reconstruction = w * t.scalar(reconstruction);
  st.kl = w * t.scalar(kl);
}

// 2. Perturbation P (eq. 5): maximize Q1(s, a_hat + xi(s, a_hat)), a_hat ~ G(s). G is sampled without
//    gradient; Q1 passes gradients to its input only (ParamGrad::Skip): no critic weight gradients.
void Bcq::actor_shard(int k, const TransitionBatch& batch, const BcqNoise& noise) {
  const Index S = config_.state_dim, L = config_.latent();
  const auto [b, m, w, t] = open_shard(k, batch.rows(), actor_->params());
  const Var s = t.input(batch.state.data() + b * S, m, S);
  Var a_hat;
  {
    NoGradScope<float> no_grad(t);
    a_hat = vae_->decode(t, s, t.input(noise.actor_z.data() + b * L, m, L));
  }
  const Var perturbed = actor_->forward(t, s, a_hat);
  const Var q = critic_->q1(t, s, perturbed, ParamGrad::Skip);
  const Var loss = ops::scale(t, ops::mean(t, q), -w);
  t.backward(loss);
  ShardStats& st = shard_stats_[std::size_t(k)];
  st.actor_loss = t.scalar(loss);
  st.perturbation_abs = w * (t.value(perturbed) - t.value(a_hat)).cwiseAbs().mean();
}

// 3. Critics (eq. 6–7): both regress on the shard's targets y (target_y_ rows, computed just before).
void Bcq::critic_shard(int k, const TransitionBatch& batch) {
  const Index S = config_.state_dim, A = config_.action_dim;
  const auto [b, m, w, t] = open_shard(k, batch.rows(), critic_->params());
  const Var y = t.input(target_y_.data() + b, m, 1);                                        // (m, 1)
  const Var s = t.input(batch.state.data() + b * S, m, S), a = t.input(batch.action.data() + b * A, m, A);
  const auto [q1, q2] = critic_->both(t, s, a);
  const Var loss = ops::scale(t, ops::add(t, ops::mse(t, q1, y), ops::mse(t, q2, y)), w);
  t.backward(loss);
  shard_stats_[std::size_t(k)].critic_loss = t.scalar(loss);
  q1_values_.middleRows(b, m) = t.value(q1);
}


// Each network sees every next state n times (rows i*n + j); the *_repeated calls take s' once (m, S)
// and compute its share of their first layer once per state.
void Bcq::targets_for_states(Tape<float>& t, const TransitionBatch& batch, const BcqNoise& noise, Index begin,
                             Index end) {
  const Index n = config_.sampled_actions, m = end - begin, S = config_.state_dim, L = config_.latent();
  const float gamma = float(config_.gamma), lambda = float(config_.lambda);
  t.reset();
  NoGradScope<float> no_grad(t);
  const Var s_next = t.input(batch.next_state.data() + begin * S, m, S);                  // (m, S)
  const Var z = t.input(noise.target_z.data() + begin * n * L, m * n, L);                 // (m n, L)
  const Var a_hat_next = vae_->decode_repeated(t, s_next, z, n);                          // (m n, A)
  const Var a_next = actor_target_->forward_repeated(t, s_next, a_hat_next, n);           // (m n, A)
  const auto [q1_next, q2_next] = critic_target_->both_repeated(t, s_next, a_next, n);    // (m n, 1)
  Var mixed = ops::minimum(t, q1_next, q2_next);
  if (lambda != 1.0f)
    mixed = ops::add(t, ops::scale(t, mixed, lambda), ops::scale(t, ops::maximum(t, q1_next, q2_next), 1.0f - lambda));
  const Var best = ops::group_max(t, mixed, n);                                          // (m, 1)
  const Var y = ops::add(t, t.input(batch.reward.data() + begin, m, 1),
                         ops::scale(t, ops::mul(t, t.input(batch.not_done.data() + begin, m, 1), best), gamma));
  target_y_.middleRows(begin, m) = t.value(y);
}

void Bcq::act(const float* states, Index count, float* actions, Rng& rng) {
  const Index n = config_.sampled_actions, S = config_.state_dim, A = config_.action_dim;
  Tape<float>& t = serve_tape_;
  t.reset();
  NoGradScope<float> no_grad(t);
  // n candidates per state (rows i*n + j); the networks take each state once (*_repeated).
  const Var s = t.input(states, count, S);  // (count, S)
  const Var z = t.leaf(count * n, config_.latent());
  const float clamp_at = float(ConditionalVae<float>::kPriorZClamp);
  rng.fill_normal(t.value(z).data(), std::size_t(t.value(z).size()));
  t.value(z) = t.value(z).cwiseMax(-clamp_at).cwiseMin(clamp_at);
  const Var proposals = vae_->decode_repeated(t, s, z, n);              // (count n, A)
  const Var candidates = actor_->forward_repeated(t, s, proposals, n);  // (count n, A)
  const Var q = critic_->q1_repeated(t, s, candidates, n);              // (count n, 1)
  const auto qv = t.value(q);
  const auto cv = t.value(candidates);
  for (Index i = 0; i < count; ++i) {
    Index best = 0;
    for (Index j = 1; j < n; ++j)
      if (qv(i * n + j, 0) > qv(i * n + best, 0)) best = j;
    std::memcpy(actions + i * A, cv.row(i * n + best).data(), sizeof(float) * std::size_t(A));
  }
}

bool Bcq::all_finite() const {
  return vae_->params().all_finite() && actor_->params().all_finite() &&
         actor_target_->params().all_finite() && critic_->params().all_finite() &&
         critic_target_->params().all_finite();
}

// ------------------------------------------------------------------------------------ checkpoints

namespace {
void put_section(std::string& out, const std::string& bytes) {
  const std::uint64_t n = bytes.size();
  out.append(reinterpret_cast<const char*>(&n), sizeof n);
  out.append(bytes);
}
std::string_view take_section(std::string_view& in, const std::string& path, const char* what) {
  std::uint64_t n = 0;
  if (in.size() < sizeof n) throw std::runtime_error(path + ": truncated before section \"" + what + "\"");
  std::memcpy(&n, in.data(), sizeof n);
  if (n > in.size() - sizeof n)
    throw std::runtime_error(path + ": section \"" + what + "\" runs past the end of the file");
  std::string_view s = in.substr(sizeof n, n);
  in.remove_prefix(sizeof n + n);
  return s;
}
nlohmann::json rng_to_json(const Rng::State& st) {
  std::uint64_t bits = 0;  // the cached normal's exact bits: a decimal round trip could change it
  std::memcpy(&bits, &st.cached_normal, sizeof bits);
  return {{"s", st.s}, {"cached_normal_bits", bits}, {"has_cached_normal", st.has_cached_normal}};
}
// The checkpoint's payload (after verifying magic, version and checksum) and its metadata section.
struct CheckpointContents {
  std::string payload;
  std::size_t sections_offset = 0;  // where the sections after the metadata start in payload
  nlohmann::json meta;
  std::string_view sections() const { return std::string_view(payload).substr(sections_offset); }
};
CheckpointContents open_checkpoint(const std::string& path) {
  CheckpointContents c;
  c.payload = unwrap_checksummed(path, read_file(path), kCheckpointMagic, kCheckpointVersion);
  std::string_view in(c.payload);
  try {
    c.meta = nlohmann::json::parse(take_section(in, path, "meta"));
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path + ": checkpoint metadata is not valid JSON: " + e.what());
  }
  c.sections_offset = c.payload.size() - in.size();
  return c;
}
Rng::State rng_from_json(const nlohmann::json& j) {
  Rng::State st;
  st.s = j.at("s").get<std::array<std::uint64_t, 4>>();
  const auto bits = j.at("cached_normal_bits").get<std::uint64_t>();
  std::memcpy(&st.cached_normal, &bits, sizeof bits);
  st.has_cached_normal = j.at("has_cached_normal").get<bool>();
  return st;
}
}  // namespace

void Bcq::save_checkpoint(const std::string& path) const {
  std::string payload;
  const nlohmann::json meta = {{"config", config_.to_json()},
                               {"iteration", iteration_},
                               {"rng", rng_to_json(rng_.state())}};
  put_section(payload, meta.dump());
  put_section(payload, vae_->params().to_bytes());
  put_section(payload, actor_->params().to_bytes());
  put_section(payload, actor_target_->params().to_bytes());
  put_section(payload, critic_->params().to_bytes());
  put_section(payload, critic_target_->params().to_bytes());
  put_section(payload, vae_opt_.to_bytes());
  put_section(payload, actor_opt_.to_bytes());
  put_section(payload, critic_opt_.to_bytes());
  write_file_atomically(path, wrap_checksummed(kCheckpointMagic, kCheckpointVersion, payload));
}

void Bcq::load_checkpoint(const std::string& path) {
  const CheckpointContents contents = open_checkpoint(path);
  const nlohmann::json& meta = contents.meta;
  std::string_view in = contents.sections();
  // Compared after parsing, so keys added since the file was written compare at their defaults.
  if (BcqConfig::from_json(meta.at("config"), path + ": config").to_json() != config_.to_json())
    throw std::runtime_error(path + ": checkpoint was written with a different config: " +
                             meta.at("config").dump());
  // Restore into scratch copies first so a bad section leaves this learner untouched.
  Bcq scratch(config_);
  scratch.vae_->params().from_bytes(take_section(in, path, "vae"), path + ": vae");
  scratch.actor_->params().from_bytes(take_section(in, path, "actor"), path + ": actor");
  scratch.actor_target_->params().from_bytes(take_section(in, path, "actor_target"), path + ": actor_target");
  scratch.critic_->params().from_bytes(take_section(in, path, "critic"), path + ": critic");
  scratch.critic_target_->params().from_bytes(take_section(in, path, "critic_target"), path + ": critic_target");
  scratch.vae_opt_.from_bytes(take_section(in, path, "vae_adam"), path + ": vae_adam");
  scratch.actor_opt_.from_bytes(take_section(in, path, "actor_adam"), path + ": actor_adam");
  scratch.critic_opt_.from_bytes(take_section(in, path, "critic_adam"), path + ": critic_adam");
  if (!in.empty()) throw std::runtime_error(path + ": unexpected bytes after the last section");
  const Rng::State rng_state = rng_from_json(meta.at("rng"));
  const long long iteration = meta.at("iteration").get<long long>();

  vae_->params().copy_from(scratch.vae_->params());
  actor_->params().copy_from(scratch.actor_->params());
  actor_target_->params().copy_from(scratch.actor_target_->params());
  critic_->params().copy_from(scratch.critic_->params());
  critic_target_->params().copy_from(scratch.critic_target_->params());
  vae_opt_ = scratch.vae_opt_;
  actor_opt_ = scratch.actor_opt_;
  critic_opt_ = scratch.critic_opt_;
  rng_.set_state(rng_state);
  iteration_ = iteration;
}

std::unique_ptr<Bcq> Bcq::from_checkpoint(const std::string& path) {
  auto learner = std::make_unique<Bcq>(BcqConfig::from_json(open_checkpoint(path).meta.at("config"), path + ": config"));
  learner->load_checkpoint(path);
  return learner;
}

}  // namespace mtf
