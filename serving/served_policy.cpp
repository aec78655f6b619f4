// serving/served_policy.cpp — see served_policy.hpp. The file is a Checkpoint (engine/checkpoint.hpp:
// versioned, checksummed) with meta {"format": "mtf-policy", "version", "algorithm", "state_dim",
// "action_dim", "alpha_low", "alpha_high", "serving": {"kind", shapes...}} and the sections of its kind:
//   bcq            "decoder" (the VAE's decoder layers), "perturbation", "q1" (the first critic)
//   mlp            "policy"  (bc, td3, uwac_td3: a tanh MLP s -> a)
//   gaussian_mean  "actor"   (cql_sac: tanh of the Gaussian actor's mean)
// Each kind runs the SAME network code, in the same chunks, as its learner's serve function
// (rl/bcq.cpp bcq_serve, rl/bc.cpp, rl/td3.cpp td3_serve, rl/cql_sac.cpp cql_sac_serve), so the actions
// are bit for bit the learner snapshot's; tests/serving/served_policy_test.cpp holds them to it.
// Each network's weights are packed once at load for the GEMM kernel active then (nets/mlp.hpp PackedMlp,
// engine/gemm.hpp PackedB): a call multiplies by them without repacking the 3.8 MB of a reference-size
// BCQ policy, and packing changes no bit (the same panels, the same kernel choice, the same sums).
#include "serving/served_policy.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "engine/checkpoint.hpp"
#include "engine/json_config.hpp"
#include "engine/limits.hpp"
#include "engine/ops.hpp"
#include "nets/critic.hpp"
#include "nets/gaussian_actor.hpp"
#include "nets/mlp.hpp"
#include "nets/perturbation.hpp"
#include "nets/vae.hpp"

