// rl/bcq_config.hpp — every hyper-parameter of BatchRL-MTF (BCQ), with the defaults of SPEC section 4
// and where each comes from. Read from JSON strictly: unknown or mistyped keys are errors.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/tensor.hpp"

namespace mtf {

struct BcqConfig {
  // Shapes.
  Index state_dim = 64;                    // the simulator's observable state
  Index action_dim = 12;                   // k = 12 fusion weights (paper section 4.2)
  Index latent_dim = 0;                    // 0 = 2 * action_dim (BCQ reference)
  std::vector<Index> vae_hidden = {750, 750};     // BCQ reference
  std::vector<Index> actor_hidden = {400, 300};   // BCQ reference
  std::vector<Index> critic_hidden = {400, 300};  // BCQ reference
  // Algorithm 1.
  double vae_lr = 1e-3;      // paper 4.2: 0.1e-2
  double actor_lr = 1e-4;    // paper 4.2: 0.1e-3
  double critic_lr = 2e-4;   // paper 4.2 and appendix B.2: 0.2e-3
  double kl_weight = 0.5;    // BCQ reference (eq. 3 has 1); SPEC section 4
  double rho = 0.15;         // perturbation bound, paper 4.2 and appendix B.1
  double gamma = 0.95;       // paper 4.2
  double lambda = 1.0;       // clipped double-Q mix: lambda min + (1 - lambda) max; paper uses min
  double eta = 0.05;         // soft target update rate eta_t, paper 4.2
  int target_period = 10;    // L: soft update every L iterations, paper 4.2
  int sampled_actions = 10;  // n candidates per state for the target and for serving (BCQ reference)
  int batch_size = 256;      // M, paper 4.2
  // Execution. Each training pass splits its minibatch into this many contiguous shards, forms their
  // gradients separately (in parallel when threads are available, one thread per shard) and sums them
  // in shard order. The result depends on this number, never on the thread count; 2 matches the 2-core
  // machine the defaults were measured on, and 1 is the plain unsplit step.
  int gradient_shards = 2;
  // Training loop.
  long long iterations = 300000;       // Ep, paper 4.2
  long long replay_capacity = 100000;  // FIFO replay window, paper 4.2
  long long log_every = 1000;
  long long checkpoint_every = 0;      // 0 = only at the end
  std::uint64_t seed = 0;

  Index latent() const { return latent_dim > 0 ? latent_dim : 2 * action_dim; }

  /// Strict parse; `source` names the file in errors. Keys absent from the JSON keep their defaults.
  static BcqConfig from_json(const nlohmann::json& j, const std::string& source);
  static BcqConfig load(const std::string& path);
  nlohmann::json to_json() const;
};

}  // namespace mtf
