// rl/learner.hpp — the one shape every offline learner has to its users (BCQ, behaviour cloning, and the
// baselines to come): update on a minibatch, act for a batch of states, save and load itself into named
// sections of one checkpoint, an in-memory clone, and an immutable serving snapshot.
//
// The shared machinery lives outside the learners: the training loop (rl/trainer.hpp), the registry that
// finds them by name (rl/registry.hpp), the checkpoint container (engine/checkpoint.hpp), the sharded
// gradient step (engine/sharded_step.hpp). A learner is its config, its networks and optimizers, and its
// update — "one source pair plus one registry line" (docs/adding-a-learner.md).
//
// Every learner owns one Rng, seeded from its config: it initializes the networks, the trainer draws the
// minibatch indices from it, and the learner's own noise is reseeded from it — so a checkpoint, which
// holds its state, resumes every random stream.
#pragma once
#include <array>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/checkpoint.hpp"
#include "engine/json_config.hpp"
#include "engine/rng.hpp"
#include "engine/tensor.hpp"
#include "rl/data/policy.hpp"
#include "rl/data/transition_batch.hpp"

namespace mtf {

/// What one update measured: named scalars in a fixed order (a fixed-size array: no allocation).
struct UpdateMetrics {
  static constexpr int kMax = 16;
  std::array<std::pair<const char*, float>, kMax> items{};
  int count = 0;

  void add(const char* name, float value) {
    if (count < kMax) items[std::size_t(count++)] = {name, value};
  }
  /// The value called `name`; NaN when there is none.
  float get(const std::string& name) const;
  bool all_finite() const;
  nlohmann::json to_json() const;
};

class Learner {
 public:
  virtual ~Learner() = default;
  Learner(const Learner&) = delete;
  Learner& operator=(const Learner&) = delete;

  /// The registry's name of the algorithm ("bcq", "bc", ...).
  virtual std::string algorithm() const = 0;
  /// The hyper-parameters (the learner's config) as JSON: everything that shapes the result.
  virtual nlohmann::json hyperparameters() const = 0;
  virtual Index state_dim() const = 0;
  virtual Index action_dim() const = 0;
  /// Rows of the minibatch update() expects.
  virtual int batch_size() const = 0;

  /// One update (one iteration of the algorithm) on a minibatch of batch_size() transitions.
  virtual UpdateMetrics update(const TransitionBatch& batch) = 0;
  /// The learned policy for n states (n x S, row-major) into actions (n x A) in [-1, 1]; `rng` is the
  /// caller's (a stochastic serving rule draws from it).
  virtual void act(const float* states, Index n, float* actions, Rng& rng) = 0;
  /// An immutable serving policy: its own copy of what serving needs, which later updates cannot change.
  virtual std::shared_ptr<Policy> snapshot(const std::string& name) const = 0;
  /// A short progress line from an update's metrics (the trainer prints it every log period).
  virtual std::string progress(const UpdateMetrics& m) const;

  /// Updates done so far.
  long long iteration() const { return iteration_; }
  Rng& rng() { return rng_; }
  /// True when every weight is finite.
  virtual bool all_finite() const = 0;

  /// Writes the learner into `out`: metadata (algorithm, hyper-parameters, iteration, RNG state) and its
  /// sections (networks, targets, optimizer moments).
  void save(Checkpoint& out) const;
  /// Restores a learner of the same algorithm and hyper-parameters. Throws naming the checkpoint and
  /// what is wrong; the learner is unchanged unless everything checked out.
  void load(const Checkpoint& in);
  /// save() into a checkpoint file, atomically.
  void save(const std::string& path) const;
  /// An independent copy in the same state (through an in-memory checkpoint).
  std::unique_ptr<Learner> clone() const;

  /// The exported policy (`mtf export`, read by serving/served_policy.hpp): only what act() needs, with
  /// the action -> alpha map alpha_i = low_i + (clip(a_i) + 1) / 2 (high_i - low_i) (one bound per action
  /// dimension; throws std::invalid_argument otherwise). Far smaller than a checkpoint: no targets, no
  /// optimizer moments, no second critic.
  Checkpoint export_policy(const std::vector<double>& alpha_low, const std::vector<double>& alpha_high) const;

 protected:
  explicit Learner(std::uint64_t seed) : rng_(seed) {}
  /// The learner's own sections.
  virtual void save_sections(Checkpoint& out) const = 0;
  /// Reads every section into scratch state first and commits only when all of them are good.
  virtual void load_sections(const Checkpoint& in) = 0;
  /// The learner's serving networks as sections and meta["serving"] = {"kind": ..., the shapes}: one of
  /// the kinds serving/served_policy.cpp runs ("bcq", "mlp", "gaussian_mean").
  virtual void export_sections(Checkpoint& out) const = 0;
  /// True when `hyper` (a checkpoint's hyper-parameters) describes this learner's configuration.
  virtual bool same_hyperparameters(const nlohmann::json& hyper, const std::string& source) const = 0;

  Rng rng_;
  long long iteration_ = 0;
};

/// A learner whose hyper-parameters are one Config struct (engine/json_config.hpp's fields() form, with
/// state_dim, action_dim, batch_size and seed among them): what every learner would otherwise repeat —
/// the hyper-parameters as JSON, the dimensions, the batch size, the seed of its Rng and the checkpoint's
/// hyper-parameter check — written once.
template <class ConfigT>
class ConfiguredLearner : public Learner {
 public:
  using Config = ConfigT;
  nlohmann::json hyperparameters() const override { return config_to_json(config_); }
  Index state_dim() const override { return config_.state_dim; }
  Index action_dim() const override { return config_.action_dim; }
  int batch_size() const override { return config_.batch_size; }
  const Config& config() const { return config_; }

 protected:
  explicit ConfiguredLearner(const Config& config) : Learner(config.seed), config_(config) {}
  /// Compared after parsing, so keys added since a checkpoint was written compare at their defaults.
  bool same_hyperparameters(const nlohmann::json& hyper, const std::string& source) const override {
    return config_to_json(config_from_json<Config>(hyper, source)) == config_to_json(config_);
  }
  Config config_;
};

}  // namespace mtf
