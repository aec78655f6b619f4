// examples/mtf/train.cpp — `mtf train`: BatchRL-MTF (BCQ) from a session log to a checkpoint.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "args.hpp"
#include "commands.hpp"
#include "engine/threads.hpp"
#include "rl/bcq_trainer.hpp"
#include "rl/sim/dataset.hpp"
#include "rl/sim/session_log.hpp"

namespace mtf::cli {

namespace {

const char* kUsage = R"(usage: mtf train --logs LOGS.jsonl --out MODEL.ckpt [options]

Trains BatchRL-MTF (BCQ, paper Algorithm 1) on the training split of a session log: sessions in time
order, the first --train-fraction of them; rewards from the logged raw feedback with --reward weights.
The transitions stream through the FIFO replay buffer (config replay_capacity): when the split is larger,
the buffer keeps the most recent ones. Writes the checkpoint atomically (every checkpoint_every
iterations and at the end) and, with --metrics, one JSON line of losses and Q statistics every log_every
iterations. A diverging run (NaN/Inf) stops with status 1 and leaves the last good checkpoint alone.

options:
  --logs PATH            session log (JSON Lines, docs/simulator.md), read strictly
  --out PATH             checkpoint to write
  --config PATH          BCQ config (JSON, keys of rl/bcq_config.hpp; unknown keys are errors).
                         Default: SPEC section 4's hyper-parameters with the log's state dimension.
  --iterations N         iterations to run (default: the config's "iterations")
  --resume               continue from --out (same config) instead of starting fresh
  --metrics PATH         append metrics (JSON Lines) here
  --reward NAME          default | Rtime | Rintegrity | Rinteraction   (default: default)
  --train-fraction F     share of sessions (in time order) used for training (default 0.9)
  --threads T            engine threads (default: OMP_NUM_THREADS or all cores)
  --cache                use (or create) the log's checksummed binary cache
  --quiet                no progress lines
  --help                 this text
)";

double parse_fraction(const std::string& s) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (!end || *end || !(v > 0.0 && v <= 1.0)) throw UsageError("--train-fraction expects a number in (0, 1], got \"" + s + "\"");
  return v;
}

}  // namespace

int train_command(int argc, char** argv) {
  const Args args(argc, argv, {"logs", "out", "config", "iterations", "metrics", "reward", "train-fraction", "threads"},
                  {"help", "resume", "cache", "quiet"});
  if (args.has("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!args.positional().empty()) throw UsageError("unexpected argument \"" + args.positional()[0] + "\"");
  const std::string logs_path = args.required("logs"), out = args.required("out");
  if (args.has("threads")) set_num_threads(int(args.integer("threads", 1)));
  const double fraction = parse_fraction(args.str("train-fraction", "0.9"));
  const sim::RewardWeights reward = sim::reward_preset(args.str("reward", "default"));

  const sim::SessionLog log = args.has("cache") ? sim::read_session_log_cached(logs_path) : sim::read_session_log(logs_path);
  BcqConfig config;
  if (args.has("config")) {
    config = BcqConfig::load(args.str("config", ""));
    if (config.state_dim != log.state_dim || config.action_dim != sim::kActionDim)
      throw std::runtime_error(args.str("config", "") + ": field \"state_dim\"/\"action_dim\" is " +
                               std::to_string(config.state_dim) + "/" + std::to_string(config.action_dim) + " but " +
                               logs_path + " has states of " + std::to_string(log.state_dim) + " and actions of " +
                               std::to_string(sim::kActionDim));
  } else {
    config.state_dim = log.state_dim;
    config.action_dim = sim::kActionDim;
  }
  const long long iterations = args.integer("iterations", config.iterations);
  if (iterations < 0) throw UsageError("--iterations must be >= 0");

  const sim::DatasetSplit split = sim::split_by_time(log, reward, fraction);
  sim::ReplayBuffer buffer(int(config.state_dim), config.replay_capacity, int(config.action_dim));
  buffer.add_all(split.train);

  std::unique_ptr<Bcq> learner;
  if (args.has("resume")) {
    if (!std::filesystem::exists(out)) throw std::runtime_error(out + ": --resume given but there is no checkpoint");
    learner = Bcq::from_checkpoint(out);
    if (learner->config().to_json() != config.to_json() && args.has("config"))
      throw std::runtime_error(out + ": checkpoint config differs from " + args.str("config", ""));
  } else {
    learner = std::make_unique<Bcq>(config);
  }
  std::printf("mtf train: %s: %zu training sessions, %lld transitions (replay buffer %lld of %lld); %lld iterations "
              "from iteration %lld; %d threads\n",
              logs_path.c_str(), split.train_sessions, (long long)split.train.size(), (long long)buffer.size(),
              (long long)buffer.capacity(), iterations, learner->iteration(), num_threads());
  std::fflush(stdout);

  TrainOptions options;
  options.iterations = iterations;
  options.metrics_path = args.str("metrics", "");
  options.checkpoint_path = out;
  options.progress = args.has("quiet") ? nullptr : &std::cout;
  const TrainReport report = train_bcq(*learner, buffer, options);
  std::printf("wrote %s at iteration %lld (%.1f s, %.1f it/s); last losses: vae %.5f actor %.5f critic %.5f, "
              "Q1 %.4f +- %.4f\n",
              out.c_str(), report.iterations, report.seconds, double(iterations) / std::max(report.seconds, 1e-9),
              report.last.vae_loss, report.last.actor_loss, report.last.critic_loss, report.last.q1_mean,
              report.last.q1_std);
  return 0;
}

}  // namespace mtf::cli
