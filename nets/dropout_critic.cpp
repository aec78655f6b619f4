#include "nets/dropout_critic.hpp"

#include <cassert>
#include <cmath>
#include <stdexcept>

namespace mtf {

void fill_dropout_mask(float* out, std::size_t n, double p, Rng& rng) {
  assert(p >= 0 && p < 1);
  // Entry dropped when its 32-bit uniform u < threshold = round(p 2^32): probability p to within 2^-33.
  const std::uint64_t threshold = std::uint64_t(std::llround(p * 4294967296.0));
  const float kept = 1.0f / float(1.0 - p);  // torch.nn.Dropout: (x * bernoulli(1 - p)) / (1 - p)
  // The bits: one draw of `rng` seeds a SplitMix64 stream (Steele, Lea and Flood 2014), output k =
  // mix(seed + (k + 1) gamma). Its outputs do not depend on each other, so the loop pipelines and
  // vectorizes; n / 2 calls of the sequential generator were two thirds of an UWAC+TD3 iteration.
  const std::uint64_t seed = rng.next_u64();
  auto bits = [seed](std::uint64_t k) {
    std::uint64_t z = seed + (k + 1) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  const std::size_t pairs = n / 2;
  for (std::size_t k = 0; k < pairs; ++k) {
    const std::uint64_t b = bits(k);
    out[2 * k] = (b & 0xffffffffu) < threshold ? 0.0f : kept;
    out[2 * k + 1] = (b >> 32) < threshold ? 0.0f : kept;
  }
  if (n % 2 != 0) out[n - 1] = (bits(pairs) & 0xffffffffu) < threshold ? 0.0f : kept;
}


template <class T>
DropoutTwinCritic<T>::DropoutTwinCritic(const CriticSpec& spec, Rng& rng)
    : spec_(spec), mlp1_(params_, "q1", critic_head_spec(spec)), mlp2_(params_, "q2", critic_head_spec(spec)) {
  mlp1_.init(params_, rng);  // the order of TwinCritic's: the same seed gives the same weights
  mlp2_.init(params_, rng);
}

template <class T>
Var DropoutTwinCritic<T>::head(Tape<T>& tape, const MlpLayers<T>& mlp, Var x, const Var* masks, Index samples,
                               ParamGrad grad) {
  assert((masks != nullptr || samples == 1) && "DropoutTwinCritic: several samples need dropout masks");
  const auto& layers = mlp.layers();
  const std::size_t hidden = layers.size() - 1;
  for (std::size_t l = 0; l < hidden; ++l) {
    x = layers[l].forward(tape, params_, x, grad, Epilogue::Relu);  // ReLU(x W^T + b), one node
    // The first layer is the same for every sample of a row: computed once, then repeated.
    if (l == 0 && samples > 1) x = ops::repeat_rows(tape, x, samples);
    if (masks != nullptr) {
      assert(tape.rows(masks[l]) == tape.rows(x) && tape.cols(masks[l]) == tape.cols(x));
      x = ops::dropout(tape, x, masks[l]);
    }
  }
  return layers[hidden].forward(tape, params_, x, grad);
}

template <class T>
Var DropoutTwinCritic<T>::q1(Tape<T>& tape, Var state, Var action, const Var* masks, Index samples,
                             ParamGrad grad) {
  return head(tape, mlp1_, ops::concat_cols(tape, state, action), masks, samples, grad);
}

template <class T>
Var DropoutTwinCritic<T>::q2(Tape<T>& tape, Var state, Var action, const Var* masks, Index samples,
                             ParamGrad grad) {
  return head(tape, mlp2_, ops::concat_cols(tape, state, action), masks, samples, grad);
}

template <class T>
std::pair<Var, Var> DropoutTwinCritic<T>::both(Tape<T>& tape, Var state, Var action, const Var* masks1,
                                                const Var* masks2, Index samples, ParamGrad grad) {
  assert((masks1 == nullptr) == (masks2 == nullptr) && "DropoutTwinCritic::both: masks for one head only");
  const Var sa = ops::concat_cols(tape, state, action);
  return {head(tape, mlp1_, sa, masks1, samples, grad), head(tape, mlp2_, sa, masks2, samples, grad)};
}

template class DropoutTwinCritic<float>;
template class DropoutTwinCritic<double>;

}  // namespace mtf
