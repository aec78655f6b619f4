// tests/rl/cql_sac_test.cpp — CQL+SAC (rl/cql_sac.cpp) against PyTorch: two full iterations (every loss,
// the temperature, every network and target network and the three Adam states after each) at 1, 2 and 3
// gradient shards; zero allocations per iteration and per serving call; 1 vs 2 threads; checkpoints
// (bit-exact resume, refusal with the learner unchanged); what the penalty is for (Q lower outside the
// data's actions than without it); the temperature's direction; serving snapshots; the config.
#include "rl/cql_sac.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "engine/atomic_file.hpp"
#include "engine/checkpoint.hpp"
#include "engine/threads.hpp"
#include "tests/support/alloc_counter.hpp"
#include "tests/support/json_fixture.hpp"

using namespace mtf;
using Catch::Matchers::Contains;
using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;

namespace {

using test::set_params;
using test::to_matrix;

// Within 1e-5 relative, or 1e-7 absolute for values near zero (the engine fixtures' tolerances).
void require_close(double actual, double expected, const std::string& name) {
  INFO(name << ": " << actual << " vs PyTorch " << expected);
  REQUIRE_THAT(actual, WithinRel(expected, 1e-5) || WithinAbs(expected, 1e-7));
}

void require_values(const float* values, std::size_t size, const nlohmann::json& expected, const std::string& name) {
  REQUIRE(expected.size() == size);
  for (std::size_t i = 0; i < size; ++i) require_close(values[i], expected[i].get<double>(), name + "[" + std::to_string(i) + "]");
}

void require_params(const Parameters<float>& p, const nlohmann::json& expected, const std::string& name) {
  require_values(p.values(), p.size(), expected, name);
}

// Adam's checkpoint bytes (engine/adam.cpp): uint64 count, int64 step, m[count], v[count].
void require_adam(const Adam<float>& opt, const nlohmann::json& expected, const std::string& name) {
  const std::string bytes = opt.to_bytes();
  std::uint64_t n = 0;
  std::int64_t step = 0;
  std::memcpy(&n, bytes.data(), sizeof n);
  std::memcpy(&step, bytes.data() + sizeof n, sizeof step);
  REQUIRE(step == expected["step"].get<std::int64_t>());
  std::vector<float> m(n), v(n);
  std::memcpy(m.data(), bytes.data() + sizeof n + sizeof step, n * sizeof(float));
  std::memcpy(v.data(), bytes.data() + sizeof n + sizeof step + n * sizeof(float), n * sizeof(float));
  require_values(m.data(), n, expected["m"], name + ".m");
  require_values(v.data(), n, expected["v"], name + ".v");
}

std::unique_ptr<CqlSac> learner_from_fixture(const nlohmann::json& c, int shards) {
  CqlSacConfig config = CqlSacConfig::from_json(c["config"], "fixture config");
  config.gradient_shards = shards;
  auto learner = std::make_unique<CqlSac>(config);
  set_params(learner->actor().params(), c["initial"]["actor"]);
  set_params(learner->critic().params(), c["initial"]["critic"]);
  set_params(learner->critic_target().params(), c["initial"]["critic"]);
  REQUIRE(learner->log_alpha().values()[0] == 0.0f);  // alpha starts at 1, as the peer's
  return learner;
}

CqlSacStats run_fixture_iteration(CqlSac& learner, const nlohmann::json& it) {
  TransitionBatch batch;
  batch.state = to_matrix(it["batch"]["state"]);
  batch.action = to_matrix(it["batch"]["action"]);
  batch.reward = to_matrix(it["batch"]["reward"]);
  batch.next_state = to_matrix(it["batch"]["next_state"]);
  batch.not_done = to_matrix(it["batch"]["not_done"]);
  const auto& z = it["noise"];
  const CqlSacNoise noise{to_matrix(z["actor_eps"]), to_matrix(z["target_eps"]), to_matrix(z["uniform"]),
                          to_matrix(z["current_eps"]), to_matrix(z["next_eps"])};
  return learner.train_iteration(batch, noise);
}

void require_iteration_matches(CqlSac& learner, const CqlSacStats& s, const nlohmann::json& it) {
  const auto& l = it["losses"];
  require_close(s.alpha_loss, l["alpha_loss"], "alpha loss");
  require_close(s.alpha, l["alpha"], "alpha");
  require_close(s.entropy, l["entropy"], "entropy");
  require_close(s.actor_loss, l["actor"], "actor loss");
  require_close(s.critic_loss, l["critic"], "critic loss");
  require_close(s.bellman, l["bellman"], "bellman");
  require_close(s.cql_penalty, l["cql_penalty"], "cql penalty");
  require_close(s.q1_mean, l["q1_mean"], "q1 mean");
  require_close(s.q1_std, l["q1_std"], "q1 std");
  require_close(s.target_mean, l["target_mean"], "target mean");
  const auto& a = it["after"];
  require_close(learner.log_alpha().values()[0], a["log_alpha"], "log_alpha");
  require_params(learner.actor().params(), a["actor"], "actor");
  require_params(learner.critic().params(), a["critic"], "critic");
  require_params(learner.critic_target().params(), a["critic_target"], "critic_target");
  require_adam(learner.actor_optimizer(), a["actor_adam"], "actor_adam");
  require_adam(learner.critic_optimizer(), a["critic_adam"], "critic_adam");
  require_adam(learner.alpha_optimizer(), a["alpha_adam"], "alpha_adam");
}

CqlSacConfig small_config() {
  CqlSacConfig c;
  c.state_dim = 10;
  c.action_dim = 4;
  c.actor_hidden = {24, 16};
  c.critic_hidden = {24, 16};
  c.batch_size = 64;
  c.cql_samples = 5;
  c.seed = 11;
  return c;
}

TransitionBatch random_batch(const CqlSacConfig& c, Rng& rng) {
  TransitionBatch b(c.batch_size, c.state_dim, c.action_dim);
  for (Index i = 0; i < b.state.size(); ++i) b.state.data()[i] = float(rng.normal());
  for (Index i = 0; i < b.next_state.size(); ++i) b.next_state.data()[i] = float(rng.normal());
  for (Index i = 0; i < b.action.size(); ++i) b.action.data()[i] = float(rng.uniform(-1, 1));
  for (Index i = 0; i < b.rows(); ++i) {
    b.reward(i, 0) = float(rng.normal());
    b.not_done(i, 0) = rng.bernoulli(0.9) ? 1.0f : 0.0f;
  }
  return b;
}

bool same_bits(const Parameters<float>& a, const Parameters<float>& b) {
  return a.size() == b.size() && std::memcmp(a.values(), b.values(), a.size() * sizeof(float)) == 0;
}

bool same_learner(CqlSac& a, CqlSac& b) {
  return same_bits(a.actor().params(), b.actor().params()) && same_bits(a.critic().params(), b.critic().params()) &&
         same_bits(a.critic_target().params(), b.critic_target().params()) &&
         same_bits(a.log_alpha(), b.log_alpha()) && a.actor_optimizer().to_bytes() == b.actor_optimizer().to_bytes() &&
         a.critic_optimizer().to_bytes() == b.critic_optimizer().to_bytes() &&
         a.alpha_optimizer().to_bytes() == b.alpha_optimizer().to_bytes();
}

}  // namespace

