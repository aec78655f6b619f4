// rl/cql_sac.hpp — the CQL+SAC baseline (paper section 4.4; SPEC section 4): Soft Actor-Critic
// (Haarnoja et al. 2018, the version with the learned temperature) with the CQL(H) regularizer of Kumar
// et al. 2020 on its twin critics. It computes what CQLSAC.train_step of the PyTorch speed peer
// (../shared/peers/torch_baselines.py) computes, in the same order, on a minibatch (s, a, r, s', nd):
//   1. temperature: J(alpha) = -mean(log_alpha * (log pi(a~|s) + H)),  a~ ~ pi(s) (no gradient to the actor),
//      H = target entropy (-A by default); Adam on log_alpha (starting at 0, alpha = 1).
//   2. actor, with alpha = exp(log_alpha) just updated: mean(alpha log pi(a~|s) - min(Q1, Q2)(s, a~)), the
//      same sample a~ reparameterized; the critics pass gradients to the action only (no weight gradients).
//   3. critics, with the actor just updated:
//        y = r + gamma nd (min(Q1', Q2')(s', a') - alpha log pi(a'|s')),  a' ~ pi(s')   (SAC target, no grad)
//        penalty_j = mean_i logsumexp_k [Q_j(s_i, b_ik) - log q(b_ik)] - mean_i Q_j(s_i, a_i)   (CQL(H))
//      over 3n actions b_ik per state (n = 10): uniform in [-1, 1]^A (log q = A log(1/2)), n from pi(s_i)
//      and n from pi(s'_i) (each with its own log-density; all sampled without gradient, and all
//      evaluated at s_i by the online critics), and
//        loss = MSE(Q1, y) + MSE(Q2, y) + cql_weight (penalty_1 + penalty_2).
//   4. Polyak averaging of the target critics, tau = 0.005, every iteration. (No target actor: SAC's.)
//
// The penalty weight is FIXED (cql_weight = 5), not tuned by CQL's Lagrange dual (CQL-Lagrange, which
// adjusts the weight so the penalty's gap stays near a threshold tau). This is what the speed peer does,
// and what the CQL authors use for the offline Gym-MuJoCo tasks: their README runs those with
// `--lagrange_thresh=-1.0` (Lagrange off) and `--min_q_weight` 5.0 or 10.0, `--min_q_version=3` (CQL(H)
// with the importance-sampled log-sum-exp above), keeping the Lagrange version (threshold 5 or 10) for
// AntMaze and the Kitchen tasks. Two things of the authors' MuJoCo launcher the peer (and so this
// learner) does not do: it backs up without the entropy term (`deterministic_backup`, true by default there), and its
// trainer replaces the actor loss by behaviour cloning at the start (`policy_eval_start`, 40000, compared
// with the trainer's epoch counter). The peer's SAC target keeps the entropy term, as SAC's does. The
// penalty's layout is the authors' (`min_q_version=3`): uniform density 2^-A, the pi(s') samples scored
// at s, log-densities without gradient; the peer orders the blocks uniform, pi(s), pi(s') (a
// log-sum-exp does not depend on the order).
//
// Noise is an input (CqlSacNoise): every eps of a reparameterized sample and the uniform actions come from
// the learner's Rng (one generator per gradient shard, reseeded from it each iteration) or from the caller,
// so the fixture can inject PyTorch's. Threads, gradient shards and their sums are the sharded step's.
// Serving is the deterministic tanh(mean(s)) — SAC's evaluation policy (the CQL code's MakeDeterministic).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "engine/adam.hpp"
#include "engine/json_config.hpp"
#include "engine/parameters.hpp"
#include "engine/rng.hpp"
#include "engine/sharded_step.hpp"
#include "nets/critic.hpp"
#include "nets/gaussian_actor.hpp"
#include "rl/data/transition_batch.hpp"
#include "rl/learner.hpp"

