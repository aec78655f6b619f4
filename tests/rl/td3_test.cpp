// tests/rl/td3_test.cpp — TD3 (rl/td3.cpp) against PyTorch: three iterations (the 2nd with the delayed
// actor step and the Polyak updates) at 1, 2 and 3 gradient shards — losses, statistics, every network
// and target, both Adam states; the delay schedule; zero allocations per update and per act; 1 vs 2
// threads; checkpoints (bit-exact resume, refusals leaving the learner unchanged); serving and snapshots;
// it learns a bandit's best action; its config.
#include "rl/td3.hpp"

#include <catch2/catch.hpp>

#include "tests/rl/twin_delayed_support.hpp"

using namespace mtf;
using Catch::Matchers::Contains;

namespace {

Td3Config small_config() {
  Td3Config c;
  c.state_dim = 10;
  c.action_dim = 4;
  c.actor_hidden = {24, 16};
  c.critic_hidden = {24, 16};
  c.batch_size = 64;
  c.seed = 11;
  return c;
}
}  // namespace

TEST_CASE("three TD3 iterations match PyTorch: losses, networks, targets and Adam states", "[td3][fixture]") {
  const nlohmann::json c = test::load_fixture("rl/td3_iterations.json")["td3"];
  Td3Config config = Td3Config::from_json(c["config"], "fixture config");
  config.gradient_shards = GENERATE(1, 2, 3);  // 3: unequal shards, weights that are not powers of two
  INFO("gradient_shards " << config.gradient_shards);
  Td3 td3(config);
  test::set_fixture_weights(td3, c["initial"]);
  int iteration = 0;
  for (const auto& it : c["iterations"]) {
    INFO("iteration " << ++iteration);
    const Td3Stats stats = td3.train_iteration(test::fixture_batch(it["batch"]),
                                               Td3Noise{test::to_matrix(it["noise"]["target_noise"])});
    test::require_iteration_matches(td3, stats, it);
  }
  REQUIRE(td3.iteration() == 3);
}

TEST_CASE("TD3 delays the actor: the actor and the targets move every policy_delay-th iteration", "[td3]") {
  Td3Config config = small_config();
  config.policy_delay = 3;
  Td3 td3(config);
  Rng data(5);
  for (int i = 1; i <= 6; ++i) {
    const std::vector<float> actor(td3.actor().params().values(), td3.actor().params().values() + td3.actor().params().size());
    const std::vector<float> critic_target(td3.critic_target().params().values(),
                                           td3.critic_target().params().values() + td3.critic_target().params().size());
    const Td3Stats s = td3.train_iteration(test::random_batch(config, data));
    const bool moved = !std::equal(actor.begin(), actor.end(), td3.actor().params().values());
    const bool target_moved = !std::equal(critic_target.begin(), critic_target.end(), td3.critic_target().params().values());
    INFO("iteration " << i);
    REQUIRE(s.actor_step == (i % 3 == 0));
    REQUIRE(moved == s.actor_step);
    REQUIRE(target_moved == s.actor_step);
  }
  REQUIRE(td3.critic_optimizer().steps() == 6);
  REQUIRE(td3.actor_optimizer().steps() == 2);
}

TEST_CASE("TD3 iterations and serving allocate nothing after warm-up", "[td3][alloc]") {
  MTF_SKIP_WITHOUT_ALLOCATION_COUNTING();
  test::require_no_allocations<Td3>(small_config());
}

TEST_CASE("TD3: 1 and 2 threads give the same bits, training and serving", "[td3][determinism][threads]") {
  Td3Config config = small_config();
  config.state_dim = 64;
  config.action_dim = 12;
  config.actor_hidden = {256, 256};
  config.critic_hidden = {256, 256};
  config.batch_size = 256;
  test::require_thread_independent<Td3>(config);
}

TEST_CASE("TD3 checkpoint: bit-exact resume, metrics included", "[td3][checkpoint]") {
  test::require_bit_exact_resume<Td3>(small_config(), "/tmp/mtf_td3_test_resume.ckpt");
}

TEST_CASE("TD3 checkpoint: corrupted and mismatched files are refused, the learner unchanged", "[td3][checkpoint]") {
  Td3Config other = small_config();
  other.policy_noise = 0.3;
  test::require_bad_checkpoints_refused<Td3>(small_config(), other, "/tmp/mtf_td3_test_corrupt.ckpt");
}

