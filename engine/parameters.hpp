// engine/parameters.hpp — one network's parameters and gradients, each in ONE flat contiguous buffer.
//
// Layers reserve named blocks (e.g. "l1.weight" (out, in), "l1.bias" (1, out)) while the network is
// built, then view into the buffers by offset. Everything that touches all parameters is then a single
// loop over the flat buffers: zeroing gradients, copying, the soft target update, Adam, save and load.
//
// Gradient shards: a step that splits its minibatch into shards (engine/sharded_step.hpp) gives each shard
// its own gradient buffer (grads(k); shard 0 is grads()), lets each shard's backward accumulate there (the
// tape names the shard, Tape::gradient_shard), then sums the shards into grads() in shard order. The sum
// order is fixed by the shard count alone, so the bits do not depend on how many threads ran the shards.
// All shards live in ONE buffer, shard k at k * shard_stride() (the size rounded up to 16 floats, so every
// shard starts 64-byte aligned relative to shard 0): a process's block of shards is then one contiguous
// range, which is what a multi-process run exchanges (engine/distributed.hpp) in a single message.
//
// Serialization: to_bytes() is a JSON header (scalar type, the block layout) followed by the raw
// values; from_bytes() refuses anything whose layout differs and says which field. save()/load() wrap
// that in the checksummed container of engine/atomic_file.hpp and write atomically.
#pragma once
#include <cassert>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "engine/rng.hpp"
#include "engine/tensor.hpp"

namespace mtf {

template <class T>
class Parameters {
 public:
  struct Block {
    std::string name;
    Index rows = 0, cols = 0;
    std::size_t offset = 0;
    std::size_t size() const { return std::size_t(rows * cols); }
  };

  Parameters() = default;
  /// Reserves a (rows, cols) block and returns its offset. Values and gradients start at zero (the
  /// gradient shards other than 0 restart at zero: blocks are added while a network is built, before
  /// any step).
  std::size_t add(const std::string& name, Index rows, Index cols);

  std::size_t size() const { return values_.size(); }
  T* values() { return values_.data(); }
  const T* values() const { return values_.data(); }
  T* grads() { return grads_.data(); }
  const T* grads() const { return grads_.data(); }
  const std::vector<Block>& blocks() const { return blocks_; }
  const Block& block(const std::string& name) const;
  MapR<T> value(const Block& b) { return MapR<T>(values_.data() + b.offset, b.rows, b.cols); }
  MapR<T> grad(const Block& b) { return MapR<T>(grads_.data() + b.offset, b.rows, b.cols); }

  /// Zeroes gradient shard `shard` (0: grads()).
  void zero_grad(std::size_t shard = 0);

  /// Gives the gradients `count` >= 1 buffers (shard 0 is grads(); the others start at zero).
  void set_gradient_shards(std::size_t count);
  std::size_t gradient_shards() const { return shards_; }
  /// Gradient buffer of shard k (k = 0: grads()): shard_stride() elements from k * shard_stride().
  T* grads(std::size_t shard) {
    assert(shard < gradient_shards() && "Parameters::grads: no such gradient shard (set_gradient_shards)");
    return grads_.data() + shard * stride_;
  }
  /// Distance between two shards' gradients in the one buffer: size() rounded up to 16 elements.
  std::size_t shard_stride() const { return stride_; }
  /// grads()[i] <- shard 0 + shard 1 + ... (summed in that order) for i in [begin, end). Disjoint ranges
  /// may run on different threads.
  void sum_gradient_shards(std::size_t begin, std::size_t end);
  /// theta <- src.theta (layouts must match).
  void copy_from(const Parameters& src);
  /// Soft target update theta' <- eta * src.theta + (1 - eta) * theta' (this is theta').
  void soft_update_from(const Parameters& src, T eta);
  /// Fills [offset, offset + count) with U(-bound, bound) from rng.
  void fill_uniform(std::size_t offset, std::size_t count, T bound, Rng& rng);
  /// True when every value is finite.
  bool all_finite() const;
  /// A new buffer with copies of the blocks whose names start with `prefix`, in their order (values only):
  /// one part of a composite network, e.g. the VAE's "decoder." layers for an exported policy.
  Parameters subset(const std::string& prefix) const;

  /// {"scalar": "float32"|"float64", "blocks": [{"name", "rows", "cols"}...], "count": N}
  nlohmann::json layout() const;
  std::string to_bytes() const;
  /// `context` names the source in error messages (e.g. "ckpt.bin: network \"critic\"").
  void from_bytes(std::string_view bytes, const std::string& context);
  void save(const std::string& path) const;
  void load(const std::string& path);

 private:
  void require_same_layout(const Parameters& other, const char* what) const;
  void relayout_gradients(std::size_t count);
  std::vector<Block> blocks_;
  std::vector<T> values_;
  std::vector<T> grads_;      // shards_ gradient buffers, shard k at k * stride_
  std::size_t shards_ = 1, stride_ = 0;
};

extern template class Parameters<float>;
extern template class Parameters<double>;

}  // namespace mtf
