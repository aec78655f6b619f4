// ope/fqe_config.hpp — settings of the Conservative Offline Policy Estimator (paper section 4.3.1,
// Algorithm 2, appendix A; SPEC section 4), with the paper's values as defaults. Strict JSON.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/tensor.hpp"

namespace mtf {

struct FqeConfig {
  std::vector<Index> hidden = {256, 256};  // Q network (SPEC section 3)
  int batch_size = 512;                    // m (appendix A)
  long long steps = 5000;                  // K gradient steps (appendix A)
  double lr = 1e-4;                        // Adam (appendix A)
  double gamma = 0.95;                     // appendix A
  double alpha = 5e-4;                     // CQL penalty alpha_c (appendix A); 0 = plain FQE
  int target_period = 100;                 // target network refreshed every T steps (SPEC: hard copy)
  double target_eta = 1.0;                 // 1 = hard copy; < 1 = soft update at each refresh
  int initial_states = 5000;               // n test initial states averaged in V-hat (appendix A)
  int estimate_samples = 1;                // actions drawn per initial state (>1 for stochastic policies)
  int gradient_shards = 2;                 // step() splits its minibatch so (see BcqConfig::gradient_shards):
                                           // results depend on this number, not on the thread count
  long long log_every = 500;
  std::uint64_t seed = 0;

  static FqeConfig from_json(const nlohmann::json& j, const std::string& source);
  static FqeConfig load(const std::string& path);
  nlohmann::json to_json() const;
};

}  // namespace mtf
