#include "engine/threads.hpp"

#include <stdexcept>
#include <string>

namespace mtf {

void set_num_threads(int n) {
  if (n < 1) throw std::invalid_argument("set_num_threads: need n >= 1, got " + std::to_string(n));
  omp_set_num_threads(n);
}

int num_threads() { return omp_get_max_threads(); }

bool in_parallel_region() { return omp_in_parallel() != 0; }

Range split_range(std::ptrdiff_t n, std::ptrdiff_t parts, std::ptrdiff_t k, std::ptrdiff_t align) {
  if (parts < 1 || k < 0 || k >= parts || align < 1 || n < 0)
    throw std::invalid_argument("split_range: need parts >= 1, 0 <= k < parts, align >= 1, n >= 0");
  // In units of `align` (the last unit may be partial): units / parts each, the first units % parts one more.
  const std::ptrdiff_t units = (n + align - 1) / align, base = units / parts, extra = units % parts;
  const auto boundary = [&](std::ptrdiff_t i) {
    const std::ptrdiff_t u = i * base + (i < extra ? i : extra);
    return u * align < n ? u * align : n;
  };
  return {boundary(k), boundary(k + 1)};
}

}  // namespace mtf
