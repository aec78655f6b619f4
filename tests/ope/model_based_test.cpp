// tests/ope/model_based_test.cpp — the model-based estimator: on the chain MDP its rollouts recover the
// exact value of in-distribution policies; it fits once per data whatever the policy; a bad config is
// refused by name; the same bits at 1 and 2 threads.
#include "ope/model_based.hpp"

#include <catch2/catch.hpp>
#include <cstring>

#include "engine/threads.hpp"
#include "tests/ope/chain_mdp.hpp"

using namespace mtf;
using Catch::Matchers::Contains;
using Catch::Matchers::WithinRel;

namespace {

ModelBasedConfig chain_model_config() {
  ModelBasedConfig c;
  c.hidden = {64, 64};
  c.batch_size = 256;
  c.steps = 3000;
  c.lr = 1e-3;
  c.gamma = test::kGamma;
  c.seed = 7;
  return c;
}

MatrixR<float> chain_start() {
  MatrixR<float> s0(1, 2);
  s0 << 0.0f, 1.0f;
  return s0;
}

}  // namespace

TEST_CASE("model-based rollouts recover the chain's exact values in distribution", "[model_based][mdp]") {
  Rng rng(3);
  const TransitionBatch data = test::chain_data(400, rng);
  ModelBasedEstimator mb(chain_model_config(), 2, 1);
  for (double c : {0.0, 0.3, -0.4}) {
    test::Constant1D policy{float(c)};
    mb.fit(data, policy);
    const double v = mb.estimate_per_state(chain_start(), policy)(0);
    WARN("chain MDP, a = " << c << ": exact " << test::exact_value(c) << ", model-based " << v);
    REQUIRE_THAT(v, WithinRel(test::exact_value(c), 0.02));
  }
  REQUIRE(mb.fits() == 1);  // one model for the three policies
  REQUIRE(mb.last_stats().continuation < 0.01);  // the chain's end is learned (Brier score)
}

TEST_CASE("a pessimistic ensemble lowers an out-of-distribution estimate, not an in-distribution one",
          "[model_based][mdp][ensemble]") {
  Rng rng(3);
  const TransitionBatch data = test::chain_data(400, rng);
  ModelBasedConfig config = chain_model_config();
  config.ensemble = 4;
  ModelBasedEstimator mean_model(config, 2, 1);
  config.pessimism = 1.0;
  ModelBasedEstimator pessimistic(config, 2, 1);
  test::Constant1D in{0.3f}, out{1.0f};
  mean_model.fit(data, in);
  pessimistic.fit(data, in);
  const double in_mean = mean_model.estimate_per_state(chain_start(), in)(0);
  const double in_pess = pessimistic.estimate_per_state(chain_start(), in)(0);
  const double out_mean = mean_model.estimate_per_state(chain_start(), out)(0);
  const double out_pess = pessimistic.estimate_per_state(chain_start(), out)(0);
  WARN("ensemble of 4: a = 0.3 mean " << in_mean << ", pessimistic " << in_pess << " (exact " << test::exact_value(0.3)
                                      << "); a = 1 mean " << out_mean << ", pessimistic " << out_pess << " (exact 0)");
  REQUIRE_THAT(in_pess, WithinRel(test::exact_value(0.3), 0.02));
  REQUIRE(out_mean - out_pess > 10 * (in_mean - in_pess));  // the members disagree where the logs are silent
  REQUIRE(out_pess < out_mean);
  REQUIRE_THROWS_WITH(ModelBasedConfig::from_json({{"pessimism", 1.0}}, "mb.json"),
                      Contains("mb.json: field \"pessimism\": needs an ensemble of at least 2 models"));
}

TEST_CASE("model-based: new data means a new model", "[model_based]") {
  Rng rng(3);
  const TransitionBatch a = test::chain_data(40, rng), b = test::chain_data(40, rng);
  ModelBasedConfig config = chain_model_config();
  config.steps = 5;
  ModelBasedEstimator mb(config, 2, 1);
  test::Constant1D policy{0.0f};
  mb.fit(a, policy);
  mb.fit(a, policy);
  REQUIRE(mb.fits() == 1);
  mb.fit(b, policy);
  REQUIRE(mb.fits() == 2);
}

TEST_CASE("model-based config: strict keys and sizes", "[model_based][config]") {
  REQUIRE_THROWS_WITH(ModelBasedConfig::from_json({{"horizn", 5}}, "mb.json"), Contains("mb.json: unknown key \"horizn\""));
  REQUIRE_THROWS_WITH(ModelBasedConfig::from_json({{"horizon", 0}}, "mb.json"), Contains("mb.json: field \"horizon\""));
  REQUIRE_THROWS_WITH(ModelBasedConfig::from_json({{"batch_size", 1}}, "mb.json"),
                      Contains("field \"gradient_shards\" (2) exceeds \"batch_size\" (1)"));
  ModelBasedEstimator mb(chain_model_config(), 2, 1);
  test::Constant1D policy{0.0f};
  REQUIRE_THROWS_WITH(mb.estimate_per_state(chain_start(), policy), Contains("estimate before fit"));
  Rng rng(1);
  mb.fit(test::chain_data(2, rng), policy);
  REQUIRE_THROWS_WITH(mb.estimate_per_state(MatrixR<float>::Zero(1, 3), policy), Contains("3 columns, expected 2"));
}

TEST_CASE("model-based fit: 1 and 2 threads give the same bits", "[model_based][determinism][threads]") {
  Rng data_rng(2);
  const TransitionBatch data = test::chain_data(50, data_rng);
  ModelBasedConfig config = chain_model_config();
  config.steps = 20;
  config.gradient_shards = GENERATE(2, 3);
  auto run = [&](int threads) {
    set_num_threads(threads);
    ModelBasedEstimator mb(config, 2, 1);
    test::Constant1D policy{0.2f};
    mb.fit(data, policy);
    return mb.estimate_per_state(chain_start(), policy)(0);
  };
  const int saved = num_threads();
  const double one = run(1), two = run(2);
  set_num_threads(saved);
  REQUIRE(std::memcmp(&one, &two, sizeof one) == 0);
}
