#include "rl/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "rl/data/reward.hpp"

namespace mtf {

namespace {
std::string format_eta(double seconds) {
  std::ostringstream o;
  const long long s = (long long)std::llround(seconds);
  o << s / 3600 << "h" << std::setw(2) << std::setfill('0') << (s / 60) % 60 << "m" << std::setw(2) << s % 60 << "s";
  return o.str();
}
}  // namespace

void DataSettings::check(const ConfigReader& r) const {
  if (!(train_fraction > 0 && train_fraction < 1))
    r.fail("train_fraction", "must be in (0, 1), got " + std::to_string(train_fraction));
  try {
    reward_preset(reward);
  } catch (const std::exception& e) {
    r.fail("reward", e.what());
  }
}

TrainReport train(Learner& learner, const ReplayBuffer& buffer, const TrainOptions& options) {
  if (buffer.size() == 0) throw std::invalid_argument("train: the replay buffer is empty");
  if (buffer.state_dim() != learner.state_dim() || buffer.action_dim() != learner.action_dim())
    throw std::invalid_argument("train: replay buffer has state/action dims " + std::to_string(buffer.state_dim()) +
                                "/" + std::to_string(buffer.action_dim()) + ", the learner expects " +
                                std::to_string(learner.state_dim()) + "/" + std::to_string(learner.action_dim()));
  if (options.log_every < 1 || options.checkpoint_every < 0 || options.iterations < 0)
    throw std::invalid_argument("train: need iterations >= 0, log_every >= 1, checkpoint_every >= 0");
  std::ofstream metrics;
  std::ostream* const progress = options.write ? options.progress : nullptr;
  if (options.write && !options.metrics_path.empty()) {
    metrics.open(options.metrics_path, std::ios::app);
    if (!metrics) throw std::runtime_error(options.metrics_path + ": cannot open metrics file for writing");
  }
  TransitionBatch batch(learner.batch_size(), learner.state_dim(), learner.action_dim());
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  long long last_good_checkpoint = -1;
  auto diverged = [&](const std::string& what) {
    std::string msg = "training diverged at iteration " + std::to_string(learner.iteration()) + ": " + what;
    msg += last_good_checkpoint >= 0
               ? "; the last good checkpoint (iteration " + std::to_string(last_good_checkpoint) + ") is " +
                     options.checkpoint_path + ", left untouched"
               : "; no checkpoint was written by this run";
    throw TrainingDiverged(msg);
  };

  TrainReport report;
  const long long first = learner.iteration();
  for (long long done = 1; done <= options.iterations; ++done) {
    buffer.sample(learner.rng(), batch);
    report.last = learner.update(batch);
    if (!report.last.all_finite()) diverged("a loss is not finite (" + report.last.to_json().dump() + ")");
    const bool log_now = done % options.log_every == 0 || done == options.iterations;
    // Due whether or not this process writes: the divergence check below must run on every rank at the
    // same iterations (a rank that stopped alone would leave the others waiting in their next exchange).
    const bool checkpoint_now =
        !options.checkpoint_path.empty() &&
        ((options.checkpoint_every > 0 && done % options.checkpoint_every == 0) || done == options.iterations);
    if ((log_now || checkpoint_now) && !learner.all_finite()) diverged("a network weight is not finite");
    if (log_now) {
      const double secs = elapsed(), rate = double(done) / std::max(secs, 1e-9);
      if (metrics) {
        nlohmann::json line = report.last.to_json();
        line["iteration"] = learner.iteration();
        line["seconds"] = secs;
        line["iterations_per_second"] = rate;
        metrics << line.dump() << '\n' << std::flush;
      }
      if (progress)
        *progress << "iteration " << learner.iteration() << "/" << first + options.iterations << "  "
                          << std::fixed << std::setprecision(1) << rate << " it/s  ETA "
                          << format_eta(double(options.iterations - done) / rate) << "  "
                          << learner.progress(report.last) << "\n";
    }
    if (checkpoint_now && options.write) {
      Checkpoint c(options.checkpoint_path);
      learner.save(c);
      if (!options.checkpoint_meta.is_null()) c.meta["run"] = options.checkpoint_meta;
      c.save(options.checkpoint_path);
      last_good_checkpoint = learner.iteration();
    }
  }
  report.iterations = learner.iteration();
  report.seconds = elapsed();
  return report;
}

}  // namespace mtf
