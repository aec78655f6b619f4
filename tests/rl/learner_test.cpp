// tests/rl/learner_test.cpp — what every learner gets from rl/learner.cpp: update metrics, the shared
// checkpoint metadata (algorithm, hyper-parameters, iteration, RNG) checked on load, and clone().
#include "rl/learner.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>

#include "rl/bc.hpp"
#include "rl/bcq.hpp"
#include "rl/registry.hpp"

using namespace mtf;
using Catch::Matchers::Contains;

namespace {
TransitionBatch random_batch(Index rows, Index s, Index a, Rng& rng) {
  TransitionBatch b(rows, s, a);
  for (Index i = 0; i < b.state.size(); ++i) b.state.data()[i] = float(rng.normal());
  b.next_state = b.state;
  for (Index i = 0; i < b.action.size(); ++i) b.action.data()[i] = float(rng.uniform(-1, 1));
  for (Index i = 0; i < rows; ++i) b.reward(i, 0) = float(rng.normal()), b.not_done(i, 0) = 1;
  return b;
}
std::unique_ptr<Learner> small(const std::string& algo) {
  const nlohmann::json hyper =
      algo == "bcq" ? nlohmann::json{{"state_dim", 6}, {"action_dim", 2}, {"vae_hidden", {8}}, {"actor_hidden", {8}},
                                     {"critic_hidden", {8}}, {"batch_size", 8}, {"seed", 9}}
                    : nlohmann::json{{"state_dim", 6}, {"action_dim", 2}, {"hidden", {8}}, {"batch_size", 8}, {"seed", 9}};
  return make_learner(algo, hyper, "test");
}
}  // namespace

TEST_CASE("update metrics: named, ordered, finite or not", "[learner]") {
  UpdateMetrics m;
  m.add("loss", 1.5f);
  m.add("q", -2.0f);
  REQUIRE(m.count == 2);
  REQUIRE(m.get("q") == -2.0f);
  REQUIRE(std::isnan(m.get("missing")));
  REQUIRE(m.all_finite());
  REQUIRE(m.to_json() == nlohmann::json{{"loss", 1.5}, {"q", -2.0}});
  m.add("bad", std::numeric_limits<float>::infinity());
  REQUIRE_FALSE(m.all_finite());
}

TEST_CASE("a clone is an independent learner in the same state", "[learner][clone]") {
  const std::string algo = GENERATE("bcq", "bc");
  INFO(algo);
  const auto learner = small(algo);
  Rng data(1);
  for (int i = 0; i < 3; ++i) learner->update(random_batch(8, 6, 2, data));
  const auto copy = learner->clone();
  REQUIRE(copy->algorithm() == algo);
  REQUIRE(copy->iteration() == 3);
  REQUIRE(copy->hyperparameters() == learner->hyperparameters());
  REQUIRE(copy->rng().state().s == learner->rng().state().s);
  // Both go on identically, and neither sees the other's updates.
  Rng d1(2), d2(2);
  const TransitionBatch b1 = random_batch(8, 6, 2, d1), b2 = random_batch(8, 6, 2, d2);
  const UpdateMetrics m1 = learner->update(b1), m2 = copy->update(b2);
  REQUIRE(std::memcmp(&m1.items, &m2.items, sizeof m1.items) == 0);
  learner->update(b1);
  REQUIRE(learner->iteration() == 5);
  REQUIRE(copy->iteration() == 4);
}

TEST_CASE("loading checks the algorithm, the hyper-parameters and the metadata, and changes nothing on error",
          "[learner][checkpoint]") {
  const auto bcq = small("bcq");
  const auto bc = small("bc");
  Checkpoint from_bc("bc.ckpt");
  bc->save(from_bc);
  REQUIRE_THROWS_WITH(bcq->load(from_bc), Contains("bc.ckpt: a checkpoint of \"bc\", not of \"bcq\""));

  Checkpoint c("mine.ckpt");
  bcq->save(c);
  Checkpoint bad_rng = c;
  bad_rng.meta["rng"] = {{"s", {1, 2}}};
  REQUIRE_THROWS_WITH(bcq->load(bad_rng), Contains("mine.ckpt: field \"rng\""));
  Checkpoint bad_iteration = c;
  bad_iteration.meta["iteration"] = -3;
  REQUIRE_THROWS_WITH(bcq->load(bad_iteration), Contains("mine.ckpt: checkpoint field \"iteration\""));
  Checkpoint no_hyper = c;
  no_hyper.meta.erase("hyperparameters");
  REQUIRE_THROWS_WITH(bcq->load(no_hyper), Contains("mine.ckpt: checkpoint metadata has no field \"hyperparameters\""));
  REQUIRE(bcq->iteration() == 0);
}
