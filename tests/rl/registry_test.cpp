// tests/rl/registry_test.cpp — learners by name (rl/registry.cpp): the table, strict hyper-parameters,
// and a checkpoint file loaded back as the learner it holds.
#include "rl/registry.hpp"

#include <catch2/catch.hpp>
#include <cstdio>

#include "engine/atomic_file.hpp"

using namespace mtf;
using Catch::Matchers::Contains;

TEST_CASE("the registry lists every learner and finds them by name", "[registry]") {
  REQUIRE(learner_names() == "bcq, bc");
  for (const LearnerEntry& e : learner_registry()) {
    INFO(e.name);
    const auto learner = make_learner(e.name, {{"state_dim", 4}, {"action_dim", 2}}, "test");
    REQUIRE(learner->algorithm() == e.name);
    REQUIRE(learner->state_dim() == 4);
    REQUIRE(learner->action_dim() == 2);
    REQUIRE(learner->iteration() == 0);
  }
  REQUIRE_THROWS_WITH(find_learner("td4"), Contains("unknown learner \"td4\" (known: bcq, bc)"));
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
