// engine/threads.hpp — the engine's thread count, and the two ways work is split across threads.
//
// Threading has exactly one owner at a time. A training step that splits its minibatch into gradient
// shards (rl/bcq.cpp, ope/fqe.cpp) owns it for the whole step: run_team forks once, each member runs
// whole shards, and the kernels inside run sequentially. Outside such a step each kernel owns it: the
// engine's GEMM splits the rows of its output across OpenMP threads (each thread runs a single-threaded
// kernel — Eigen itself is built with EIGEN_DONT_PARALLELIZE), and large elementwise kernels split their
// flat range. Nothing is nested: a kernel called from inside a parallel region runs sequentially. No
// kernel splits a reduction across threads, and a step's shards are fixed by its config, so results do
// not depend on the thread count.
#pragma once
#include <cstddef>

namespace mtf {

/// Sets the number of threads the engine's kernels use (calls omp_set_num_threads). n >= 1.
void set_num_threads(int n);
/// The number of threads the engine's kernels will use.
int num_threads();
/// True when the caller is already inside an OpenMP parallel region (kernels then run sequentially).
bool in_parallel_region();

/// Elementwise kernels (ops, Adam, soft updates) fork only above this many elements: below it the
/// OpenMP fork/join (microseconds when idle, a scheduler quantum when the machine is oversubscribed)
/// costs more than it saves.
constexpr std::ptrdiff_t kElementwiseParallelMin = std::ptrdiff_t(1) << 18;

/// Runs body(begin, end) over [0, n) in contiguous chunks, split across threads when n >= min_parallel.
/// Chunk boundaries depend on the thread count; bodies must be elementwise (no cross-chunk reduction).
template <class Body>
void parallel_for_range(std::ptrdiff_t n, std::ptrdiff_t min_parallel, Body&& body);

/// Part `k` of [0, n) cut into `parts` contiguous parts: [begin, end). Interior boundaries are multiples
/// of `align`; with align = 1 the sizes differ by at most one (earlier parts take the remainder).
struct Range {
  std::ptrdiff_t begin = 0, end = 0;
  std::ptrdiff_t size() const { return end - begin; }
};
Range split_range(std::ptrdiff_t n, std::ptrdiff_t parts, std::ptrdiff_t k, std::ptrdiff_t align = 1);

/// Runs body(team, member) on a team of min(num_threads(), max_team) threads, one when called from inside
/// a parallel region. The body may use `#pragma omp barrier`: it always runs in its own (possibly
/// one-thread) parallel region, so a barrier never binds to an enclosing team. One fork per call: this
/// is how a step that splits its minibatch into shards runs them (rl/bcq.cpp, ope/fqe.cpp).
template <class Body>
void run_team(int max_team, Body&& body);

}  // namespace mtf

#include <omp.h>

namespace mtf {

template <class Body>
void parallel_for_range(std::ptrdiff_t n, std::ptrdiff_t min_parallel, Body&& body) {
  const int threads = (n >= min_parallel && !omp_in_parallel()) ? omp_get_max_threads() : 1;
  if (threads <= 1) {
    body(std::ptrdiff_t(0), n);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    // Chunks from the team OpenMP actually granted (it may be smaller than asked: OMP_DYNAMIC,
    // OMP_THREAD_LIMIT), cut at multiples of 16 elements (one AVX-512 register of floats).
    const Range chunk = split_range(n, omp_get_num_threads(), omp_get_thread_num(), 16);
    if (chunk.size() > 0) body(chunk.begin, chunk.end);
  }
}

template <class Body>
void run_team(int max_team, Body&& body) {
  const int wanted = omp_in_parallel() ? 1 : (omp_get_max_threads() < max_team ? omp_get_max_threads() : max_team);
  if (wanted <= 1 && omp_get_num_threads() == 1) {
    // One thread, and the innermost enclosing team (if any) has one thread too, so the body's barriers
    // bind to a team of one: run it here. (libgomp mallocs and frees a one-thread team on every region.)
    body(1, 0);
    return;
  }
#pragma omp parallel num_threads(wanted > 0 ? wanted : 1)
  body(omp_get_num_threads(), omp_get_thread_num());  // the team OpenMP granted (may be smaller)
}

}  // namespace mtf
