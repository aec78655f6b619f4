// tests/rl/bc_test.cpp — behaviour cloning (rl/bc.cpp): three updates match PyTorch (loss and every
// weight, at 1, 2 and 3 gradient shards), it learns a state-dependent action, updates and serving
// allocate nothing after warm-up, 1 and 2 threads give the same bits, snapshots do not move, and a
// checkpoint restores it exactly.
#include "rl/bc.hpp"

#include <catch2/catch.hpp>
#include <cstring>

#include "engine/threads.hpp"
#include "tests/support/alloc_counter.hpp"
#include "tests/support/json_fixture.hpp"

using namespace mtf;
using Catch::Matchers::Contains;
using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;

namespace {

BcConfig small_config() {
  BcConfig c;
  c.state_dim = 6;
  c.action_dim = 3;
  c.hidden = {32, 32};
  c.batch_size = 64;
  c.seed = 4;
  return c;
}

// Actions a deterministic function of the state: a = tanh(s W), so a perfect policy exists.
TransitionBatch teacher_batch(const BcConfig& c, Rng& rng) {
  TransitionBatch b(c.batch_size, c.state_dim, c.action_dim);
  for (Index i = 0; i < b.state.size(); ++i) b.state.data()[i] = float(rng.normal());
  MatrixR<float> w(c.state_dim, c.action_dim);
  for (Index i = 0; i < w.size(); ++i) w.data()[i] = float(((i * 7919) % 13) - 6) / 6.0f;
  b.action = (b.state * w).array().tanh().matrix();
  b.next_state = b.state;
  b.reward.setZero();
  b.not_done.setOnes();
  return b;
}

bool same_bits(const Parameters<float>& a, const Parameters<float>& b) {
  return a.size() == b.size() && std::memcmp(a.values(), b.values(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("three BC updates match PyTorch: loss and every weight", "[bc][fixture]") {
  const nlohmann::json f = test::load_fixture("rl/bc_steps.json");
  BcConfig config = config_from_json<BcConfig>(f["config"], "fixture config");
  config.gradient_shards = GENERATE(1, 2, 3);
  INFO("gradient_shards " << config.gradient_shards);
  BehaviourCloning bc(config);
  test::set_params(bc.policy().params(), f["initial"]);
  for (const auto& step : f["steps"]) {
    TransitionBatch batch(config.batch_size, config.state_dim, config.action_dim);
    batch.state = test::to_matrix(step["state"]);
    batch.action = test::to_matrix(step["action"]);
    batch.next_state = batch.state;
    batch.reward.setZero();
    batch.not_done.setOnes();
    const UpdateMetrics m = bc.update(batch);
    REQUIRE_THAT(double(m.get("loss")), WithinRel(step["loss"].get<double>(), 1e-5));
    const auto& after = step["after"];
    REQUIRE(after.size() == bc.policy().params().size());
    for (std::size_t i = 0; i < after.size(); ++i) {
      INFO("weight " << i);
      REQUIRE_THAT(double(bc.policy().params().values()[i]),
                   WithinRel(after[i].get<double>(), 1e-5) || WithinAbs(after[i].get<double>(), 1e-7));
    }
  }
  REQUIRE(bc.iteration() == 3);
}

TEST_CASE("BC learns a state-dependent action", "[bc]") {
  const BcConfig config = small_config();
  BehaviourCloning bc(config);
  Rng data(1);
  const float first = bc.update(teacher_batch(config, data)).get("loss");
  float last = first;
  for (int i = 0; i < 400; ++i) last = bc.update(teacher_batch(config, data)).get("loss");
  WARN("BC loss " << first << " -> " << last);
  REQUIRE(last < 0.1f * first);
  // On fresh states its actions are close to the teacher's.
  const TransitionBatch test = teacher_batch(config, data);
  MatrixR<float> actions(config.batch_size, config.action_dim);
  Rng unused(0);
  bc.act(test.state.data(), config.batch_size, actions.data(), unused);
  REQUIRE((actions - test.action).array().square().mean() < 0.1f * first);
  REQUIRE(actions.cwiseAbs().maxCoeff() <= 1.0f);
}

TEST_CASE("BC updates and serving allocate nothing after warm-up", "[bc][alloc]") {
  MTF_SKIP_WITHOUT_ALLOCATION_COUNTING();
  const int threads = GENERATE(1, 2);
  INFO("threads " << threads);
  const int saved = num_threads();
  set_num_threads(threads);
  const BcConfig config = small_config();
  BehaviourCloning bc(config);
  Rng data(2);
  const TransitionBatch batch = teacher_batch(config, data);
  MatrixR<float> actions(config.batch_size, config.action_dim);
  for (int i = 0; i < 2; ++i) {
    bc.update(batch);
    bc.act(batch.state.data(), config.batch_size, actions.data(), data);
  }
  test::CountAllocations count;
  for (int i = 0; i < 4; ++i) {
    bc.update(batch);
    bc.act(batch.state.data(), config.batch_size, actions.data(), data);
  }
  const auto counts = count.counts();
  set_num_threads(saved);
  REQUIRE(counts.heap == 0);
  REQUIRE(counts.operator_new == 0);
}

TEST_CASE("BC: 1 and 2 threads give the same bits", "[bc][determinism][threads]") {
  BcConfig config = small_config();
  config.hidden = {256, 256};
  config.batch_size = 256;
  config.gradient_shards = GENERATE(2, 3);
  const int saved = num_threads();
  auto run = [&](int threads) {
    set_num_threads(threads);
    auto bc = std::make_unique<BehaviourCloning>(config);
    Rng data(3);
    for (int i = 0; i < 5; ++i) bc->update(teacher_batch(config, data));
    return bc;
  };
  const auto one = run(1), two = run(2);
  set_num_threads(saved);
  REQUIRE(same_bits(one->policy().params(), two->policy().params()));
}

TEST_CASE("BC: a snapshot serves like the learner and stays put", "[bc][serving]") {
  const BcConfig config = small_config();
  BehaviourCloning bc(config);
  Rng data(4), unused(0);
  bc.update(teacher_batch(config, data));
  const TransitionBatch states = teacher_batch(config, data);
  const auto snapshot = bc.snapshot("bc");
  MatrixR<float> a(4, config.action_dim), b(4, config.action_dim), c(4, config.action_dim);
  bc.act(states.state.data(), 4, a.data(), unused);
  snapshot->act(states.state.data(), 4, b.data(), unused);
  REQUIRE(a == b);
  for (int i = 0; i < 5; ++i) bc.update(teacher_batch(config, data));
  snapshot->act(states.state.data(), 4, c.data(), unused);
  REQUIRE(c == b);
}

TEST_CASE("BC: checkpoint round trip, and a mismatched one is refused", "[bc][checkpoint]") {
  const BcConfig config = small_config();
  BehaviourCloning bc(config);
  Rng data(5);
  for (int i = 0; i < 3; ++i) bc.update(teacher_batch(config, data));
  Checkpoint c("bc.ckpt");
  bc.save(c);
  REQUIRE(c.meta.at("algorithm") == "bc");
  REQUIRE(c.has("policy"));
  REQUIRE(c.has("policy_adam"));
  BehaviourCloning restored(config);
  restored.load(c);
  REQUIRE(restored.iteration() == 3);
  REQUIRE(same_bits(restored.policy().params(), bc.policy().params()));
  Rng d1(6), d2(6);
  bc.update(teacher_batch(config, d1));
  restored.update(teacher_batch(config, d2));
  REQUIRE(same_bits(restored.policy().params(), bc.policy().params()));  // Adam's moments came back too

  BcConfig wider = config;
  wider.hidden = {64, 32};
  BehaviourCloning other(wider);
  REQUIRE_THROWS_WITH(other.load(c), Contains("bc.ckpt") && Contains("different hyper-parameters"));
}

TEST_CASE("BC config: every field listed once, strict", "[bc][config]") {
  const BcConfig c = small_config();
  REQUIRE(config_from_json<BcConfig>(c.to_json(), "mem").to_json() == c.to_json());
  REQUIRE(c.to_json().size() == 7);
  REQUIRE_THROWS_WITH(config_from_json<BcConfig>({{"hiden", {8}}}, "bc.json"), Contains("unknown key \"hiden\""));
  REQUIRE_THROWS_WITH(config_from_json<BcConfig>({{"batch_size", 2}, {"gradient_shards", 3}}, "bc.json"),
                      Contains("bc.json: field \"gradient_shards\" (3) exceeds \"batch_size\" (2)"));
}
