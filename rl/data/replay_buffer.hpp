// rl/data/replay_buffer.hpp — the FIFO replay window of BCQ training (default capacity 100,000).
//
// Transitions are fed in order (add / add_range); once full, each new transition overwrites the oldest,
// so a dataset larger than memory streams through the window chunk by chunk (e.g. one day of logs at a
// time). Sampling draws m indices uniformly (with replacement) from the stored transitions with the
// caller's seeded Rng and copies the rows into a caller-owned, preallocated TransitionBatch: sample()
// performs no heap allocation, so a training loop that samples every iteration stays allocation-free.
#pragma once
#include <cstdint>
#include <vector>

#include "engine/rng.hpp"
#include "rl/data/schema.hpp"
#include "rl/data/transition_batch.hpp"

namespace mtf {

class ReplayBuffer {
 public:
  explicit ReplayBuffer(int state_dim, std::int64_t capacity = 100000, int action_dim = kActionDim);

  void add(const float* state, const float* action, float reward, const float* next_state, bool done);
  /// Feeds transitions [begin, end) of `t` in order.
  void add_range(const TransitionBatch& t, std::int64_t begin, std::int64_t end);
  void add_all(const TransitionBatch& t) { add_range(t, 0, t.rows()); }

  /// out.rows() uniform samples (with replacement) into `out`, whose dimensions must match the buffer's.
  /// Allocation-free.
  void sample(Rng& rng, TransitionBatch& out) const;

  std::int64_t size() const { return size_; }
  std::int64_t capacity() const { return capacity_; }
  std::int64_t total_added() const { return total_added_; }
  int state_dim() const { return state_dim_; }
  int action_dim() const { return action_dim_; }
  /// Row `i` in age order (0 = oldest stored), for tests and inspection.
  const float* state_at(std::int64_t i) const;
  float reward_at(std::int64_t i) const;

 private:
  std::int64_t slot(std::int64_t i) const { return (head_ + i) % capacity_; }  // i-th oldest

  int state_dim_, action_dim_;
  std::int64_t capacity_;
  std::int64_t head_ = 0;  // slot of the oldest transition
  std::int64_t size_ = 0;
  std::int64_t total_added_ = 0;
  std::vector<float> states_, actions_, rewards_, next_states_, not_done_;
};

}  // namespace mtf
