// nets/dropout_critic.hpp — a twin critic with Monte-Carlo dropout, for UWAC (Wu et al. 2021), whose
// critics estimate their uncertainty from the spread of several dropout samples of Q.
//
// DropoutTwinCritic is TwinCritic's Q1, Q2 ([S+A -> hidden... -> 1] each, ReLU hidden, in ONE flat buffer
// with the same block names and order, so one Adam and one soft update cover both) whose forwards take
// dropout masks: after each hidden layer's ReLU, h <- h * mask (PyTorch's [Linear, ReLU, Dropout] per
// hidden layer in train mode). Without masks it is TwinCritic exactly (dropout off, eval mode); TD3 uses
// it so.
//
// Several dropout samples of one input: the first layer does not depend on the masks, so it is computed
// once per input row and its activation repeated `samples` times (row i*samples + j is sample j of row
// i, torch.repeat_interleave order) before the first mask; the layers after it run on all the rows.
//
// Masks are inputs (the caller draws them from its Rng, fill_dropout_mask below, or a fixture injects
// PyTorch's): every forward is a pure function of its inputs, as everywhere in this project.
#pragma once
#include <cstddef>
#include <utility>
#include <vector>

#include "engine/ops.hpp"
#include "nets/critic.hpp"
#include "nets/mlp.hpp"

namespace mtf {

/// A dropout mask with keep probability 1 - p into out[0, n): each entry 1/(1-p) (kept, scaled as
/// torch.nn.Dropout scales) or 0 (dropped, probability p), from 32-bit uniforms compared with
/// round(p 2^32). Takes one draw of `rng` (the seed of a SplitMix64 stream for the n entries).
void fill_dropout_mask(float* out, std::size_t n, double p, Rng& rng);

template <class T>
class DropoutTwinCritic {
 public:
  DropoutTwinCritic(const CriticSpec& spec, Rng& rng);
  DropoutTwinCritic(const DropoutTwinCritic&) = delete;
  DropoutTwinCritic& operator=(const DropoutTwinCritic&) = delete;

  /// Q1 of `samples` dropout samples of each row.
  ///   state (B, S), action (B, A), masks[l] (B*samples, hidden[l]) for each hidden layer l
  ///   -> (B*samples, 1), row i*samples + j = sample j of row i.
  /// masks == nullptr: no dropout (samples must then be 1), TwinCritic::q1's value.
  Var q1(Tape<T>& tape, Var state, Var action, const Var* masks = nullptr, Index samples = 1,
         ParamGrad grad = ParamGrad::Accumulate);
  /// Q2 likewise.
  Var q2(Tape<T>& tape, Var state, Var action, const Var* masks = nullptr, Index samples = 1,
         ParamGrad grad = ParamGrad::Accumulate);
  /// Both heads on the same (s, a), each with its own masks (both nullptr or both given); the
  /// concatenation is recorded once.
  std::pair<Var, Var> both(Tape<T>& tape, Var state, Var action, const Var* masks1 = nullptr,
                           const Var* masks2 = nullptr, Index samples = 1, ParamGrad grad = ParamGrad::Accumulate);

  /// Hidden layers per head: how many masks a forward with dropout takes.
  std::size_t hidden_layers() const { return spec_.hidden.size(); }
  Parameters<T>& params() { return params_; }
  const Parameters<T>& params() const { return params_; }
  const CriticSpec& spec() const { return spec_; }

 private:
  /// One head on x = [s | a] (B, S+A).
  Var head(Tape<T>& tape, const MlpLayers<T>& mlp, Var x, const Var* masks, Index samples, ParamGrad grad);

  CriticSpec spec_;
  Parameters<T> params_;
  MlpLayers<T> mlp1_, mlp2_;  // only their Linear layers are used: the ReLU and masks are applied here
};

extern template class DropoutTwinCritic<float>;
extern template class DropoutTwinCritic<double>;

}  // namespace mtf
