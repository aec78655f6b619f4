// rl/data/replay_buffer.cpp — see replay_buffer.hpp.
#include "rl/data/replay_buffer.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

namespace mtf {

ReplayBuffer::ReplayBuffer(int state_dim, std::int64_t capacity, int action_dim)
    : state_dim_(state_dim), action_dim_(action_dim), capacity_(capacity), slots_(capacity) {
  if (state_dim < 1 || action_dim < 1 || capacity < 1) throw std::invalid_argument("ReplayBuffer: bad sizes");
  states_.resize(static_cast<std::size_t>(capacity) * state_dim);
  next_states_.resize(static_cast<std::size_t>(capacity) * state_dim);
  actions_.resize(static_cast<std::size_t>(capacity) * action_dim);
  rewards_.resize(capacity);
  not_done_.resize(capacity);
}

ReplayBuffer ReplayBuffer::shard(int state_dim, std::int64_t capacity, int action_dim, const ProcessGroup& group,
                                 std::vector<std::int64_t> part_starts) {
  bool ordered = part_starts.size() == std::size_t(group.size()) + 1 && part_starts.front() == 0 &&
                 part_starts.back() <= capacity;
  for (std::size_t r = 1; ordered && r < part_starts.size(); ++r) ordered = part_starts[r] >= part_starts[r - 1];
  if (!ordered) {
    std::string starts;
    for (std::int64_t x : part_starts) starts += (starts.empty() ? "" : ", ") + std::to_string(x);
    throw std::invalid_argument("ReplayBuffer::shard: part starts [" + starts + "] are not " +
                                std::to_string(group.size() + 1) + " ages from 0, in order, up to at most the capacity " +
                                std::to_string(capacity));
  }
  const std::int64_t first = part_starts[std::size_t(group.rank())];
  const std::int64_t held = part_starts[std::size_t(group.rank()) + 1] - first;
  // Storage for the held rows only (at least one, as the constructor requires); capacity() stays the
  // configured window.
  ReplayBuffer b(state_dim, std::max<std::int64_t>(held, 1), action_dim);
  b.capacity_ = capacity;
  b.group_ = &group;
  b.window_ = part_starts.back();
  b.first_ = first;
  b.part_starts_ = std::move(part_starts);
  return b;
}

void ReplayBuffer::add(const float* state, const float* action, float reward, const float* next_state, bool done) {
  if (group_ && first_ + size_ >= part_starts_[std::size_t(group_->rank()) + 1])
    throw std::logic_error("ReplayBuffer::add: this shard holds " + std::to_string(size_) + " rows, all added");
  std::int64_t at;
  if (size_ < slots_) {
    at = slot(size_);
    ++size_;
  } else {
    at = head_;  // overwrite the oldest
    head_ = (head_ + 1) % slots_;
  }
  std::copy_n(state, state_dim_, states_.data() + at * state_dim_);
  std::copy_n(next_state, state_dim_, next_states_.data() + at * state_dim_);
  std::copy_n(action, action_dim_, actions_.data() + at * action_dim_);
  rewards_[at] = reward;
  not_done_[at] = done ? 0.0f : 1.0f;
  ++total_added_;
}

void ReplayBuffer::add_range(const TransitionBatch& t, std::int64_t begin, std::int64_t end) {
  if (t.state_dim() != state_dim_ || t.action_dim() != action_dim_)
    throw std::invalid_argument("ReplayBuffer::add_range: dimension mismatch");
  if (begin < 0 || end > t.rows() || begin > end) throw std::out_of_range("ReplayBuffer::add_range: bad range");
  for (std::int64_t i = begin; i < end; ++i)
    add(t.state.row(i).data(), t.action.row(i).data(), t.reward(i, 0), t.next_state.row(i).data(),
        t.not_done(i, 0) == 0.0f);
}

void ReplayBuffer::sample(Rng& rng, TransitionBatch& out) const {
  if (size() == 0) throw std::logic_error("ReplayBuffer::sample: empty buffer");
  if (out.state_dim() != state_dim_ || out.action_dim() != action_dim_)
    throw std::invalid_argument("ReplayBuffer::sample: batch dimensions differ from the buffer's");
  if (group_) {
    sample_shard(rng, out);
    return;
  }
  for (Index i = 0; i < out.rows(); ++i) {
    const auto j = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(size_)));
    const std::int64_t at = slot(j);
    std::copy_n(states_.data() + at * state_dim_, state_dim_, out.state.row(i).data());
    std::copy_n(next_states_.data() + at * state_dim_, state_dim_, out.next_state.row(i).data());
    std::copy_n(actions_.data() + at * action_dim_, action_dim_, out.action.row(i).data());
    out.reward(i, 0) = rewards_[at];
    out.not_done(i, 0) = not_done_[at];
  }
}

