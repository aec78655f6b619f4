// tests/rl/twin_delayed_support.hpp — what tests/rl/td3_test.cpp and tests/rl/uwac_td3_test.cpp share:
// reading their PyTorch fixtures (minibatches, weights, Adam states) and comparing a learner with them,
// and the checks every TD3-family learner passes the same way (allocations, threads, checkpoints), each
// a function of the learner type and its config.
#pragma once
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/atomic_file.hpp"
#include "engine/checkpoint.hpp"
#include "engine/threads.hpp"
#include "rl/td3.hpp"
#include "tests/support/alloc_counter.hpp"
#include "tests/support/json_fixture.hpp"

namespace mtf::test {

// The engine fixtures' tolerance: 1e-5 relative, or 1e-7 absolute for values near zero.
inline void require_close(double actual, double expected, const std::string& name) {
  INFO(name);
  REQUIRE_THAT(actual, Catch::Matchers::WithinRel(expected, 1e-5) || Catch::Matchers::WithinAbs(expected, 1e-7));
}

inline void require_values(const float* values, std::size_t n, const nlohmann::json& expected, const std::string& name) {
  REQUIRE(expected.size() == n);
  for (std::size_t i = 0; i < n; ++i) require_close(values[i], expected[i].get<double>(), name + "[" + std::to_string(i) + "]");
}

inline void require_params(const Parameters<float>& p, const nlohmann::json& expected, const std::string& name) {
  require_values(p.values(), p.size(), expected, name);
}

/// Adam's state as Adam::to_bytes writes it (count n, step t, then m[n] and v[n]) against PyTorch's
/// {"step", "m", "v"} (exp_avg, exp_avg_sq in parameters() order).
inline void require_adam(const Adam<float>& opt, const nlohmann::json& expected, const std::string& name) {
  const std::string bytes = opt.to_bytes();
  std::uint64_t n = 0;
  std::int64_t step = 0;
  std::memcpy(&n, bytes.data(), sizeof n);
  std::memcpy(&step, bytes.data() + sizeof n, sizeof step);
  REQUIRE(bytes.size() == sizeof n + sizeof step + 2 * n * sizeof(float));
  INFO(name);
  REQUIRE(step == expected["step"].get<std::int64_t>());
  std::vector<float> m(n), v(n);
  std::memcpy(m.data(), bytes.data() + sizeof n + sizeof step, n * sizeof(float));
  std::memcpy(v.data(), bytes.data() + sizeof n + sizeof step + n * sizeof(float), n * sizeof(float));
  require_values(m.data(), n, expected["m"], name + ".m");
  require_values(v.data(), n, expected["v"], name + ".v");
}

inline TransitionBatch fixture_batch(const nlohmann::json& b) {
  TransitionBatch batch;
  batch.state = to_matrix(b["state"]);
  batch.action = to_matrix(b["action"]);
  batch.reward = to_matrix(b["reward"]);
  batch.next_state = to_matrix(b["next_state"]);
  batch.not_done = to_matrix(b["not_done"]);
  return batch;
}

/// The fixture's initial weights; the targets start as copies.
inline void set_fixture_weights(Td3& learner, const nlohmann::json& initial) {
  set_params(learner.actor().params(), initial["actor"]);
  set_params(learner.actor_target().params(), initial["actor"]);
  set_params(learner.critic().params(), initial["critic"]);
  set_params(learner.critic_target().params(), initial["critic"]);
}

/// Losses, statistics, every network and target network, and both Adam states after one iteration.
inline void require_iteration_matches(Td3& learner, const Td3Stats& stats, const nlohmann::json& it) {
  const auto& expected = it["stats"];
  REQUIRE(stats.actor_step == it["actor_step"].get<bool>());
  require_close(stats.critic_loss, expected["critic"], "critic loss");
  if (stats.actor_step) require_close(stats.actor_loss, expected["actor"], "actor loss");
  require_close(stats.q1_mean, expected["q1_mean"], "q1_mean");
  require_close(stats.q1_std, expected["q1_std"], "q1_std");
  require_close(stats.target_mean, expected["target_mean"], "target_mean");
  const auto& a = it["after"];
  require_params(learner.actor().params(), a["actor"], "actor");
  require_params(learner.actor_target().params(), a["actor_target"], "actor_target");
  require_params(learner.critic().params(), a["critic"], "critic");
  require_params(learner.critic_target().params(), a["critic_target"], "critic_target");
  require_adam(learner.actor_optimizer(), it["adam"]["actor"], "actor Adam");
  require_adam(learner.critic_optimizer(), it["adam"]["critic"], "critic Adam");
}

inline TransitionBatch random_batch(const TwinDelayedConfig& c, Rng& rng) {
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

inline bool same_bits(const Parameters<float>& a, const Parameters<float>& b) {
  return a.size() == b.size() && std::memcmp(a.values(), b.values(), a.size() * sizeof(float)) == 0;
}

/// Every network, target and optimizer state, bit for bit.
inline bool same_learner(Td3& a, Td3& b) {
  return same_bits(a.actor().params(), b.actor().params()) &&
         same_bits(a.actor_target().params(), b.actor_target().params()) &&
         same_bits(a.critic().params(), b.critic().params()) &&
         same_bits(a.critic_target().params(), b.critic_target().params()) &&
         a.actor_optimizer().to_bytes() == b.actor_optimizer().to_bytes() &&
         a.critic_optimizer().to_bytes() == b.critic_optimizer().to_bytes();
}

// A one-step problem (not_done = 0, so Q(s, a) = r): r = -||a - a*(s)||^2 with a*(s) = 0.5 tanh(s W),
// actions logged uniformly in [-1, 1]^A. The best action is a*(s), inside the box.
struct Bandit {
  Index S = 4, A = 2;
  MatrixR<float> w = (MatrixR<float>(4, 2) << 1.0f, -0.5f, 0.3f, 0.8f, -1.2f, 0.2f, 0.5f, -0.9f).finished();
  MatrixR<float> best(const MatrixR<float>& s) const { return (0.5f * (s * w).array().tanh()).matrix(); }
  TransitionBatch batch(Index rows, Rng& rng) const {
    TransitionBatch b(rows, S, A);
    for (Index i = 0; i < b.state.size(); ++i) b.state.data()[i] = float(rng.normal());
    for (Index i = 0; i < b.action.size(); ++i) b.action.data()[i] = float(rng.uniform(-1, 1));
    b.reward = -(b.action - best(b.state)).rowwise().squaredNorm();
    b.next_state = b.state;
    b.not_done.setZero();
    return b;
  }
  // Mean ||pi(s) - a*(s)||^2 over fresh states.
  double policy_error(Learner& learner, Rng& rng) const {
    const TransitionBatch probe = batch(512, rng);
    MatrixR<float> actions(probe.rows(), A);
    learner.act(probe.state.data(), probe.rows(), actions.data(), rng);
    return (actions - best(probe.state)).rowwise().squaredNorm().mean();
  }
};

/// Zero heap allocations per iteration (with and without the actor step) and per act() after warm-up,
/// at 1 and 2 threads.
template <class L>
void require_no_allocations(const typename L::Config& config) {
  const int threads = GENERATE(1, 2);
  INFO("threads " << threads);
  const int saved_threads = num_threads();
  set_num_threads(threads);
  L learner(config);
  Rng rng(6);
  const TransitionBatch batch = random_batch(config, rng);
  MatrixR<float> actions(32, config.action_dim);
  for (int i = 0; i < 2 * config.policy_delay; ++i) {
    learner.train_iteration(batch);
    learner.act(batch.state.data(), 32, actions.data(), rng);
  }
  CountAllocations train_count;
  for (int i = 0; i < 2 * config.policy_delay; ++i) learner.update(batch);
  const auto train = train_count.counts();
  CountAllocations serve_count;
  for (int i = 0; i < 4; ++i) learner.act(batch.state.data(), 32, actions.data(), rng);
  const auto serve = serve_count.counts();
  set_num_threads(saved_threads);
  REQUIRE(train.heap == 0);
  REQUIRE(train.operator_new == 0);
  REQUIRE(serve.heap == 0);
  REQUIRE(serve.operator_new == 0);
}

/// The same bits at 1 and 2 threads (2 and 3 gradient shards), training and serving.
template <class L>
void require_thread_independent(typename L::Config config) {
  config.gradient_shards = GENERATE(2, 3);
  INFO("gradient_shards " << config.gradient_shards);
  const int saved_threads = num_threads();
  auto run = [&](int threads, MatrixR<float>& actions) {
    set_num_threads(threads);
    auto learner = std::make_unique<L>(config);
    Rng data(12), serve(13);
    for (int i = 0; i < 5; ++i) learner->train_iteration(random_batch(config, data));  // two actor steps
    const TransitionBatch states = random_batch(config, data);
    learner->act(states.state.data(), config.batch_size, actions.data(), serve);
    return learner;
  };
  MatrixR<float> one_actions(config.batch_size, config.action_dim), two_actions(config.batch_size, config.action_dim);
  const auto one = run(1, one_actions);
  const auto two = run(2, two_actions);
  set_num_threads(saved_threads);
  REQUIRE(same_learner(*one, *two));
  REQUIRE(one_actions == two_actions);
}

/// Train 5, save, load into a fresh learner, train 4 more == train 9 (an odd split: the resumed run's
/// first iteration has the actor step, and the metrics of an iteration without one report the restored
/// last actor loss).
template <class L>
void require_bit_exact_resume(const typename L::Config& config, const std::string& path) {
  L uninterrupted(config), first_half(config);
  Rng data_a(4), data_b(4);
  for (int i = 0; i < 5; ++i) {
    uninterrupted.update(random_batch(config, data_a));
    first_half.update(random_batch(config, data_b));
  }
  first_half.save(path);
  L resumed(config);
  resumed.load(Checkpoint::load(path));
  REQUIRE(resumed.iteration() == 5);
  REQUIRE(same_learner(resumed, first_half));
  for (int i = 0; i < 4; ++i) {
    const UpdateMetrics a = uninterrupted.update(random_batch(config, data_a));
    const UpdateMetrics b = resumed.update(random_batch(config, data_b));
    REQUIRE(a.to_json() == b.to_json());
  }
  REQUIRE(same_learner(resumed, uninterrupted));
  std::remove(path.c_str());
}

/// A corrupted file, other hyper-parameters and a section of the wrong size are refused, naming what is
/// wrong, and the learner is left as it was.
template <class L>
void require_bad_checkpoints_refused(const typename L::Config& config, const typename L::Config& other,
                                     const std::string& path) {
  using Catch::Matchers::Contains;
  L learner(config);
  learner.save(path);
  const std::string good = read_file(path);
  std::string flipped = good;
  flipped[flipped.size() / 3] ^= 0x01;
  write_file_atomically(path, flipped);
  REQUIRE_THROWS_WITH(Checkpoint::load(path), Contains(path) && Contains("checksum mismatch"));
  write_file_atomically(path, good);

  L different(other);
  const std::vector<float> before(different.actor().params().values(),
                                  different.actor().params().values() + different.actor().params().size());
  REQUIRE_THROWS_WITH(different.load(Checkpoint::load(path)), Contains(path) && Contains("different hyper-parameters"));
  REQUIRE(std::equal(before.begin(), before.end(), different.actor().params().values()));

  // The actor's Adam moments in the critic's section: the wrong size, refused by name, nothing changes.
  Checkpoint c = Checkpoint::load(path);
  Checkpoint wrong("wrong.ckpt");
  wrong.meta = c.meta;
  for (const char* name : {"actor", "actor_target", "critic", "critic_target", "actor_adam", "last_actor_loss"})
    wrong.put(name, std::string(c.get(name)));
  wrong.put("critic_adam", std::string(c.get("actor_adam")));
  L target(config);
  Rng data(8);
  for (int i = 0; i < 2; ++i) target.train_iteration(random_batch(config, data));
  const std::string adam_before = target.critic_optimizer().to_bytes();
  const std::vector<float> actor_before(target.actor().params().values(),
                                        target.actor().params().values() + target.actor().params().size());
  REQUIRE_THROWS_WITH(target.load(wrong), Contains("wrong.ckpt: critic_adam"));
  REQUIRE(target.critic_optimizer().to_bytes() == adam_before);
  REQUIRE(std::equal(actor_before.begin(), actor_before.end(), target.actor().params().values()));
  REQUIRE(target.iteration() == 2);
  std::remove(path.c_str());
}

}  // namespace mtf::test