TEST_CASE("two CQL+SAC iterations match PyTorch: losses, temperature, networks, targets, Adam states",
          "[cql_sac][fixture]") {
  const nlohmann::json c = test::load_fixture("rl/cql_sac_iterations.json")["two_iterations"];
  const int shards = GENERATE(1, 2, 3);  // 3: unequal shards (3, 3, 2 rows), weights not powers of two
  INFO("gradient_shards " << shards);
  auto learner = learner_from_fixture(c, shards);
  for (const auto& it : c["iterations"]) {
    const CqlSacStats stats = run_fixture_iteration(*learner, it);
    require_iteration_matches(*learner, stats, it);
  }
  REQUIRE(learner->iteration() == 2);
}

TEST_CASE("CQL+SAC iterations and serving allocate nothing after warm-up", "[cql_sac][alloc]") {
  MTF_SKIP_WITHOUT_ALLOCATION_COUNTING();
  const int threads = GENERATE(1, 2);  // at 1 the shards run in turn on the caller's thread
  INFO("threads " << threads);
  const int saved_threads = num_threads();
  set_num_threads(threads);
  const CqlSacConfig config = small_config();
  CqlSac learner(config);
  Rng rng(6);
  const TransitionBatch batch = random_batch(config, rng);
  MatrixR<float> actions(32, config.action_dim);
  for (int i = 0; i < 2; ++i) {
    learner.update(batch);
    learner.act(batch.state.data(), 32, actions.data(), rng);
  }
  test::CountAllocations train_count;
  for (int i = 0; i < 4; ++i) learner.update(batch);
  const auto train = train_count.counts();
  test::CountAllocations serve_count;
  for (int i = 0; i < 4; ++i) learner.act(batch.state.data(), 32, actions.data(), rng);
  const auto serve = serve_count.counts();
  set_num_threads(saved_threads);
  REQUIRE(train.heap == 0);
  REQUIRE(train.operator_new == 0);
  REQUIRE(serve.heap == 0);
  REQUIRE(serve.operator_new == 0);
}

