// tests/rl/uwac_td3_test.cpp — UWAC+TD3 (rl/uwac_td3.cpp) against PyTorch: three iterations with
// injected smoothing noise and dropout masks (T = 3 samples; uncertainty weights both clipped and not)
// at 1, 2 and 3 gradient shards — losses, statistics, mean weights, every network and target, both Adam
// states. With dropout off and weights capped at 1 it is TD3. Zero allocations; 1 vs 2 threads;
// checkpoints; it learns a bandit's best action; its config.
#include "rl/uwac_td3.hpp"

#include <catch2/catch.hpp>

#include "tests/rl/twin_delayed_support.hpp"

using namespace mtf;
using Catch::Matchers::Contains;

namespace {

UwacTd3Config small_config() {
  UwacTd3Config c;
  c.state_dim = 10;
  c.action_dim = 4;
  c.actor_hidden = {24, 16};
  c.critic_hidden = {24, 16};
  c.batch_size = 64;
  c.dropout_samples = 4;
  c.seed = 11;
  return c;
}

std::vector<MatrixR<float>> fixture_masks(const nlohmann::json& layers) {
  std::vector<MatrixR<float>> masks;
  for (const auto& m : layers) masks.push_back(test::to_matrix(m));
  return masks;
}

UwacTd3Noise fixture_noise(const nlohmann::json& n) {
  UwacTd3Noise noise;
  noise.target_noise = test::to_matrix(n["target_noise"]);
  noise.target_q1 = fixture_masks(n["target_q1"]);
  noise.target_q2 = fixture_masks(n["target_q2"]);
  noise.critic_q1 = fixture_masks(n["critic_q1"]);
  noise.critic_q2 = fixture_masks(n["critic_q2"]);
  noise.actor_q1 = fixture_masks(n["actor_q1"]);
  return noise;
}

}  // namespace

TEST_CASE("three UWAC+TD3 iterations match PyTorch: losses, weights, networks, targets and Adam states",
          "[uwac_td3][fixture]") {
  const nlohmann::json c = test::load_fixture("rl/uwac_td3_iterations.json")["uwac_td3"];
  UwacTd3Config config = UwacTd3Config::from_json(c["config"], "fixture config");
  config.gradient_shards = GENERATE(1, 2, 3);
  INFO("gradient_shards " << config.gradient_shards);
  UwacTd3 uwac(config);
  test::set_fixture_weights(uwac, c["initial"]);
  int iteration = 0;
  for (const auto& it : c["iterations"]) {
    INFO("iteration " << ++iteration);
    const Td3Stats stats = uwac.train_iteration(test::fixture_batch(it["batch"]), fixture_noise(it["noise"]));
    test::require_iteration_matches(uwac, stats, it);
    test::require_close(stats.critic_weight, it["stats"]["critic_weight"], "critic weight");
    if (stats.actor_step) test::require_close(stats.actor_weight, it["stats"]["actor_weight"], "actor weight");
  }
}

TEST_CASE("UWAC+TD3 with dropout off and weights capped at 1 is TD3", "[uwac_td3]") {
  // No dropout: the T samples agree, their variance is 0, every weight is clamp(beta / 0, 0, 1) = 1, the
  // target's mean is the one sample and the actor's mean Q1 is Q1: TD3's losses. The same seed draws the
  // same weights and smoothing noise (the masks come after it in each shard's stream).
  UwacTd3Config config = small_config();
  config.dropout = 0;
  config.max_weight = 1;
  Td3Config td3_config;
  static_cast<TwinDelayedConfig&>(td3_config) = config;
  UwacTd3 uwac(config);
  Td3 td3(td3_config);
  Rng data(31);
  for (int i = 0; i < 4; ++i) {
    const TransitionBatch batch = test::random_batch(config, data);
    const Td3Stats a = uwac.train_iteration(batch), b = td3.train_iteration(batch);
    test::require_close(a.critic_loss, b.critic_loss, "critic loss");
    test::require_close(a.actor_loss, b.actor_loss, "actor loss");
    REQUIRE(a.critic_weight == 1.0f);
    if (a.actor_step) REQUIRE(a.actor_weight == 1.0f);
  }
  // Each target y is r + gamma nd * mean, summed in double here and in float ops in TD3: the same to
  // rounding, so the weights agree to the fixtures' tolerance rather than bit for bit.
  auto require_near = [](const Parameters<float>& x, const Parameters<float>& y, const char* name) {
    INFO(name);
    for (std::size_t i = 0; i < x.size(); ++i)
      REQUIRE_THAT(double(x.values()[i]), Catch::Matchers::WithinAbs(y.values()[i], 1e-5));
  };
  require_near(uwac.actor().params(), td3.actor().params(), "actor");
  require_near(uwac.critic().params(), td3.critic().params(), "critic");
  require_near(uwac.critic_target().params(), td3.critic_target().params(), "critic_target");
}

