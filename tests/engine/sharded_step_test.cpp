// tests/engine/sharded_step_test.cpp — the sharded gradient step (engine/sharded_step.hpp): shards' rows
// and weights, gradients summed in shard order before Adam, statistics summed in shard order, a phase
// seeing the updates of the phases before it, the same bits at 1 and 2 threads, per-shard generators,
// no allocation once warm, and a clear error for too small a minibatch.
#include "engine/sharded_step.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <vector>

#include "tests/support/alloc_counter.hpp"

using namespace mtf;
using Catch::Matchers::Contains;

namespace {

struct Stats {
  float loss = 0, rows = 0;
};
using Step = ShardedStep<Stats>;

// Data x (M, 4); the "loss" of a shard is weight * mean_r (x_r . p): its gradient, weight * mean_r x_r,
// is written straight into the shard's gradient buffer (the tape is not needed to test the helper).
void linear_loss(const Step::Shard& s, Parameters<float>& p, const MatrixR<float>& x) {
  float* g = p.grads(std::size_t(s.index));
  float loss = 0;
  for (Index r = s.begin; r < s.begin + s.rows; ++r)
    for (Index j = 0; j < 4; ++j) {
      g[j] += s.weight * x(r, j) / float(s.rows);
      loss += s.weight * x(r, j) * p.values()[j] / float(s.rows);
    }
  s.stats.loss = loss;
  s.stats.rows = float(s.rows);
}

MatrixR<float> data(Index rows) {
  MatrixR<float> x(rows, 4);
  Rng rng(3);
  for (Index i = 0; i < x.size(); ++i) x.data()[i] = float(rng.normal()) * (i % 3 == 0 ? 1e4f : 1e-3f);
  return x;
}

}  // namespace

TEST_CASE("a phase's shards cover the minibatch, their gradients are summed in shard order, then Adam",
          "[sharded_step]") {
  const int shards = GENERATE(1, 2, 3);
  INFO("shards " << shards);
  const Index M = 10;
  const MatrixR<float> x = data(M);
  Parameters<float> p, reference;
  p.add("w", 1, 4);
  reference.add("w", 1, 4);
  for (int j = 0; j < 4; ++j) p.values()[j] = reference.values()[j] = 0.1f * float(j + 1);
  Adam<float> opt(4, AdamConfig{0.01}), ref_opt(4, AdamConfig{0.01});
  Step step(shards);
  step.attach(p);
  std::vector<Index> covered(M, 0);
  // Catch's assertions are not thread-safe: each shard records what it saw, checked after the run.
  std::vector<int> weight_right(std::size_t(shards), 0), tape_right(std::size_t(shards), 0);
  step.run(M, {Step::Phase({{&p, &opt}}, [&](const Step::Shard& s) {
             for (Index r = s.begin; r < s.begin + s.rows; ++r) covered[std::size_t(r)] += 1;
             weight_right[std::size_t(s.index)] = s.weight == float(s.rows) / float(M);
             tape_right[std::size_t(s.index)] = s.tape.gradient_shard() == std::size_t(s.index);
             linear_loss(s, p, x);
           })});
  REQUIRE(covered == std::vector<Index>(M, 1));
  REQUIRE(weight_right == std::vector<int>(std::size_t(shards), 1));
  REQUIRE(tape_right == std::vector<int>(std::size_t(shards), 1));
  // The same by hand: shard gradients in shard order, summed in that order, one Adam step.
  std::vector<float> g(4, 0.0f);
  std::vector<std::vector<float>> parts;
  for (int k = 0; k < shards; ++k) {
    const Range r = split_range(M, shards, k);
    std::vector<float> part(4, 0.0f);
    for (Index i = r.begin; i < r.end; ++i)
      for (int j = 0; j < 4; ++j) part[j] += float(r.size()) / float(M) * x(i, j) / float(r.size());
    parts.push_back(part);
  }
  for (int j = 0; j < 4; ++j) {
    float sum = parts[0][j];
    for (int k = 1; k < shards; ++k) sum += parts[std::size_t(k)][std::size_t(j)];
    reference.grads()[j] = sum;
  }
  ref_opt.step(reference);
  REQUIRE(std::memcmp(p.values(), reference.values(), 4 * sizeof(float)) == 0);
  REQUIRE(step.summed_stats().rows == float(M));
}

