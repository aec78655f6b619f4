// tests/support/alloc_counter.hpp — counts heap allocations so tests can prove a hot loop allocates
// nothing. The test binaries interpose malloc/calloc/realloc/aligned_alloc/posix_memalign/memalign (all
// threads, Eigen's aligned_malloc and OpenMP's runtime included) and operator new, forwarding to glibc.
#pragma once

namespace mtf::test {

struct AllocationCounts {
  long long heap = 0;          // malloc-family calls (operator new included)
  long long operator_new = 0;  // operator new / new[] calls
};

/// False in sanitizer builds, where the sanitizer owns malloc.
bool allocation_counting_available();

/// Counts allocations made while alive, on every thread.
class CountAllocations {
 public:
  CountAllocations();
  ~CountAllocations();
  AllocationCounts counts() const;

 private:
  long long heap0_, new0_;
};

}  // namespace mtf::test

/// At the top of a test case that only counts allocations: in a build without counting (sanitizers), say
/// so — a Catch warning, which CTest turns into a "skipped" result (tests/CMakeLists.txt matches the
/// line with SKIP_REGULAR_EXPRESSION) — and leave the test instead of passing it silently.
#define MTF_SKIP_WITHOUT_ALLOCATION_COUNTING()                                                            \
  do {                                                                                                    \
    if (!::mtf::test::allocation_counting_available()) {                                                  \
      WARN("SKIPPED: allocation counting is unavailable in this build (the sanitizer owns malloc)");      \
      return;                                                                                             \
    }                                                                                                     \
  } while (0)
/// For a test that checks more than allocations: the count's check, or a visible note that it was not made.
#define MTF_CHECK_NO_HEAP_ALLOCATIONS(counter)                                                          \
  do {                                                                                                  \
    if (::mtf::test::allocation_counting_available())                                                   \
      REQUIRE((counter).counts().heap == 0);                                                            \
    else                                                                                                \
      WARN("NOT CHECKED: allocation counting is unavailable in this build (the sanitizer owns malloc)"); \
  } while (0)
