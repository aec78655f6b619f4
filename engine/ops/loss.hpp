// engine/ops/loss.hpp — the losses and log-densities the algorithms need:
//   mse          mean squared error (torch.nn.functional.mse_loss, reduction "mean")
//   gaussian_kl  KL(N(mu, sigma^2) || N(0, 1)) averaged over all elements, as the BCQ reference computes
//   tanh_gaussian_log_prob  log density of a = tanh(mu + sigma * eps), SAC's squashed Gaussian
#pragma once
#include <cmath>

#include "engine/tape.hpp"

namespace mtf::ops {

/// mse: y = mean((x - target)^2).   x, target: (B, D) -> y: (1, 1)
struct Mse {
  template <class T>
  static void forward(Tape<T>& t, Node<T>& n) {
    const Node<T>& x = t.node(n.in[0]);
    const Node<T>& target = t.node(n.in[1]);
    n.value.data[0] = (x.value.flat() - target.value.flat()).square().sum() / T(x.value.size());
  }
  // dx += dy * 2 (x - target) / N;  dtarget -= the same
  template <class T>
  static void backward(Tape<T>& t, const Node<T>& n) {
    Node<T>& x = t.node(n.in[0]);
    Node<T>& target = t.node(n.in[1]);
    const T c = T(2) * n.grad.data[0] / T(x.value.size());
    if (x.needs_grad) x.grad.flat() += c * (x.value.flat() - target.value.flat());
    if (target.needs_grad) target.grad.flat() -= c * (x.value.flat() - target.value.flat());
  }
};

/// Gaussian KL to N(0,1): y = mean over all elements of -1/2 (1 + 2 log_std - mu^2 - exp(2 log_std)).
/// mu, log_std: (B, L) -> y: (1, 1)
struct GaussianKl {
  template <class T>
  static void forward(Tape<T>& t, Node<T>& n) {
    const Node<T>& mu = t.node(n.in[0]);
    const Node<T>& ls = t.node(n.in[1]);
    auto l = ls.value.flat();
    n.value.data[0] = T(-0.5) *
                      (T(1) + T(2) * l - mu.value.flat().square() - (T(2) * l).exp()).sum() /
                      T(mu.value.size());
  }
  // dmu += dy * mu / N;   dlog_std += dy * (exp(2 log_std) - 1) / N
  template <class T>
  static void backward(Tape<T>& t, const Node<T>& n) {
    Node<T>& mu = t.node(n.in[0]);
    Node<T>& ls = t.node(n.in[1]);
    const T c = n.grad.data[0] / T(mu.value.size());
    if (mu.needs_grad) mu.grad.flat() += c * mu.value.flat();
    if (ls.needs_grad) ls.grad.flat() += c * ((T(2) * ls.value.flat()).exp() - T(1));
  }
};

/// Log-density of the tanh-squashed Gaussian at a = tanh(u), u = mu + exp(log_std) * eps, summed over
/// the action dimensions:
///   log pi(a|s) = sum_j [ -eps_j^2 / 2 - log_std_j - log(2 pi) / 2 - log(1 - tanh(u_j)^2) ]
/// with log(1 - tanh(u)^2) = 2 (log 2 - u - softplus(-2u)), exact and stable for large |u|.
/// eps is a constant input (the reparameterization noise).   mu, log_std, eps: (B, A) -> y: (B, 1)
struct TanhGaussianLogProb {
  template <class T>
  static T log1m_tanh2(T u) {  // log(1 - tanh(u)^2)
    const T v = T(-2) * u;
    const T softplus = v > T(20) ? v : std::log1p(std::exp(v));
    return T(2) * (T(0.6931471805599453) - u - softplus);
  }
  template <class T>
  static void forward(Tape<T>& t, Node<T>& n) {
    const Node<T>& mu = t.node(n.in[0]);
    const Node<T>& ls = t.node(n.in[1]);
    const Node<T>& eps = t.node(n.in[2]);
    const T half_log_2pi = T(0.9189385332046727);
    for (Index i = 0; i < mu.value.rows; ++i) {
      T lp = 0;
      for (Index j = 0; j < mu.value.cols; ++j) {
        const T e = eps.value(i, j), l = ls.value(i, j);
        const T u = mu.value(i, j) + std::exp(l) * e;
        lp += T(-0.5) * e * e - l - half_log_2pi - log1m_tanh2(u);
      }
      n.value(i, 0) = lp;
    }
  }
  // d/du [-log(1 - tanh(u)^2)] = 2 tanh(u);  du/dmu = 1;  du/dlog_std = sigma eps
  // dmu_j += dy_i * 2 tanh(u_j);   dlog_std_j += dy_i * (2 tanh(u_j) sigma_j eps_j - 1)
  template <class T>
  static void backward(Tape<T>& t, const Node<T>& n) {
    Node<T>& mu = t.node(n.in[0]);
    Node<T>& ls = t.node(n.in[1]);
    const Node<T>& eps = t.node(n.in[2]);
    for (Index i = 0; i < mu.value.rows; ++i) {
      const T g = n.grad(i, 0);
      for (Index j = 0; j < mu.value.cols; ++j) {
        const T e = eps.value(i, j), sigma = std::exp(ls.value(i, j));
        const T th = std::tanh(mu.value(i, j) + sigma * e);
        if (mu.needs_grad) mu.grad(i, j) += g * T(2) * th;
        if (ls.needs_grad) ls.grad(i, j) += g * (T(2) * th * sigma * e - T(1));
      }
    }
  }
};

template <class T>
Var mse(Tape<T>& t, Var x, Var target) {
  assert(t.rows(x) == t.rows(target) && t.cols(x) == t.cols(target));
  return t.template record<Mse>(1, 1, {x, target});
}
template <class T>
Var gaussian_kl(Tape<T>& t, Var mu, Var log_std) {
  assert(t.rows(mu) == t.rows(log_std) && t.cols(mu) == t.cols(log_std));
  return t.template record<GaussianKl>(1, 1, {mu, log_std});
}
template <class T>
Var tanh_gaussian_log_prob(Tape<T>& t, Var mu, Var log_std, Var eps) {
  assert(t.rows(mu) == t.rows(log_std) && t.cols(mu) == t.cols(log_std));
  assert(t.rows(mu) == t.rows(eps) && t.cols(mu) == t.cols(eps));
  return t.template record<TanhGaussianLogProb>(t.rows(mu), 1, {mu, log_std, eps});
}

}  // namespace mtf::ops