TEST_CASE("statistics are summed field by field in shard order", "[sharded_step]") {
  Step step(3);
  Parameters<float> p;
  p.add("w", 1, 1);
  Adam<float> opt(1, AdamConfig{0.0});
  step.attach(p);
  const float parts[3] = {1e8f, 1.0f, -1e8f};  // (1e8 + 1) - 1e8 = 0 in float; 1e8 + (1 - 1e8) = 0 too, but
  step.run(3, {Step::Phase({{&p, &opt}}, [&](const Step::Shard& s) { s.stats.loss = parts[s.index]; })});
  REQUIRE(step.summed_stats().loss == (1e8f + 1.0f) + -1e8f);  // shard order, whatever ran them
}

TEST_CASE("a phase sees the updates of the phases before it, and later phases do not run early", "[sharded_step]") {
  Parameters<float> a, b;
  a.add("w", 1, 1);
  b.add("w", 1, 1);
  Adam<float> opt_a(1, AdamConfig{0.5}), opt_b(1, AdamConfig{0.5});
  Step step(2);
  step.attach(a);
  step.attach(b);
  float seen[2] = {0, 0};
  step.run(4, {Step::Phase({{&a, &opt_a}}, [&](const Step::Shard& s) { a.grads(std::size_t(s.index))[0] += 1.0f; }),
               Step::Phase({{&b, &opt_b}}, [&](const Step::Shard& s) { seen[s.index] = a.values()[0]; })});
  REQUIRE(a.values()[0] == -0.5f);  // Adam's first step moves by lr against the gradient's sign
  REQUIRE(seen[0] == -0.5f);
  REQUIRE(seen[1] == -0.5f);
  REQUIRE(b.values()[0] == 0.0f);  // no gradient: Adam leaves it
}

TEST_CASE("the same bits at 1 and 2 threads, and per-shard generators follow the shard count", "[sharded_step][threads]") {
  const MatrixR<float> x = data(64);
  auto run = [&](int threads, std::vector<float>& draws) {
    const int saved = num_threads();
    set_num_threads(threads);
    Parameters<float> p;
    p.add("w", 1, 4);
    Adam<float> opt(4, AdamConfig{0.01});
    Step step(2);
    step.attach(p);
    Rng learner(7);
    draws.assign(2, 0.0f);
    for (int it = 0; it < 3; ++it) {
      step.reseed(learner);
      step.run(64, {Step::Phase({{&p, &opt}}, [&](const Step::Shard& s) {
                 draws[std::size_t(s.index)] += float(s.rng.normal());
                 linear_loss(s, p, x);
               })});
    }
    set_num_threads(saved);
    return std::vector<float>(p.values(), p.values() + 4);
  };
  std::vector<float> d1, d2;
  const auto one = run(1, d1), two = run(2, d2);
  REQUIRE(std::memcmp(one.data(), two.data(), 4 * sizeof(float)) == 0);
  REQUIRE(d1 == d2);
  REQUIRE(d1[0] != d1[1]);  // each shard its own stream
}

TEST_CASE("run() allocates nothing once warm", "[sharded_step][alloc]") {
  MTF_SKIP_WITHOUT_ALLOCATION_COUNTING();
  const int threads = GENERATE(1, 2);
  const int saved = num_threads();
  set_num_threads(threads);
  const MatrixR<float> x = data(32);
  Parameters<float> p;
  p.add("w", 1, 4);
  Adam<float> opt(4, AdamConfig{0.01});
  Step step(2);
  step.attach(p);
  auto once = [&] { step.run(32, {Step::Phase({{&p, &opt}}, [&](const Step::Shard& s) { linear_loss(s, p, x); })}); };
  once();
  test::CountAllocations count;
  for (int i = 0; i < 5; ++i) once();
  const auto c = count.counts();
  set_num_threads(saved);
  REQUIRE(c.heap == 0);
  REQUIRE(c.operator_new == 0);
}

TEST_CASE("too small a minibatch and too many shards are refused", "[sharded_step]") {
  REQUIRE_THROWS_WITH(Step(0), Contains("at least one gradient shard"));
  Step step(4);
  Parameters<float> p;
  p.add("w", 1, 1);
  Adam<float> opt(1, AdamConfig{});
  REQUIRE_THROWS_WITH(step.run(3, {Step::Phase({{&p, &opt}}, [](const Step::Shard&) {})}),
                      Contains("minibatch of 3 rows, fewer than the 4 gradient shards"));
  ConfigReader r(nlohmann::json::object(), "cfg.json");
  REQUIRE_THROWS_WITH(check_gradient_shards(r, 5, 4), Contains("cfg.json: field \"gradient_shards\" (5) exceeds"));
}