TEST_CASE("CQL+SAC: same seed, same bits, and 1 and 2 threads give the same bits", "[cql_sac][determinism][threads]") {
  CqlSacConfig config = small_config();
  config.state_dim = 64;
  config.action_dim = 12;
  config.actor_hidden = {128, 96};
  config.critic_hidden = {128, 96};
  config.batch_size = 256;
  config.cql_samples = 10;
  config.gradient_shards = GENERATE(2, 3);
  INFO("gradient_shards " << config.gradient_shards);
  const int saved_threads = num_threads();
  auto run = [&](int threads, MatrixR<float>& actions) {
    set_num_threads(threads);
    auto learner = std::make_unique<CqlSac>(config);
    Rng data(12), unused(0);
    for (int i = 0; i < 3; ++i) learner->update(random_batch(config, data));
    const TransitionBatch states = random_batch(config, data);
    learner->act(states.state.data(), config.batch_size, actions.data(), unused);
    return learner;
  };
  MatrixR<float> a1(config.batch_size, config.action_dim), a2(config.batch_size, config.action_dim),
      a3(config.batch_size, config.action_dim);
  const auto one = run(1, a1);
  const auto two = run(2, a2);
  const auto again = run(2, a3);
  set_num_threads(saved_threads);
  REQUIRE(same_learner(*one, *two));
  REQUIRE(same_learner(*two, *again));
  REQUIRE(std::memcmp(a1.data(), a2.data(), sizeof(float) * std::size_t(a1.size())) == 0);
}

TEST_CASE("CQL+SAC checkpoint: bit-exact resume", "[cql_sac][checkpoint]") {
  const CqlSacConfig config = small_config();
  const std::string path = "/tmp/mtf_cql_sac_test_resume.ckpt";
  CqlSac uninterrupted(config), first_half(config);
  Rng data_a(4), data_b(4);
  for (int i = 0; i < 3; ++i) {
    uninterrupted.update(random_batch(config, data_a));
    first_half.update(random_batch(config, data_b));
  }
  first_half.save(path);
  CqlSac resumed(config);
  resumed.load(Checkpoint::load(path));
  REQUIRE(resumed.iteration() == 3);
  REQUIRE(same_learner(resumed, first_half));
  for (int i = 0; i < 4; ++i) {  // the restored Rng draws the same noise, Adam continues its moments
    uninterrupted.update(random_batch(config, data_a));
    resumed.update(random_batch(config, data_b));
  }
  REQUIRE(same_learner(resumed, uninterrupted));
  REQUIRE(resumed.iteration() == 7);
  std::remove(path.c_str());
}

TEST_CASE("CQL+SAC checkpoint: corrupted and mismatched files are refused, the learner unchanged",
          "[cql_sac][checkpoint]") {
  const CqlSacConfig config = small_config();
  const std::string path = "/tmp/mtf_cql_sac_test_corrupt.ckpt";
  CqlSac saved(config);
  Rng data(8);
  saved.update(random_batch(config, data));
  saved.save(path);
  const std::string good = read_file(path);

  std::string flipped = good;
  flipped[flipped.size() / 3] ^= 0x01;
  write_file_atomically(path, flipped);
  REQUIRE_THROWS_WITH(Checkpoint::load(path), Contains(path) && Contains("checksum mismatch"));
  write_file_atomically(path, good);

  // Other hyper-parameters: refused, nothing changes.
  CqlSacConfig other = config;
  other.cql_weight = 1;
  CqlSac different(other);
  const std::string different_critic = different.critic().params().to_bytes();
  REQUIRE_THROWS_WITH(different.load(Checkpoint::load(path)), Contains(path) && Contains("different hyper-parameters"));
  REQUIRE(different.critic().params().to_bytes() == different_critic);

  // A section that does not fit is refused by name, after every other section was read: nothing changes.
  const Checkpoint c = Checkpoint::load(path);
  for (const char* broken : {"log_alpha", "alpha_adam", "critic_target"}) {
    INFO(broken);
    Checkpoint wrong("wrong.ckpt");
    wrong.meta = c.meta;
    for (const char* name : {"actor", "critic", "critic_target", "log_alpha", "actor_adam", "critic_adam", "alpha_adam"})
      if (std::string(name) != broken) wrong.put(name, std::string(c.get(name)));
    wrong.put(broken, std::string(c.get(std::string(broken) == "alpha_adam" ? "actor_adam" : "actor")));
    CqlSac target(config);
    Rng d(9);
    target.update(random_batch(config, d));
    CqlSac reference(config);
    Rng d2(9);
    reference.update(random_batch(config, d2));
    REQUIRE_THROWS_WITH(target.load(wrong), Contains(std::string("wrong.ckpt: ") + broken));
    REQUIRE(same_learner(target, reference));
    REQUIRE(target.iteration() == 1);
    REQUIRE(target.rng().next_u64() == reference.rng().next_u64());
  }
  std::remove(path.c_str());
}

