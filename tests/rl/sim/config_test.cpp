// Tests for rl/sim/config.cpp: validation and the strict JSON form.
#include <catch2/catch.hpp>

#include "rl/sim/config.hpp"

using namespace mtf;
using namespace mtf::sim;

TEST_CASE("SimConfig round-trips through JSON", "[sim][config]") {
  SimConfig c;
  c.num_candidates = 30;
  c.state_dim = 80;
  c.beta[kLike] = 0.02;
  c.population = PopulationSource::kKuaiRand;
  c.kuairand_dir = "data/kuairand";
  const SimConfig back = sim_config_from_json(to_json(c));
  REQUIRE(back.num_candidates == 30);
  REQUIRE(back.state_dim == 80);
  REQUIRE(back.beta[kLike] == 0.02);
  REQUIRE(back.population == PopulationSource::kKuaiRand);
  REQUIRE(to_json(back) == to_json(c));
}

TEST_CASE("SimConfig JSON rejects unknown keys and bad values by name", "[sim][config]") {
  REQUIRE_THROWS_WITH(sim_config_from_json({{"num_candidate", 50}}),
                      "SimConfig: key \"num_candidate\": unknown key");
  REQUIRE_THROWS_WITH(sim_config_from_json({{"population", "real"}}),
                      "SimConfig: key \"population\": expected \"parametric\" or \"kuairand\", got \"real\"");
  REQUIRE_THROWS_WITH(sim_config_from_json({{"state_dim", 10}}),
                      "SimConfig: state_dim must be >= 64 (the state's meaningful length)");
  REQUIRE_THROWS_WITH(sim_config_from_json({{"top_l", 0}}), "SimConfig: top_l must be in [1, num_candidates]");
  REQUIRE_THROWS_AS(sim_config_from_json({{"num_users", "many"}}), std::invalid_argument);
}

TEST_CASE("SimConfig JSON: integers are never wrapped or truncated, the source is named", "[sim][config]") {
  REQUIRE_THROWS_WITH(sim_config_from_json({{"state_dim", 4294967360LL}}, "sim.json"),
                      "sim.json: key \"state_dim\": value 4294967360 outside [0, 4096]");
  REQUIRE_THROWS_WITH(sim_config_from_json({{"num_users", 16.9}}, "sim.json"),
                      "sim.json: key \"num_users\": expected an integer, got 16.9");
  REQUIRE_THROWS_WITH(sim_config_from_json({{"beta", {1, 2}}}, "sim.json"),
                      "sim.json: key \"beta\": expected an array of 12 numbers, one per task");
  REQUIRE_THROWS_WITH(sim_config_from_json({{"top_l", 0}}, "sim.json"), "sim.json: top_l must be in [1, num_candidates]");
}

TEST_CASE("task and feedback names are the documented ones", "[sim][config]") {
  REQUIRE(std::string(kTaskNames[kPlayProb]) == "play_prob");
  REQUIRE(std::string(kTaskNames[kExitRate]) == "exit_rate");
  REQUIRE(std::string(kTaskNames[kNegative]) == "negative");
  REQUIRE(std::string(kFeedbackNames[kFbPlayTime]) == "play_time");
  REQUIRE(std::string(kFeedbackNames[kFbSkip]) == "skip");
  REQUIRE(kActionDim == 12);
}
