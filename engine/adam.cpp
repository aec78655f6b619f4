#include "engine/adam.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <type_traits>

#include "engine/kernels/adam_kernels.hpp"
#include "engine/kernels/dispatch.hpp"
#include "engine/threads.hpp"

namespace mtf {

namespace {

// One Adam update of elements [b, e) (torch.optim.Adam's expression). Float runs the vector kernel of
// the active instruction set (engine/kernels/adam_kernels.hpp: the same bits for AVX-512 and AVX2); the
// scalar loop is double's and the generic path's. The vector form is written out because GCC keeps a
// scalar std::sqrt loop scalar (errno).
template <class T>
void update_range(std::ptrdiff_t b, std::ptrdiff_t e, T* p, const T* g, T* m, T* v, T step_size, T inv_sqrt_bias2,
            T b1, T b2, T c1, T c2, T eps) {
  if constexpr (std::is_same_v<T, float>) {
    switch (active_kernel()) {
      case KernelIsa::Avx512:
        return avx512::adam_update(b, e, p, g, m, v, step_size, inv_sqrt_bias2, b1, b2, c1, c2, eps);
      case KernelIsa::Avx2:
        return avx2::adam_update(b, e, p, g, m, v, step_size, inv_sqrt_bias2, b1, b2, c1, c2, eps);
      case KernelIsa::Generic:
        break;
    }
  }
  for (std::ptrdiff_t i = b; i < e; ++i) {
    m[i] = b1 * m[i] + c1 * g[i];
    v[i] = b2 * v[i] + c2 * g[i] * g[i];
    p[i] -= step_size * m[i] / (std::sqrt(v[i]) * inv_sqrt_bias2 + eps);
  }
}

}  // namespace

template <class T>
Adam<T>::Adam(std::size_t parameter_count, AdamConfig config)
    : config_(config), m_(parameter_count, T(0)), v_(parameter_count, T(0)) {}

template <class T>
void Adam<T>::step(Parameters<T>& params) {
  require_size(params);
  advance();
  const Coefficients k = coefficients();
  parallel_for_range(std::ptrdiff_t(m_.size()), kElementwiseParallelMin,
                     [&](std::ptrdiff_t b, std::ptrdiff_t e) { apply(k, params, std::size_t(b), std::size_t(e)); });
}

template <class T>
void Adam<T>::advance() {
  ++t_;
}

template <class T>
void Adam<T>::require_size(const Parameters<T>& params) const {
  if (params.size() != m_.size())
    throw std::invalid_argument("Adam::step: optimizer built for " + std::to_string(m_.size()) +
                                " parameters, got " + std::to_string(params.size()));
}

// The step's scalars for the current t (bias corrections in double, as PyTorch computes them).
template <class T>
typename Adam<T>::Coefficients Adam<T>::coefficients() const {
  const double bias1 = 1.0 - std::pow(config_.beta1, double(t_));
  const double bias2 = 1.0 - std::pow(config_.beta2, double(t_));
  return {T(config_.lr / bias1), T(1.0 / std::sqrt(bias2)), T(config_.beta1), T(config_.beta2),
          T(1.0 - config_.beta1), T(1.0 - config_.beta2), T(config_.eps)};
}

template <class T>
void Adam<T>::apply(const Coefficients& k, Parameters<T>& params, std::size_t begin, std::size_t end) {
  update_range(std::ptrdiff_t(begin), std::ptrdiff_t(end), params.values(), params.grads(), m_.data(), v_.data(),
               k.step_size, k.inv_sqrt_bias2, k.b1, k.b2, k.c1, k.c2, k.eps);
}

template <class T>
void Adam<T>::update(Parameters<T>& params, std::size_t begin, std::size_t end) {
  require_size(params);
  apply(coefficients(), params, begin, end);
}

// Summed and updated in 16 KiB pieces, so the update reads the sum from L1 rather than from memory.
template <class T>
void Adam<T>::sum_shards_and_update(Parameters<T>& params, int team, int member) {
  require_size(params);
  const Coefficients k = coefficients();
  constexpr std::size_t kPiece = 16384 / sizeof(T);
  const Range slice = split_range(std::ptrdiff_t(params.size()), team, member, 16);
  for (std::size_t b = std::size_t(slice.begin); b < std::size_t(slice.end); b += kPiece) {
    const std::size_t e = std::min(b + kPiece, std::size_t(slice.end));
    params.sum_gradient_shards(b, e);
    apply(k, params, b, e);
  }
}

template <class T>
std::string Adam<T>::to_bytes() const {
  std::string out;
  const std::uint64_t n = m_.size();
  const std::int64_t t = t_;
  out.append(reinterpret_cast<const char*>(&n), sizeof n);
  out.append(reinterpret_cast<const char*>(&t), sizeof t);
  out.append(reinterpret_cast<const char*>(m_.data()), m_.size() * sizeof(T));
  out.append(reinterpret_cast<const char*>(v_.data()), v_.size() * sizeof(T));
  return out;
}

template <class T>
void Adam<T>::from_bytes(std::string_view bytes, const std::string& context) {
  std::uint64_t n = 0;
  std::int64_t t = 0;
  if (bytes.size() < sizeof n + sizeof t) throw std::runtime_error(context + ": truncated Adam state");
  std::memcpy(&n, bytes.data(), sizeof n);
  std::memcpy(&t, bytes.data() + sizeof n, sizeof t);
  if (n != m_.size())
    throw std::runtime_error(context + ": Adam state has " + std::to_string(n) +
                             " parameters, optimizer has " + std::to_string(m_.size()));
  if (bytes.size() != sizeof n + sizeof t + 2 * n * sizeof(T))
    throw std::runtime_error(context + ": Adam state has the wrong length");
  if (t < 0) throw std::runtime_error(context + ": Adam step count is negative");
  std::memcpy(m_.data(), bytes.data() + sizeof n + sizeof t, n * sizeof(T));
  std::memcpy(v_.data(), bytes.data() + sizeof n + sizeof t + n * sizeof(T), n * sizeof(T));
  t_ = t;
}

template class Adam<float>;
template class Adam<double>;

}  // namespace mtf
