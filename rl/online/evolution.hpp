// rl/online/evolution.hpp — natural evolution strategies for the ES baseline (paper section 4.4: "a
// simple network whose inputs are user state and outputs are personalized fusion weights ... search the
// optimal network parameters through natural gradient"), trained on the INSTANT reward (SPEC §4).
//
// One generation (the search distribution is N(θ, σ² I) over a flat parameter vector θ):
//   ask():   P antithetic pairs θ + σ ε_i, θ − σ ε_i, ε_i ~ N(0, I)     (order: +1, −1, +2, −2, ...)
//   tell(F): fitness shaping u = centered_ranks(F) (ranks scaled to [−½, ½], invariant to the reward's
//            scale and robust to outliers) or u = F ("none"), then the search gradient
//              g = 1/(2 P σ) Σ_i (u⁺_i − u⁻_i) ε_i
//            (for u = F it is unbiased for ∇ E f(θ + σε); for a quadratic f it is unbiased for ∇f(θ)), and an
//            ascent step θ ← θ + lr·g (SGD) or Adam on −g (engine/adam.hpp, PyTorch's semantics).
// The search vector is the flat Parameters buffer of an Mlp (nets/mlp.hpp) for the policy s → tanh
// action, used for the forward pass only; the optimizer itself works on any vector (the tests use a
// quadratic). Every draw comes from the seed.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "engine/adam.hpp"
#include "engine/json_config.hpp"
#include "engine/rng.hpp"
#include "engine/tape.hpp"
#include "nets/mlp.hpp"
#include "rl/data/policy.hpp"

namespace mtf::online {

using VectorXd = Eigen::VectorXd;

struct EsConfig : JsonConfig<EsConfig> {
  // Defaults chosen on the default simulator with the loop's budget (14 days x 2000 users, seed 1): lr 0.1
  // or 8 pairs of 25 users made θ a random walk (|θ| 5 -> 45, instant reward down); lr 0.01-0.02 barely
  // moved it; lr 0.05 with 5 pairs of 100 users raised the instant reward 0.503 -> 0.612 in 28 generations.
  int pairs = 5;                             // antithetic pairs per generation (2·pairs evaluations)
  double sigma = 0.1;                        // perturbation scale, in parameter units
  double lr = 0.05;                          // step size (Adam's lr, or SGD's)
  std::string optimizer = "adam";            // adam | sgd
  std::string shaping = "centered_ranks";    // centered_ranks | none

  template <class Self, class Visit>
  static void fields(Self& c, Visit& v) {
    v("pairs", c.pairs, 1, 100000);
    v("sigma", c.sigma, 1e-8, 10.0);
    v("lr", c.lr, 0.0, 10.0);
    v("optimizer", c.optimizer);
    v("shaping", c.shaping);
  }
  void check(const ConfigReader& r) const;
};

/// Ranks of x scaled to [−½, ½] (the smallest −½, the largest ½; ties by position). One value: 0.
std::vector<double> centered_ranks(const std::vector<double>& x);

/// The antithetic search gradient g = 1/(2 P σ) Σ_i (u⁺_i − u⁻_i) ε_i with u = shaped fitness;
/// fitness in ask()'s order (+1, −1, +2, −2, ...), noise[i] = ε_i.
VectorXd es_gradient(const std::vector<VectorXd>& noise, const std::vector<double>& fitness, double sigma,
                     const std::string& shaping);

class NaturalEvolution {
 public:
  /// The perturbations come from `seed`.
  NaturalEvolution(const VectorXd& theta0, const EsConfig& config, std::uint64_t seed);

  /// The generation's 2·pairs candidates (θ + σε_1, θ − σε_1, ...). Asking again before tell() returns the
  /// same candidates.
  const std::vector<VectorXd>& ask();
  /// Their fitnesses (higher is better), in ask()'s order: one update of θ.
  void tell(const std::vector<double>& fitness);

  const VectorXd& mean() const { return theta_; }
  /// The last tell()'s gradient estimate (zero before the first).
  const VectorXd& last_gradient() const { return gradient_; }
  int generation() const { return generation_; }
  const EsConfig& config() const { return config_; }

 private:
  EsConfig config_;
  Rng rng_;
  VectorXd theta_, gradient_;
  std::vector<VectorXd> noise_, candidates_;
  bool asked_ = false;
  int generation_ = 0;
  Parameters<double> adam_view_;  // θ as one block, so the engine's Adam can step it
  Adam<double> adam_;
};

/// The ES policy network: state_dim → hidden (ReLU) → kActionDim (tanh), as an MlpSpec.
MlpSpec es_policy_spec(Index state_dim, const std::vector<Index>& hidden);

/// The initial search vector: the Mlp's own initialization from `seed`, with the output layer scaled by
/// `output_scale` so that the first policy stays near the neutral action a = 0 (tanh(≈0)) instead of a
/// random personalized one.
VectorXd es_initial_parameters(const MlpSpec& spec, std::uint64_t seed, double output_scale);

/// A Policy that serves tanh(MLP_θ(s)) for a given parameter vector θ (forward pass only, no gradient).
class MlpParameterPolicy : public Policy {
 public:
  MlpParameterPolicy(const MlpSpec& spec, const VectorXd& theta, std::string name = "es");
  /// Replaces θ (same size).
  void set_parameters(const VectorXd& theta);
  void act(const float* states, int n, float* actions, Rng& rng) override;
  std::string name() const override { return name_; }
  Index parameter_count() const { return Index(net_->params().size()); }

 private:
  std::unique_ptr<Mlp<float>> net_;
  Tape<float> tape_;
  std::string name_;
};

}  // namespace mtf::online
