// ope/estimator.hpp — one interface for every off-policy estimator of a policy's value from logged
// transitions (issue 17), and the registry that builds one by name:
//
//   fqe          fitted Q evaluation (Le et al. 2019): ConservativeFqe with alpha_c = 0
//   cope         the paper's Conservative-OPEstimator: the linear CQL penalty, alpha_c 5e-4 (eq. 10)
//   cql_h        FQE with the CQL(H) penalty: log-mean-exp of Q over pi_e(s) and uniform actions
//   bounded_fqe  plain FQE whose targets and estimates are clamped to the feasible return range
//   model_based  a learned dynamics, reward and continuation model rolled out from the initial states
//                (ope/model_based.hpp)
//
// Each takes a JSON object of its settings (the keys of FqeConfig or ModelBasedConfig; unknown keys are
// errors naming `source`); the name's preset is applied first and the object's keys override it.
#pragma once
#include <Eigen/Core>
#include <iosfwd>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/distributed.hpp"
#include "rl/data/policy.hpp"
#include "rl/data/transition_batch.hpp"

namespace mtf {

class OffPolicyEstimator {
 public:
  virtual ~OffPolicyEstimator() = default;
  /// The registry name ("fqe", "cope", ...).
  virtual std::string name() const = 0;
  /// Fits the estimator to evaluate `policy` on `data` (transitions of the evaluation logs), from scratch:
  /// one estimator object evaluates policy after policy. An estimator whose fit does not depend on the
  /// policy (model_based) fits once per data and reuses it.
  virtual void fit(const TransitionBatch& data, Policy& policy, std::ostream* progress = nullptr) = 0;
  /// The policy's estimated discounted return from each initial state (n, S) -> (n); V-hat is the mean.
  virtual Eigen::ArrayXd estimate_per_state(const MatrixR<float>& initial_states, Policy& policy) = 0;
  /// The settings in effect (preset + overrides), for reports.
  virtual nlohmann::json settings() const = 0;
};

/// The registry's names, in the order above.
const std::vector<std::string>& estimator_names();

/// A fresh estimator `name` for states of state_dim and actions of action_dim, its preset overridden by
/// the keys of `config` (an object; errors name `source` and the key). Unknown name: std::invalid_argument
/// listing the names.
///
/// `group`: the processes the estimator's work spreads over (mpirun, issue 15), with the bits of one
/// process either way. An FQE ensemble of K >= 2 members with K >= the group's size spreads its MEMBERS:
/// each rank fits its contiguous block of members whole (all gradient_shards in its own threads), the
/// members' per-state estimates are all-gathered and every rank combines them in member order. Otherwise
/// (one fit, or fewer members than processes) each fit's gradient SHARDS spread over the ranks, member
/// after member (gradient_shards >= the processes). Members are independent fits, so spreading them needs
/// no exchange per step — one per estimate. fit() and estimate_per_state() are then collective.
/// model_based always spreads shards (its members share a generator and are rolled out together).
std::unique_ptr<OffPolicyEstimator> make_estimator(const std::string& name, const nlohmann::json& config,
                                                   Index state_dim, Index action_dim,
                                                   const std::string& source = "estimator config",
                                                   const ProcessGroup& group = ProcessGroup::world());

/// The FQE family from a config already read (the online loop's gate, the experiment): `config.ensemble`
/// fits combined as make_estimator's are, named by the preset the config matches
/// (fqe, cope, cql_h, bounded_fqe).
struct FqeConfig;
std::unique_ptr<OffPolicyEstimator> make_fqe_estimator(const FqeConfig& config, Index state_dim, Index action_dim,
                                                       const ProcessGroup& group = ProcessGroup::world());

}  // namespace mtf
