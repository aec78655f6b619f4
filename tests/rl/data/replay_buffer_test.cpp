// Tests for rl/data/replay_buffer.cpp: FIFO window, streaming, uniform seeded sampling, no allocation; a
// shard of the window (one process's part under mpirun).
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "rl/data/replay_buffer.hpp"
#include "tests/support/alloc_counter.hpp"

using namespace mtf;

namespace {
constexpr int kS = 4;
void add_numbered(ReplayBuffer& b, int i) {
  float s[kS] = {float(i), 0, 0, 0}, s2[kS] = {float(i + 1), 0, 0, 0}, a[kActionDim] = {};
  a[0] = float(i);
  b.add(s, a, float(i), s2, i % 10 == 9);
}
}  // namespace

TEST_CASE("the buffer is a FIFO window: when full the oldest are dropped", "[data][replay_buffer]") {
  ReplayBuffer b(kS, 100);
  REQUIRE(ReplayBuffer(kS).capacity() == 100000);
  for (int i = 0; i < 250; ++i) add_numbered(b, i);  // a "dataset" 2.5x the window streams through
  REQUIRE(b.size() == 100);
  REQUIRE(b.total_added() == 250);
  for (int i = 0; i < 100; ++i) {
    REQUIRE(b.state_at(i)[0] == float(150 + i));  // the newest 100, oldest first
    REQUIRE(b.reward_at(i) == float(150 + i));
  }
}

TEST_CASE("sampling is uniform over the window, seeded, and keeps rows together", "[data][replay_buffer]") {
  ReplayBuffer b(kS, 50);
  for (int i = 0; i < 80; ++i) add_numbered(b, i);  // window holds 30..79
  const int m = 20000;
  TransitionBatch batch(m, kS, kActionDim);
  mtf::Rng rng(5);
  b.sample(rng, batch);
  std::vector<int> count(50, 0);
  for (int r = 0; r < m; ++r) {
    const int i = static_cast<int>(batch.state(r, 0));
    REQUIRE(i >= 30);
    REQUIRE(i < 80);
    REQUIRE(batch.action(r, 0) == float(i));
    REQUIRE(batch.reward(r, 0) == float(i));
    REQUIRE(batch.next_state(r, 0) == float(i + 1));
    REQUIRE(batch.not_done(r, 0) == (i % 10 == 9 ? 0.0f : 1.0f));
    count[i - 30] += 1;
  }
  // Chi-square against uniform: 49 dof, the 99.9 % quantile is about 85.
  double chi2 = 0;
  for (int c : count) chi2 += (c - m / 50.0) * (c - m / 50.0) / (m / 50.0);
  REQUIRE(chi2 < 85);
  // Same seed, same batch.
  TransitionBatch again(m, kS, kActionDim);
  mtf::Rng rng2(5);
  b.sample(rng2, again);
  REQUIRE(again.state == batch.state);
}

TEST_CASE("sample() performs no heap allocation", "[data][replay_buffer]") {
  MTF_SKIP_WITHOUT_ALLOCATION_COUNTING();
  ReplayBuffer b(64, 1000);
  std::vector<float> s(64, 1.0f), a(kActionDim, 0.5f);
  for (int i = 0; i < 1000; ++i) b.add(s.data(), a.data(), 1.0f, s.data(), false);
  TransitionBatch batch(256, 64, kActionDim);
  mtf::Rng rng(1);
  mtf::test::CountAllocations counter;
  for (int k = 0; k < 100; ++k) {
    b.sample(rng, batch);
  }
  REQUIRE(counter.counts().heap == 0);
}

// A shard of the window in one process (ProcessGroup::single(): one part, the exchange a no-op) takes the
// sharded path of sample() — draws, holders, blocks — and must give the whole buffer's minibatches; the
// same path with 2 and 3 processes, whose exchange then matters, is tests/rl/data/train_window_test.cpp
// under mpirun.
TEST_CASE("a shard holding the whole window draws the whole buffer's minibatches, bit for bit", "[data][replay_buffer]") {
  ReplayBuffer whole(kS, 50);
  for (int i = 0; i < 80; ++i) add_numbered(whole, i);  // window: transitions 30..79, ages 0..49
  ReplayBuffer shard = ReplayBuffer::shard(kS, 50, kActionDim, ProcessGroup::single(), {0, 50});
  for (int i = 30; i < 80; ++i) add_numbered(shard, i);
  REQUIRE(shard.sharded());
  REQUIRE(shard.size() == 50);
  REQUIRE(shard.held() == 50);
  REQUIRE(shard.first_held() == 0);
  REQUIRE(shard.capacity() == 50);
  Rng a(11), b(11);
  TransitionBatch expected(500, kS, kActionDim), got(500, kS, kActionDim);
  for (int k = 0; k < 3; ++k) {  // the second and third reuse the exchange buffers
    whole.sample(a, expected);
    shard.sample(b, got);
    REQUIRE(got.state == expected.state);
    REQUIRE(got.action == expected.action);
    REQUIRE(got.reward == expected.reward);
    REQUIRE(got.next_state == expected.next_state);
    REQUIRE(got.not_done == expected.not_done);
  }
  REQUIRE(a.below(1000) == b.below(1000));  // the same generator calls
}

TEST_CASE("a shard refuses parts that are not the window's and more rows than it holds", "[data][replay_buffer]") {
  const ProcessGroup& one = ProcessGroup::single();
  REQUIRE_THROWS_WITH(ReplayBuffer::shard(kS, 50, kActionDim, one, {0, 51}),  // a window beyond the capacity
                      "ReplayBuffer::shard: part starts [0, 51] are not 2 ages from 0, in order, up to at most the "
                      "capacity 50");
  REQUIRE_THROWS_AS(ReplayBuffer::shard(kS, 50, kActionDim, one, {0, 10, 20}), std::invalid_argument);  // 2 parts, 1 process
  REQUIRE_THROWS_AS(ReplayBuffer::shard(kS, 50, kActionDim, one, {5, 20}), std::invalid_argument);  // not from 0
  ReplayBuffer b = ReplayBuffer::shard(kS, 50, kActionDim, one, {0, 2});
  add_numbered(b, 0);
  add_numbered(b, 1);
  REQUIRE_THROWS_AS(add_numbered(b, 2), std::logic_error);  // a shard never evicts
  ReplayBuffer empty = ReplayBuffer::shard(kS, 50, kActionDim, one, {0, 0});
  TransitionBatch batch(4, kS, kActionDim);
  Rng rng(1);
  REQUIRE_THROWS_AS(empty.sample(rng, batch), std::logic_error);  // an empty window, as in one process
}

TEST_CASE("a shard's sample() allocates nothing after the first", "[data][replay_buffer]") {
  MTF_SKIP_WITHOUT_ALLOCATION_COUNTING();
  ReplayBuffer b = ReplayBuffer::shard(64, 1000, kActionDim, ProcessGroup::single(), {0, 300});
  std::vector<float> s(64, 1.0f), a(kActionDim, 0.5f);
  for (int i = 0; i < 300; ++i) b.add(s.data(), a.data(), 1.0f, s.data(), false);
  TransitionBatch batch(256, 64, kActionDim);
  mtf::Rng rng(1);
  b.sample(rng, batch);  // warm-up: sizes the exchange buffers
  mtf::test::CountAllocations counter;
  for (int k = 0; k < 100; ++k) b.sample(rng, batch);
  REQUIRE(counter.counts().heap == 0);
}
