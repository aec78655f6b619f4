// Tests for rl/data/replay_buffer.cpp: FIFO window, streaming, uniform seeded sampling, no allocation.
#include <catch2/catch.hpp>

#include <cmath>

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
