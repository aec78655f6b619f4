// rl/bcq.hpp — BatchRL-MTF's learner: Batch-Constrained deep Q-learning (paper Algorithm 1,
// section 3.2, eq. 3–7; SPEC section 4).
//
// One train_iteration() is the four blocks of Algorithm 1 on a minibatch (s, a, r, s', not_done):
//   1. generative model G = {E, D}: reconstruction MSE + kl_weight * KL            (eq. 3)
//   2. perturbation P: maximize Q1(s, a_hat + xi), a_hat ~ G(s)                    (eq. 5)
//   3. critics Q1, Q2: regress on y = r + gamma * not_done * max_i [lambda min_j Q'_j + (1 - lambda)
//      max_j Q'_j](s', a'_i), a'_i = P'(s', a_hat'_i), a_hat'_i ~ G(s'), i < n     (eq. 6–7)
//   4. every L iterations: soft updates P' <- eta P + (1 - eta) P', Q' likewise
// The algorithm sees networks as modules (forward, backward, flat parameters); it never indexes weights.
//
// Noise is an input: the VAE's eps and the decoder's z come from the learner's seeded Rng (one generator
// per gradient shard, reseeded from it each iteration), or from the caller (BcqNoise) so fixtures can
// inject PyTorch's. Serving (eq. 4) picks, among n perturbed VAE proposals, the one with the highest Q1.
#pragma once
#include <memory>
#include <vector>
#include <string>

#include "engine/adam.hpp"
#include "engine/rng.hpp"
#include "engine/tape.hpp"
#include "nets/critic.hpp"
#include "nets/perturbation.hpp"
#include "nets/vae.hpp"
#include "rl/bcq_config.hpp"

namespace mtf {

/// A minibatch of transitions, one per row.
struct TransitionBatch {
  MatrixR<float> state;       // (M, S)
  MatrixR<float> action;      // (M, A), in [-1, 1]
  MatrixR<float> reward;      // (M, 1)
  MatrixR<float> next_state;  // (M, S)
  MatrixR<float> not_done;    // (M, 1), 0 at the last step of a session
  TransitionBatch() = default;
  TransitionBatch(Index rows, Index state_dim, Index action_dim)
      : state(rows, state_dim), action(rows, action_dim), reward(rows, 1),
        next_state(rows, state_dim), not_done(rows, 1) {}
  Index rows() const { return state.rows(); }
};

/// The random inputs of one iteration.
struct BcqNoise {
  MatrixR<float> vae_eps;   // (M, L)   reparameterization noise, N(0, 1)
  MatrixR<float> actor_z;   // (M, L)   prior samples for a_hat ~ G(s), N(0, 1) clamped to +-0.5
  MatrixR<float> target_z;  // (M n, L) prior samples for a_hat' ~ G(s'), clamped likewise
};

/// What one iteration measured.
struct BcqStats {
  float vae_loss = 0, reconstruction = 0, kl = 0;
  float actor_loss = 0;       // -mean Q1(s, P(s, a_hat))
  float critic_loss = 0;      // MSE(Q1, y) + MSE(Q2, y)
  float q1_mean = 0, q1_std = 0, target_mean = 0;
  float perturbation_abs = 0; // mean |P(s, a_hat) - a_hat|: how far the actor moves proposals
};

class Bcq {
 public:
  explicit Bcq(const BcqConfig& config);
  Bcq(const Bcq&) = delete;
  Bcq& operator=(const Bcq&) = delete;

  /// One iteration of Algorithm 1 with noise drawn from the learner's Rng.
  BcqStats train_iteration(const TransitionBatch& batch);
  /// One iteration with the given noise.
  BcqStats train_iteration(const TransitionBatch& batch, const BcqNoise& noise);

  /// pi(s) of eq. 4 for n states (row-major, n x S) into actions (n x A): per state, n_sampled VAE
  /// proposals with z ~ N(0,1) clamped to +-0.5 from `rng`, perturbed by P, the argmax of Q1.
  /// Allocation-free after the first call with the same n.
  void act(const float* states, Index n, float* actions, Rng& rng);

  const BcqConfig& config() const { return config_; }
  long long iteration() const { return iteration_; }
  Rng& rng() { return rng_; }
  ConditionalVae<float>& vae() { return *vae_; }
  Perturbation<float>& actor() { return *actor_; }
  Perturbation<float>& actor_target() { return *actor_target_; }
  TwinCritic<float>& critic() { return *critic_; }
  TwinCritic<float>& critic_target() { return *critic_target_; }
  /// True when every weight of every network is finite.
  bool all_finite() const;

  /// Config, all networks and targets, optimizer moments, RNG state and iteration count in one
  /// versioned, checksummed file, written atomically.
  void save_checkpoint(const std::string& path) const;
  /// Restores a checkpoint written by save_checkpoint into a learner built with the same config.
  /// Throws (naming the file and what is wrong) on corruption, truncation or a config mismatch; the
  /// learner is unchanged unless everything checked out.
  void load_checkpoint(const std::string& path);
  /// Builds a learner from a checkpoint file.
  static std::unique_ptr<Bcq> from_checkpoint(const std::string& path);

 private:
  /// The iteration; with draw_noise, `noise` is noise_ and each shard first draws its rows of it.
  BcqStats run_iteration(const TransitionBatch& batch, const BcqNoise& noise, bool draw_noise);
  void draw_shard_noise(int k, Index batch_rows);
  // The blocks of one iteration for gradient shard k (rows split_range(M, gradient_shards, k)), on the
  // shard's tape, into the shard's gradient buffers.
  void vae_shard(int k, const TransitionBatch& batch, const BcqNoise& noise);
  void actor_shard(int k, const TransitionBatch& batch, const BcqNoise& noise);
  void critic_shard(int k, const TransitionBatch& batch);
  /// Eq. 6-7's target y into target_y_ rows [begin, end): r + gamma * not_done * max_j of the clipped
  /// double-Q of the target networks at (s', a'_j), no gradient. Rows are independent, so the values do
  /// not depend on how the states are split.
  void targets_for_states(Tape<float>& tape, const TransitionBatch& batch, const BcqNoise& noise, Index begin,
                          Index end);
  struct Shard {
    Index begin, rows;
    float weight;
    Tape<float>& tape;
  };
  Shard open_shard(int k, Index batch_rows, Parameters<float>& params);
  /// One shard's contributions to BcqStats, already weighted by its share of the rows.
  struct ShardStats {
    float vae_loss = 0, reconstruction = 0, kl = 0, actor_loss = 0, perturbation_abs = 0, critic_loss = 0;
  };
  BcqConfig config_;
  Rng rng_;
  std::unique_ptr<ConditionalVae<float>> vae_;
  std::unique_ptr<Perturbation<float>> actor_, actor_target_;
  std::unique_ptr<TwinCritic<float>> critic_, critic_target_;
  Adam<float> vae_opt_, actor_opt_, critic_opt_;
  Tape<float> serve_tape_;
  std::vector<std::unique_ptr<Tape<float>>> shard_tapes_;  // one per gradient shard
  std::vector<ShardStats> shard_stats_;
  std::vector<Rng> shard_rngs_;  // reseeded from rng_ every iteration
  MatrixR<float> target_y_;                // (M, 1)
  MatrixR<float> q1_values_;               // (M, 1) Q1(s, a) of the critic step, for the stats
  BcqNoise noise_;
  long long iteration_ = 0;
};

}  // namespace mtf