namespace mtf {

namespace {

[[noreturn]] void fail(const std::string& source, const std::string& field, const std::string& what) {
  throw std::runtime_error(source + ": field \"" + field + "\": " + what);
}

const nlohmann::json& field(const nlohmann::json& object, const std::string& key, const std::string& source,
                            const std::string& path) {
  if (!object.is_object() || !object.contains(key)) fail(source, path, "missing");
  return object[key];
}

Index integer_in(const nlohmann::json& object, const std::string& key, const std::string& source,
                 const std::string& path, Index lo, Index hi) {
  const auto v = json_integer<std::int64_t>(field(object, key, source, path), source + ": field \"" + path + "\"");
  if (v < lo || v > hi)
    fail(source, path, std::to_string(v) + " outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return Index(v);
}

std::vector<Index> widths_in(const nlohmann::json& object, const std::string& key, const std::string& source,
                             const std::string& path) {
  const nlohmann::json& v = field(object, key, source, path);
  if (!v.is_array() || v.empty()) fail(source, path, "expected a non-empty array of widths, got " + v.dump());
  std::vector<Index> widths;
  for (std::size_t i = 0; i < v.size(); ++i)
    widths.push_back(Index(json_integer<std::int64_t>(v[i], source + ": field \"" + path + "\"")));
  for (Index w : widths)
    if (w < 1) fail(source, path, "widths must be positive, got " + v.dump());
  return widths;
}

std::vector<double> bounds_in(const nlohmann::json& meta, const std::string& key, Index count,
                              const std::string& source) {
  const nlohmann::json& v = field(meta, key, source, key);
  if (!v.is_array() || Index(v.size()) != count)
    fail(source, key, "expected " + std::to_string(count) + " numbers (one per action dimension), got " +
                          (v.is_array() ? std::to_string(v.size()) : v.dump()));
  std::vector<double> out;
  for (const auto& x : v) {
    if (!x.is_number() || !std::isfinite(x.get<double>())) fail(source, key, "expected finite numbers, got " + x.dump());
    out.push_back(x.get<double>());
  }
  return out;
}

/// Fills `params` (whose blocks the network reserved) from a section, naming the file and the section.
void read_section(Parameters<float>& params, const Checkpoint& in, const std::string& name) {
  params.from_bytes(in.get(name), in.source() + ": section \"" + name + "\"");
}

}  // namespace

// ----------------------------------------------------------------------------------------- the kinds

class ServedPolicy::Model {
 public:
  virtual ~Model() = default;
  /// Actions for `count` states on the caller's tape, drawing from `rng` if the kind is stochastic.
  virtual void act(Tape<float>& t, const float* states, Index count, float* actions, Rng& rng) const = 0;
  virtual bool stochastic() const { return false; }
};

namespace {

// Eq. 4 as rl/bcq.cpp's bcq_serve computes it, on the decoder and Q1 alone: per state, n latents
// z ~ N(0, 1) clamped to +-0.5, decoded, perturbed, the proposal with the highest Q1. The networks are
// `mutable` because their forward calls take non-const parameters (for gradients); a no-grad tape only
// reads them, so concurrent calls share them safely.
class BcqModel : public ServedPolicy::Model {
 public:
  BcqModel(const Checkpoint& in, Index S, Index A) : S_(S), A_(A) {
    const std::string& src = in.source();
    const nlohmann::json& serving = in.meta.at("serving");
    latent_ = integer_in(serving, "latent_dim", src, "serving.latent_dim", 1, 1 << 12);
    n_ = integer_in(serving, "sampled_actions", src, "serving.sampled_actions", 1, 4096);
    chunk_ = integer_in(serving, "chunk", src, "serving.chunk", 1, 1 << 20);
    const std::vector<Index> dh = widths_in(serving, "decoder_hidden", src, "serving.decoder_hidden");
    const std::vector<Index> ah = widths_in(serving, "actor_hidden", src, "serving.actor_hidden");
    const std::vector<Index> ch = widths_in(serving, "critic_hidden", src, "serving.critic_hidden");
    const nlohmann::json& rho = field(serving, "rho", src, "serving.rho");
    if (!rho.is_number() || !(rho.get<double>() >= 0 && rho.get<double>() <= 2))
      fail(src, "serving.rho", "expected a number in [0, 2], got " + rho.dump());
    // Sizes before any network exists (a corrupted width must not become a bad_alloc).
    const std::int64_t rows = std::int64_t(chunk_) * n_;
    check_network_size(src, "serving.decoder_hidden", S + latent_, dh, A, rows);
    check_network_size(src, "serving.actor_hidden", S + A, ah, A, rows);
    check_network_size(src, "serving.critic_hidden", S + A, ch, 1, rows);

    std::vector<Index> decoder_widths = dh;  // nets/vae.cpp's decoder: [S+L -> h... -> A] ReLU, tanh out
    decoder_widths.push_back(A);
    decoder_ = MlpLayers<float>(decoder_params_, "decoder",
                                MlpSpec{S + latent_, decoder_widths, Activation::Relu, Activation::Tanh});
    q1_ = MlpLayers<float>(q1_params_, "q1", critic_head_spec(CriticSpec{S, A, ch}));
    Rng unused(0);  // the initialization is overwritten by the file's weights
    actor_ = std::make_unique<Perturbation<float>>(PerturbationSpec{S, A, ah, rho.get<double>()}, unused);
    read_section(decoder_params_, in, "decoder");
    read_section(actor_->params(), in, "perturbation");
    read_section(q1_params_, in, "q1");
    // Packed after the weights are read (they never change again); each net's first layer takes the
    // state once per state (forward_repeated), so it is packed as its state and per-sample parts.
    decoder_packed_ = decoder_.pack(decoder_params_, S);
    actor_packed_ = actor_->pack_repeated();
    q1_packed_ = q1_.pack(q1_params_, S);
  }

  bool stochastic() const override { return true; }

