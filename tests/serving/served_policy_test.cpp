// tests/serving/served_policy_test.cpp — the serving API (serving/served_policy.cpp): an exported policy
// decides bit for bit what its learner's snapshot decides, for every registered learner; concurrent
// callers get what serial calls get; a call allocates nothing after warm-up; a wrong or corrupted file is
// refused naming the file and the field.
#include "serving/served_policy.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "engine/atomic_file.hpp"
#include "engine/checkpoint.hpp"
#include "engine/threads.hpp"
#include "rl/registry.hpp"
#include "tests/support/alloc_counter.hpp"

using namespace mtf;
using Catch::Matchers::Contains;

namespace {

constexpr int kS = 6, kA = 3;
const std::vector<double> kLow = {0.0, -1.0, 0.25}, kHigh = {1.0, 0.0, 2.0};

// Small networks whose hidden layers are still wider than one GEMM tile with ragged edges (40 and 33 >
// 32 columns; 16-column tiles on AVX2), so the served products take the tiled kernel with the weights
// the policy packed at load, as well as Eigen's and the vector paths (the 3-wide heads, 1-state MLPs).
nlohmann::json small_hyperparameters(const std::string& name) {
  nlohmann::json h = {{"state_dim", kS}, {"action_dim", kA}, {"batch_size", 16}, {"seed", 5}};
  if (name == "bcq") {
    h["vae_hidden"] = {40, 36};
    h["actor_hidden"] = {36, 33};
    h["critic_hidden"] = {36, 33};
  } else if (name == "bc") {
    h["hidden"] = {40, 33};
  } else {
    h["actor_hidden"] = {40, 33};
    h["critic_hidden"] = {16, 8};
  }
  return h;
}

// A learner of `name` after a few updates on random transitions (so no weight is at its initial value).
std::unique_ptr<Learner> trained(const std::string& name) {
  auto learner = make_learner(name, small_hyperparameters(name), "test");
  Rng rng(11);
  TransitionBatch batch(learner->batch_size(), kS, kA);
  for (int it = 0; it < 3; ++it) {
    for (Index i = 0; i < batch.state.size(); ++i) batch.state.data()[i] = float(rng.normal());
    for (Index i = 0; i < batch.next_state.size(); ++i) batch.next_state.data()[i] = float(rng.normal());
    for (Index i = 0; i < batch.action.size(); ++i) batch.action.data()[i] = float(rng.uniform(-1, 1));
    for (Index i = 0; i < batch.reward.size(); ++i) batch.reward.data()[i] = float(rng.normal());
    batch.not_done.setOnes();
    learner->update(batch);
  }
  return learner;
}

std::vector<float> random_states(int n, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<float> s(std::size_t(n) * kS);
  for (float& x : s) x = float(rng.normal());
  return s;
}

std::string exported(const Learner& learner) { return learner.export_policy(kLow, kHigh).to_bytes(); }

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("an exported policy decides bit for bit what its learner's snapshot decides, every learner", "[serving]") {
  REQUIRE(learner_registry().size() == 5);
  for (const LearnerEntry& e : learner_registry()) {
    INFO(e.name);
    const auto learner = trained(e.name);
    const std::string path = std::string("/tmp/mtf_serving_test_") + e.name + ".policy";
    const Checkpoint file = learner->export_policy(kLow, kHigh);
    file.save(path);
    const ServedPolicy policy = ServedPolicy::load(path, kS, kA);
    REQUIRE(policy.algorithm() == e.name);
    REQUIRE(policy.state_dim() == kS);
    REQUIRE(policy.action_dim() == kA);
    REQUIRE(policy.stochastic() == (std::string(e.name) == "bcq"));

    const std::shared_ptr<Policy> snapshot = learner->snapshot("served");
    ServedPolicy::Scratch scratch(21);
    for (const int n : {1, 7, 300}) {  // one state, a few, and more than the kernels' small-product paths
      INFO("n = " << n);
      const std::vector<float> states = random_states(n, 100 + std::uint64_t(n));
      std::vector<float> want(std::size_t(n) * kA), got(want.size()), alphas(want.size());
      Rng rng(1000 + std::uint64_t(n));
      snapshot->act(states.data(), n, want.data(), rng);
      scratch.reseed(1000 + std::uint64_t(n));
      policy.decide(states.data(), n, got.data(), alphas.data(), scratch);
      REQUIRE(same_bits(got, want));
      // alpha_i = low_i + (a_i + 1) / 2 (high_i - low_i), as rl/sim/fusion.cpp's alpha_from_action.
      for (int r = 0; r < n; ++r)
        for (int i = 0; i < kA; ++i) {
          const double a = std::min(std::max(double(got[std::size_t(r * kA + i)]), -1.0), 1.0);
          REQUIRE(alphas[std::size_t(r * kA + i)] == float(kLow[std::size_t(i)] + 0.5 * (a + 1) * (kHigh[std::size_t(i)] - kLow[std::size_t(i)])));
        }
    }
    // What serving needs only: far smaller than the training checkpoint.
    Checkpoint training("memory");
    learner->save(training);
    CHECK(file.to_bytes().size() * 2 < training.to_bytes().size());
    std::remove(path.c_str());
  }
}

TEST_CASE("a BCQ export holds the decoder, the perturbation net and Q1 only", "[serving]") {
  const auto bcq = trained("bcq");
  const Checkpoint file = bcq->export_policy(kLow, kHigh);
  REQUIRE(file.has("decoder"));
  REQUIRE(file.has("perturbation"));
  REQUIRE(file.has("q1"));
  REQUIRE_FALSE(file.has("vae"));
  REQUIRE_FALSE(file.has("critic"));
  REQUIRE_FALSE(file.has("actor_target"));
  REQUIRE(file.meta["format"] == "mtf-policy");
  REQUIRE(file.meta["version"] == 1);
  // The same seed gives the same actions; another seed other ones (the latents come from the scratch).
  const ServedPolicy policy = ServedPolicy::from_bytes(file.to_bytes(), "bcq.policy");
  const std::vector<float> states = random_states(16, 3);
  std::vector<float> a(16 * kA), b(a.size()), c(a.size());
  ServedPolicy::Scratch s1(7), s2(7), s3(8);
  policy.decide(states.data(), 16, a.data(), nullptr, s1);
  policy.decide(states.data(), 16, b.data(), nullptr, s2);
  policy.decide(states.data(), 16, c.data(), nullptr, s3);
  REQUIRE(same_bits(a, b));
  REQUIRE_FALSE(same_bits(a, c));
}

TEST_CASE("concurrent callers with their own scratch get the serial results", "[serving][threads]") {
  const int saved_threads = num_threads();
  for (const char* name : {"bcq", "td3"}) {
    INFO(name);
    const ServedPolicy policy = ServedPolicy::from_bytes(exported(*trained(name)), name);
    constexpr int kCallers = 3, kCalls = 40;
    const std::vector<float> states = random_states(64, 9);
    // Caller k: kCalls calls of (k + 1) * 5 states from its own seed, serially first.
    auto run = [&](int k, std::vector<float>& out) {
      ServedPolicy::Scratch scratch(100 + std::uint64_t(k));
      const int n = (k + 1) * 5;
      std::vector<float> actions(std::size_t(n) * kA), alphas(actions.size());
      for (int call = 0; call < kCalls; ++call) {
        policy.decide(states.data() + (call % 8) * kS, n, actions.data(), alphas.data(), scratch);
        out.insert(out.end(), actions.begin(), actions.end());
        out.insert(out.end(), alphas.begin(), alphas.end());
      }
    };
    std::vector<std::vector<float>> serial(kCallers), concurrent(kCallers);
    for (int k = 0; k < kCallers; ++k) run(k, serial[std::size_t(k)]);
    for (const int threads : {1, 2}) {  // each caller's kernels at 1 and at 2 OpenMP threads
      for (auto& c : concurrent) c.clear();
      std::vector<std::thread> callers;
      for (int k = 0; k < kCallers; ++k)
        callers.emplace_back([&, k] {
          set_num_threads(threads);
          run(k, concurrent[std::size_t(k)]);
        });
      for (auto& t : callers) t.join();
      for (int k = 0; k < kCallers; ++k) REQUIRE(same_bits(concurrent[std::size_t(k)], serial[std::size_t(k)]));
    }
  }
  set_num_threads(saved_threads);
}

TEST_CASE("a call allocates nothing after warm-up", "[serving][allocation]") {
  MTF_SKIP_WITHOUT_ALLOCATION_COUNTING();
  for (const LearnerEntry& e : learner_registry()) {
    INFO(e.name);
    const ServedPolicy policy = ServedPolicy::from_bytes(exported(*trained(e.name)), e.name);
    const std::vector<float> states = random_states(256, 4);
    std::vector<float> actions(256 * kA), alphas(actions.size());
    ServedPolicy::Scratch scratch(1);
    for (const int n : {1, 256}) {
      policy.decide(states.data(), n, actions.data(), alphas.data(), scratch);  // warm-up for this n
      test::CountAllocations count;
      for (int call = 0; call < 5; ++call) policy.decide(states.data(), n, actions.data(), alphas.data(), scratch);
      REQUIRE(count.counts().heap == 0);
      REQUIRE(count.counts().operator_new == 0);
    }
  }
}

TEST_CASE("a wrong or corrupted file is refused naming the file and the field", "[serving][errors]") {
  const auto bcq = trained("bcq");
  const std::string path = "/tmp/mtf_serving_errors_test.policy";

  // A training checkpoint given as an export.
  bcq->save(path);
  REQUIRE_THROWS_WITH(ServedPolicy::load(path),
                      path + ": field \"format\": missing: this is a training checkpoint (algorithm \"bcq\"), not an "
                             "exported policy; write one with `mtf export --checkpoint " + path + " --out POLICY`");
  // ... and the other way round.
  bcq->export_policy(kLow, kHigh).save(path);
  REQUIRE_THROWS_WITH(load_learner(path), Contains(path + ": an exported policy (mtf export), not a training checkpoint"));

  const std::string good = read_file(path);
  // Truncated.
  write_file_atomically(path, good.substr(0, good.size() - 100));
  REQUIRE_THROWS_WITH(ServedPolicy::load(path), Contains(path + ": truncated or padded file"));
  // One flipped byte in the weights.
  std::string flipped = good;
  flipped[flipped.size() - 200] = char(flipped[flipped.size() - 200] ^ 0x10);
  write_file_atomically(path, flipped);
  REQUIRE_THROWS_WITH(ServedPolicy::load(path), path + ": checksum mismatch: the file is corrupted");
  std::remove(path.c_str());

  // Valid containers with wrong contents.
  auto refused = [&](auto&& edit) {
    Checkpoint c = Checkpoint::from_bytes(good, "bcq.policy");
    edit(c);
    return c.to_bytes();
  };
  REQUIRE_THROWS_WITH(ServedPolicy::from_bytes(refused([](Checkpoint& c) { c.meta["version"] = 2; }), "bcq.policy"),
                      "bcq.policy: field \"version\": exported policy version 2, this build reads version 1");
  REQUIRE_THROWS_WITH(ServedPolicy::from_bytes(refused([](Checkpoint& c) { c.meta["format"] = "mtf-policy-2"; }), "bcq.policy"),
                      Contains("bcq.policy: field \"format\": expected \"mtf-policy\""));
  // The caller's dims differ from the policy's.
  REQUIRE_THROWS_WITH(ServedPolicy::from_bytes(good, "bcq.policy", 64, kA),
                      "bcq.policy: field \"state_dim\": the policy takes 6 state values, the caller has 64");
  REQUIRE_THROWS_WITH(ServedPolicy::from_bytes(good, "bcq.policy", kS, 12),
                      "bcq.policy: field \"action_dim\": the policy gives 3 action values, the caller expects 12");
  // Metadata that disagrees with the weights: the section's layout is checked.
  REQUIRE_THROWS_WITH(ServedPolicy::from_bytes(refused([](Checkpoint& c) { c.meta["state_dim"] = 7; }), "bcq.policy"),
                      Contains("bcq.policy: section \"decoder\""));
  REQUIRE_THROWS_WITH(ServedPolicy::from_bytes(refused([](Checkpoint& c) { c.meta["serving"]["critic_hidden"] = {12, 9}; }),
                                               "bcq.policy"),
                      Contains("bcq.policy: section \"q1\""));
  REQUIRE_THROWS_WITH(ServedPolicy::from_bytes(refused([](Checkpoint& c) { c.meta["alpha_low"] = {0, 0}; }), "bcq.policy"),
                      "bcq.policy: field \"alpha_low\": expected 3 numbers (one per action dimension), got 2");
  REQUIRE_THROWS_WITH(ServedPolicy::from_bytes(refused([](Checkpoint& c) { c.meta["serving"]["kind"] = "dqn"; }), "bcq.policy"),
                      "bcq.policy: field \"serving.kind\": unknown serving kind \"dqn\" (this build serves bcq, mlp, "
                      "gaussian_mean)");
  REQUIRE_THROWS_WITH(ServedPolicy::from_bytes(refused([](Checkpoint& c) { c.meta["serving"].erase("rho"); }), "bcq.policy"),
                      "bcq.policy: field \"serving.rho\": missing");
  REQUIRE_THROWS_WITH(ServedPolicy::from_bytes(refused([](Checkpoint& c) { c.meta["serving"]["decoder_hidden"] = {1 << 20}; }),
                                               "bcq.policy"),
                      Contains("bcq.policy: field \"serving.decoder_hidden\""));
  REQUIRE_THROWS_WITH(ServedPolicy::load("/tmp/mtf_serving_no_such.policy"), Contains("/tmp/mtf_serving_no_such.policy"));
}

TEST_CASE("decide refuses a negative count and null buffers", "[serving][errors]") {
  const ServedPolicy policy = ServedPolicy::from_bytes(exported(*trained("bc")), "bc.policy");
  ServedPolicy::Scratch scratch;
  float x[kS] = {}, a[kA] = {};
  REQUIRE_THROWS_WITH(policy.decide(x, -1, a, nullptr, scratch), "ServedPolicy::decide: n = -1 states");
  REQUIRE_THROWS_WITH(policy.decide(nullptr, 1, a, nullptr, scratch), "ServedPolicy::decide: null states or actions");
  policy.decide(nullptr, 0, nullptr, nullptr, scratch);  // nothing to do
}