TEST_CASE("the CQL penalty lowers Q outside the data's actions", "[cql_sac][penalty]") {
  // Logged actions cover only the corner [0.3, 1]^A of the box. With the penalty, the critic's values at
  // actions from the opposite corner [-1, -0.3]^A (never logged) must fall below its values at the logged
  // actions, and well below what the same learner without the penalty (cql_weight 0, plain SAC) gives
  // there. Rewards are N(0, 1) noise independent of the action: nothing in the data says those actions
  // are worse, only the penalty does.
  CqlSacConfig config = small_config();
  config.state_dim = 6;
  config.action_dim = 3;
  config.actor_hidden = {32, 32};
  config.critic_hidden = {32, 32};
  config.critic_lr = 1e-3;
  config.actor_lr = 1e-3;
  config.gradient_shards = 1;
  auto corner_batch = [&](Rng& rng, double lo, double hi) {
    TransitionBatch b = random_batch(config, rng);
    for (Index i = 0; i < b.action.size(); ++i) b.action.data()[i] = float(rng.uniform(lo, hi));
    return b;
  };
  auto gap = [&](double weight, double& ood_q) {
    CqlSacConfig c = config;
    c.cql_weight = weight;
    CqlSac learner(c);
    Rng data(31);
    for (int i = 0; i < 300; ++i) learner.train_iteration(corner_batch(data, 0.3, 1.0));
    Rng probe(32);
    const TransitionBatch logged = corner_batch(probe, 0.3, 1.0);
    TransitionBatch ood = logged;
    for (Index i = 0; i < ood.action.size(); ++i) ood.action.data()[i] = float(probe.uniform(-1.0, -0.3));
    Tape<float> t;
    NoGradScope<float> no_grad(t);
    const Var s = t.input(logged.state);
    const double q_logged = t.value(learner.critic().q1(t, s, t.input(logged.action))).mean();
    ood_q = t.value(learner.critic().q1(t, s, t.input(ood.action))).mean();
    return ood_q - q_logged;
  };
  double ood_with = 0, ood_without = 0;
  const double gap_with = gap(5.0, ood_with), gap_without = gap(0.0, ood_without);
  WARN("Q1(ood) - Q1(logged): " << gap_with << " with the penalty, " << gap_without << " without; Q1(ood) "
                                << ood_with << " vs " << ood_without);
  REQUIRE(gap_with < 0);
  REQUIRE(gap_with < gap_without - 0.5);
  REQUIRE(ood_with < ood_without);
}

TEST_CASE("the temperature rises when the policy's entropy is below the target, and falls above it",
          "[cql_sac][temperature]") {
  // The entropy of a tanh-Gaussian on [-1, 1]^A is at most A log 2 (the uniform's): a target above that is
  // never met, so alpha must rise; a target far below the fresh policy's entropy makes it fall. Adam's
  // first step moves log_alpha by alpha_lr either way.
  CqlSacConfig config = small_config();
  const double max_entropy = double(config.action_dim) * std::log(2.0);
  Rng data(5);
  const TransitionBatch batch = random_batch(config, data);
  config.target_entropy = max_entropy + 1;
  CqlSac rising(config);
  const CqlSacStats up = rising.train_iteration(batch);
  REQUIRE(up.entropy < config.target_entropy);
  REQUIRE_THAT(up.alpha, WithinRel(std::exp(config.alpha_lr), 1e-5));
  for (int i = 0; i < 5; ++i) rising.train_iteration(batch);
  REQUIRE(rising.log_alpha().values()[0] > 5 * config.alpha_lr);  // six steps up

  config.target_entropy = -50;
  CqlSac falling(config);
  const CqlSacStats down = falling.train_iteration(batch);
  REQUIRE(down.entropy > config.target_entropy);
  REQUIRE_THAT(down.alpha, WithinRel(std::exp(-config.alpha_lr), 1e-5));
}

