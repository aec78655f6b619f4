// engine/adam.hpp — Adam with PyTorch's semantics (torch.optim.Adam, no weight decay, no amsgrad):
//   m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
//   p <- p - (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// Bias corrections in double, as PyTorch computes them in Python. One loop over the flat buffers.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "engine/parameters.hpp"

namespace mtf {

struct AdamConfig {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
};

template <class T>
class Adam {
 public:
  Adam() = default;
  Adam(std::size_t parameter_count, AdamConfig config);
  /// One update of `params` from its gradients. params.size() must equal the size given at construction.
  void step(Parameters<T>& params);
  /// step() for callers that split the buffer across their own threads: advance() once, then update()
  /// on disjoint ranges covering [0, size) (begins at multiples of 16). Same bits as step().
  void advance();
  void update(Parameters<T>& params, std::size_t begin, std::size_t end);
  /// Team member `member`'s share (of `team`) of "sum params' gradient shards into grads(), then
  /// update()", after advance(): a contiguous slice of the flat buffers, so members never touch the same
  /// element. Same bits for any team size.
  void sum_shards_and_update(Parameters<T>& params, int team, int member);
  long long steps() const { return t_; }
  const AdamConfig& config() const { return config_; }
  void set_lr(double lr) { config_.lr = lr; }

  /// Moments and step count, for checkpoints.
  std::string to_bytes() const;
  void from_bytes(std::string_view bytes, const std::string& context);

 private:
  struct Coefficients {
    T step_size, inv_sqrt_bias2, b1, b2, c1, c2, eps;
  };
  void require_size(const Parameters<T>& params) const;
  Coefficients coefficients() const;
  void apply(const Coefficients& k, Parameters<T>& params, std::size_t begin, std::size_t end);
  AdamConfig config_;
  std::vector<T> m_, v_;
  long long t_ = 0;
};

extern template class Adam<float>;
extern template class Adam<double>;

}  // namespace mtf
