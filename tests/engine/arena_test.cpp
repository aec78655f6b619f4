// tests/engine/arena_test.cpp — the arena hands out aligned memory and, once warmed up, the same
// addresses without touching the heap.
#include "engine/arena.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "tests/support/alloc_counter.hpp"

using mtf::Arena;

TEST_CASE("arena allocations are 64-byte aligned and distinct", "[arena]") {
  Arena arena;
  void* a = arena.allocate(3);
  void* b = arena.allocate(100);
  void* c = arena.allocate(1);
  for (void* p : {a, b, c}) REQUIRE(reinterpret_cast<std::uintptr_t>(p) % 64 == 0);
  REQUIRE(static_cast<char*>(b) - static_cast<char*>(a) >= 64);
  REQUIRE(static_cast<char*>(c) - static_cast<char*>(b) >= 128);
}

TEST_CASE("a rewound arena replays the same addresses without heap allocation", "[arena]") {
  Arena arena;
  const std::vector<std::size_t> sizes = {1000, 3 << 20, 17, 5 << 20, 64};  // forces several blocks
  std::vector<void*> first;
  for (auto s : sizes) first.push_back(arena.allocate(s));
  const std::size_t capacity = arena.capacity();
  arena.rewind();
  mtf::test::CountAllocations count;
  for (std::size_t i = 0; i < sizes.size(); ++i) REQUIRE(arena.allocate(sizes[i]) == first[i]);
  MTF_CHECK_NO_HEAP_ALLOCATIONS(count);
  REQUIRE(arena.capacity() == capacity);
}

TEST_CASE("the allocation counter sees heap allocations", "[arena]") {
  MTF_SKIP_WITHOUT_ALLOCATION_COUNTING();
  mtf::test::CountAllocations count;
  auto* v = new std::vector<int>(1000);
  delete v;
  REQUIRE(count.counts().operator_new >= 2);
  REQUIRE(count.counts().heap >= 2);
}
