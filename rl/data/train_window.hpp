// rl/data/train_window.hpp — the training split's FIFO replay window, read from a session log file by one
// process or sharded over the processes of a run (issue 15: `mpirun -np N mtf train`).
//
// What one process builds (rl/data/dataset.hpp's split_file_by_time, then the FIFO ReplayBuffer): the
// sessions in file (time) order, the first floor(train_fraction * n) of them train; their transitions,
// numbered 0 .. G-1 in order, stream through a FIFO of `capacity`, which keeps the last W = min(G,
// capacity) of them: the window, rows G-W .. G-1.
//
// Sharded, the same window from parts of the file: process r reads only part r of the log's bytes
// (SessionLogReader::part: contiguous, cut at session starts) and never parses the others' sessions.
//   pass 1   each process checks its part (every check of the strict reader) and counts its sessions;
//            an all-gather of (defect?, sessions, lines, first and last id) gives every process the log's
//            session count n, hence the split, and the first defect in the file (reported by its part's
//            process with the file's line number, read again with the lines before it known; every
//            process then fails with that message);
//   counts   an all-gather of each part's training transitions gives each process the global index of
//            its first one, and G: the window is decided on global indices;
//   pass 2   each process builds its training transitions and keeps those inside the window
//            (ReplayBuffer::shard: a contiguous range of the window's ages), and adds every training
//            transition to the split's fingerprint.
// Sampling then draws over the whole window on every process (ReplayBuffer::sample), so training sees
// the minibatches of one process, bit for bit.
//
// The fingerprint of the split in a checkpoint (SplitFingerprint) is a sum over transitions of a hash
// of each transition and its index, so the parts' sums add up to the whole's in any order: every process
// count gives the same value, and a checkpoint resumes on any.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "engine/distributed.hpp"
#include "rl/data/replay_buffer.hpp"
#include "rl/data/reward.hpp"
#include "rl/data/session_log.hpp"
#include "rl/data/transition_batch.hpp"

namespace mtf {

/// A fingerprint of a training split that does not depend on how it was read or by how many processes:
/// the wrapping 64-bit sum over its transitions of hash64(index, state, action, reward, next state,
/// not_done). A change of any value or of the order changes it (but for a 2^-64 chance).
class SplitFingerprint {
 public:
  /// Rows 0 .. t.rows()-1 of `t` are rows first_row, first_row + 1, ... of the split.
  void add(const TransitionBatch& t, std::int64_t first_row);
  /// Adds another part's fingerprint (its rows and hash).
  void merge(std::int64_t rows, std::uint64_t hash) {
    rows_ += rows;
    hash_ += hash;
  }
  std::uint64_t hash() const { return hash_; }
  std::int64_t rows() const { return rows_; }

 private:
  std::uint64_t hash_ = 0;
  std::int64_t rows_ = 0;
};

struct TrainWindow {
  std::unique_ptr<ReplayBuffer> buffer;  // this process's part of the window (one process: the whole)
  std::size_t sessions = 0, train_sessions = 0;  // of the whole log
  SplitFingerprint fingerprint;                  // of the whole training split, on every process
  LogByteRange part;                             // the bytes this process read (one process: all)
  std::int64_t first_row = 0;                    // the split's index of this part's first transition
};

/// The training window of the log at `path` for the processes of `group` (collective: every process
/// calls it; in one process it is the whole log, read as split_file_by_time reads it). A defect anywhere
/// in the file throws SessionLogError on every process, with the whole file's reader's message (file,
/// line, field).
TrainWindow read_train_window(const std::string& path, const RewardWeights& weights, double train_fraction,
                              std::int64_t capacity, const ProcessGroup& group,
                              std::size_t block_bytes = kLogBlockBytes);

}  // namespace mtf
