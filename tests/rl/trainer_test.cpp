// tests/rl/trainer_test.cpp — the one training loop (rl/trainer.cpp), for any learner: it writes metrics
// and progress, checkpoints resume bit for bit (through the trainer: the minibatch stream is restored
// too), a diverging run stops with a clear message without overwriting the last good checkpoint, and
// the data settings are strict.
#include "rl/trainer.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>

#include "engine/atomic_file.hpp"
#include "rl/bc.hpp"
#include "rl/bcq.hpp"
#include "rl/registry.hpp"

using namespace mtf;
using Catch::Matchers::Contains;

namespace {
BcqConfig tiny_config(int state_dim) {
  BcqConfig c;
  c.state_dim = state_dim;
  c.action_dim = kActionDim;
  c.vae_hidden = {64, 64};
  c.actor_hidden = {64, 64};
  c.critic_hidden = {64, 64};
  c.seed = 3;
  return c;
}

// 200 random transitions of state dim 8 and action dim 3.
ReplayBuffer random_buffer(std::uint64_t seed) {
  ReplayBuffer buffer(8, 1000, 3);
  Rng rng(seed);
  std::vector<float> s(8), a(3), s2(8);
  for (int i = 0; i < 200; ++i) {
    for (auto& v : s) v = float(rng.normal());
    for (auto& v : a) v = float(rng.uniform(-1, 1));
    for (auto& v : s2) v = float(rng.normal());
    buffer.add(s.data(), a.data(), float(rng.normal()), s2.data(), rng.bernoulli(0.1));
  }
  return buffer;
}

std::unique_ptr<Learner> small_learner(const std::string& algo) {
  const nlohmann::json hyper =
      algo == "bcq" ? nlohmann::json{{"state_dim", 8}, {"action_dim", 3}, {"vae_hidden", {16, 16}},
                                     {"actor_hidden", {16}}, {"critic_hidden", {16}}, {"batch_size", 16},
                                     {"target_period", 3}, {"seed", 5}}
                    : nlohmann::json{{"state_dim", 8}, {"action_dim", 3}, {"hidden", {16}}, {"batch_size", 16},
                                     {"seed", 5}};
  return make_learner(algo, hyper, "test");
}
}  // namespace

TEST_CASE("metrics are written as JSON Lines every log_every iterations", "[bcq][trainer]") {
  const std::string path = "/tmp/mtf_trainer_metrics.jsonl";
  std::remove(path.c_str());
  const ReplayBuffer buffer = random_buffer(1);
  const auto learner = small_learner("bcq");
  TrainOptions train;
  train.iterations = 12;
  train.log_every = 5;
  train.metrics_path = path;
  std::ostringstream progress;
  train.progress = &progress;
  mtf::train(*learner, buffer, train);
  std::ifstream in(path);
  std::string line;
  std::vector<long long> iterations;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line);
    REQUIRE(j.contains("critic_loss"));
    REQUIRE(j.contains("q1_std"));
    iterations.push_back(j["iteration"].get<long long>());
  }
  REQUIRE(iterations == std::vector<long long>{5, 10, 12});
  REQUIRE_THAT(progress.str(), Contains("iteration 12/12") && Contains("ETA") && Contains("critic "));
  std::remove(path.c_str());
}

TEST_CASE("a diverging run stops with a clear message and keeps the last good checkpoint", "[bcq][trainer]") {
  const std::string ckpt = "/tmp/mtf_trainer_diverge.ckpt";
  BcqConfig c = tiny_config(8);
  c.action_dim = 3;
  c.batch_size = 16;
  Rng rng(2);
  std::vector<float> s(8, 0.5f), a(3, 0.1f);
  ReplayBuffer good(8, 100, 3), poisoned(8, 100, 3);
  for (int i = 0; i < 50; ++i) {
    good.add(s.data(), a.data(), 1.0f, s.data(), false);
    poisoned.add(s.data(), a.data(), std::numeric_limits<float>::quiet_NaN(), s.data(), false);
  }
  Bcq learner(c);
  TrainOptions train;
  train.iterations = 3;
  train.checkpoint_path = ckpt;
  mtf::train(learner, good, train);
  const std::string saved = read_file(ckpt);
  REQUIRE_THROWS_AS(mtf::train(learner, poisoned, train), TrainingDiverged);
  REQUIRE_THROWS_WITH(mtf::train(learner, poisoned, train), Contains("training diverged at iteration") &&
                                                                 Contains("not finite"));
  REQUIRE(read_file(ckpt) == saved);
  std::remove(ckpt.c_str());
}

TEST_CASE("a run resumed from the trainer's checkpoint ends with the same bits as an uninterrupted one",
          "[trainer][checkpoint]") {
  const std::string algo = GENERATE("bcq", "bc");
  INFO("learner " << algo);
  const std::string half = "/tmp/mtf_trainer_half_" + algo + ".ckpt", whole = "/tmp/mtf_trainer_whole_" + algo + ".ckpt";
  const ReplayBuffer buffer = random_buffer(3);
  TrainOptions options;
  options.log_every = 1000;
  options.checkpoint_meta = {{"note", "kept"}};

  const auto uninterrupted = small_learner(algo);
  options.iterations = 14;
  options.checkpoint_path = whole;
  train(*uninterrupted, buffer, options);

  const auto first = small_learner(algo);
  options.iterations = 7;  // crosses BCQ's target update (every 3)
  options.checkpoint_path = half;
  train(*first, buffer, options);
  const Checkpoint saved = Checkpoint::load(half);
  REQUIRE(saved.meta.at("run") == nlohmann::json{{"note", "kept"}});
  const auto resumed = load_learner(saved);
  REQUIRE(resumed->iteration() == 7);
  options.iterations = 7;
  train(*resumed, buffer, options);  // writes `half` again, at iteration 14
  REQUIRE(read_file(half) == read_file(whole));
  std::remove(half.c_str());
  std::remove(whole.c_str());
}

TEST_CASE("data settings: defaults and strict checks", "[trainer][config]") {
  const DataSettings d;
  REQUIRE(d.reward == "default");
  REQUIRE(d.train_fraction == 0.9);
  REQUIRE(d.replay_capacity == 100000);
  REQUIRE_THROWS_WITH(config_from_json<DataSettings>({{"reward", "Rfun"}}, "t.json"),
                      Contains("t.json: field \"reward\"") && Contains("Rfun"));
  REQUIRE_THROWS_WITH(config_from_json<DataSettings>({{"train_fraction", 1.0}}, "t.json"),
                      Contains("t.json: field \"train_fraction\": must be in (0, 1)"));
  REQUIRE_THROWS_WITH(config_from_json<DataSettings>({{"replay_capacity", 0}}, "t.json"),
                      Contains("field \"replay_capacity\": value 0"));
  REQUIRE_THROWS_WITH(config_from_json<TrainSettings>({{"log_every", 0}}, "t.json"), Contains("field \"log_every\""));
}
