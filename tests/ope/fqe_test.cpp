// tests/ope/fqe_test.cpp — the Conservative-OPEstimator: against PyTorch on one gradient step; on a
// small MDP whose value is known exactly, plain FQE converges to it; the CQL penalty pulls the estimate
// of an out-of-distribution policy below plain FQE while leaving an in-distribution one nearly alone;
// zero allocations per step; divergence stops with a clear message.
#include "ope/fqe.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>

#include "engine/threads.hpp"
#include "tests/support/alloc_counter.hpp"
#include "tests/support/json_fixture.hpp"
#include "tests/ope/chain_mdp.hpp"

using namespace mtf;
using Catch::Matchers::Contains;
using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;

using test::chain_data;
using test::Constant1D;
using test::exact_value;
using test::kAlpha;
using test::kGamma;

namespace {


FqeConfig chain_config(double alpha) {
  FqeConfig c;
  c.hidden = {64, 64};
  c.batch_size = 256;
  c.steps = 4000;
  c.lr = 1e-3;
  c.gamma = kGamma;
  c.alpha = alpha;
  c.target_period = 20;
  c.seed = 5;
  return c;
}

double fit_and_estimate(double alpha, double action, const TransitionBatch& data, const std::string& penalty = "linear") {
  FqeConfig config = chain_config(alpha);
  config.penalty = penalty;
  ConservativeFqe fqe(config, 2, 1);
  Constant1D policy{float(action)};
  fqe.fit(data, policy);
  MatrixR<float> s0(1, 2);
  s0 << 0.0f, 1.0f;
  return fqe.estimate(s0, policy).value;
}

using test::to_matrix;

}  // namespace

TEST_CASE("one CQL-FQE gradient step matches PyTorch", "[fqe][fixture]") {
  const nlohmann::json fx = test::load_fixture("ope/fqe_step.json");
  FqeConfig config = FqeConfig::from_json(fx["config"], "fixture config");
  config.gradient_shards = GENERATE(1, 2, 3);  // PyTorch's step is one batch; 3: unequal shards
  INFO("gradient_shards " << config.gradient_shards);
  const Index S = fx["state_dim"], A = fx["action_dim"];
  ConservativeFqe fqe(config, S, A);
  test::set_params(fqe.q().params(), fx["initial"]["q"]);
  test::set_params(fqe.q_target().params(), fx["initial"]["q_target"]);
  for (const auto& it : fx["steps"]) {
    TransitionBatch batch;
    batch.state = to_matrix(it["state"]);
    batch.action = to_matrix(it["action"]);
    batch.reward = to_matrix(it["reward"]);
    batch.next_state = to_matrix(it["next_state"]);
    batch.not_done = to_matrix(it["not_done"]);
    const FqeStats stats = fqe.step(batch, to_matrix(it["pi_state"]), to_matrix(it["pi_next_state"]));
    REQUIRE_THAT(stats.loss, WithinRel(it["loss"].get<double>(), 1e-5) || WithinAbs(it["loss"].get<double>(), 1e-7));
    REQUIRE_THAT(stats.td_loss, WithinRel(it["td_loss"].get<double>(), 1e-5));
    for (const char* net : {"q", "q_target"}) {
      const auto& expected = it["after"][net];
      auto& p = std::string(net) == "q" ? fqe.q().params() : fqe.q_target().params();
      for (std::size_t i = 0; i < p.size(); ++i) {
        INFO(net << "[" << i << "]");
        REQUIRE_THAT(double(p.values()[i]),
                     WithinRel(expected[i].get<double>(), 1e-5) || WithinAbs(expected[i].get<double>(), 1e-7));
      }
    }
  }
}

TEST_CASE("plain FQE converges to the exact value of a small MDP", "[fqe][mdp]") {
  Rng rng(3);
  const TransitionBatch data = chain_data(400, rng);
  const double exact = exact_value(0.3);
  const double fitted = fit_and_estimate(0.0, 0.3, data);
  WARN("chain MDP: exact V = " << exact << ", plain FQE = " << fitted << " (" << 100 * (fitted - exact) / exact << " %)");
  REQUIRE_THAT(fitted, WithinRel(exact, 0.02));
}

TEST_CASE("the CQL penalty lowers an out-of-distribution policy's estimate, barely an in-distribution one's",
          "[fqe][mdp]") {
  Rng rng(4);
  const TransitionBatch data = chain_data(400, rng);
  // The paper's alpha_c = 5e-4. Measured: in-distribution 7.264 (plain) vs 7.252 (conservative), exact
  // 7.303; out-of-distribution 3.12 vs -17.5, exact 0: plain FQE extrapolates Q to the unseen action
  // optimistically, the penalty turns that into a (loose) lower bound.
  const double plain_in = fit_and_estimate(0.0, 0.3, data), conservative_in = fit_and_estimate(kAlpha, 0.3, data);
  const double plain_ood = fit_and_estimate(0.0, 1.0, data), conservative_ood = fit_and_estimate(kAlpha, 1.0, data);
  WARN("in-distribution a = 0.3: plain " << plain_in << ", conservative " << conservative_in << " (exact "
                                         << exact_value(0.3) << "); OOD a = 1: plain " << plain_ood
                                         << ", conservative " << conservative_ood << " (exact " << exact_value(1.0) << ")");
  REQUIRE(conservative_ood < plain_ood);
  REQUIRE(plain_ood - conservative_ood > 1.0);                      // a clear drop
  REQUIRE(std::abs(conservative_in - plain_in) < 0.01 * plain_in);  // stated tolerance: 1 %
}

