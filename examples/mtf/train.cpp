// examples/mtf/train.cpp — `mtf train`: any registered learner from a session log to a checkpoint.
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "engine/checksum.hpp"
#include "engine/distributed.hpp"
#include "engine/threads.hpp"
#include "examples/cli/options.hpp"
#include "rl/data/dataset.hpp"
#include "rl/data/session_log.hpp"
#include "rl/data/train_window.hpp"
#include "rl/registry.hpp"
#include "rl/trainer.hpp"

namespace mtf::cli {

namespace {

const char* kDescription = R"(Trains a learner (--algo; BatchRL-MTF's BCQ by default) on the training split of a session log:
sessions in time order, the first --train-fraction of them; rewards from the logged raw feedback with
--reward weights. The transitions stream through the FIFO replay buffer (replay_capacity): when the
split is larger, the buffer keeps the most recent ones. Writes the checkpoint atomically (every
checkpoint_every iterations and at the end) and, with --metrics, one JSON line of the update's metrics
every log_every iterations. A diverging run (NaN/Inf) stops with status 1 and leaves the last good
checkpoint alone. Under mpirun (an -DMTF_MPI=ON build) each process reads only its part of the log and
holds only its part of the replay buffer, and the result is the one of one process with the same
gradient_shards, bit for bit (docs/scale-out.md).

The config file is one JSON object: the learner's hyper-parameters (keys of its config, e.g.
rl/bcq.hpp's BcqConfig; state_dim and action_dim default to the log's), the run's keys (iterations,
log_every, checkpoint_every) and the data's (reward, train_fraction, replay_capacity). Unknown keys are
errors. A checkpoint holds the learner's hyper-parameters and the data settings; --resume continues from
it with exactly those (giving different ones is an error), and may change only the run's keys.)";

// The checkpoint's record of the data it was trained on: the settings and a fingerprint of the split.
// The fingerprint (rl/data/train_window.hpp's SplitFingerprint, "train_rows_digest") is a sum over
// transitions, so a log read in blocks, or in parts by several processes, gives the one the whole log
// gives, and a checkpoint resumes on any process count. Checkpoints written before held "train_rows_hash"
// (a hash chained through the transitions, which parts read by several processes cannot give) or, before
// that, "train_hash": they cannot resume.
nlohmann::json data_record(const DataSettings& d, const SplitFingerprint& train) {
  return {{"settings", config_to_json(d)}, {"train_transitions", train.rows()}, {"train_rows_digest", train.hash()}};
}

}  // namespace