TEST_CASE("TD3 serves pi(s): deterministic, in the box, and a snapshot does not move when training goes on",
          "[td3][serving]") {
  const Td3Config config = small_config();
  Td3 td3(config);
  Rng data(21);
  for (int i = 0; i < 2; ++i) td3.train_iteration(test::random_batch(config, data));
  const TransitionBatch states = test::random_batch(config, data);
  MatrixR<float> first(8, config.action_dim), second(8, config.action_dim), from_snapshot(8, config.action_dim);
  Rng r1(1), r2(2);
  td3.act(states.state.data(), 8, first.data(), r1);
  td3.act(states.state.data(), 8, second.data(), r2);
  REQUIRE(first == second);  // the generator is not used
  REQUIRE(first.cwiseAbs().maxCoeff() <= 1.0f);
  const std::shared_ptr<Policy> snapshot = td3.snapshot("td3 now");
  REQUIRE(snapshot->name() == "td3 now");
  snapshot->act(states.state.data(), 8, from_snapshot.data(), r1);
  REQUIRE(from_snapshot == first);
  for (int i = 0; i < 4; ++i) td3.train_iteration(test::random_batch(config, data));
  snapshot->act(states.state.data(), 8, second.data(), r1);
  REQUIRE(second == from_snapshot);  // the deployed policy did not move
  td3.act(states.state.data(), 8, second.data(), r1);
  REQUIRE_FALSE(second == from_snapshot);  // the learner did
  // Many states go through in chunks of 4096 (bounded memory): the actions of consecutive calls.
  const Index count = 5000, S = config.state_dim, A = config.action_dim;
  MatrixR<float> many(count, S), at_once(count, A), in_parts(count, A);
  data.fill_normal(many.data(), std::size_t(many.size()));
  td3.act(many.data(), count, at_once.data(), r1);
  td3.act(many.data(), 4096, in_parts.data(), r1);
  td3.act(many.data() + 4096 * S, count - 4096, in_parts.data() + 4096 * A, r1);
  REQUIRE(at_once == in_parts);
}

TEST_CASE("injected noise of the wrong shape is refused", "[td3]") {
  const Td3Config config = small_config();
  Td3 td3(config);
  Rng data(3);
  REQUIRE_THROWS_WITH(td3.train_iteration(test::random_batch(config, data), Td3Noise{MatrixR<float>(3, 4)}),
                      Contains("Td3Noise::target_noise: expected 64 x 4, got 3 x 4"));
  REQUIRE(td3.iteration() == 0);
}

TEST_CASE("TD3 learns a bandit: the critic's loss falls and the actor moves to the best action", "[td3][learning]") {
  const test::Bandit bandit;
  Td3Config config;
  config.state_dim = bandit.S;
  config.action_dim = bandit.A;
  config.actor_hidden = {64, 64};
  config.critic_hidden = {64, 64};
  config.actor_lr = 1e-3;
  config.critic_lr = 1e-3;
  config.batch_size = 128;
  config.gradient_shards = 1;
  config.seed = 5;
  Td3 td3(config);
  Rng data(17), probe(19);
  const double error_before = bandit.policy_error(td3, probe);
  double early = 0, late = 0;
  const int iterations = 3000;
  for (int i = 0; i < iterations; ++i) {
    const Td3Stats s = td3.train_iteration(bandit.batch(config.batch_size, data));
    if (i < 100) early += s.critic_loss / 100;
    if (i >= iterations - 100) late += s.critic_loss / 100;
  }
  const double error_after = bandit.policy_error(td3, probe);
  WARN("critic loss " << early << " -> " << late << "; policy error ||pi(s) - a*(s)||^2 " << error_before << " -> "
                      << error_after);
  REQUIRE(late < 0.2 * early);
  REQUIRE(error_after < 0.2 * error_before);
  REQUIRE(error_after < 0.05);  // a random action in the box is ~0.8 away (squared) on average
}

TEST_CASE("TD3 config: defaults from the paper and TD3's, strict keys", "[td3][config]") {
  const Td3Config c;
  REQUIRE(c.actor_hidden == std::vector<Index>{400, 300});
  REQUIRE(c.critic_hidden == std::vector<Index>{400, 300});
  REQUIRE(c.actor_lr == 1e-4);
  REQUIRE(c.critic_lr == 2e-4);
  REQUIRE(c.gamma == 0.95);
  REQUIRE(c.tau == 0.005);
  REQUIRE(c.policy_noise == 0.2);
  REQUIRE(c.noise_clip == 0.5);
  REQUIRE(c.policy_delay == 2);
  REQUIRE(c.batch_size == 256);
  REQUIRE(c.gradient_shards == 2);
  Td3Config d;
  d.tau = 0.01;
  d.seed = 0x8000000000000005ULL;
  const nlohmann::json j = d.to_json();
  REQUIRE(j.size() == 14);  // every field, written by the one field list
  REQUIRE(Td3Config::from_json(j, "mem").to_json() == j);
  REQUIRE_THROWS_WITH(Td3Config::from_json({{"polcy_delay", 3}}, "td3.json"),
                      Contains("td3.json: unknown key \"polcy_delay\""));
  REQUIRE_THROWS_WITH(Td3Config::from_json({{"dropout", 0.1}}, "td3.json"),
                      Contains("unknown key \"dropout\""));  // UWAC's, not TD3's
  REQUIRE_THROWS_WITH(Td3Config::from_json({{"policy_delay", 0}}, "td3.json"), Contains("field \"policy_delay\": value 0"));
  REQUIRE_THROWS_WITH(Td3Config::from_json({{"tau", 1.5}}, "td3.json"), Contains("field \"tau\": value 1.5"));
  REQUIRE_THROWS_WITH(Td3Config::from_json({{"batch_size", 4}, {"gradient_shards", 5}}, "td3.json"),
                      Contains("td3.json: field \"gradient_shards\" (5) exceeds \"batch_size\" (4)"));
  REQUIRE_THROWS_WITH(Td3Config::from_json({{"critic_hidden", {65536, 65536}}}, "td3.json"),
                      Catch::Matchers::StartsWith("td3.json: field \"critic_hidden\": a network of "));
}
