#include "ope/estimator.hpp"

#include <stdexcept>

#include "engine/rng.hpp"
#include "ope/fqe.hpp"
#include "ope/model_based.hpp"

namespace mtf {

namespace {

// The FQE family behind the interface: `ensemble` ConservativeFqe fits with a named preset. Each fit starts
// from fresh networks (the same initialization for every policy: the config's seed, then mix_seed(seed, k)
// for member k), never from the last policy's Q. The policy is queried once per transition with member 0's
// generator, exactly as ConservativeFqe::fit(data, policy) does, and its actions are shared by every member:
// an ensemble of 1 is a plain fit to the bit, and K members cost K fits but one policy query.
//
// Over several processes (make_estimator's `group`) with K >= 2 and K >= the group's size, the members are
// spread: every rank builds all K (so member 0's generator, which queries the policy, is the same
// everywhere) but fits and queries only its own block, each in this process alone; estimate_per_state
// all-gathers the members' per-state estimates and combines them in member order, as one process does.
// Otherwise each member's steps spread their gradient shards over the group.
class FqeEstimator : public OffPolicyEstimator {
 public:
  FqeEstimator(std::string name, const FqeConfig& config, Index state_dim, Index action_dim, const ProcessGroup& group)
      : name_(std::move(name)), config_(config), state_dim_(state_dim), action_dim_(action_dim), group_(&group),
        spread_(group.distributed() && config.ensemble >= 2 && config.ensemble >= group.size()) {
    restart();  // checks the sizes now
  }
  std::string name() const override { return name_; }
  void fit(const TransitionBatch& data, Policy& policy, std::ostream* progress) override {
    // (A flag, not member 0's steps: a rank that does not own member 0 never steps it.)
    if (stepped_) restart();
    stepped_ = config_.steps > 0;
    const Index n = data.rows();
    MatrixR<float> pi_s(n, action_dim_), pi_next(n, action_dim_);
    policy.act(data.state.data(), int(n), pi_s.data(), members_.front()->rng());
    policy.act(data.next_state.data(), int(n), pi_next.data(), members_.front()->rng());
    const Range mine = owned();
    for (std::ptrdiff_t k = mine.begin; k < mine.end; ++k) {
      if (progress && members_.size() > 1) *progress << "ensemble member " << k + 1 << "/" << members_.size() << "\n";
      members_[std::size_t(k)]->fit(data, pi_s, pi_next, progress);
    }
  }
  // Per state: the members' mean minus pessimism x their sample sd.
  Eigen::ArrayXd estimate_per_state(const MatrixR<float>& initial_states, Policy& policy) override {
    if (members_.size() == 1) return members_.front()->estimate_per_state(initial_states, policy);
    const Index K = Index(members_.size()), n = initial_states.rows();
    // Row k: member k's estimates, filled by its owner (every member here without spreading), then shared.
    std::vector<double> rows(std::size_t(K * n));
    const Range mine = owned();
    for (std::ptrdiff_t k = mine.begin; k < mine.end; ++k)
      Eigen::Map<Eigen::ArrayXd>(rows.data() + k * n, n) = members_[std::size_t(k)]->estimate_per_state(initial_states, policy);
    if (spread_) group_->allgather_rows(rows.data(), K, n, K);
    Eigen::ArrayXd sum = Eigen::ArrayXd::Zero(n), sum_sq = sum;
    for (Index k = 0; k < K; ++k) {
      const Eigen::Map<const Eigen::ArrayXd> e(rows.data() + k * n, n);
      sum += e;
      sum_sq += e.square();
    }
    const Eigen::ArrayXd mean = sum / double(K);
    const Eigen::ArrayXd sd = ((sum_sq - double(K) * mean.square()) / double(K - 1)).max(0.0).sqrt();
    return mean - config_.pessimism * sd;
  }
  nlohmann::json settings() const override { return config_.to_json(); }

 private:
  Range owned() const { return spread_ ? group_->owned(std::ptrdiff_t(members_.size())) : Range{0, std::ptrdiff_t(members_.size())}; }
  void restart() {
    members_.clear();
    for (int k = 0; k < config_.ensemble; ++k) {
      FqeConfig c = config_;
      if (k > 0) c.seed = mix_seed(config_.seed, std::uint64_t(k));
      members_.push_back(std::make_unique<ConservativeFqe>(c, state_dim_, action_dim_,
                                                           spread_ ? ProcessGroup::single() : *group_));
    }
  }
  std::string name_;
  FqeConfig config_;
  Index state_dim_, action_dim_;
  const ProcessGroup* group_;
  bool spread_;           // members over the ranks (else each member's shards)
  bool stepped_ = false;  // a fit with steps ran: the next starts from fresh networks
  std::vector<std::unique_ptr<ConservativeFqe>> members_;
};

// The preset of an FQE-family name, as JSON keys of FqeConfig.
nlohmann::json fqe_preset(const std::string& name) {
  if (name == "fqe") return {{"alpha", 0.0}};
  if (name == "cope") return {{"alpha", 5e-4}, {"penalty", "linear"}};  // the paper's (appendix A)
  if (name == "cql_h") return {{"alpha", 5e-4}, {"penalty", "logsumexp"}};
  if (name == "bounded_fqe") return {{"alpha", 0.0}, {"bound_targets", true}};
  return nullptr;
}

}  // namespace

const std::vector<std::string>& estimator_names() {
  static const std::vector<std::string> names = {"fqe", "cope", "cql_h", "bounded_fqe", "model_based"};
  return names;
}

std::unique_ptr<OffPolicyEstimator> make_estimator(const std::string& name, const nlohmann::json& config,
                                                   Index state_dim, Index action_dim, const std::string& source,
                                                   const ProcessGroup& group) {
  if (!config.is_object() && !config.is_null())
    throw ConfigError(source + ": expected an object of estimator settings, got " + config.type_name());
  nlohmann::json merged = config.is_null() ? nlohmann::json::object() : config;
  if (name == "model_based")
    return std::make_unique<ModelBasedEstimator>(ModelBasedConfig::from_json(merged, source), state_dim, action_dim, group);
  nlohmann::json preset = fqe_preset(name);
  if (preset.is_null()) {
    std::string list;
    for (const std::string& n : estimator_names()) list += (list.empty() ? "" : ", ") + n;
    throw std::invalid_argument("unknown estimator \"" + name + "\" (" + list + ")");
  }
  preset.update(merged);  // the config's keys override the preset's
  return std::make_unique<FqeEstimator>(name, FqeConfig::from_json(preset, source), state_dim, action_dim, group);
}

std::unique_ptr<OffPolicyEstimator> make_fqe_estimator(const FqeConfig& config, Index state_dim, Index action_dim,
                                                       const ProcessGroup& group) {
  const char* name = config.alpha > 0 ? (config.penalty == "logsumexp" ? "cql_h" : "cope")
                                      : (config.bound_targets ? "bounded_fqe" : "fqe");
  return std::make_unique<FqeEstimator>(name, config, state_dim, action_dim, group);
}

}  // namespace mtf