int train_command(int argc, char** argv) {
  CLI::App app(kDescription, "mtf train");
  std::string logs_path, out, config_path, metrics_path, algo = "bcq";
  long long iterations = -1;
  std::uint64_t seed = 0;
  std::string reward;
  double fraction = 0.9;
  bool resume = false, use_cache = false, quiet = false;
  app.add_option("--logs", logs_path, "session log (JSON Lines, docs/simulator.md), read strictly")->required();
  app.add_option("--out", out, "checkpoint to write (atomically)")->required();
  CLI::Option* algo_option =
      app.add_option("--algo", algo, "learner: " + learner_names() + " (a resume: the checkpoint's)")->default_str("bcq");
  app.add_option("--config", config_path, "training config (JSON): the learner's hyper-parameters and the run's and "
                                          "data's keys; default: the learner's defaults with the log's dimensions");
  add_integer(app, "--iterations", iterations, 0LL, 1LL << 40, "iterations to run now (default: the config's)")
      ->default_str("config");
  CLI::Option* seed_option = add_seed(app, "--seed", seed, "the learner's seed (initialization, minibatches, noise)");
  seed_option->default_str("config");
  app.add_flag("--resume", resume, "continue from --out instead of starting fresh");
  app.add_option("--metrics", metrics_path, "append metrics (JSON Lines) here");
  app.add_option("--reward", reward, "default | Rtime | Rintegrity | Rinteraction (default: the config's)");
  CLI::Option* fraction_option = add_train_fraction(app, fraction);
  add_threads(app);
  app.add_flag("--cache", use_cache, "use (or create) the log's checksummed binary cache");
  app.add_flag("--quiet", quiet, "no progress lines");
  if (const int status = parse(app, argc, argv); status >= 0) return status;
  require_distinct_files("--out", out, {{"--logs", logs_path}, {"--config", config_path}, {"--metrics", metrics_path}});
  require_distinct_files("--metrics", metrics_path, {{"--logs", logs_path}, {"--config", config_path}});

  // The log's header now (its dimensions fill the config); its sessions are read below, in blocks of
  // whole sessions, straight into the replay buffer: memory is bounded by the buffer and a block, not by
  // the file. --cache reads the whole log from its binary cache instead.
  std::unique_ptr<SessionLog> cached;
  int log_state_dim = 0;
  const ProcessGroup& world = ProcessGroup::world();
  if (use_cache) {
    // Under mpirun rank 0 reads first, since it may write the cache (atomically); the others then read
    // the finished file instead of racing to write it too.
    if (world.rank() == 0) cached = std::make_unique<SessionLog>(read_session_log_cached(logs_path));
    world.barrier();
    if (world.rank() != 0) cached = std::make_unique<SessionLog>(read_session_log_cached(logs_path));
    log_state_dim = cached->state_dim;
  } else {
    log_state_dim = SessionLogReader(logs_path).state_dim();
  }

  // The settings, as one JSON object read by one strict reader: the learner's keys, the run's and the
  // data's. A resume starts from the checkpoint's hyper-parameters and data settings; a config file's keys
  // go on top, and must then leave them as they were (only the run's keys may change).
  nlohmann::json file = nlohmann::json::object();
  std::unique_ptr<Checkpoint> checkpoint;
  if (resume) {
    if (!std::filesystem::exists(out)) throw std::runtime_error(out + ": --resume given but there is no checkpoint");
    checkpoint = std::make_unique<Checkpoint>(Checkpoint::load(out));
    // The metadata passed its checksum but may still lack a key or hold the wrong type (written by
    // hand, or by another program): each is named rather than reported as a JSON library error.
    auto field = [&](const nlohmann::json& j, const char* key, const std::string& name, bool (nlohmann::json::*is)() const noexcept,
                     const char* kind) -> nlohmann::json {
      if (!j.contains(key)) return nlohmann::json::object();
      if (!(j[key].*is)()) throw std::runtime_error(out + ": checkpoint field \"" + name + "\" is not " + kind);
      return j[key];
    };
    if (!checkpoint->meta_at("algorithm").is_string())
      throw std::runtime_error(out + ": checkpoint field \"algorithm\" is not a string");
    const std::string saved_algo = checkpoint->meta_at("algorithm").get<std::string>();
    if (algo_option->count() > 0 && algo != saved_algo)
      throw UsageError("--algo " + algo + ": " + out + " is a checkpoint of \"" + saved_algo + "\"");
    algo = saved_algo;
    file = checkpoint->meta_at("hyperparameters");
    if (!file.is_object()) throw std::runtime_error(out + ": checkpoint field \"hyperparameters\" is not an object");
    const nlohmann::json run_meta = field(checkpoint->meta, "run", "run", &nlohmann::json::is_object, "an object");
    const nlohmann::json data_meta = field(run_meta, "data", "run.data", &nlohmann::json::is_object, "an object");
    const nlohmann::json saved_settings =
        field(data_meta, "settings", "run.data.settings", &nlohmann::json::is_object, "an object");
    for (const auto& [key, value] : saved_settings.items()) file[key] = value;
  }
  const std::string source = config_path.empty() ? (resume ? out : "default config") : config_path;
  if (!config_path.empty()) {
    const nlohmann::json user = load_json_file(config_path);
    if (!user.is_object()) throw ConfigError(config_path + ": expected a JSON object");
    for (const auto& [key, value] : user.items()) file[key] = value;
  }
  for (const auto& [key, value] : {std::pair<const char*, long long>{"state_dim", log_state_dim},
                                   {"action_dim", kActionDim}})
    if (!file.contains(key)) file[key] = value;
  if (seed_option->count() > 0) file["seed"] = seed;
  if (!reward.empty()) file["reward"] = reward;
  if (fraction_option->count() > 0) file["train_fraction"] = fraction;
  ConfigReader reader(file, source);
  TrainSettings run = read_config<TrainSettings>(reader);
  const DataSettings data = read_config<DataSettings>(reader);
  std::unique_ptr<Learner> learner = make_learner(algo, reader);
  reader.finish();
  if (learner->state_dim() != log_state_dim || learner->action_dim() != kActionDim)
    throw ConfigError(source + ": field \"state_dim\"/\"action_dim\" is " + std::to_string(learner->state_dim()) + "/" +
                      std::to_string(learner->action_dim()) + " but " + logs_path + " has states of " +
                      std::to_string(log_state_dim) + " and actions of " + std::to_string(kActionDim));
  if (iterations >= 0) run.iterations = iterations;

  // The training split's FIFO window. From the log file: under mpirun each process reads only its part
  // of the file and holds only its part of the window (rl/data/train_window.hpp; minibatches are completed
  // by an exchange, the same bits as one process). From the binary cache (one file of the whole log):
  // every process reads it whole and holds the whole window.
  const RewardWeights weights = reward_preset(data.reward);
  TrainWindow window;
  if (cached) {
    const DatasetSplit split = split_by_time(*cached, weights, data.train_fraction);
    window.buffer = std::make_unique<ReplayBuffer>(log_state_dim, data.replay_capacity, kActionDim);
    window.buffer->add_all(split.train);  // in time order: the FIFO keeps the last ones
    window.fingerprint.add(split.train, 0);
    window.train_sessions = split.train_sessions;
    cached.reset();
  } else {
    window = read_train_window(logs_path, weights, data.train_fraction, data.replay_capacity, world);
  }
  const ReplayBuffer& buffer = *window.buffer;
  const SplitFingerprint& fingerprint = window.fingerprint;
  const std::size_t train_sessions = window.train_sessions;
  const nlohmann::json record = data_record(data, fingerprint);
  if (resume) {
    std::unique_ptr<Learner> resumed = load_learner(*checkpoint);
    if (resumed->hyperparameters() != learner->hyperparameters())
      throw std::runtime_error(out + ": a resume keeps the checkpoint's hyper-parameters " +
                               resumed->hyperparameters().dump() + "; these differ: " + learner->hyperparameters().dump());
    const nlohmann::json& run_meta = checkpoint->meta.contains("run") ? checkpoint->meta["run"] : nlohmann::json();
    const nlohmann::json saved = run_meta.is_object() && run_meta.contains("data") ? run_meta["data"] : nlohmann::json();
    if (saved.is_object() && saved.contains("train_rows_hash") && !saved.contains("train_rows_digest"))
      throw std::runtime_error(out + ": checkpoint field \"run.data.train_rows_hash\": written by an earlier mtf, "
                               "whose fingerprint of the training split this one no longer computes (it is now "
                               "\"train_rows_digest\", the same at any process count); it cannot be resumed: "
                               "train afresh");
    if (saved != record)
      throw std::runtime_error(out + ": the checkpoint was trained on other data (" + saved.dump() + "), this run would use " +
                               record.dump() + "; a resume must use the same log, reward, train fraction and replay capacity");
    learner = std::move(resumed);
  }
  const std::string spread =
      !world.distributed() ? ""
      : buffer.sharded()   ? " in each of " + std::to_string(world.size()) + " processes, each holding its part of the "
                                                                             "log and of the replay buffer"
                           : " in each of " + std::to_string(world.size()) + " processes";
  std::printf("mtf train: %s on %s: %zu training sessions, %lld transitions (replay buffer %lld of %lld); %lld iterations "
              "from iteration %lld; %d threads%s\n",
              learner->algorithm().c_str(), logs_path.c_str(), train_sessions, (long long)fingerprint.rows(),
              (long long)buffer.size(), (long long)buffer.capacity(), run.iterations, learner->iteration(), num_threads(),
              spread.c_str());
  std::fflush(stdout);

  TrainOptions options;
  options.iterations = run.iterations;
  options.log_every = run.log_every;
  options.checkpoint_every = run.checkpoint_every;
  options.metrics_path = metrics_path;
  options.checkpoint_path = out;
  options.checkpoint_meta = {{"data", record}};
  options.progress = quiet ? nullptr : &std::cout;
  options.write = world.rank() == 0;  // every rank trains the same bits; one writes them
  const TrainReport report = train(*learner, buffer, options);
  if (run.iterations == 0) {  // the trainer wrote nothing: say so rather than claim a file
    std::printf("0 iterations: nothing trained, %s %s\n", out.c_str(),
                resume ? "left as it was" : "not written");
    return 0;
  }
  std::printf("wrote %s at iteration %lld (%.1f s, %.1f it/s); last update: %s\n", out.c_str(), report.iterations,
              report.seconds, double(run.iterations) / std::max(report.seconds, 1e-9),
              learner->progress(report.last).c_str());
  return 0;
}

}  // namespace mtf::cli