namespace mtf {

struct CqlSacConfig : JsonConfig<CqlSacConfig> {
  // Shapes.
  Index state_dim = 64;                           // the simulator's observable state
  Index action_dim = 12;                          // k = 12 fusion weights (paper section 4.2)
  std::vector<Index> actor_hidden = {400, 300};   // as BCQ's actor (and the peer's)
  std::vector<Index> critic_hidden = {400, 300};  // as BCQ's critics (and the peer's)
  // Learning rates: the paper's section 4.2 rates for the actor and the critics, as every baseline uses.
  double actor_lr = 1e-4;
  double critic_lr = 2e-4;
  double alpha_lr = 1e-4;  // the temperature's Adam (the peer's)
  double gamma = 0.95;     // paper 4.2
  double tau = 0.005;      // Polyak rate of the target critics, every iteration (SAC's, the peer's)
  double cql_weight = 5;   // fixed CQL(H) weight (see the top of this file); 0 = plain SAC
  int cql_samples = 10;    // n actions per source (uniform, pi(s), pi(s')) in the log-sum-exp (CQL's 10)
  // SAC's target entropy H. 0 means -action_dim, SAC's heuristic and the default; any other value is
  // used as given (a target of exactly 0 nats is not expressible: give a tiny value such as 1e-9).
  double target_entropy = 0;
  int batch_size = 256;      // M, paper 4.2
  int gradient_shards = 2;   // see BcqConfig::gradient_shards
  std::uint64_t seed = 0;    // initialization, minibatches and noise

  double entropy_target() const { return target_entropy != 0 ? target_entropy : -double(action_dim); }

  template <class Self, class Visit>
  static void fields(Self& c, Visit& v) {
    v("state_dim", c.state_dim, Index(1), Index(1 << 20));
    v("action_dim", c.action_dim, Index(1), Index(1 << 12));
    v.widths("actor_hidden", c.actor_hidden);
    v.widths("critic_hidden", c.critic_hidden);
    v("actor_lr", c.actor_lr, 0.0, 1.0);
    v("critic_lr", c.critic_lr, 0.0, 1.0);
    v("alpha_lr", c.alpha_lr, 0.0, 1.0);
    v("gamma", c.gamma, 0.0, 1.0);
    v("tau", c.tau, 0.0, 1.0);
    v("cql_weight", c.cql_weight, 0.0, 1e6);
    v("cql_samples", c.cql_samples, 1, 4096);
    v("target_entropy", c.target_entropy, -1e6, 1e6);
    v("batch_size", c.batch_size, 1, 1 << 20);
    v("gradient_shards", c.gradient_shards, 1, 1 << 10);
    v("seed", c.seed);
  }
  /// gradient_shards <= batch_size; network sizes within the limits (the penalty's 3 n rows per state).
  void check(const ConfigReader& r) const;
};

/// The random inputs of one iteration (n = cql_samples).
struct CqlSacNoise {
  MatrixR<float> actor_eps;    // (M, A)    eps of a~ ~ pi(s) for the temperature and the actor, N(0, 1)
  MatrixR<float> target_eps;   // (M, A)    eps of a' ~ pi(s') for the SAC target
  MatrixR<float> uniform;      // (M n, A)  the penalty's uniform actions, U[-1, 1]; rows i*n + j: state i
  MatrixR<float> current_eps;  // (M n, A)  eps of the penalty's n samples from pi(s_i)
  MatrixR<float> next_eps;     // (M n, A)  eps of the penalty's n samples from pi(s'_i)
};

/// What one iteration measured.
struct CqlSacStats {
  float alpha_loss = 0;    // J(alpha) with log_alpha before its step
  float alpha = 0;         // exp(log_alpha) after its step: the temperature this iteration's actor and critics used
  float entropy = 0;       // -mean log pi(a~|s) of the actor's sample
  float actor_loss = 0;    // mean(alpha log pi - min Q)
  float critic_loss = 0;   // bellman + cql_weight * cql_penalty
  float bellman = 0;       // MSE(Q1, y) + MSE(Q2, y)
  float cql_penalty = 0;   // penalty_1 + penalty_2, unweighted
  float q1_mean = 0, q1_std = 0, target_mean = 0;  // Q1(s, a) of the critic step over the batch; mean y
};

class CqlSac : public ConfiguredLearner<CqlSacConfig> {
 public:
  explicit CqlSac(const CqlSacConfig& config);

