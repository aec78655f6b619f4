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
