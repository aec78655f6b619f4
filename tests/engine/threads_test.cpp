// tests/engine/threads_test.cpp — the thread count is settable and parallel_for_range covers its range
// exactly once, without nesting inside an existing parallel region.
#include "engine/threads.hpp"

#include <catch2/catch.hpp>
#include <stdexcept>
#include <vector>

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
