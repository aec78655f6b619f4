// engine/arena.hpp — bump allocator rewound every step (Stan Math's arena idea).
//
// A training step records the same ops every iteration, so the same sequence of allocate() calls
// repeats. The arena keeps the blocks it grew during the first step and hands out the same addresses
// afterwards: after warm-up, allocate() never touches the heap. Blocks are 64-byte aligned (an AVX-512
// register), and so is every allocation.
#pragma once
#include <cstddef>
#include <vector>

namespace mtf {

class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  Arena(Arena&& other) noexcept;
  Arena& operator=(Arena&& other) noexcept;
  ~Arena();

  /// `bytes` of uninitialized memory, 64-byte aligned, valid until the next rewind().
  void* allocate(std::size_t bytes);
  template <class T>
  T* allocate_array(std::size_t count) {
    return static_cast<T*>(allocate(count * sizeof(T)));
  }
  /// Makes all memory reusable; keeps the blocks.
  void rewind();
  /// Bytes reserved in blocks (for diagnostics).
  std::size_t capacity() const;

 private:
  struct Block {
    char* data;
    std::size_t size;
  };
  std::vector<Block> blocks_;
  std::size_t current_ = 0;  // block being filled
  std::size_t offset_ = 0;   // bytes used in blocks_[current_]
  void release();
};

}  // namespace mtf
