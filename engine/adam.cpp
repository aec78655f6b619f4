#include "engine/adam.hpp"

#include <cmath>
#include <cstring>
#include <stdexcept>

#include "engine/threads.hpp"

namespace mtf {

template <class T>
Adam<T>::Adam(std::size_t parameter_count, AdamConfig config)
    : config_(config), m_(parameter_count, T(0)), v_(parameter_count, T(0)) {}

template <class T>
void Adam<T>::step(Parameters<T>& params) {
  if (params.size() != m_.size())
    throw std::invalid_argument("Adam::step: optimizer built for " + std::to_string(m_.size()) +
                                " parameters, got " + std::to_string(params.size()));
  ++t_;
  const double bias1 = 1.0 - std::pow(config_.beta1, double(t_));
  const double bias2 = 1.0 - std::pow(config_.beta2, double(t_));
  const T step_size = T(config_.lr / bias1);
  const T inv_sqrt_bias2 = T(1.0 / std::sqrt(bias2));
  const T b1 = T(config_.beta1), b2 = T(config_.beta2), eps = T(config_.eps);
  const T c1 = T(1.0 - config_.beta1), c2 = T(1.0 - config_.beta2);
  T* p = params.values();
  const T* g = params.grads();
  T* m = m_.data();
  T* v = v_.data();
  parallel_for_range(std::ptrdiff_t(m_.size()), kElementwiseParallelMin,
                     [&](std::ptrdiff_t b, std::ptrdiff_t e) {
                       for (std::ptrdiff_t i = b; i < e; ++i) {
                         m[i] = b1 * m[i] + c1 * g[i];
                         v[i] = b2 * v[i] + c2 * g[i] * g[i];
                         p[i] -= step_size * m[i] / (std::sqrt(v[i]) * inv_sqrt_bias2 + eps);
                       }
                     });
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
