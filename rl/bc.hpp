// rl/bc.hpp — behaviour cloning: an MLP pi(s) regressing the logged action, the simplest offline learner
// and a floor for the others (a learner that cannot beat the policy that logged its data is not
// learning from rewards at all). It is also the walk-through of docs/adding-a-learner.md: a config that
// lists its fields once, an update that states its one phase to the sharded step, serving, a snapshot
// and two checkpoint sections.
//
//   loss = mean over the minibatch of ||pi(s) - a||^2 / A      (MSE; pi's output is tanh, in [-1, 1])
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "engine/adam.hpp"
#include "engine/json_config.hpp"
#include "engine/sharded_step.hpp"
#include "nets/mlp.hpp"
#include "rl/learner.hpp"

namespace mtf {

struct BcConfig : JsonConfig<BcConfig> {
  Index state_dim = 64;
  Index action_dim = 12;
  std::vector<Index> hidden = {256, 256};  // as BCQ's actor and critic in the examples
  double lr = 1e-3;                        // Adam
  int batch_size = 256;                    // as BCQ's M
  int gradient_shards = 2;                 // see BcqConfig::gradient_shards
  std::uint64_t seed = 0;

  template <class Self, class Visit>
  static void fields(Self& c, Visit& v) {
    v("state_dim", c.state_dim, Index(1), Index(1 << 20));
    v("action_dim", c.action_dim, Index(1), Index(1 << 12));
    v.widths("hidden", c.hidden);
    v("lr", c.lr, 0.0, 1.0);
    v("batch_size", c.batch_size, 1, 1 << 20);
    v("gradient_shards", c.gradient_shards, 1, 1 << 10);
    v("seed", c.seed);
  }
  void check(const ConfigReader& r) const;
};

class BehaviourCloning : public ConfiguredLearner<BcConfig> {
 public:
  explicit BehaviourCloning(const BcConfig& config);

  std::string algorithm() const override { return "bc"; }
  /// One Adam step on the MSE between pi(s) and the logged a.
  UpdateMetrics update(const TransitionBatch& batch) override;
  /// pi(s): deterministic, `rng` is not used.
  void act(const float* states, Index n, float* actions, Rng& rng) override;
  std::shared_ptr<Policy> snapshot(const std::string& name) const override;
  bool all_finite() const override { return policy_->params().all_finite(); }

  Mlp<float>& policy() { return *policy_; }

 protected:
  void save_sections(Checkpoint& out) const override;
  void load_sections(const Checkpoint& in) override;
  void export_sections(Checkpoint& out) const override;

 private:
  struct ShardStats {
    float loss = 0;
  };
  using Step = ShardedStep<ShardStats>;
  void loss(const Step::Shard& s, const TransitionBatch& batch);

  std::unique_ptr<Mlp<float>> policy_;
  Adam<float> opt_;
  Step step_;
  Tape<float> serve_tape_;
};

}  // namespace mtf
