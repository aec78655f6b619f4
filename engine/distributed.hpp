// engine/distributed.hpp — the processes one run is spread over (issue 15: data parallelism over MPI).
//
// A run under `mpirun -np N` has N processes (ranks) that all hold the whole model and the same random
// generators, so they draw the same minibatch (each holding only its part of the replay window when it
// read only its part of the log: rl/data/train_window.hpp; the minibatch is then completed by
// allgather_blocks). Each rank computes only its
// contiguous block of the step's gradient shards; the blocks are exchanged (all-gather, so every rank holds
// every shard), and every rank then sums ALL shards in shard order and applies the same Adam update — the
// code path of one process. N ranks and S shards in all therefore give the bits of one process with S
// shards (engine/sharded_step.hpp uses this).
//
// Why an all-gather of the shards rather than MPI_Allreduce: an allreduce's summation order depends on the
// MPI library's algorithm, the message sizes and the process count, so its bits would too. Gathering the
// shards and summing them locally in a fixed order costs more bytes (each rank receives every other rank's
// shards instead of one reduced buffer; docs/scale-out.md has the numbers) but is deterministic.
//
// Without -DMTF_MPI=ON (the default build) this file's implementation is a single process (rank 0 of 1)
// and needs no MPI: the rest of the library calls the same functions in both builds and has no #ifdef.
// Only the master thread of a process calls MPI (MPI_THREAD_FUNNELED): ShardedStep calls the exchange
// from team member 0, which is the thread that called MPI_Init_thread.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/threads.hpp"

namespace mtf {

/// The ranks of one run: MPI_COMM_WORLD under an MpiSession with more than one process, else one process.
class ProcessGroup {
 public:
  ProcessGroup() = default;
  int rank() const { return rank_; }
  int size() const { return size_; }
  bool distributed() const { return size_ > 1; }

  /// The block of `parts` contiguous parts (gradient shards) this rank owns: split_range(parts, size, rank),
  /// earlier ranks taking the remainder. Empty when parts < size.
  Range owned(std::ptrdiff_t parts) const { return split_range(parts, size_, rank_); }

  /// In-place all-gather of rows: `data` holds `rows` rows of `row_floats` floats, cut into `parts`
  /// contiguous parts of rows (part k: rows split_range(rows, parts, k)); this rank has filled the rows of
  /// its parts (owned(parts)). On return every rank holds every row, bit for bit as its owner wrote it.
  /// A no-op in one process. Collective: every rank calls it with the same rows, row_floats and parts.
  void allgather_rows(float* data, std::ptrdiff_t rows, std::ptrdiff_t row_floats, std::ptrdiff_t parts) const;
  /// The same for rows of doubles (distributed evaluation: per-rollout returns, per-user-day A/B units,
  /// per-state estimates of ensemble members). The exchange copies bits; what is reduced from the rows is
  /// reduced by every rank, in row order, after it — never by MPI.
  void allgather_rows(double* data, std::ptrdiff_t rows, std::ptrdiff_t row_doubles, std::ptrdiff_t parts) const;

  /// All-gather of a few integers (counts, offsets, fingerprints): rank r's `count` values `mine` land at
  /// all[r * count .. (r + 1) * count) on every rank (all: size() * count values). In one process a copy.
  /// Collective: every rank calls it with the same count. Allocates nothing.
  void allgather_i64(const std::int64_t* mine, std::ptrdiff_t count, std::int64_t* all) const;

  /// In-place all-gather of variable blocks of 32-bit words: rank r's block is words [offsets[r],
  /// offsets[r + 1]) of `data` (offsets: size() + 1 nondecreasing values, the same on every rank), which
  /// this rank has filled; on return every rank holds every block, bit for bit (a float's -0.0 and NaN
  /// payloads too: a copy, never arithmetic). A no-op in one process. Collective; allocates nothing.
  void allgather_blocks(std::uint32_t* data, const std::int64_t* offsets) const;

  /// Rank `root`'s `text` to every rank (e.g. an error message one rank found, so that every rank fails
  /// with it). A no-op in one process. Collective. (Allocates: for the rare path only.)
  void broadcast(std::string& text, int root) const;

  /// Every rank waits for all (a no-op in one process).
  void barrier() const;

  /// The process group of this process: the world of the MpiSession that is alive, else one process.
  static const ProcessGroup& world();
  /// This process alone (rank 0 of 1), whatever the world: for work every rank does whole.
  static const ProcessGroup& single();

 private:
  friend class MpiSession;
  // The exchange of both allgather_rows: elements of `element_bytes` (4: MPI_FLOAT, 8: MPI_DOUBLE).
  void allgather(void* data, std::ptrdiff_t rows, std::ptrdiff_t row_elements, std::ptrdiff_t parts,
                 int element_bytes) const;
  int rank_ = 0, size_ = 1;
  // MPI_Allgatherv's per-rank counts and displacements, sized once per session: an exchange allocates
  // nothing.
  mutable std::vector<int> counts_, displs_;
};

/// The process's MPI session (RAII): MPI_Init_thread with MPI_THREAD_FUNNELED in the constructor,
/// MPI_Finalize in the destructor; ProcessGroup::world() is MPI_COMM_WORLD while it lives. Without MPI
/// (the default build) it does nothing and the world stays one process. At most one per process.
class MpiSession {
 public:
  MpiSession(int& argc, char**& argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  /// When the world has more than one process: ends every rank of the run with `status` (MPI_Abort),
  /// which a rank that failed alone must do, since the others would wait for it forever in their next
  /// exchange. In one process it returns (the caller returns its status as usual).
  static void abort_run(int status);
};

/// True when the library was built with -DMTF_MPI=ON.
bool mpi_built();
/// "MPI (Open MPI v4.1.4, ...)" or "no MPI": what mtf --version prints.
std::string mpi_summary();

}  // namespace mtf
