#include "ope/fqe_config.hpp"

#include "engine/sharded_step.hpp"

namespace mtf {

void FqeConfig::check(const ConfigReader& r) const {
  check_gradient_shards(r, gradient_shards, batch_size);
  if (penalty != "linear" && penalty != "logsumexp")
    r.fail("penalty", "expected linear or logsumexp, got \"" + penalty + "\"");
  if (pessimism > 0 && ensemble < 2) r.fail("pessimism", "needs an ensemble of at least 2 fits (their disagreement)");
  // The input width is the log's (unknown here; ConservativeFqe checks again with it): the hidden
  // layers alone must already fit.
  check_network_size(r.source(), "hidden", 1, hidden, 1, q_rows_per_step());
}

}  // namespace mtf