TEST_CASE("CQL+SAC serves tanh(mean): deterministic, in the box, and a snapshot stays put", "[cql_sac][serving]") {
  const CqlSacConfig config = small_config();
  CqlSac learner(config);
  Rng data(21);
  for (int i = 0; i < 2; ++i) learner.update(random_batch(config, data));
  const TransitionBatch states = random_batch(config, data);
  const std::shared_ptr<Policy> snapshot = learner.snapshot("cql now");
  REQUIRE(snapshot->name() == "cql now");
  MatrixR<float> a(8, config.action_dim), b(8, config.action_dim), c(8, config.action_dim);
  Rng r1(1), r2(2);
  learner.act(states.state.data(), 8, a.data(), r1);
  snapshot->act(states.state.data(), 8, b.data(), r2);  // another rng: serving draws nothing
  REQUIRE(a == b);
  REQUIRE(a.cwiseAbs().maxCoeff() < 1.0f);
  {
    Tape<float> t;
    NoGradScope<float> no_grad(t);
    const MatrixR<float> mean_action = t.value(learner.actor().mean_action(t, t.input(states.state.data(), 8, config.state_dim)));
    REQUIRE(mean_action == a);
  }
  for (int i = 0; i < 3; ++i) learner.update(random_batch(config, data));
  snapshot->act(states.state.data(), 8, c.data(), r2);
  REQUIRE(c == b);  // the deployed policy did not move
  learner.act(states.state.data(), 8, c.data(), r1);
  REQUIRE_FALSE(c == b);  // the learner did
}

TEST_CASE("CQL+SAC update reports the metrics the figures read", "[cql_sac]") {
  const CqlSacConfig config = small_config();
  CqlSac learner(config);
  Rng data(3);
  const UpdateMetrics m = learner.update(random_batch(config, data));
  for (const char* name : {"critic_loss", "actor_loss", "alpha", "cql_penalty", "q1_mean", "q1_std", "target_mean"}) {
    INFO(name);
    REQUIRE(std::isfinite(m.get(name)));
  }
  REQUIRE(m.get("alpha") > 0);
  REQUIRE(m.get("q1_std") >= 0);
  REQUIRE(learner.all_finite());
}

TEST_CASE("CQL+SAC config: defaults, round trip, strict keys", "[cql_sac][config]") {
  const CqlSacConfig c;
  REQUIRE(c.actor_hidden == std::vector<Index>{400, 300});
  REQUIRE(c.critic_hidden == std::vector<Index>{400, 300});
  REQUIRE(c.actor_lr == 1e-4);
  REQUIRE(c.critic_lr == 2e-4);
  REQUIRE(c.alpha_lr == 1e-4);
  REQUIRE(c.gamma == 0.95);
  REQUIRE(c.tau == 0.005);
  REQUIRE(c.cql_weight == 5);
  REQUIRE(c.cql_samples == 10);
  REQUIRE(c.batch_size == 256);
  REQUIRE(c.gradient_shards == 2);
  REQUIRE(c.entropy_target() == -12.0);  // target_entropy 0: -A
  CqlSacConfig given = c;
  given.target_entropy = -3.5;
  REQUIRE(given.entropy_target() == -3.5);

  const nlohmann::json j = given.to_json();
  REQUIRE(j.size() == 15);  // every field, written by the one field list
  REQUIRE(CqlSacConfig::from_json(j, "mem").to_json() == j);

  REQUIRE_THROWS_WITH(CqlSacConfig::from_json({{"cql_weigth", 5}}, "cql.json"),
                      Contains("cql.json: unknown key \"cql_weigth\""));
  REQUIRE_THROWS_WITH(CqlSacConfig::from_json({{"cql_samples", 0}}, "cql.json"), Contains("field \"cql_samples\": value 0"));
  REQUIRE_THROWS_WITH(CqlSacConfig::from_json({{"tau", 1.5}}, "cql.json"), Contains("field \"tau\": value 1.5"));
  REQUIRE_THROWS_WITH(CqlSacConfig::from_json({{"batch_size", 4}, {"gradient_shards", 5}}, "cql.json"),
                      Contains("cql.json: field \"gradient_shards\" (5) exceeds \"batch_size\" (4)"));
}
