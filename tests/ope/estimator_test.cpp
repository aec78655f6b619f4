// tests/ope/estimator_test.cpp — the estimator registry: every name builds and, behind the one interface,
// estimates the chain MDP's in-distribution value within 2 %; presets and overrides; errors by name.
#include "ope/estimator.hpp"

#include <catch2/catch.hpp>
#include <cstring>

#include "tests/ope/chain_mdp.hpp"

using namespace mtf;
using Catch::Matchers::Contains;
using Catch::Matchers::WithinRel;

TEST_CASE("every registered estimator estimates the chain MDP within 2 percent", "[estimator][mdp]") {
  Rng rng(3);
  const TransitionBatch data = test::chain_data(400, rng);
  MatrixR<float> s0(1, 2);
  s0 << 0.0f, 1.0f;
  // The chain's settings (small network, faster learning rate) on top of each preset.
  const nlohmann::json fqe_family = {{"hidden", {64, 64}}, {"batch_size", 256}, {"steps", 4000}, {"lr", 1e-3},
                                     {"gamma", test::kGamma}, {"target_period", 20}, {"seed", 5}};
  const nlohmann::json model = {{"hidden", {64, 64}}, {"steps", 3000}, {"gamma", test::kGamma}, {"seed", 7}};
  for (const std::string& name : estimator_names()) {
    auto estimator = make_estimator(name, name == "model_based" ? model : fqe_family, 2, 1, "chain");
    REQUIRE(estimator->name() == name);
    test::Constant1D policy{0.3f};
    estimator->fit(data, policy);
    const double v = estimator->estimate_per_state(s0, policy)(0);
    WARN(name << ": " << v << " (exact " << test::exact_value(0.3) << ")");
    REQUIRE_THAT(v, WithinRel(test::exact_value(0.3), 0.02));
  }
}

TEST_CASE("estimator presets, overrides and errors", "[estimator][config]") {
  REQUIRE(estimator_names() == std::vector<std::string>{"fqe", "cope", "cql_h", "bounded_fqe", "model_based"});
  REQUIRE(make_estimator("fqe", nullptr, 4, 2)->settings()["alpha"] == 0.0);
  REQUIRE(make_estimator("cope", nullptr, 4, 2)->settings()["alpha"] == 5e-4);
  REQUIRE(make_estimator("cope", {{"alpha", 5e-5}}, 4, 2)->settings()["alpha"] == 5e-5);
  REQUIRE(make_estimator("cql_h", nullptr, 4, 2)->settings()["penalty"] == "logsumexp");
  REQUIRE(make_estimator("bounded_fqe", nullptr, 4, 2)->settings()["bound_targets"] == true);
  REQUIRE(make_estimator("model_based", nullptr, 4, 2)->settings()["horizon"] == 100);
  REQUIRE_THROWS_WITH(make_estimator("ips", nullptr, 4, 2),
                      Contains("unknown estimator \"ips\" (fqe, cope, cql_h, bounded_fqe, model_based)"));
  REQUIRE_THROWS_WITH(make_estimator("fqe", {{"stpes", 3}}, 4, 2, "harness.json"),
                      Contains("harness.json: unknown key \"stpes\""));
  REQUIRE_THROWS_WITH(make_estimator("model_based", {{"alpha", 1}}, 4, 2, "harness.json"),
                      Contains("harness.json: unknown key \"alpha\""));
  REQUIRE_THROWS_WITH(make_estimator("fqe", nlohmann::json::array(), 4, 2, "harness.json"),
                      Contains("harness.json: expected an object of estimator settings, got array"));
}

TEST_CASE("one estimator evaluates policy after policy, each fit from scratch", "[estimator]") {
  Rng rng(3);
  const TransitionBatch data = test::chain_data(40, rng);
  MatrixR<float> s0(1, 2);
  s0 << 0.0f, 1.0f;
  for (const std::string& name : estimator_names()) {
    INFO(name);
    auto estimator = make_estimator(name, {{"hidden", {16}}, {"batch_size", 32}, {"steps", 30}}, 2, 1);
    test::Constant1D a{0.3f}, b{-0.2f};
    estimator->fit(data, a);
    const double first = estimator->estimate_per_state(s0, a)(0);
    estimator->fit(data, b);
    estimator->fit(data, a);
    const double again = estimator->estimate_per_state(s0, a)(0);
    REQUIRE(std::memcmp(&first, &again, sizeof first) == 0);  // not warm-started from b's fit
  }
}
