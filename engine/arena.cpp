#include "engine/arena.hpp"

#include <algorithm>
#include <cstdlib>
#include <new>

namespace mtf {

namespace {
constexpr std::size_t kAlign = 64;
constexpr std::size_t kMinBlock = std::size_t(1) << 20;  // 1 MiB
std::size_t round_up(std::size_t n) { return (n + kAlign - 1) & ~(kAlign - 1); }
}  // namespace

Arena::Arena(Arena&& other) noexcept
    : blocks_(std::move(other.blocks_)), current_(other.current_), offset_(other.offset_) {
  other.blocks_.clear();
  other.current_ = other.offset_ = 0;
}

Arena& Arena::operator=(Arena&& other) noexcept {
  if (this != &other) {
    release();
    blocks_ = std::move(other.blocks_);
    current_ = other.current_;
    offset_ = other.offset_;
    other.blocks_.clear();
    other.current_ = other.offset_ = 0;
  }
  return *this;
}

Arena::~Arena() { release(); }

void Arena::release() {
  for (auto& b : blocks_) std::free(b.data);
  blocks_.clear();
  current_ = offset_ = 0;
}

void* Arena::allocate(std::size_t bytes) {
  bytes = round_up(std::max<std::size_t>(bytes, 1));
  // Walk forward through the kept blocks; the same request sequence lands at the same addresses.
  while (current_ < blocks_.size()) {
    Block& b = blocks_[current_];
    if (offset_ + bytes <= b.size) {
      void* p = b.data + offset_;
      offset_ += bytes;
      return p;
    }
    ++current_;
    offset_ = 0;
  }
  // Grow: geometric, so a step needs O(log) blocks.
  const std::size_t last = blocks_.empty() ? 0 : blocks_.back().size;
  const std::size_t size = round_up(std::max({bytes, kMinBlock, 2 * last}));
  char* data = static_cast<char*>(std::aligned_alloc(kAlign, size));
  if (!data) throw std::bad_alloc();
  blocks_.push_back({data, size});
  current_ = blocks_.size() - 1;
  offset_ = bytes;
  return data;
}

void Arena::rewind() {
  current_ = 0;
  offset_ = 0;
}

std::size_t Arena::capacity() const {
  std::size_t total = 0;
  for (const auto& b : blocks_) total += b.size;
  return total;
}

}  // namespace mtf
