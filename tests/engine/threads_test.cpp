// tests/engine/threads_test.cpp — the thread count is settable and parallel_for_range covers its range
// exactly once, without nesting inside an existing parallel region; split_range's parts; run_team's team.
#include "engine/threads.hpp"

#include <catch2/catch.hpp>
#include <omp.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "tests/support/alloc_counter.hpp"

TEST_CASE("set_num_threads sets the count and rejects zero", "[threads]") {
  const int before = mtf::num_threads();
  mtf::set_num_threads(1);
  REQUIRE(mtf::num_threads() == 1);
  mtf::set_num_threads(2);
  REQUIRE(mtf::num_threads() == 2);
  REQUIRE_THROWS_AS(mtf::set_num_threads(0), std::invalid_argument);
  mtf::set_num_threads(before);
}

TEST_CASE("parallel_for_range visits every index once", "[threads]") {
  const int before = mtf::num_threads();
  mtf::set_num_threads(2);
  for (std::ptrdiff_t n : {0, 1, 17, 1000, 100003}) {
    std::vector<int> hits(std::size_t(n), 0);
    mtf::parallel_for_range(n, 16, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
      for (std::ptrdiff_t i = b; i < e; ++i) hits[std::size_t(i)]++;
    });
    for (int h : hits) REQUIRE(h == 1);
  }
  mtf::set_num_threads(before);
}

TEST_CASE("inside a parallel region kernels run sequentially (never nested)", "[threads]") {
  int inner_threads = 0;
#pragma omp parallel num_threads(2)
  {
#pragma omp single
    {
      REQUIRE(mtf::in_parallel_region());
      mtf::parallel_for_range(1 << 20, 16, [&](std::ptrdiff_t, std::ptrdiff_t) {
#pragma omp atomic
        inner_threads++;
      });
    }
  }
  REQUIRE(inner_threads == 1);
}

TEST_CASE("split_range cuts 0..n into contiguous parts, balanced or aligned", "[threads]") {
  for (std::ptrdiff_t n : {0, 1, 5, 256, 257, 1000}) {
    for (std::ptrdiff_t parts : {1, 2, 3, 7}) {
      for (std::ptrdiff_t align : {1, 16}) {
        std::ptrdiff_t next = 0, smallest = n, largest = 0;
        for (std::ptrdiff_t k = 0; k < parts; ++k) {
          const mtf::Range r = mtf::split_range(n, parts, k, align);
          REQUIRE(r.begin == next);  // contiguous, in order
          REQUIRE(r.end >= r.begin);
          if (r.end < n) REQUIRE(r.end % align == 0);  // interior boundaries aligned
          smallest = std::min(smallest, r.size());
          largest = std::max(largest, r.size());
          next = r.end;
        }
        REQUIRE(next == n);  // covers everything
        if (align == 1) REQUIRE(largest - smallest <= 1);
      }
    }
  }
  // Earlier parts take the remainder: 257 rows in 2 shards are 129 + 128.
  REQUIRE(mtf::split_range(257, 2, 0).size() == 129);
  REQUIRE(mtf::split_range(257, 2, 1).begin == 129);
  REQUIRE_THROWS_AS(mtf::split_range(10, 0, 0), std::invalid_argument);
  REQUIRE_THROWS_AS(mtf::split_range(10, 2, 2), std::invalid_argument);
}

TEST_CASE("run_team: a team of min(threads, asked), whose barrier never binds to an enclosing team",
          "[threads]") {
  const int before = mtf::num_threads();
  mtf::set_num_threads(2);
  int team_seen = 0;
  std::vector<int> members(4, 0);
  mtf::run_team(3, [&](int team, int member) {
#pragma omp atomic write
    team_seen = team;
    members[std::size_t(member)] = 1;
  });
  REQUIRE(team_seen == 2);
  REQUIRE(members == std::vector<int>{1, 1, 0, 0});
  mtf::run_team(1, [&](int team, int) { team_seen = team; });
  REQUIRE(team_seen == 1);

  // Called from one thread of a running team: the body runs on one thread, and its barrier waits for
  // that thread only (binding to the outer team would deadlock, as the other outer thread never arrives).
  int inner_runs = 0;
#pragma omp parallel num_threads(2)
  {
    if (mtf::in_parallel_region() && omp_get_thread_num() == 0) {
      mtf::run_team(2, [&](int team, int) {
        REQUIRE(team == 1);
#pragma omp barrier
        inner_runs++;
      });
    }
  }
  REQUIRE(inner_runs == 1);
  mtf::set_num_threads(before);
}

TEST_CASE("run_team allocates nothing once warm, at 1 and 2 threads", "[threads][alloc]") {
  MTF_SKIP_WITHOUT_ALLOCATION_COUNTING();
  const int before = mtf::num_threads();
  for (int threads : {1, 2}) {
    mtf::set_num_threads(threads);
    int sum = 0;
    auto body = [&](int team, int member) {
#pragma omp barrier
#pragma omp atomic
      sum += team + member;
    };
    mtf::run_team(2, body);  // warm-up: the OpenMP runtime builds its thread pool
    mtf::run_team(2, body);
    mtf::test::CountAllocations count;
    for (int i = 0; i < 5; ++i) mtf::run_team(2, body);
    const long long heap = count.counts().heap;
    INFO("threads " << threads);
    REQUIRE(heap == 0);  // libgomp mallocs a one-thread team: run_team must not ask for one
    REQUIRE(sum == 7 * (threads == 1 ? 1 : (2 + 0) + (2 + 1)));  // team + member over the members, 7 calls
  }
  mtf::set_num_threads(before);
}
