// rl/data/replay_buffer.cpp — see replay_buffer.hpp.
#include "rl/data/replay_buffer.hpp"

#include <algorithm>
#include <stdexcept>

namespace mtf {

ReplayBuffer::ReplayBuffer(int state_dim, std::int64_t capacity, int action_dim)
    : state_dim_(state_dim), action_dim_(action_dim), capacity_(capacity) {
  if (state_dim < 1 || action_dim < 1 || capacity < 1) throw std::invalid_argument("ReplayBuffer: bad sizes");
  states_.resize(static_cast<std::size_t>(capacity) * state_dim);
  next_states_.resize(static_cast<std::size_t>(capacity) * state_dim);
  actions_.resize(static_cast<std::size_t>(capacity) * action_dim);
  rewards_.resize(capacity);
  not_done_.resize(capacity);
}

void ReplayBuffer::add(const float* state, const float* action, float reward, const float* next_state, bool done) {
  std::int64_t at;
  if (size_ < capacity_) {
    at = slot(size_);
    ++size_;
  } else {
    at = head_;  // overwrite the oldest
    head_ = (head_ + 1) % capacity_;
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
  if (size_ == 0) throw std::logic_error("ReplayBuffer::sample: empty buffer");
  if (out.state_dim() != state_dim_ || out.action_dim() != action_dim_)
    throw std::invalid_argument("ReplayBuffer::sample: batch dimensions differ from the buffer's");
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

const float* ReplayBuffer::state_at(std::int64_t i) const { return states_.data() + slot(i) * state_dim_; }
float ReplayBuffer::reward_at(std::int64_t i) const { return rewards_[slot(i)]; }

}  // namespace mtf
