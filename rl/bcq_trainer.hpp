// rl/bcq_trainer.hpp — the BCQ training loop around Bcq::train_iteration: minibatches sampled uniformly
// from the FIFO replay buffer with the learner's own Rng (so a checkpoint resumes the same stream),
// metrics as JSON Lines every log_every iterations (losses, mean and spread of Q, how far the actor moves
// actions), a progress line with rate and ETA, divergence detection, periodic atomic checkpoints.
//
// Divergence: a non-finite loss (checked every iteration) or weight (checked at every log and before
// every checkpoint) stops training with TrainingDiverged; the last good checkpoint is never overwritten
// by a diverged learner.
#pragma once
#include <iosfwd>
#include <stdexcept>
#include <string>

#include "rl/bcq.hpp"
#include "rl/sim/replay_buffer.hpp"

namespace mtf {

class TrainingDiverged : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TrainOptions {
  long long iterations = 0;         // iterations to run now (on top of learner.iteration())
  std::string metrics_path;         // JSON Lines; empty = none
  std::string checkpoint_path;      // empty = none
  std::ostream* progress = nullptr; // progress lines (e.g. &std::cerr); nullptr = quiet
};

struct TrainReport {
  long long iterations = 0;  // learner.iteration() at the end
  BcqStats last;             // stats of the last iteration
  double seconds = 0;
};

/// Runs options.iterations iterations of Algorithm 1 on minibatches of config.batch_size from `buffer`.
TrainReport train_bcq(Bcq& learner, const sim::ReplayBuffer& buffer, const TrainOptions& options);

}  // namespace mtf
