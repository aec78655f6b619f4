// rl/trainer.hpp — the one offline training loop for every learner: minibatches sampled uniformly from
// the FIFO replay buffer with the learner's own Rng (so a checkpoint resumes the same stream), metrics as
// JSON Lines every log_every updates, a progress line with rate and ETA, divergence detection, periodic
// atomic checkpoints, resume.
//
// Run settings (TrainSettings: how long, how often to log and checkpoint) are kept apart from the
// learner's hyper-parameters, so a resumed run may change them; what a resume needs to rebuild the same
// data (DataSettings: reward, split, replay capacity) is written into every checkpoint.
//
// Divergence: a non-finite metric (checked every update) or weight (checked at every log and before
// every checkpoint) stops training with TrainingDiverged; the last good checkpoint is never overwritten
// by a diverged learner.
#pragma once
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "engine/json_config.hpp"
#include "rl/data/replay_buffer.hpp"
#include "rl/learner.hpp"

namespace mtf {

class TrainingDiverged : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// How a run goes; free to change between a run and its resume. Keys of a training config file.
struct TrainSettings : JsonConfig<TrainSettings> {
  long long iterations = 300000;   // updates to run (Ep, paper 4.2)
  long long log_every = 1000;      // metrics line and progress line every this many updates
  long long checkpoint_every = 0;  // 0 = only at the end

  template <class Self, class Visit>
  static void fields(Self& c, Visit& v) {
    v("iterations", c.iterations, 0LL, 1LL << 40);
    v("log_every", c.log_every, 1LL, 1LL << 40);
    v("checkpoint_every", c.checkpoint_every, 0LL, 1LL << 40);
  }
};

/// How the training data are built from a log; a resume must rebuild them the same, so every checkpoint
/// holds them. Keys of a training config file.
struct DataSettings : JsonConfig<DataSettings> {
  std::string reward = "default";     // reward preset (rl/data/reward.hpp): default, Rtime, Rintegrity, Rinteraction
  double train_fraction = 0.9;        // first share of the sessions, in time order (paper section 4.1)
  long long replay_capacity = 100000; // FIFO replay window (paper section 4.2)

  template <class Self, class Visit>
  static void fields(Self& c, Visit& v) {
    v("reward", c.reward);
    v("train_fraction", c.train_fraction, 0.0, 1.0);
    v("replay_capacity", c.replay_capacity, 1LL, 1LL << 40);
  }
  /// train_fraction in (0, 1); a known reward preset.
  void check(const ConfigReader& r) const;
};

struct TrainOptions {
  long long iterations = 0;          // updates to run now (on top of learner.iteration())
  long long log_every = 1000;
  long long checkpoint_every = 0;    // 0 = only at the end
  std::string metrics_path;          // JSON Lines, appended; empty = none
  std::string checkpoint_path;       // empty = none
  nlohmann::json checkpoint_meta;    // written into each checkpoint's metadata under "run" (e.g. DataSettings)
  std::ostream* progress = nullptr;  // progress lines (e.g. &std::cout); nullptr = quiet
  // false: train, but write no metrics, checkpoint or progress. Under mpirun every process trains (they
  // hold the same bits) and only rank 0 writes (examples/mtf/train.cpp), so files are written once.
  bool write = true;
};

struct TrainReport {
  long long iterations = 0;  // learner.iteration() at the end
  UpdateMetrics last;        // metrics of the last update
  double seconds = 0;
};

/// Runs options.iterations updates of `learner` on minibatches of its batch_size() from `buffer`.
TrainReport train(Learner& learner, const ReplayBuffer& buffer, const TrainOptions& options);

}  // namespace mtf
