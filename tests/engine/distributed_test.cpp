// tests/engine/distributed_test.cpp — the process group (engine/distributed.hpp) and the sharded step over
// processes: each rank's block of parts, the in-place all-gather of rows, and a ShardedStep spread over
// the world giving the bits of the same step in one process (networks, optimizer, statistics, shared rows).
//
// In the engine suite it runs in one process (the world is rank 0 of 1: every exchange is a no-op). In a
// -DMTF_MPI=ON build the same file is also the `mpi_engine_tests` executable (tests/support/mpi_catch_main.cpp
// opens the MPI session), which ctest runs under mpirun with 1, 2 and 3 processes (label mpi). Collective
// calls are never skipped by a failed assertion (CHECK, not REQUIRE, after an exchange), so a failing rank
// fails the run instead of leaving the others waiting.
#include "engine/distributed.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "engine/sharded_step.hpp"

using namespace mtf;

namespace {

float cell(Index row, Index col) { return float(row) * 100.0f + float(col) + 0.25f; }

struct Stats {
  float loss = 0, rows = 0;
};
using Step = ShardedStep<Stats>;

// A shard's loss of the form weight * mean_r f(x_r, p): its gradient written straight into the shard's
// buffer (no tape needed), its loss into the statistics, and one value per row into `per_row`.
void shard_loss(const Step::Shard& s, Parameters<float>& p, const MatrixR<float>& x, MatrixR<float>& per_row) {
  float* g = p.grads(std::size_t(s.index));
  const Index n = Index(p.size());
  float loss = 0;
  for (Index r = s.begin; r < s.begin + s.rows; ++r) {
    float dot = 0;
    for (Index j = 0; j < n; ++j) {
      const float xj = x(r, j % x.cols());
      g[j] += s.weight * std::tanh(xj * p.values()[j]) / float(s.rows);
      dot += xj * p.values()[j];
    }
    per_row(r, 0) = dot;
    loss += s.weight * dot / float(s.rows);
  }
  s.stats.loss += loss;
  s.stats.rows += float(s.rows);
}

// Two networks updated in two phases (the second reads the first's update), `steps` times, on `group`.
struct Run {
  Parameters<float> a, b;
  Adam<float> opt_a, opt_b;
  Stats stats;
  MatrixR<float> per_row;
};
Run train(const ProcessGroup& group, int shards, int steps) {
  const Index M = 37;
  MatrixR<float> x(M, 5);
  Rng rng(11);
  // Mixed magnitudes, so a different grouping of the sums (another shard count) rounds differently.
  for (Index i = 0; i < x.size(); ++i) x.data()[i] = float(rng.normal()) * (i % 3 == 0 ? 1e3f : 1e-3f);
  Run run;
  run.a.add("w", 3, 7);  // 21: not a multiple of 16, so the shards' stride has padding
  run.b.add("w", 1, 40);
  for (std::size_t i = 0; i < run.a.size(); ++i) run.a.values()[i] = float(rng.normal());
  for (std::size_t i = 0; i < run.b.size(); ++i) run.b.values()[i] = float(rng.normal());
  run.opt_a = Adam<float>(run.a.size(), AdamConfig{0.01});
  run.opt_b = Adam<float>(run.b.size(), AdamConfig{0.02});
  run.per_row.resize(M, 1);
  Step step(shards, group);
  step.attach(run.a);
  step.attach(run.b);
  for (int t = 0; t < steps; ++t) {
    run.per_row.setConstant(std::numeric_limits<float>::quiet_NaN());
    step.run(M, {Step::Phase({{&run.a, &run.opt_a}}, [&](const Step::Shard& s) { shard_loss(s, run.a, x, run.per_row); }),
                 Step::Phase({{&run.b, &run.opt_b}}, [&](const Step::Shard& s) { shard_loss(s, run.b, x, run.per_row); })});
    step.share_rows(run.per_row);
  }
  run.stats = step.summed_stats();
  return run;
}

bool same_bits(const float* x, const float* y, std::size_t n) { return std::memcmp(x, y, n * sizeof(float)) == 0; }

}  // namespace

TEST_CASE("the world's ranks own contiguous blocks of parts that cover them in rank order", "[distributed]") {
  const ProcessGroup& world = ProcessGroup::world();
  REQUIRE(world.size() >= 1);
  REQUIRE(world.rank() >= 0);
  REQUIRE(world.rank() < world.size());
  REQUIRE(world.distributed() == (world.size() > 1));
  for (const std::ptrdiff_t parts : {1, 2, 3, 4, 7}) {
    std::ptrdiff_t next = 0;
    for (int r = 0; r < world.size(); ++r) {
      const Range block = split_range(parts, world.size(), r);
      REQUIRE(block.begin == next);
      next = block.end;
    }
    REQUIRE(next == parts);
    REQUIRE(world.owned(parts).begin == split_range(parts, world.size(), world.rank()).begin);
  }
  const ProcessGroup& one = ProcessGroup::single();
  REQUIRE(one.size() == 1);
  REQUIRE(one.rank() == 0);
  REQUIRE(one.owned(5).size() == 5);
}

