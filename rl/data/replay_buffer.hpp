// rl/data/replay_buffer.hpp — the FIFO replay window of BCQ training (default capacity 100,000).
//
// Transitions are fed in order (add / add_range); once full, each new transition overwrites the oldest,
// so a dataset larger than memory streams through the window chunk by chunk (e.g. one day of logs at a
// time). Sampling draws m indices uniformly (with replacement) from the stored transitions with the
// caller's seeded Rng and copies the rows into a caller-owned, preallocated TransitionBatch: sample()
// performs no heap allocation, so a training loop that samples every iteration stays allocation-free.
//
// Sharded (shard()): under mpirun each process holds only its contiguous part of the window
// (rl/data/train_window.hpp reads it), and sample() draws the same indices over the WHOLE window on every
// process (the learner's Rng is the same everywhere). Every process knows every part's bounds, hence the
// holder of each drawn row: each copies the rows it holds, in draw order, into its block of an exchange
// buffer, one all-gather of the blocks (ProcessGroup::allgather_blocks, a copy of bits) gives every
// process all of them, and each puts them back in draw order: the minibatch one process holding the
// whole window draws, bit for bit. Bytes received per process and step: the other processes' rows,
// about batch x (2 S + A + 2) x 4 x (N - 1) / N.
#pragma once
#include <cstdint>
#include <vector>

#include "engine/distributed.hpp"
#include "engine/rng.hpp"
#include "rl/data/schema.hpp"
#include "rl/data/transition_batch.hpp"

namespace mtf {

class ReplayBuffer {
 public:
  explicit ReplayBuffer(int state_dim, std::int64_t capacity = 100000, int action_dim = kActionDim);

  /// This process's part of a window spread over `group`: part r of the window holds its transitions of
  /// ages [part_starts[r], part_starts[r + 1]) (age 0 = oldest; part_starts: group.size() + 1 values
  /// from 0, nondecreasing, the last the window's size, at most `capacity`; the same on every process).
  /// This process holds part group.rank(), add()ed in age order; it never evicts (adding more is an
  /// error). sample() is collective: every process of `group` calls it with the same Rng state.
  static ReplayBuffer shard(int state_dim, std::int64_t capacity, int action_dim, const ProcessGroup& group,
                            std::vector<std::int64_t> part_starts);

  void add(const float* state, const float* action, float reward, const float* next_state, bool done);
  /// Feeds transitions [begin, end) of `t` in order.
  void add_range(const TransitionBatch& t, std::int64_t begin, std::int64_t end);
  void add_all(const TransitionBatch& t) { add_range(t, 0, t.rows()); }

  /// out.rows() uniform samples (with replacement) into `out`, whose dimensions must match the buffer's.
  /// Allocation-free (a shard: after its first call, which sizes the exchange buffer).
  void sample(Rng& rng, TransitionBatch& out) const;

  /// The transitions sampling draws from: the whole window, also in a shard.
  std::int64_t size() const { return group_ ? window_ : size_; }
  /// The transitions this process holds, and the age of the first (a shard's part; else size() and 0).
  std::int64_t held() const { return size_; }
  std::int64_t first_held() const { return first_; }
  bool sharded() const { return group_ != nullptr; }
  std::int64_t capacity() const { return capacity_; }
  std::int64_t total_added() const { return total_added_; }
  int state_dim() const { return state_dim_; }
  int action_dim() const { return action_dim_; }
  /// Row `i` in age order (0 = oldest held here), for tests and inspection.
  const float* state_at(std::int64_t i) const;
  float reward_at(std::int64_t i) const;

 private:
  void sample_shard(Rng& rng, TransitionBatch& out) const;
  std::int64_t slot(std::int64_t i) const { return (head_ + i) % slots_; }  // i-th oldest held

  int state_dim_, action_dim_;
  std::int64_t capacity_;
  std::int64_t slots_;  // rows of storage: capacity_, or a shard's held rows (at least 1)
  std::int64_t head_ = 0;  // slot of the oldest transition
  std::int64_t size_ = 0;
  std::int64_t total_added_ = 0;
  std::vector<float> states_, actions_, rewards_, next_states_, not_done_;
  // A shard: the process group, the window's size, the age of the first row held here, and where every
  // part starts (group size + 1 values).
  const ProcessGroup* group_ = nullptr;
  std::int64_t window_ = 0, first_ = 0;
  std::vector<std::int64_t> part_starts_;
  // A shard's exchange, sized at the first sample() (then reused: no allocation per minibatch): the
  // minibatch's rows as 32-bit words (state, action, reward, next state, not_done), grouped by holder in
  // draw order; each drawn row's age and holder; each part's block offsets (words) and a cursor per part.
  mutable std::vector<std::uint32_t> exchange_;
  mutable std::vector<std::int64_t> drawn_;
  mutable std::vector<int> holder_;
  mutable std::vector<std::int64_t> block_offsets_, cursor_;
};

}  // namespace mtf
