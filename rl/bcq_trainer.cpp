#include "rl/bcq_trainer.hpp"

#include <chrono>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

namespace mtf {

namespace {
bool finite(const BcqStats& s) {
  return std::isfinite(s.vae_loss) && std::isfinite(s.actor_loss) && std::isfinite(s.critic_loss) &&
         std::isfinite(s.q1_mean);
}
nlohmann::json to_json(const BcqStats& s, long long iteration, double seconds, double rate) {
  return {{"iteration", iteration},      {"vae_loss", s.vae_loss},   {"reconstruction", s.reconstruction},
          {"kl", s.kl},                  {"actor_loss", s.actor_loss}, {"critic_loss", s.critic_loss},
          {"q1_mean", s.q1_mean},        {"q1_std", s.q1_std},       {"target_mean", s.target_mean},
          {"perturbation_abs", s.perturbation_abs}, {"seconds", seconds}, {"iterations_per_second", rate}};
}
std::string format_eta(double seconds) {
  std::ostringstream o;
  const long long s = (long long)std::llround(seconds);
  o << s / 3600 << "h" << std::setw(2) << std::setfill('0') << (s / 60) % 60 << "m" << std::setw(2) << s % 60 << "s";
  return o.str();
}
}  // namespace

TrainReport train_bcq(Bcq& learner, const sim::ReplayBuffer& buffer, const TrainOptions& options) {
  const BcqConfig& c = learner.config();
  if (buffer.size() == 0) throw std::invalid_argument("train_bcq: the replay buffer is empty");
  if (buffer.state_dim() != c.state_dim || buffer.action_dim() != c.action_dim)
    throw std::invalid_argument("train_bcq: replay buffer has state/action dims " +
                                std::to_string(buffer.state_dim()) + "/" + std::to_string(buffer.action_dim()) +
                                ", the learner expects " + std::to_string(c.state_dim) + "/" +
                                std::to_string(c.action_dim));
  std::ofstream metrics;
  if (!options.metrics_path.empty()) {
    metrics.open(options.metrics_path, std::ios::app);
    if (!metrics) throw std::runtime_error(options.metrics_path + ": cannot open metrics file for writing");
  }
  TransitionBatch batch(c.batch_size, c.state_dim, c.action_dim);
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
    buffer.sample(c.batch_size, learner.rng(), batch.state.data(), batch.action.data(), batch.reward.data(),
                  batch.next_state.data(), batch.not_done.data());
    report.last = learner.train_iteration(batch);
    if (!finite(report.last)) diverged("a loss is not finite (vae " + std::to_string(report.last.vae_loss) +
                                       ", actor " + std::to_string(report.last.actor_loss) + ", critic " +
                                       std::to_string(report.last.critic_loss) + ")");
    const bool log_now = done % c.log_every == 0 || done == options.iterations;
    const bool checkpoint_now = !options.checkpoint_path.empty() &&
                                ((c.checkpoint_every > 0 && done % c.checkpoint_every == 0) || done == options.iterations);
    if (log_now || checkpoint_now) {
      if (!learner.all_finite()) diverged("a network weight is not finite");
    }
    if (log_now) {
      const double secs = elapsed(), rate = double(done) / std::max(secs, 1e-9);
      if (metrics) metrics << to_json(report.last, learner.iteration(), secs, rate).dump() << '\n' << std::flush;
      if (options.progress)
        *options.progress << "iteration " << learner.iteration() << "/" << first + options.iterations << "  "
                          << std::fixed << std::setprecision(1) << rate << " it/s  ETA "
                          << format_eta(double(options.iterations - done) / rate) << std::setprecision(4)
                          << "  critic " << report.last.critic_loss << "  Q1 " << report.last.q1_mean << " ± "
                          << report.last.q1_std << "  vae " << report.last.vae_loss << "\n";
    }
    if (checkpoint_now) {
      learner.save_checkpoint(options.checkpoint_path);
      last_good_checkpoint = learner.iteration();
    }
  }
  report.iterations = learner.iteration();
  report.seconds = elapsed();
  return report;
}

}  // namespace mtf
