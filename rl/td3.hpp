// rl/td3.hpp — TD3 (Fujimoto, van Hoof and Meger 2018, "Addressing Function Approximation Error in
// Actor-Critic Methods", Algorithm 1), offline and unconstrained: the paper's baseline "TD3" of section
// 4.4.1 (SPEC section 4), trained on the logged transitions only.
//
// One train_iteration() on a minibatch (s, a, r, s', not_done), in the order of the PyTorch peer's
// TD3.train_step (../shared/peers/torch_baselines.py) and of Fujimoto's reference code:
//   1. critics Q1, Q2: regress on y = r + gamma * not_done * min(Q'1, Q'2)(s', a~'),
//      a~' = clamp(pi'(s') + clamp(policy_noise * eps, +-noise_clip), -1, 1), eps ~ N(0, 1)
//      (target policy smoothing, in action units: actions live in [-1, 1]);
//   2. every policy_delay-th iteration (the 2nd, 4th, ...): the actor maximizes Q1(s, pi(s)) with the
//      critic just updated in 1 (Q1 passes gradients to its input only: ParamGrad::Skip, no critic weight
//      gradients), then Polyak updates pi' <- tau pi + (1 - tau) pi', Q' likewise.
// The two are phases of the sharded step (engine/sharded_step.hpp): the actor phase sees the critic
// phase's Adam step. The actor pi is an MLP S -> actor_hidden -> A with ReLU hidden and tanh output.
//
// Defaults and their sources: networks 400-300 as BCQ's (and the TD3 paper's); actor lr 1e-4, critic lr
// 2e-4, gamma 0.95 and minibatch 256 the BatchRL-MTF paper's (section 4.2, given there for its own actor
// and critics; the peer uses the same for the baselines); tau 0.005, policy_noise 0.2, noise_clip 0.5 and
// policy_delay 2 the TD3 paper's.
// No deviation from the peer's update. (Polyak averaging is written eta s + (1 - eta) t here and
// t + tau (s - t) by the peer's lerp_: the same up to rounding.)
//
// rl/uwac_td3.hpp derives UWAC+TD3 from this class: it replaces the critic targets and the two losses
// (the protected hooks below) and keeps everything else — networks, phases, targets, serving, checkpoints.
//
// Noise is an input: the smoothing noise eps comes from the learner's Rng (one generator per gradient
// shard, reseeded from it each iteration) or from the caller (Td3Noise) so fixtures can inject PyTorch's.
// Serving: pi(s), deterministic.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "engine/adam.hpp"
#include "engine/json_config.hpp"
#include "engine/sharded_step.hpp"
#include "nets/dropout_critic.hpp"
#include "nets/mlp.hpp"
#include "rl/data/transition_batch.hpp"
#include "rl/learner.hpp"

namespace mtf {

/// The hyper-parameters TD3 and UWAC+TD3 share. Td3Config and UwacTd3Config derive from it and list
/// these fields through shared_fields().
struct TwinDelayedConfig {
  Index state_dim = 64;                           // the simulator's observable state
  Index action_dim = 12;                          // k = 12 fusion weights (paper section 4.2)
  std::vector<Index> actor_hidden = {400, 300};   // as BCQ's (and the TD3 paper's)
  std::vector<Index> critic_hidden = {400, 300};  // as BCQ's (and the TD3 paper's)
  double actor_lr = 1e-4;    // paper 4.2
  double critic_lr = 2e-4;   // paper 4.2
  double gamma = 0.95;       // paper 4.2
  double tau = 0.005;        // Polyak rate, TD3 paper
  double policy_noise = 0.2; // target policy smoothing sigma, TD3 paper (action units, actions in [-1, 1])
  double noise_clip = 0.5;   // smoothing noise clipped to +-this, TD3 paper
  int policy_delay = 2;      // actor and target updates every d-th iteration, TD3 paper
  int batch_size = 256;      // M, paper 4.2
  int gradient_shards = 2;   // see BcqConfig::gradient_shards
  std::uint64_t seed = 0;    // initialization, minibatches and noise