  void act(Tape<float>& t, const float* states, Index count, float* actions, Rng& rng) const override {
    const Index n = n_, S = S_, A = A_;
    const float clamp_at = float(ConditionalVae<float>::kPriorZClamp);
    for (Index first = 0; first < count; first += chunk_) {
      const Index rows = std::min(chunk_, count - first);
      t.reset();
      NoGradScope<float> no_grad(t);
      const Var s = t.input(states + first * S, rows, S);  // (rows, S)
      const Var z = t.leaf(rows * n, latent_);             // (rows n, L)
      rng.fill_normal(t.value(z).data(), std::size_t(t.value(z).size()));
      t.value(z) = t.value(z).cwiseMax(-clamp_at).cwiseMin(clamp_at);
      // proposals, candidates (rows n, A); q (rows n, 1)
      const ParamGrad skip = ParamGrad::Skip;
      const Var proposals = decoder_.forward_repeated(t, decoder_params_, s, z, n, skip, &decoder_packed_);
      const Var candidates = actor_->forward_repeated(t, s, proposals, n, skip, &actor_packed_);
      const Var q = q1_.forward_repeated(t, q1_params_, s, candidates, n, skip, &q1_packed_);
      copy_best_candidates(t.value(q), t.value(candidates), rows, n, actions + first * A);
    }
  }

 private:
  Index S_, A_, latent_ = 0, n_ = 0, chunk_ = 0;
  mutable Parameters<float> decoder_params_, q1_params_;
  MlpLayers<float> decoder_, q1_;
  std::unique_ptr<Perturbation<float>> actor_;
  PackedMlp<float> decoder_packed_, actor_packed_, q1_packed_;  // views of the three nets' weights
};

// A tanh MLP s -> a (behaviour cloning, TD3, UWAC+TD3), in the learner's chunks (0: all rows at once).
class MlpModel : public ServedPolicy::Model {
 public:
  MlpModel(const Checkpoint& in, Index S, Index A) : S_(S), A_(A) {
    const std::string& src = in.source();
    const nlohmann::json& serving = in.meta.at("serving");
    chunk_ = integer_in(serving, "chunk", src, "serving.chunk", 0, 1 << 20);
    std::vector<Index> widths = widths_in(serving, "hidden", src, "serving.hidden");
    check_network_size(src, "serving.hidden", S, widths, A, chunk_ > 0 ? chunk_ : 1);
    widths.push_back(A);
    Rng unused(0);
    policy_ = std::make_unique<Mlp<float>>(MlpSpec{S, widths, Activation::Relu, Activation::Tanh}, unused);
    read_section(policy_->params(), in, "policy");
    packed_ = policy_->pack();
  }

  void act(Tape<float>& t, const float* states, Index count, float* actions, Rng&) const override {
    const Index chunk = chunk_ > 0 ? chunk_ : std::max<Index>(count, 1);
    for (Index first = 0; first < count; first += chunk) {
      const Index rows = std::min(chunk, count - first);
      t.reset();
      NoGradScope<float> no_grad(t);
      const Var a = policy_->forward(t, t.input(states + first * S_, rows, S_), ParamGrad::Skip, &packed_);
      std::memcpy(actions + first * A_, t.value(a).data(), sizeof(float) * std::size_t(rows * A_));
    }
  }

 private:
  Index S_, A_, chunk_ = 0;
  std::unique_ptr<Mlp<float>> policy_;  // forward() is non-const; read-only on a no-grad tape
  PackedMlp<float> packed_;             // a view of policy_'s weights
};

// tanh(mean(s)) of SAC's Gaussian actor (CQL+SAC), in the learner's chunks.
class GaussianMeanModel : public ServedPolicy::Model {
 public:
  GaussianMeanModel(const Checkpoint& in, Index S, Index A) : S_(S), A_(A) {
    const std::string& src = in.source();
    const nlohmann::json& serving = in.meta.at("serving");
    chunk_ = integer_in(serving, "chunk", src, "serving.chunk", 1, 1 << 20);
    const std::vector<Index> hidden = widths_in(serving, "hidden", src, "serving.hidden");
    check_network_size(src, "serving.hidden", S, hidden, 2 * A, chunk_);
    Rng unused(0);
    actor_ = std::make_unique<GaussianActor<float>>(GaussianActorSpec{S, A, hidden}, unused);
    read_section(actor_->params(), in, "actor");
    packed_ = actor_->pack();
  }