TEST_CASE("UWAC+TD3's uncertainty weights lie in [0, max_weight] and fall with the spread of Q", "[uwac_td3]") {
  // With a large beta every weight is clipped at max_weight; with a tiny one, beta / var < max_weight.
  UwacTd3Config config = small_config();
  Rng data(41);
  const TransitionBatch batch = test::random_batch(config, data);
  config.beta = 1e6;
  UwacTd3 clipped(config);
  REQUIRE(clipped.train_iteration(batch).critic_weight == float(config.max_weight));
  config.beta = 1e-9;
  UwacTd3 tiny(config);
  const Td3Stats s = tiny.train_iteration(batch);
  REQUIRE(s.critic_weight > 0.0f);
  REQUIRE(s.critic_weight < 1e-3f);
  REQUIRE(tiny.update(batch).get("critic_weight") > 0.0f);  // the metric the trainer writes
}

TEST_CASE("UWAC+TD3 iterations and serving allocate nothing after warm-up", "[uwac_td3][alloc]") {
  MTF_SKIP_WITHOUT_ALLOCATION_COUNTING();
  test::require_no_allocations<UwacTd3>(small_config());
}

TEST_CASE("UWAC+TD3: 1 and 2 threads give the same bits, training and serving", "[uwac_td3][determinism][threads]") {
  UwacTd3Config config = small_config();
  config.state_dim = 64;
  config.action_dim = 12;
  config.actor_hidden = {128, 128};
  config.critic_hidden = {128, 128};
  config.batch_size = 256;
  config.dropout_samples = 10;
  test::require_thread_independent<UwacTd3>(config);
}

TEST_CASE("UWAC+TD3 checkpoint: bit-exact resume, metrics included", "[uwac_td3][checkpoint]") {
  test::require_bit_exact_resume<UwacTd3>(small_config(), "/tmp/mtf_uwac_td3_test_resume.ckpt");
}

TEST_CASE("UWAC+TD3 checkpoint: corrupted and mismatched files are refused, the learner unchanged",
          "[uwac_td3][checkpoint]") {
  UwacTd3Config other = small_config();
  other.beta = 0.5;  // only a UWAC key differs: still other hyper-parameters
  test::require_bad_checkpoints_refused<UwacTd3>(small_config(), other, "/tmp/mtf_uwac_td3_test_corrupt.ckpt");
}

TEST_CASE("injected masks of the wrong shape are refused", "[uwac_td3]") {
  const UwacTd3Config config = small_config();
  UwacTd3 uwac(config);
  Rng data(3);
  UwacTd3Noise noise;
  noise.target_noise = MatrixR<float>::Zero(config.batch_size, config.action_dim);
  noise.target_q1 = {MatrixR<float>::Ones(config.batch_size, 24)};  // one layer of two, and M rows, not M T
  REQUIRE_THROWS_WITH(uwac.train_iteration(test::random_batch(config, data), noise),
                      Contains("UwacTd3Noise::target_q1: expected 2 masks of 256 rows"));
  REQUIRE(uwac.iteration() == 0);
}

TEST_CASE("UWAC+TD3 learns a bandit: the actor moves to the best action", "[uwac_td3][learning]") {
  // The TD3 test's problem with the default dropout, samples, beta and clip.
  const test::Bandit bandit;
  UwacTd3Config config;
  config.state_dim = bandit.S;
  config.action_dim = bandit.A;
  config.actor_hidden = {64, 64};
  config.critic_hidden = {64, 64};
  config.actor_lr = 1e-3;
  config.critic_lr = 1e-3;
  config.batch_size = 128;
  config.gradient_shards = 1;
  config.seed = 5;
  UwacTd3 uwac(config);
  Rng data(17), probe(19);
  const double before = bandit.policy_error(uwac, probe);
  for (int i = 0; i < 3000; ++i) uwac.train_iteration(bandit.batch(config.batch_size, data));
  const double after = bandit.policy_error(uwac, probe);
  WARN("policy error ||pi(s) - a*(s)||^2 " << before << " -> " << after);
  REQUIRE(after < 0.2 * before);
  REQUIRE(after < 0.05);
}

TEST_CASE("UWAC+TD3 config: TD3's fields and the peer's UWAC defaults, strict keys", "[uwac_td3][config]") {
  const UwacTd3Config c;
  REQUIRE(c.dropout == 0.1);
  REQUIRE(c.dropout_samples == 10);
  REQUIRE(c.beta == 0.8);
  REQUIRE(c.max_weight == 1.5);
  REQUIRE(c.tau == 0.005);
  REQUIRE(c.policy_delay == 2);
  const nlohmann::json j = c.to_json();
  REQUIRE(j.size() == 18);  // TD3's 14 and UWAC's 4
  REQUIRE(UwacTd3Config::from_json(j, "mem").to_json() == j);
  REQUIRE_THROWS_WITH(UwacTd3Config::from_json({{"dropout_samples", 1}}, "uwac.json"),
                      Contains("field \"dropout_samples\": value 1"));
  REQUIRE_THROWS_WITH(UwacTd3Config::from_json({{"dropout", 1.0}}, "uwac.json"), Contains("field \"dropout\": value 1"));
  REQUIRE_THROWS_WITH(UwacTd3Config::from_json({{"betta", 1.0}}, "uwac.json"), Contains("unknown key \"betta\""));
  // The critic runs on batch_size * dropout_samples rows: checked against the limits too.
  REQUIRE_THROWS_WITH(UwacTd3Config::from_json({{"critic_hidden", {65536, 65536}}}, "uwac.json"),
                      Catch::Matchers::StartsWith("uwac.json: field \"critic_hidden\": a network of "));
}
