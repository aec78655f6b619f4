#include "ope/estimator.hpp"

#include <stdexcept>

#include "ope/fqe.hpp"
#include "ope/model_based.hpp"

namespace mtf {

namespace {

// The FQE family behind the interface: ConservativeFqe with a named preset. Each fit starts from a fresh
// network (the same initialization for every policy: the config's seed), never from the last policy's Q.
class FqeEstimator : public OffPolicyEstimator {
 public:
  FqeEstimator(std::string name, const FqeConfig& config, Index state_dim, Index action_dim)
      : name_(std::move(name)), config_(config), state_dim_(state_dim), action_dim_(action_dim) {
    fqe_ = std::make_unique<ConservativeFqe>(config_, state_dim_, action_dim_);  // checks the sizes now
  }
  std::string name() const override { return name_; }
  void fit(const TransitionBatch& data, Policy& policy, std::ostream* progress) override {
    if (fqe_->steps_done() > 0) fqe_ = std::make_unique<ConservativeFqe>(config_, state_dim_, action_dim_);
    fqe_->fit(data, policy, progress);
  }
  Eigen::ArrayXd estimate_per_state(const MatrixR<float>& initial_states, Policy& policy) override {
    return fqe_->estimate_per_state(initial_states, policy);
  }
  nlohmann::json settings() const override { return config_.to_json(); }

 private:
  std::string name_;
  FqeConfig config_;
  Index state_dim_, action_dim_;
  std::unique_ptr<ConservativeFqe> fqe_;
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
                                                   Index state_dim, Index action_dim, const std::string& source) {
  if (!config.is_object() && !config.is_null())
    throw ConfigError(source + ": expected an object of estimator settings, got " + config.type_name());
  nlohmann::json merged = config.is_null() ? nlohmann::json::object() : config;
  if (name == "model_based")
    return std::make_unique<ModelBasedEstimator>(ModelBasedConfig::from_json(merged, source), state_dim, action_dim);
  nlohmann::json preset = fqe_preset(name);
  if (preset.is_null()) {
    std::string list;
    for (const std::string& n : estimator_names()) list += (list.empty() ? "" : ", ") + n;
    throw std::invalid_argument("unknown estimator \"" + name + "\" (" + list + ")");
  }
  preset.update(merged);  // the config's keys override the preset's
  return std::make_unique<FqeEstimator>(name, FqeConfig::from_json(preset, source), state_dim, action_dim);
}

}  // namespace mtf
