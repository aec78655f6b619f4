// tests/rl/registry_test.cpp — learners by name (rl/registry.cpp): the table, strict hyper-parameters,
// and a checkpoint file loaded back as the learner it holds.
#include "rl/registry.hpp"

#include <catch2/catch.hpp>
#include <cstdio>

#include "engine/atomic_file.hpp"

using namespace mtf;
using Catch::Matchers::Contains;

TEST_CASE("the registry lists every learner and finds them by name", "[registry]") {
  REQUIRE(learner_names() == "bcq, bc, td3, uwac_td3, cql_sac");
  for (const LearnerEntry& e : learner_registry()) {
    INFO(e.name);
    const auto learner = make_learner(e.name, {{"state_dim", 4}, {"action_dim", 2}}, "test");
    REQUIRE(learner->algorithm() == e.name);
    REQUIRE(learner->state_dim() == 4);
    REQUIRE(learner->action_dim() == 2);
    REQUIRE(learner->iteration() == 0);
  }
  REQUIRE_THROWS_WITH(find_learner("td4"), Contains("unknown learner \"td4\" (known: bcq, bc, td3, uwac_td3, cql_sac)"));
}

TEST_CASE("hyper-parameters are strict: unknown keys name the source", "[registry]") {
  REQUIRE_THROWS_WITH(make_learner("bc", {{"lr", 1e-3}, {"critic_lr", 1e-3}}, "cfg.json"),
                      Contains("cfg.json: unknown key \"critic_lr\""));
  // A reader shared with other consumers leaves unknown keys to the caller's finish().
  ConfigReader r(nlohmann::json{{"lr", 0.01}, {"iterations", 5}}, "cfg.json");
  const auto learner = make_learner("bc", r);
  REQUIRE(learner->hyperparameters()["lr"] == 0.01);
  REQUIRE_THROWS_WITH(r.finish(), Contains("unknown key \"iterations\""));
}

TEST_CASE("load_learner builds the checkpoint's learner in its saved state", "[registry][checkpoint]") {
  const std::string path = "/tmp/mtf_registry_test.ckpt";
  const auto bc = make_learner("bc", {{"state_dim", 4}, {"action_dim", 2}, {"hidden", {8}}, {"seed", 3}}, "test");
  bc->save(path);
  const auto loaded = load_learner(path);
  REQUIRE(loaded->algorithm() == "bc");
  REQUIRE(loaded->hyperparameters() == bc->hyperparameters());

  Checkpoint c = Checkpoint::load(path);
  c.meta["algorithm"] = "td4";
  REQUIRE_THROWS_WITH(load_learner(c), Contains(path) && Contains("unknown learner \"td4\""));
  c.meta["algorithm"] = "bc";
  c.meta["hyperparameters"]["hiden"] = 3;
  REQUIRE_THROWS_WITH(load_learner(c), Contains(path + ": hyperparameters: unknown key \"hiden\""));
  write_file_atomically(path, "MTFBCQCK and the rest of an old file");
  REQUIRE_THROWS_WITH(load_learner(path), Contains("before the learner interface"));
  std::remove(path.c_str());
}

TEST_CASE("load_learner_for refuses a learner of other state or action dims", "[registry][checkpoint]") {
  // An action_dim of 13 or 6 once reached serving unchecked: heap corruption, or a different V-hat per run.
  const std::string path = "/tmp/mtf_registry_dims_test.ckpt";
  for (const int action_dim : {13, 6}) {
    make_learner("bc", {{"state_dim", 64}, {"action_dim", action_dim}, {"hidden", {8}}}, "test")->save(path);
    REQUIRE_THROWS_WITH(load_learner_for(path, 64, 12, "logs.jsonl"),
                        path + ": a learner of state/action dims 64/" + std::to_string(action_dim) +
                            " but logs.jsonl has 64/12");
  }
  make_learner("bcq", {{"state_dim", 65}, {"vae_hidden", {8}}, {"actor_hidden", {8}}, {"critic_hidden", {8}}}, "test")
      ->save(path);
  REQUIRE_THROWS_WITH(load_learner_for(path, 64, 12, "logs.jsonl"),
                      path + ": a learner of state/action dims 65/12 but logs.jsonl has 64/12");
  REQUIRE(load_learner_for(path, 65, 12, "logs.jsonl")->algorithm() == "bcq");
  std::remove(path.c_str());
}

TEST_CASE("learner configs refuse networks beyond the limits before building them", "[registry][limits]") {
  // Widths of 2^20 passed the width check and died of bad_alloc inside a parallel region.
  REQUIRE_THROWS_WITH(make_learner("bcq", {{"vae_hidden", {65536, 65536}}}, "big.json"),
                      Catch::Matchers::StartsWith("big.json: field \"vae_hidden\": a network of "));
  REQUIRE_THROWS_WITH(make_learner("bc", {{"hidden", {1048576}}}, "big.json"),
                      "big.json: field \"hidden\": 1048576 exceeds the limit of 65536 (InputLimits::max_width)");
  REQUIRE_THROWS_WITH(make_learner("bc", {{"hidden", {1e30}}}, "big.json"),
                      "big.json: field \"hidden\": element 0: expected an integer, got 1e+30");
  REQUIRE_THROWS_WITH(make_learner("bc", {{"state_dim", 1000000}}, "big.json"),
                      "big.json: field \"state_dim\": 1000000 exceeds the limit of 65536 (InputLimits::max_state_dim)");
  REQUIRE_THROWS_WITH(make_learner("bcq", {{"state_dim", 4294967360LL}}, "big.json"),
                      "big.json: field \"state_dim\": value 4294967360 outside [1, 1048576]");
  REQUIRE_THROWS_WITH(make_learner("bcq", {{"batch_size", 4294967328LL}}, "big.json"),
                      "big.json: field \"batch_size\": value 4294967328 outside [1, 1048576]");
}