TEST_CASE("estimator steps allocate nothing after warm-up", "[fqe][alloc]") {
  MTF_SKIP_WITHOUT_ALLOCATION_COUNTING();
  const int threads = GENERATE(1, 2);  // shards in turn on one thread, or one per thread
  const std::string penalty = GENERATE("linear", "logsumexp");
  INFO("threads " << threads << ", penalty " << penalty);
  const int saved_threads = num_threads();
  set_num_threads(threads);
  FqeConfig config;
  config.hidden = {64, 64};
  config.batch_size = 128;
  config.penalty = penalty;
  config.bound_targets = penalty == "logsumexp";  // the clamp is an op of its own: cover it too
  config.alpha = 1e-3;
  ConservativeFqe fqe(config, 16, 12);
  TransitionBatch batch(128, 16, 12);
  batch.state.setRandom();
  batch.next_state.setRandom();
  batch.action.setRandom();
  batch.reward.setOnes();
  batch.not_done.setOnes();
  MatrixR<float> pi = MatrixR<float>::Zero(128, 12);
  fqe.step(batch, pi, pi);
  fqe.step(batch, pi, pi);
  test::CountAllocations count;
  for (int i = 0; i < 5; ++i) fqe.step(batch, pi, pi);
  const long long heap = count.counts().heap;
  set_num_threads(saved_threads);
  REQUIRE(heap == 0);
}

TEST_CASE("a diverging fit stops with a clear message", "[fqe]") {
  Rng rng(1);
  TransitionBatch data = chain_data(1, rng);
  data.reward.setConstant(std::numeric_limits<float>::infinity());
  FqeConfig config;
  config.hidden = {8};
  config.batch_size = 4;
  config.steps = 3;
  ConservativeFqe fqe(config, 2, 1);
  struct Zero : Policy {
    void act(const float*, int n, float* out, Rng&) override { std::fill(out, out + n, 0.0f); }
    std::string name() const override { return "zero"; }
  } policy;
  REQUIRE_THROWS_WITH(fqe.fit(data, policy), Contains("estimator diverged at step 1"));
}

TEST_CASE("FQE config: paper defaults and strict keys", "[fqe][config]") {
  const FqeConfig c;
  REQUIRE(c.hidden == std::vector<Index>{256, 256});
  REQUIRE(c.batch_size == 512);
  REQUIRE(c.steps == 5000);
  REQUIRE(c.lr == 1e-4);
  REQUIRE(c.gamma == 0.95);
  REQUIRE(c.alpha == 5e-4);
  REQUIRE(c.target_period == 100);
  REQUIRE(c.initial_states == 5000);
  REQUIRE_THROWS_WITH(FqeConfig::from_json({{"alpha_c", 1}}, "fqe.json"), Contains("fqe.json: unknown key \"alpha_c\""));
  REQUIRE(c.gradient_shards == 2);
  REQUIRE_THROWS_WITH(FqeConfig::from_json({{"batch_size", 1}}, "fqe.json"),
                      Contains("fqe.json: field \"gradient_shards\" (2) exceeds \"batch_size\" (1)"));
  REQUIRE(FqeConfig::from_json(c.to_json(), "mem").to_json() == c.to_json());
  REQUIRE(c.penalty == "linear");
  REQUIRE_FALSE(c.bound_targets);
  REQUIRE_THROWS_WITH(FqeConfig::from_json({{"penalty", "quadratic"}}, "fqe.json"),
                      Contains("fqe.json: field \"penalty\": expected linear or logsumexp, got \"quadratic\""));
  // The logsumexp pass forms (2 + penalty_samples) rows per transition: the limit counts those rows.
  REQUIRE_NOTHROW(FqeConfig::from_json({{"hidden", {4096}}, {"batch_size", 8192}}, "fqe.json"));
  REQUIRE_THROWS_WITH(FqeConfig::from_json({{"hidden", {4096}}, {"batch_size", 8192}, {"penalty", "logsumexp"},
                                            {"penalty_samples", 4096}}, "fqe.json"),
                      Contains("fqe.json: field \"hidden\"") && Contains("max_activations"));
  REQUIRE_THROWS_WITH(FqeConfig::from_json({{"bound_targets", 1}}, "fqe.json"),
                      Contains("fqe.json: field \"bound_targets\": expected a boolean"));
}