  /// One iteration with noise drawn from the learner's Rng.
  CqlSacStats train_iteration(const TransitionBatch& batch);
  /// One iteration with the given noise.
  CqlSacStats train_iteration(const TransitionBatch& batch, const CqlSacNoise& noise);

  /// tanh(mean(s)) for n states (SAC's deterministic evaluation policy); `rng` is not used.
  /// Allocation-free after the first call with the same n (up to 1024 states per chunk).
  void act(const float* states, Index n, float* actions, Rng& rng) override;

  // Learner.
  std::string algorithm() const override { return "cql_sac"; }
  UpdateMetrics update(const TransitionBatch& batch) override;
  std::shared_ptr<Policy> snapshot(const std::string& name) const override;
  std::string progress(const UpdateMetrics& m) const override;
  bool all_finite() const override;

  GaussianActor<float>& actor() { return *actor_; }
  TwinCritic<float>& critic() { return *critic_; }
  TwinCritic<float>& critic_target() { return *critic_target_; }
  /// log alpha, the temperature's one parameter.
  Parameters<float>& log_alpha() { return log_alpha_; }
  const Adam<float>& actor_optimizer() const { return actor_opt_; }
  const Adam<float>& critic_optimizer() const { return critic_opt_; }
  const Adam<float>& alpha_optimizer() const { return alpha_opt_; }

 protected:
  void save_sections(Checkpoint& out) const override;
  void load_sections(const Checkpoint& in) override;
  /// The Gaussian actor alone (serving is tanh of its mean).
  void export_sections(Checkpoint& out) const override;

 private:
  /// One shard's contributions to CqlSacStats, already weighted by its share of the rows.
  struct ShardStats {
    float alpha_loss = 0, entropy = 0, actor_loss = 0, critic_loss = 0, bellman = 0, cql_penalty = 0;
  };
  using Step = ShardedStep<ShardStats>;
  CqlSacStats run_iteration(const TransitionBatch& batch, const CqlSacNoise& noise, bool draw_noise);
  void draw_shard_noise(const Step::Shard& s);
  float alpha() const;
  // The blocks of the update on one gradient shard's rows.
  void temperature_loss(const Step::Shard& s, const TransitionBatch& batch, const CqlSacNoise& noise);
  void actor_loss(const Step::Shard& s, const TransitionBatch& batch, const CqlSacNoise& noise);
  /// The SAC target y into target_y_'s rows of the shard (no gradient).
  void critic_targets(const Step::Shard& s, const TransitionBatch& batch, const CqlSacNoise& noise);
  void critic_loss(const Step::Shard& s, const TransitionBatch& batch, const CqlSacNoise& noise);

  std::unique_ptr<GaussianActor<float>> actor_;
  std::unique_ptr<TwinCritic<float>> critic_, critic_target_;
  Parameters<float> log_alpha_;  // one block "log_alpha" (1, 1): the temperature, checkpointed like a network
  Adam<float> actor_opt_, critic_opt_, alpha_opt_;
  Step step_;
  Tape<float> serve_tape_;
  MatrixR<float> target_y_;   // (M, 1)
  MatrixR<float> q1_values_;  // (M, 1) Q1(s, a) of the critic step, for the stats
  CqlSacNoise noise_;
};

/// tanh(mean(s)) for `count` states, in chunks (shared by CqlSac::act and its snapshots).
void cql_sac_serve(GaussianActor<float>& actor, Tape<float>& tape, const float* states, Index count, float* actions);

}  // namespace mtf
