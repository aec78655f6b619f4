// tests/ope/estimator_test.cpp — the estimator registry: every name builds and, behind the one interface,
// estimates the chain MDP's in-distribution value within 2 %; presets and overrides; errors by name; an
// ensemble spread over processes.
#include "ope/estimator.hpp"

#include <catch2/catch.hpp>
#include <algorithm>
#include <cstring>

#include "ope/fqe.hpp"
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

TEST_CASE("an FQE ensemble: one member is a plain fit, K members average, pessimism lowers what they dispute",
          "[estimator][mdp][ensemble]") {
  Rng rng(3);
  const TransitionBatch data = test::chain_data(400, rng);
  MatrixR<float> s0(1, 2);
  s0 << 0.0f, 1.0f;
  nlohmann::json settings = {{"hidden", {64, 64}}, {"batch_size", 256}, {"steps", 4000}, {"lr", 1e-3},
                             {"gamma", test::kGamma}, {"target_period", 20}, {"seed", 5}};
  test::Constant1D in{0.3f}, out{1.0f};  // the logs' actions lie in [-0.5, 0.5]

  // One member is ConservativeFqe::fit(data, policy) to the bit, whichever way the estimator is built.
  FqeConfig config = FqeConfig::from_json(settings, "chain");
  config.alpha = 0;
  ConservativeFqe plain(config, 2, 1);
  plain.fit(data, in);
  const double plain_in = plain.estimate_per_state(s0, in)(0);
  auto single = make_fqe_estimator(config, 2, 1);
  REQUIRE(single->name() == "fqe");
  single->fit(data, in);
  const double single_in = single->estimate_per_state(s0, in)(0);
  REQUIRE(std::memcmp(&plain_in, &single_in, sizeof plain_in) == 0);

  settings["ensemble"] = 3;
  auto mean_ensemble = make_estimator("fqe", settings, 2, 1, "chain");
  settings["pessimism"] = 1.0;
  auto pessimistic = make_estimator("fqe", settings, 2, 1, "chain");
  double estimate[2][2];  // [mean, pessimistic][in, out]
  for (int p = 0; p < 2; ++p) {
    OffPolicyEstimator& e = p == 0 ? *mean_ensemble : *pessimistic;
    e.fit(data, in);
    estimate[p][0] = e.estimate_per_state(s0, in)(0);
    e.fit(data, out);
    estimate[p][1] = e.estimate_per_state(s0, out)(0);
  }
  WARN("FQE ensemble of 3: a = 0.3 mean " << estimate[0][0] << ", pessimistic " << estimate[1][0] << " (exact "
                                          << test::exact_value(0.3) << ", one fit " << plain_in << "); a = 1 mean "
                                          << estimate[0][1] << ", pessimistic " << estimate[1][1] << " (exact 0)");
  REQUIRE_THAT(estimate[0][0], WithinRel(test::exact_value(0.3), 0.02));
  REQUIRE(estimate[0][0] != plain_in);  // the other members count
  REQUIRE_THAT(estimate[1][0], WithinRel(test::exact_value(0.3), 0.02));
  const double dispute_in = estimate[0][0] - estimate[1][0], dispute_out = estimate[0][1] - estimate[1][1];
  REQUIRE(dispute_in >= 0);
  REQUIRE(dispute_out > 5 * dispute_in);  // the members disagree where the logs are silent
  REQUIRE(estimate[1][1] < estimate[0][1]);
}

TEST_CASE("an FQE ensemble's settings are checked", "[estimator][config][ensemble]") {
  REQUIRE(make_estimator("cope", {{"ensemble", 4}}, 4, 2)->settings()["ensemble"] == 4);
  REQUIRE_THROWS_WITH(make_estimator("fqe", {{"pessimism", 1.0}}, 4, 2, "harness.json"),
                      Contains("harness.json: field \"pessimism\": needs an ensemble of at least 2 fits"));
  REQUIRE_THROWS_WITH(make_estimator("fqe", {{"ensemble", 0}}, 4, 2, "harness.json"),
                      Contains("harness.json: field \"ensemble\""));
  REQUIRE_THROWS_WITH(make_estimator("cope", {{"ensemble", 3}, {"pessimism", -1.0}}, 4, 2, "harness.json"),
                      Contains("harness.json: field \"pessimism\""));
}

namespace {
// pi(s) = a + 0.2 N(0, 1): a stochastic policy, so every generator that queries it must be where it is in
// one process (member 0's for the fit's actions, each member's for its estimate).
struct NoisyConstant1D : Policy {
  float a;
  explicit NoisyConstant1D(float v) : a(v) {}
  void act(const float*, int n, float* out, Rng& rng) override {
    for (int i = 0; i < n; ++i) out[i] = a + 0.2f * float(rng.normal());
  }
  std::string name() const override { return "noisy constant"; }
};
}  // namespace

// Distributed evaluation (issue 15): in ope_tests one process; under mpirun (mpi_eval_tests, label mpi) 2 and
// 3 processes. K >= processes spreads the members, K < processes each member's shards. CHECK only: every
// rank must reach every exchange.
TEST_CASE("an FQE ensemble spread over the world gives the estimates of one process, bit for bit",
          "[estimator][ensemble][distributed]") {
  const ProcessGroup& world = ProcessGroup::world();
  const int N = world.size();
  Rng rng(3);
  const TransitionBatch data = test::chain_data(40, rng);
  MatrixR<float> s0(3, 2);
  s0 << 0.0f, 1.0f, 0.5f, 1.0f, 0.9f, 1.0f;
  NoisyConstant1D first{0.3f}, second{-0.2f};
  for (const int K : {N, N + 1, 2, 1}) {
    // cql_h draws uniform actions on the shards' generators too.
    const nlohmann::json settings = {{"hidden", {16}}, {"batch_size", 32}, {"steps", 40}, {"target_period", 10},
                                     {"gradient_shards", std::max(2, N)}, {"ensemble", K},
                                     {"pessimism", K > 1 ? 0.5 : 0.0}, {"seed", 5}};
    auto spread = make_estimator("cql_h", settings, 2, 1, "chain", world);
    auto alone = make_estimator("cql_h", settings, 2, 1, "chain", ProcessGroup::single());
    for (Policy* policy : {static_cast<Policy*>(&first), static_cast<Policy*>(&second)}) {  // each fit from scratch
      spread->fit(data, *policy);
      alone->fit(data, *policy);
      const Eigen::ArrayXd a = spread->estimate_per_state(s0, *policy), b = alone->estimate_per_state(s0, *policy);
      INFO("rank " << world.rank() << " of " << N << ", ensemble " << K << ", " << policy->name());
      CHECK(a.size() == 3);
      CHECK(std::memcmp(a.data(), b.data(), std::size_t(b.size()) * sizeof(double)) == 0);
    }
  }
}