  void act(Tape<float>& t, const float* states, Index count, float* actions, Rng&) const override {
    for (Index first = 0; first < count; first += chunk_) {
      const Index rows = std::min(chunk_, count - first);
      t.reset();
      NoGradScope<float> no_grad(t);
      const Var a = actor_->mean_action(t, t.input(states + first * S_, rows, S_), ParamGrad::Skip, &packed_);
      std::memcpy(actions + first * A_, t.value(a).data(), sizeof(float) * std::size_t(rows * A_));
    }
  }

 private:
  Index S_, A_, chunk_ = 0;
  std::unique_ptr<GaussianActor<float>> actor_;
  PackedMlp<float> packed_;  // a view of actor_'s weights
};

}  // namespace

// ------------------------------------------------------------------------------------ ServedPolicy

struct ServedPolicy::Info {
  std::string algorithm;
  Index state_dim = 0, action_dim = 0;
  std::vector<double> alpha_low, alpha_high;
};

struct ServedPolicy::Scratch::Impl {
  Tape<float> tape;
  Rng rng;
};

ServedPolicy::Scratch::Scratch(std::uint64_t seed) : impl_(std::make_unique<Impl>()) { impl_->rng.reseed(seed); }
ServedPolicy::Scratch::~Scratch() = default;
ServedPolicy::Scratch::Scratch(Scratch&&) noexcept = default;
ServedPolicy::Scratch& ServedPolicy::Scratch::operator=(Scratch&&) noexcept = default;
void ServedPolicy::Scratch::reseed(std::uint64_t seed) { impl_->rng.reseed(seed); }

ServedPolicy::ServedPolicy() = default;
ServedPolicy::ServedPolicy(ServedPolicy&&) noexcept = default;
ServedPolicy& ServedPolicy::operator=(ServedPolicy&&) noexcept = default;
ServedPolicy::~ServedPolicy() = default;

ServedPolicy ServedPolicy::load(const std::string& path, int expected_state_dim, int expected_action_dim) {
  // Checkpoint::load checks the container: magic, version, length, checksum, metadata, sections.
  return from_checkpoint(Checkpoint::load(path), expected_state_dim, expected_action_dim);
}

ServedPolicy ServedPolicy::from_bytes(std::string_view bytes, const std::string& source, int expected_state_dim,
                                      int expected_action_dim) {
  return from_checkpoint(Checkpoint::from_bytes(bytes, source), expected_state_dim, expected_action_dim);
}

ServedPolicy ServedPolicy::from_checkpoint(const Checkpoint& in, int expected_state_dim, int expected_action_dim) {
  const std::string& src = in.source();
  const nlohmann::json& meta = in.meta;
  if (!meta.contains("format")) {
    if (meta.contains("hyperparameters") && meta.contains("algorithm"))
      fail(src, "format", "missing: this is a training checkpoint (algorithm " + meta["algorithm"].dump() +
                              "), not an exported policy; write one with `mtf export --checkpoint " + src +
                              " --out POLICY`");
    fail(src, "format", "missing: not an exported policy (mtf export)");
  }
  if (meta["format"] != kPolicyFormat)
    fail(src, "format", "expected \"" + std::string(kPolicyFormat) + "\", got " + meta["format"].dump());
  const auto version = json_integer<std::int64_t>(field(meta, "version", src, "version"), src + ": field \"version\"");
  if (version != kPolicyVersion)
    fail(src, "version", "exported policy version " + std::to_string(version) + ", this build reads version " +
                             std::to_string(kPolicyVersion));

  auto info = std::make_unique<Info>();
  const nlohmann::json& algorithm = field(meta, "algorithm", src, "algorithm");
  if (!algorithm.is_string()) fail(src, "algorithm", "expected a string, got " + algorithm.dump());
  info->algorithm = algorithm.get<std::string>();
  info->state_dim = integer_in(meta, "state_dim", src, "state_dim", 1, input_limits().max_state_dim);
  info->action_dim = integer_in(meta, "action_dim", src, "action_dim", 1, 1 << 12);
  if (expected_state_dim > 0 && info->state_dim != expected_state_dim)
    fail(src, "state_dim", "the policy takes " + std::to_string(info->state_dim) + " state values, the caller has " +
                               std::to_string(expected_state_dim));
  if (expected_action_dim > 0 && info->action_dim != expected_action_dim)
    fail(src, "action_dim", "the policy gives " + std::to_string(info->action_dim) +
                                " action values, the caller expects " + std::to_string(expected_action_dim));
  info->alpha_low = bounds_in(meta, "alpha_low", info->action_dim, src);
  info->alpha_high = bounds_in(meta, "alpha_high", info->action_dim, src);
  for (Index i = 0; i < info->action_dim; ++i)
    if (info->alpha_low[std::size_t(i)] > info->alpha_high[std::size_t(i)])
      fail(src, "alpha_high", "bound " + std::to_string(i) + " is below alpha_low's");

  const nlohmann::json& serving = field(meta, "serving", src, "serving");
  const nlohmann::json& kind = field(serving, "kind", src, "serving.kind");
  ServedPolicy p;
  const Index S = info->state_dim, A = info->action_dim;
  if (kind == "bcq")
    p.model_ = std::make_unique<BcqModel>(in, S, A);
  else if (kind == "mlp")
    p.model_ = std::make_unique<MlpModel>(in, S, A);
  else if (kind == "gaussian_mean")
    p.model_ = std::make_unique<GaussianMeanModel>(in, S, A);
  else
    fail(src, "serving.kind", "unknown serving kind " + kind.dump() + " (this build serves bcq, mlp, gaussian_mean)");
  p.info_ = std::move(info);
  return p;
}

const std::string& ServedPolicy::algorithm() const { return info_->algorithm; }
int ServedPolicy::state_dim() const { return int(info_->state_dim); }
int ServedPolicy::action_dim() const { return int(info_->action_dim); }
bool ServedPolicy::stochastic() const { return model_->stochastic(); }
double ServedPolicy::alpha_low(int i) const { return info_->alpha_low.at(std::size_t(i)); }
double ServedPolicy::alpha_high(int i) const { return info_->alpha_high.at(std::size_t(i)); }

void ServedPolicy::decide(const float* states, int n, float* actions, float* alphas, Scratch& scratch) const {
  if (n < 0) throw std::invalid_argument("ServedPolicy::decide: n = " + std::to_string(n) + " states");
  if (n == 0) return;
  if (!states || !actions) throw std::invalid_argument("ServedPolicy::decide: null states or actions");
  model_->act(scratch.impl_->tape, states, n, actions, scratch.impl_->rng);
  if (!alphas) return;
  // rl/sim/fusion.cpp's alpha_from_action, per row, rounded to float at the end.
  const Index A = info_->action_dim;
  const double* lo = info_->alpha_low.data();
  const double* hi = info_->alpha_high.data();
  for (Index r = 0; r < Index(n); ++r)
    for (Index i = 0; i < A; ++i) {
      const double a = std::clamp(double(actions[r * A + i]), -1.0, 1.0);
      alphas[r * A + i] = float(lo[i] + 0.5 * (a + 1.0) * (hi[i] - lo[i]));
    }
}

}  // namespace mtf