TEST_CASE("allgather_rows: every rank ends with every rank's rows, bit for bit", "[distributed]") {
  const ProcessGroup& world = ProcessGroup::world();
  const Index cols = 3;
  // parts: one per rank, several per rank, and a count that does not divide evenly among the ranks.
  for (const Index parts : {Index(world.size()), Index(2 * world.size()), Index(world.size() + 1)}) {
    const Index rows = 10 + parts;  // rows do not divide evenly among the parts either
    MatrixR<float> m(rows, cols);
    m.setConstant(-1.0f);
    const Range mine = world.owned(parts);
    for (Index k = mine.begin; k < mine.end; ++k) {
      const Range r = split_range(rows, parts, k);
      for (Index i = r.begin; i < r.end; ++i)
        for (Index j = 0; j < cols; ++j) m(i, j) = cell(i, j) + 1000.0f * float(world.rank());
    }
    world.allgather_rows(m.data(), rows, cols, parts);
    int wrong = 0;
    for (Index k = 0; k < parts; ++k) {
      const int owner = [&] {
        for (int r = 0; r < world.size(); ++r) {
          const Range b = split_range(parts, world.size(), r);
          if (k >= b.begin && k < b.end) return r;
        }
        return -1;
      }();
      const Range r = split_range(rows, parts, k);
      for (Index i = r.begin; i < r.end; ++i)
        for (Index j = 0; j < cols; ++j) wrong += m(i, j) != cell(i, j) + 1000.0f * float(owner);
    }
    INFO("rank " << world.rank() << " of " << world.size() << ", parts " << parts);
    CHECK(wrong == 0);
  }
}

TEST_CASE("allgather_i64: every rank ends with every rank's values in rank order", "[distributed]") {
  const ProcessGroup& world = ProcessGroup::world();
  const std::int64_t mine[3] = {world.rank(), -7 - world.rank(), std::int64_t(1) << (40 + world.rank())};
  std::vector<std::int64_t> all(std::size_t(3 * world.size()), 0);
  world.allgather_i64(mine, 3, all.data());
  int wrong = 0;
  for (int r = 0; r < world.size(); ++r) {
    wrong += all[std::size_t(3 * r)] != r;
    wrong += all[std::size_t(3 * r + 1)] != -7 - r;
    wrong += all[std::size_t(3 * r + 2)] != std::int64_t(1) << (40 + r);
  }
  INFO("rank " << world.rank() << " of " << world.size());
  CHECK(wrong == 0);
}

TEST_CASE("allgather_blocks: blocks of any size, empty ones too, arrive with their exact bits", "[distributed]") {
  const ProcessGroup& world = ProcessGroup::world();
  // Values arithmetic would not carry through: -0.0 (+0.0 + -0.0 is +0.0), a NaN with a payload, the
  // smallest subnormal, infinity. Rank r's block has (3 r) mod 5 rows of 6 words (rank 0's is empty).
  const std::uint32_t nan_payload = 0x7fc01234u;
  float nan;
  std::memcpy(&nan, &nan_payload, sizeof nan);
  const float values[] = {-0.0f, nan, std::numeric_limits<float>::denorm_min(), -std::numeric_limits<float>::infinity(),
                          1.5f, -3.25e-30f};
  auto word = [&](int rank, std::int64_t k) {
    std::uint32_t b;
    std::memcpy(&b, &values[std::size_t(k + rank) % 6], sizeof b);
    return b;
  };
  std::vector<std::int64_t> offsets(std::size_t(world.size() + 1), 0);
  for (int r = 0; r < world.size(); ++r) offsets[std::size_t(r + 1)] = offsets[std::size_t(r)] + 6 * ((3 * r) % 5);
  std::vector<std::uint32_t> words(std::size_t(offsets.back()), 0xdeadbeefu);
  for (std::int64_t k = offsets[std::size_t(world.rank())]; k < offsets[std::size_t(world.rank() + 1)]; ++k)
    words[std::size_t(k)] = word(world.rank(), k);
  world.allgather_blocks(words.data(), offsets.data());
  int wrong = 0;
  for (int r = 0; r < world.size(); ++r)
    for (std::int64_t k = offsets[std::size_t(r)]; k < offsets[std::size_t(r + 1)]; ++k)
      wrong += words[std::size_t(k)] != word(r, k);
  INFO("rank " << world.rank() << " of " << world.size());
  CHECK(wrong == 0);
}