// The same draws as one process holding the whole window (indices over window_ in age order, the same
// Rng calls). The parts are contiguous in rank order, so each draw's holder is known everywhere; every
// process copies the rows it holds into its block, the blocks are all-gathered, and each row is taken back
// from its holder's block in draw order.
void ReplayBuffer::sample_shard(Rng& rng, TransitionBatch& out) const {
  const std::size_t S = std::size_t(state_dim_), A = std::size_t(action_dim_);
  const std::size_t row_words = 2 * S + A + 2;  // state, action, reward, next state, not_done
  const std::size_t rows = std::size_t(out.rows()), parts = part_starts_.size() - 1;
  static_assert(sizeof(float) == sizeof(std::uint32_t), "a float is one 32-bit word");
  if (exchange_.size() < rows * row_words || drawn_.size() < rows) {  // the first minibatch (warm-up)
    exchange_.resize(rows * row_words);
    drawn_.resize(rows);
    holder_.resize(rows);
    block_offsets_.resize(parts + 1);
    cursor_.resize(parts);
  }
  // Draw (as one process does), and count each part's rows.
  std::fill(cursor_.begin(), cursor_.end(), 0);
  for (std::size_t i = 0; i < rows; ++i) {
    const auto j = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(window_)));
    // Part r holds ages [part_starts_[r], part_starts_[r + 1]): r is one before the first start above j
    // (an empty part shares its start with the next one, and is skipped).
    const auto r = std::size_t(std::upper_bound(part_starts_.begin(), part_starts_.end(), j) - part_starts_.begin()) - 1;
    drawn_[i] = j;
    holder_[i] = int(r);
    ++cursor_[r];
  }
  block_offsets_[0] = 0;
  for (std::size_t r = 0; r < parts; ++r)
    block_offsets_[r + 1] = block_offsets_[r] + cursor_[r] * std::int64_t(row_words);
  // This process's rows, in draw order, into its block.
  const int me = group_->rank();
  std::uint32_t* w = exchange_.data() + block_offsets_[std::size_t(me)];
  for (std::size_t i = 0; i < rows; ++i) {
    if (holder_[i] != me) continue;
    const std::int64_t at = slot(drawn_[i] - first_);
    std::memcpy(w, states_.data() + at * state_dim_, S * sizeof(float));
    std::memcpy(w + S, actions_.data() + at * action_dim_, A * sizeof(float));
    std::memcpy(w + S + A, &rewards_[std::size_t(at)], sizeof(float));
    std::memcpy(w + S + A + 1, next_states_.data() + at * state_dim_, S * sizeof(float));
    std::memcpy(w + 2 * S + A + 1, &not_done_[std::size_t(at)], sizeof(float));
    w += row_words;
  }
  group_->allgather_blocks(exchange_.data(), block_offsets_.data());
  // Back in draw order: the k-th row drawn from part r is the k-th row of r's block.
  std::fill(cursor_.begin(), cursor_.end(), 0);
  for (std::size_t i = 0; i < rows; ++i) {
    const auto r = std::size_t(holder_[i]);
    const std::uint32_t* row = exchange_.data() + block_offsets_[r] + cursor_[r]++ * std::int64_t(row_words);
    const auto n = Index(i);
    std::memcpy(out.state.row(n).data(), row, S * sizeof(float));
    std::memcpy(out.action.row(n).data(), row + S, A * sizeof(float));
    std::memcpy(&out.reward(n, 0), row + S + A, sizeof(float));
    std::memcpy(out.next_state.row(n).data(), row + S + A + 1, S * sizeof(float));
    std::memcpy(&out.not_done(n, 0), row + 2 * S + A + 1, sizeof(float));
  }
}

const float* ReplayBuffer::state_at(std::int64_t i) const { return states_.data() + slot(i) * state_dim_; }
float ReplayBuffer::reward_at(std::int64_t i) const { return rewards_[slot(i)]; }

}  // namespace mtf
