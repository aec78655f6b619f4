// tests/rl/bcq_config_test.cpp — the defaults are SPEC section 4's, and bad configs are refused with a
// message naming the file and the field.
#include "rl/bcq_config.hpp"

#include <catch2/catch.hpp>

#include "engine/json_config.hpp"

using namespace mtf;
using Catch::Matchers::Contains;

TEST_CASE("defaults follow SPEC section 4 and the paper", "[bcq][config]") {
  const BcqConfig c;
  REQUIRE(c.vae_hidden == std::vector<Index>{750, 750});
  REQUIRE(c.actor_hidden == std::vector<Index>{400, 300});
  REQUIRE(c.critic_hidden == std::vector<Index>{400, 300});
  REQUIRE(c.vae_lr == 1e-3);
  REQUIRE(c.actor_lr == 1e-4);
  REQUIRE(c.critic_lr == 2e-4);
  REQUIRE(c.kl_weight == 0.5);
  REQUIRE(c.rho == 0.15);
  REQUIRE(c.gamma == 0.95);
  REQUIRE(c.lambda == 1.0);
  REQUIRE(c.eta == 0.05);
  REQUIRE(c.target_period == 10);
  REQUIRE(c.sampled_actions == 10);
  REQUIRE(c.batch_size == 256);
  REQUIRE(c.gradient_shards == 2);
  REQUIRE(c.replay_capacity == 100000);
  REQUIRE(c.iterations == 300000);
  REQUIRE(c.latent() == 24);
}

TEST_CASE("a config round-trips through JSON", "[bcq][config]") {
  BcqConfig c;
  c.rho = 0.05;
  c.critic_hidden = {64, 32};
  const BcqConfig back = BcqConfig::from_json(c.to_json(), "mem");
  REQUIRE(back.to_json() == c.to_json());
}

TEST_CASE("unknown, mistyped and out-of-range keys are errors naming them", "[bcq][config]") {
  REQUIRE_THROWS_WITH(BcqConfig::from_json({{"critc_lr", 1e-3}}, "bcq.json"),
                      Contains("bcq.json: unknown key \"critc_lr\""));
  REQUIRE_THROWS_WITH(BcqConfig::from_json({{"rho", "big"}}, "bcq.json"),
                      Contains("bcq.json: field \"rho\": expected a number"));
  REQUIRE_THROWS_WITH(BcqConfig::from_json({{"gamma", 1.5}}, "bcq.json"),
                      Contains("field \"gamma\": value 1.5"));
  REQUIRE_THROWS_WITH(BcqConfig::from_json({{"batch_size", 2.5}}, "bcq.json"),
                      Contains("field \"batch_size\": expected an integer"));
  REQUIRE_THROWS_WITH(BcqConfig::from_json({{"vae_hidden", nlohmann::json::array()}}, "bcq.json"),
                      Contains("field \"vae_hidden\": needs at least one hidden width"));
  REQUIRE_THROWS_WITH(BcqConfig::from_json({{"gradient_shards", 0}}, "bcq.json"),
                      Contains("field \"gradient_shards\": value 0"));
  REQUIRE_THROWS_WITH(BcqConfig::from_json({{"batch_size", 4}, {"gradient_shards", 5}}, "bcq.json"),
                      Contains("bcq.json: field \"gradient_shards\" (5) exceeds \"batch_size\" (4)"));
  REQUIRE_THROWS_WITH(BcqConfig::load("/nonexistent/bcq.json"), Contains("/nonexistent/bcq.json: cannot open"));
}
