#include "engine/parameters.hpp"

#include "engine/limits.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "engine/atomic_file.hpp"
#include "engine/threads.hpp"

namespace mtf {

namespace {
constexpr char kMagic[] = "MTFPARAM";
constexpr std::uint32_t kVersion = 1;
template <class T>
const char* scalar_name() {
  return sizeof(T) == 4 ? "float32" : "float64";
}
constexpr std::ptrdiff_t kParallelMin = kElementwiseParallelMin;
}  // namespace

template <class T>
std::size_t Parameters<T>::add(const std::string& name, Index rows, Index cols) {
  for (const auto& b : blocks_)
    if (b.name == name) throw std::invalid_argument("Parameters::add: duplicate block \"" + name + "\"");
  Block b{name, rows, cols, values_.size()};
  blocks_.push_back(b);
  values_.resize(values_.size() + b.size(), T(0));
  relayout_gradients(shards_);
  return b.offset;
}

template <class T>
const typename Parameters<T>::Block& Parameters<T>::block(const std::string& name) const {
  for (const auto& b : blocks_)
    if (b.name == name) return b;
  throw std::out_of_range("Parameters: no block named \"" + name + "\"");
}

template <class T>
Parameters<T> Parameters<T>::subset(const std::string& prefix) const {
  Parameters out;
  for (const auto& b : blocks_) {
    if (b.name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::size_t at = out.add(b.name, b.rows, b.cols);
    std::copy(values_.begin() + std::ptrdiff_t(b.offset), values_.begin() + std::ptrdiff_t(b.offset + b.size()),
              out.values_.begin() + std::ptrdiff_t(at));
  }
  if (out.blocks_.empty()) throw std::out_of_range("Parameters::subset: no block starts with \"" + prefix + "\"");
  return out;
}

// The gradient buffer for `count` shards of the current size: shard 0 keeps its values (grads() may hold
// a gradient when a block is added late), the other shards start at zero.
template <class T>
void Parameters<T>::relayout_gradients(std::size_t count) {
  const std::size_t stride = (values_.size() + 15) / 16 * 16;
  std::vector<T> next(count * stride, T(0));
  std::copy(grads_.begin(), grads_.begin() + std::ptrdiff_t(std::min(stride_, values_.size())), next.begin());
  grads_.swap(next);
  shards_ = count;
  stride_ = stride;
}

template <class T>
void Parameters<T>::set_gradient_shards(std::size_t count) {
  if (count == 0) throw std::invalid_argument("Parameters::set_gradient_shards: need at least one shard");
  relayout_gradients(count);
  std::fill(grads_.begin() + std::ptrdiff_t(stride_), grads_.end(), T(0));
}

template <class T>
void Parameters<T>::zero_grad(std::size_t shard) {
  std::memset(grads(shard), 0, size() * sizeof(T));
}

template <class T>
void Parameters<T>::sum_gradient_shards(std::size_t begin, std::size_t end) {
  T* sum = grads_.data();
  for (std::size_t k = 1; k < shards_; ++k) {
    const T* g = grads_.data() + k * stride_;
    for (std::size_t i = begin; i < end; ++i) sum[i] += g[i];
  }
}

template <class T>
void Parameters<T>::require_same_layout(const Parameters& other, const char* what) const {
  if (layout() != other.layout())
    throw std::invalid_argument(std::string("Parameters::") + what + ": layouts differ");
}

template <class T>
void Parameters<T>::copy_from(const Parameters& src) {
  if (src.size() != size()) require_same_layout(src, "copy_from");
  std::memcpy(values_.data(), src.values_.data(), size() * sizeof(T));
}

template <class T>
void Parameters<T>::soft_update_from(const Parameters& src, T eta) {
  if (src.size() != size()) require_same_layout(src, "soft_update_from");
  T* dst = values_.data();
  const T* s = src.values_.data();
  const T keep = T(1) - eta;
  parallel_for_range(std::ptrdiff_t(size()), kParallelMin, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
    for (std::ptrdiff_t i = b; i < e; ++i) dst[i] = eta * s[i] + keep * dst[i];
  });
}

template <class T>
void Parameters<T>::fill_uniform(std::size_t offset, std::size_t count, T bound, Rng& rng) {
  if (offset + count > size()) throw std::out_of_range("Parameters::fill_uniform: range outside buffer");
  for (std::size_t i = 0; i < count; ++i) values_[offset + i] = T(rng.uniform(-double(bound), double(bound)));
}

template <class T>
bool Parameters<T>::all_finite() const {
  for (T v : values_)
    if (!std::isfinite(v)) return false;
  return true;
}

template <class T>
nlohmann::json Parameters<T>::layout() const {
  nlohmann::json blocks = nlohmann::json::array();
  for (const auto& b : blocks_) blocks.push_back({{"name", b.name}, {"rows", b.rows}, {"cols", b.cols}});
  return {{"scalar", scalar_name<T>()}, {"blocks", blocks}, {"count", size()}};
}

template <class T>
std::string Parameters<T>::to_bytes() const {
  const std::string header = layout().dump();
  std::string out;
  const std::uint64_t header_len = header.size();
  out.append(reinterpret_cast<const char*>(&header_len), sizeof header_len);
  out.append(header);
  out.append(reinterpret_cast<const char*>(values_.data()), size() * sizeof(T));
  return out;
}

template <class T>
void Parameters<T>::from_bytes(std::string_view bytes, const std::string& context) {
  auto fail = [&](const std::string& what) { throw std::runtime_error(context + ": " + what); };
  std::uint64_t header_len = 0;
  if (bytes.size() < sizeof header_len) fail("truncated parameter block");
  std::memcpy(&header_len, bytes.data(), sizeof header_len);
  if (header_len > bytes.size() - sizeof header_len) fail("truncated parameter header");
  nlohmann::json stored;
  try {
    stored = parse_json(bytes.substr(sizeof header_len, header_len), context + ": parameter header");
  } catch (const InputError& e) {
    throw std::runtime_error(e.what());
  }
  if (!stored.is_object()) fail("parameter header is not a JSON object");
  const nlohmann::json expected = layout();
  if (stored.value("scalar", "") != expected["scalar"])
    fail("field \"scalar\": file has " + stored.value("scalar", std::string("?")) + ", network is " +
         expected["scalar"].get<std::string>());
  const auto& sb = stored["blocks"];
  const auto& eb = expected["blocks"];
  if (!sb.is_array() || sb.size() != eb.size())
    fail("field \"blocks\": file has " + std::to_string(sb.is_array() ? sb.size() : 0) +
         " blocks, network has " + std::to_string(eb.size()));
  for (std::size_t i = 0; i < eb.size(); ++i)
    if (sb[i] != eb[i])
      fail("field \"blocks[" + std::to_string(i) + "]\": file has " + sb[i].dump() + ", network has " +
           eb[i].dump());
  const std::size_t data_bytes = size() * sizeof(T);
  if (bytes.size() - sizeof header_len - header_len != data_bytes)
    fail("parameter data has " + std::to_string(bytes.size() - sizeof header_len - header_len) +
         " bytes, expected " + std::to_string(data_bytes));
  std::vector<T> incoming(size());
  std::memcpy(incoming.data(), bytes.data() + sizeof header_len + header_len, data_bytes);
  for (std::size_t i = 0; i < incoming.size(); ++i)
    if (!std::isfinite(incoming[i])) fail("non-finite parameter value at index " + std::to_string(i));
  values_.swap(incoming);  // all-or-nothing: the network is untouched unless everything checked out
}

template <class T>
void Parameters<T>::save(const std::string& path) const {
  write_file_atomically(path, wrap_checksummed(kMagic, kVersion, to_bytes()));
}

template <class T>
void Parameters<T>::load(const std::string& path) {
  const std::string bytes = read_file(path);
  from_bytes(unwrap_checksummed(path, bytes, kMagic, kVersion), path);
}

template class Parameters<float>;
template class Parameters<double>;

}  // namespace mtf
