#include "ope/fqe_config.hpp"

#include "engine/sharded_step.hpp"

namespace mtf {

void FqeConfig::check(const ConfigReader& r) const { check_gradient_shards(r, gradient_shards, batch_size); }

}  // namespace mtf