TEST_CASE("CQL(H): near the exact value in distribution, below plain FQE out of it", "[fqe][mdp][cql_h]") {
  Rng rng(4);
  const TransitionBatch data = chain_data(400, rng);
  const double soft_in = fit_and_estimate(kAlpha, 0.3, data, "logsumexp");
  const double plain_ood = fit_and_estimate(0.0, 1.0, data), soft_ood = fit_and_estimate(kAlpha, 1.0, data, "logsumexp");
  WARN("CQL(H) a = 0.3: " << soft_in << " (exact " << exact_value(0.3) << "); a = 1: " << soft_ood << ", plain "
                          << plain_ood << " (exact " << exact_value(1.0) << ")");
  REQUIRE_THAT(soft_in, WithinRel(exact_value(0.3), 0.02));
  REQUIRE(plain_ood - soft_ood > 1.0);  // the soft maximum pushes the unsupported action down
}

TEST_CASE("bounded targets keep Q in the feasible return range where plain FQE extrapolates beyond it",
          "[fqe][mdp][bounded]") {
  // A never-ending session (not_done 1) with reward r = 2a for logged a ~ U(0, 0.1), gamma 0.99: every
  // return lies in [0, 0.2 / 0.01] = [0, 20]. Evaluating a = 1, far outside the logs, plain FQE's Q
  // extrapolates r linearly and bootstraps on itself (Q(s, 1) ~ 2 + 0.99 Q(s, 1) -> 200).
  Rng rng(6);
  const Index n = 4000;
  TransitionBatch data(n, 2, 1);
  for (Index i = 0; i < n; ++i) {
    const float a = float(rng.uniform(0.0, 0.1)), x = float(rng.uniform(0.0, 1.0));
    data.state.row(i) << x, 1.0f;
    data.next_state.row(i) << float(rng.uniform(0.0, 1.0)), 1.0f;
    data.action(i, 0) = a;
    data.reward(i, 0) = 2 * a;
    data.not_done(i, 0) = 1;
  }
  auto fit = [&](bool bounded) {
    FqeConfig config = chain_config(0.0);
    config.gamma = 0.99;
    config.steps = 3000;
    config.bound_targets = bounded;
    auto fqe = std::make_unique<ConservativeFqe>(config, 2, 1);
    Constant1D policy{1.0f};
    fqe->fit(data, policy);
    return fqe;
  };
  MatrixR<float> s0(64, 2);
  for (Index i = 0; i < s0.rows(); ++i) s0.row(i) << float(i) / 64, 1.0f;
  Constant1D far{1.0f};
  // The raw network's Q(s0, 1) (no clamp of the estimate) shows what the clamped targets did to the fit.
  auto raw_q = [&](ConservativeFqe& fqe) {
    Tape<float> t;
    MatrixR<float> a = MatrixR<float>::Ones(s0.rows(), 1);
    return double(t.value(fqe.q().forward(t, t.input(s0), t.input(a))).maxCoeff());
  };
  const auto plain = fit(false), bounded = fit(true);
  const Eigen::ArrayXd plain_est = plain->estimate_per_state(s0, far), bounded_est = bounded->estimate_per_state(s0, far);
  WARN("a = 1: plain FQE max raw Q " << raw_q(*plain) << ", estimate " << plain_est.mean() << "; bounded max raw Q "
                                     << raw_q(*bounded) << ", estimate " << bounded_est.mean());
  REQUIRE(plain_est.mean() > 40);
  REQUIRE(bounded_est.maxCoeff() <= 20.0f);
  REQUIRE(bounded_est.minCoeff() >= 0.0);
  REQUIRE(raw_q(*bounded) < 20 + 2 * 1.0 + 1.0);  // a clamped target plus r's extrapolation, not 200
}

TEST_CASE("estimator steps: 1 and 2 threads give the same bits", "[fqe][determinism][threads]") {
  // With 2 threads each gradient shard runs on its own thread and the team updates disjoint slices.
  FqeConfig config;
  config.hidden = {64, 64};
  config.batch_size = 128;
  config.target_period = 3;
  config.gradient_shards = GENERATE(2, 3);
  config.penalty = GENERATE("linear", "logsumexp");  // logsumexp: uniform actions on the shards' generators
  INFO("gradient_shards " << config.gradient_shards << ", penalty " << config.penalty);
  auto run = [&](int threads) {
    set_num_threads(threads);
    auto fqe = std::make_unique<ConservativeFqe>(config, 16, 12);
    Rng rng(3);
    TransitionBatch batch(128, 16, 12);
    MatrixR<float> pi(128, 12), pi_next(128, 12);
    for (int step = 0; step < 4; ++step) {  // crosses a target refresh
      for (auto* m : {&batch.state, &batch.next_state, &batch.action, &batch.reward, &pi, &pi_next})
        for (Index i = 0; i < m->size(); ++i) m->data()[i] = float(rng.uniform(-1, 1));
      batch.not_done.setOnes();
      fqe->step(batch, pi, pi_next);
    }
    return fqe;
  };
  const int saved = num_threads();
  const auto one = run(1);
  const auto two = run(2);
  set_num_threads(saved);
  const auto same_bits = [](const Parameters<float>& a, const Parameters<float>& b) {
    return std::memcmp(a.values(), b.values(), sizeof(float) * a.size()) == 0;
  };
  REQUIRE(same_bits(one->q().params(), two->q().params()));
  REQUIRE(same_bits(one->q_target().params(), two->q_target().params()));
}