TEST_CASE("broadcast: the root's text reaches every rank", "[distributed]") {
  const ProcessGroup& world = ProcessGroup::world();
  const int root = world.size() - 1;
  std::string text = world.rank() == root ? "log.jsonl:17: field \"action\": expected 12 values, got 11" : "other";
  world.broadcast(text, root);
  CHECK(text == "log.jsonl:17: field \"action\": expected 12 values, got 11");
}

TEST_CASE("allgather_rows of doubles: every rank ends with every rank's rows, bit for bit", "[distributed]") {
  const ProcessGroup& world = ProcessGroup::world();
  const Index cols = 5;
  for (const Index parts : {Index(world.size()), Index(world.size() + 2), Index(1)}) {
    const Index rows = 7 * parts + 3;
    // Values whose low bits matter (a float exchange of them would round): 1 + k * 2^-40.
    auto value = [](Index i, Index j, int owner) { return 1.0 + double(i * 16 + j) * 0x1p-40 + 1000.0 * owner; };
    std::vector<double> m(std::size_t(rows * cols), -1.0);
    const Range mine = world.owned(parts);
    for (Index k = mine.begin; k < mine.end; ++k) {
      const Range r = split_range(rows, parts, k);
      for (Index i = r.begin; i < r.end; ++i)
        for (Index j = 0; j < cols; ++j) m[std::size_t(i * cols + j)] = value(i, j, world.rank());
    }
    world.allgather_rows(m.data(), rows, cols, parts);
    int wrong = 0;
    for (int owner = 0; owner < world.size(); ++owner) {
      const Range blocks = split_range(parts, world.size(), owner);
      for (Index k = blocks.begin; k < blocks.end; ++k) {
        const Range r = split_range(rows, parts, k);
        for (Index i = r.begin; i < r.end; ++i)
          for (Index j = 0; j < cols; ++j) {
            const double want = value(i, j, owner);
            wrong += std::memcmp(&m[std::size_t(i * cols + j)], &want, sizeof want) != 0;
          }
      }
    }
    INFO("rank " << world.rank() << " of " << world.size() << ", parts " << parts);
    CHECK(wrong == 0);
  }
}

TEST_CASE("a sharded step spread over the world gives the bits of the same shards in one process",
          "[distributed][sharded_step]") {
  const ProcessGroup& world = ProcessGroup::world();
  for (const int shards : {world.size(), 2 * world.size(), world.size() + 1}) {
    INFO("rank " << world.rank() << " of " << world.size() << ", " << shards << " shards");
    const Run spread = train(world, shards, 3);
    const Run alone = train(ProcessGroup::single(), shards, 3);
    CHECK(same_bits(spread.a.values(), alone.a.values(), alone.a.size()));
    CHECK(same_bits(spread.b.values(), alone.b.values(), alone.b.size()));
    CHECK(spread.opt_a.to_bytes() == alone.opt_a.to_bytes());
    CHECK(spread.opt_b.to_bytes() == alone.opt_b.to_bytes());
    CHECK(std::memcmp(&spread.stats, &alone.stats, sizeof(Stats)) == 0);
    CHECK(spread.stats.rows == 2.0f * 37);  // both phases' shards counted once each
    CHECK(same_bits(spread.per_row.data(), alone.per_row.data(), std::size_t(alone.per_row.size())));
    // The control: another shard count sums the gradients in other groups, so the moments get other
    // bits — the comparisons above can fail.
    const Run other = train(ProcessGroup::single(), shards + 1, 3);
    CHECK(other.opt_a.to_bytes() != alone.opt_a.to_bytes());
  }
}

TEST_CASE("a step with fewer shards than processes is refused when it runs, naming gradient_shards",
          "[distributed][sharded_step]") {
  const ProcessGroup& world = ProcessGroup::world();
  Parameters<float> p;
  p.add("w", 1, 4);
  Adam<float> opt(4, AdamConfig{0.01});
  const int shards = world.size() > 1 ? world.size() - 1 : 1;
  Step step(shards);  // built: a learner loaded only to act needs no shards per process
  step.attach(p);
  auto run = [&] { step.run(8, {Step::Phase({{&p, &opt}}, [](const Step::Shard&) {})}); };
  if (world.size() == 1) {
    REQUIRE_NOTHROW(run());
    return;
  }
  REQUIRE_THROWS_WITH(run(), Catch::Matchers::Contains("\"gradient_shards\"") &&
                                 Catch::Matchers::Contains("each process needs at least one"));
}