  template <class Self, class Visit>
  static void shared_fields(Self& c, Visit& v) {
    v("state_dim", c.state_dim, Index(1), Index(1 << 20));
    v("action_dim", c.action_dim, Index(1), Index(1 << 12));
    v.widths("actor_hidden", c.actor_hidden);
    v.widths("critic_hidden", c.critic_hidden);
    v("actor_lr", c.actor_lr, 0.0, 1.0);
    v("critic_lr", c.critic_lr, 0.0, 1.0);
    v("gamma", c.gamma, 0.0, 1.0);
    v("tau", c.tau, 0.0, 1.0);
    v("policy_noise", c.policy_noise, 0.0, 10.0);
    v("noise_clip", c.noise_clip, 0.0, 10.0);
    v("policy_delay", c.policy_delay, 1, 1 << 30);
    v("batch_size", c.batch_size, 1, 1 << 20);
    v("gradient_shards", c.gradient_shards, 1, 1 << 10);
    v("seed", c.seed);
  }
  /// gradient_shards <= batch_size; the state and the networks within engine/limits.hpp, the critic run
  /// on batch_size * critic_samples rows (UWAC's dropout samples of the target).
  void check_shared(const ConfigReader& r, int critic_samples) const;
};

struct Td3Config : TwinDelayedConfig, JsonConfig<Td3Config> {
  template <class Self, class Visit>
  static void fields(Self& c, Visit& v) { shared_fields(c, v); }
  void check(const ConfigReader& r) const { check_shared(r, 1); }
};

/// The random inputs of one TD3 iteration.
struct Td3Noise {
  MatrixR<float> target_noise;  // (M, A) eps ~ N(0, 1) of the target policy smoothing (before sigma, clip)
};

/// What one iteration measured.
struct Td3Stats {
  float critic_loss = 0;  // the critic step's loss (TD3: MSE(Q1, y) + MSE(Q2, y))
  float actor_loss = 0;   // the loss of the last actor step (this iteration's, or an earlier one's)
  bool actor_step = false;  // whether this iteration updated the actor and the targets
  float q1_mean = 0, q1_std = 0;  // Q1(s, a) on the minibatch in the critic step
  float target_mean = 0;          // mean y
  // UWAC+TD3's mean uncertainty weights: of the critic step, and of this iteration's actor step (0
  // without one). 0 in TD3, which weights nothing.
  float critic_weight = 0, actor_weight = 0;
};

class Td3 : public ConfiguredLearner<Td3Config> {
 public:
  explicit Td3(const Td3Config& config);

  /// One iteration with noise drawn from the learner's Rng.
  Td3Stats train_iteration(const TransitionBatch& batch);
  /// One iteration with the given noise.
  Td3Stats train_iteration(const TransitionBatch& batch, const Td3Noise& noise);

  /// pi(s) for n states (n x S) into actions (n x A): deterministic, `rng` unused. Allocation-free after
  /// the first call with the same n.
  void act(const float* states, Index n, float* actions, Rng& rng) override;

  // Learner.
  std::string algorithm() const override { return "td3"; }
  UpdateMetrics update(const TransitionBatch& batch) override;
  /// A serving policy pi(s) with its own copy of the actor.
  std::shared_ptr<Policy> snapshot(const std::string& name) const override;
  std::string progress(const UpdateMetrics& m) const override;
  bool all_finite() const override;

  Mlp<float>& actor() { return *actor_; }
  Mlp<float>& actor_target() { return *actor_target_; }
  DropoutTwinCritic<float>& critic() { return *critic_; }
  DropoutTwinCritic<float>& critic_target() { return *critic_target_; }
  const Adam<float>& actor_optimizer() const { return actor_opt_; }
  const Adam<float>& critic_optimizer() const { return critic_opt_; }

 protected:
  /// One shard's contributions to Td3Stats, already weighted by its share of the rows.
  struct ShardStats {
    float critic_loss = 0, actor_loss = 0, critic_weight = 0, actor_weight = 0;
  };
  using Step = ShardedStep<ShardStats>;

  /// The iteration: the critic phase, on schedule the actor phase and the Polyak updates. `noise` null:
  /// each shard draws its noise from its generator (reseeded from the learner's first).
  Td3Stats run_iteration(const TransitionBatch& batch, const Td3Noise* noise);
  /// The update's metrics (the names a later figure reads from every learner: q1_mean, q1_std, ...).
  static UpdateMetrics metrics(const Td3Stats& s);

  // The algorithm's blocks on one gradient shard's rows; UWAC+TD3 overrides them.
  /// Sizes the minibatch buffers (no-ops after the first call with M rows); before the shards run.
  virtual void prepare(Index rows);
  /// y into target_y_'s rows of the shard, no gradient.
  virtual void critic_targets(const Step::Shard& s, const TransitionBatch& batch);
  /// The critics' regression on target_y_; ends with finish_critic_loss.
  virtual void critic_loss(const Step::Shard& s, const TransitionBatch& batch);
  /// The delayed actor step's loss, -mean Q1(s, pi(s)).
  virtual void actor_loss(const Step::Shard& s, const TransitionBatch& batch);

  /// Target policy smoothing for the shard's next states s' (m, S), on its tape: (m, A).
  Var smoothed_next_action(const Step::Shard& s, Var next_state);
  /// Backward of the shard's critic loss (already weighted), its statistics and its Q1(s, a) values.
  void finish_critic_loss(const Step::Shard& s, Var loss, Var q1);

  std::unique_ptr<Mlp<float>> actor_, actor_target_;
  std::unique_ptr<DropoutTwinCritic<float>> critic_, critic_target_;
  Adam<float> actor_opt_, critic_opt_;
  Step step_;
  MatrixR<float> target_y_;   // (M, 1)
  MatrixR<float> q1_values_;  // (M, 1) Q1(s, a) of the critic step, for the stats
  const Td3Noise* injected_ = nullptr;  // the caller's noise during run_iteration, or null: draw it
  float last_actor_loss_ = 0;           // reported by iterations without an actor step

  void save_sections(Checkpoint& out) const override;
  void load_sections(const Checkpoint& in) override;
  /// The actor alone (UWAC+TD3 serves the same way).
  void export_sections(Checkpoint& out) const override;

 private:
  Tape<float> serve_tape_;
};

}  // namespace mtf
