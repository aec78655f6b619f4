// nets/vae.hpp — BCQ's conditional VAE G = {E, D} (paper section 3.2.1, eq. 3; SPEC section 3).
//
//   encoder E(z | s, a): [S+A -> h1 -> h2] ReLU, heads mean (L) and log_std (L);
//                        log_std clamped to [-4, 15] (the BCQ reference's bounds: exp(15) is the
//                        largest std it allows, exp(-4) keeps the KL's log term finite)
//   decoder D(a | s, z): [S+L -> h1 -> h2 -> A] ReLU, tanh output (actions live in [-1, 1])
//
// Noise is an input: reconstruct() takes the reparameterization noise eps ~ N(0, 1) (B, L), and
// decode() / decode_repeated() take z — callers sampling from the prior pass z ~ N(0,1) clamped to
// [-0.5, 0.5]. Encoder and decoder share ONE flat Parameters buffer.
#pragma once
#include <vector>

#include "engine/ops.hpp"
#include "nets/mlp.hpp"

namespace mtf {

struct VaeSpec {
  Index state_dim = 0;
  Index action_dim = 0;
  Index latent_dim = 0;                 // BCQ: 2 * action_dim
  std::vector<Index> hidden = {750, 750};
};

template <class T>
class ConditionalVae {
 public:
  /// Clamp bounds of log_std (BCQ reference).
  static constexpr double kLogStdMin = -4.0, kLogStdMax = 15.0;
  /// Clamp bound of z when sampled from the prior in decode-only use.
  static constexpr double kPriorZClamp = 0.5;

  struct Reconstruction {
    Var action;   // (B, A) decoded action
    Var mean;     // (B, L)
    Var log_std;  // (B, L), clamped
  };

  ConditionalVae(const VaeSpec& spec, Rng& rng);
  ConditionalVae(const ConditionalVae&) = delete;
  ConditionalVae& operator=(const ConditionalVae&) = delete;

  /// z = mean + exp(log_std) * eps, decoded.   state (B, S), action (B, A), eps (B, L)
  Reconstruction reconstruct(Tape<T>& tape, Var state, Var action, Var eps);
  /// D(s, z).   state (B, S), z (B, L) -> (B, A)
  Var decode(Tape<T>& tape, Var state, Var z, ParamGrad grad = ParamGrad::Accumulate);
  /// decode(repeat_rows(state, n), z) without repeating the state: n latents per state, row i*n + j of z
  /// belonging to state i; the decoder's first layer computes the state's part once per state.
  /// state (M, S), z (M*n, L) -> (M*n, A)
  Var decode_repeated(Tape<T>& tape, Var state, Var z, Index n, ParamGrad grad = ParamGrad::Accumulate);

  Parameters<T>& params() { return params_; }
  const Parameters<T>& params() const { return params_; }
  const VaeSpec& spec() const { return spec_; }

 private:
  VaeSpec spec_;
  Parameters<T> params_;
  MlpLayers<T> encoder_;
  Linear<T> mean_head_, log_std_head_;
  MlpLayers<T> decoder_;
};

extern template class ConditionalVae<float>;
extern template class ConditionalVae<double>;

}  // namespace mtf
