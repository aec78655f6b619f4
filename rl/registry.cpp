#include "rl/registry.hpp"

#include <stdexcept>

#include "rl/bc.hpp"
#include "rl/bcq.hpp"
#include "rl/td3.hpp"
#include "rl/uwac_td3.hpp"
#include "rl/cql_sac.hpp"

namespace mtf {

const std::vector<LearnerEntry>& learner_registry() {
  static const std::vector<LearnerEntry> table = {
      {"bcq", "BatchRL-MTF: batch-constrained deep Q-learning (paper Algorithm 1)", &create_learner<Bcq>},
      {"bc", "behaviour cloning: an MLP regressing the logged action (a floor for the baselines)",
       &create_learner<BehaviourCloning>},
      {"td3", "TD3, offline and unconstrained: twin critics, target smoothing, delayed actor (paper 4.4.1)",
       &create_learner<Td3>},
      {"uwac_td3", "UWAC+TD3: TD3 with MC-dropout critics, losses weighted by inverse Q variance (paper 4.4.1)",
       &create_learner<UwacTd3>},
      {"cql_sac", "CQL+SAC: soft actor-critic with the CQL(H) penalty at a fixed weight (an offline baseline)",
       &create_learner<CqlSac>},
  };
  return table;
}

std::string learner_names() {
  std::string names;
  for (const LearnerEntry& e : learner_registry()) names += (names.empty() ? "" : ", ") + std::string(e.name);
  return names;
}

const LearnerEntry& find_learner(const std::string& name) {
  for (const LearnerEntry& e : learner_registry())
    if (name == e.name) return e;
  throw std::invalid_argument("unknown learner \"" + name + "\" (known: " + learner_names() + ")");
}

std::unique_ptr<Learner> make_learner(const std::string& name, ConfigReader& hyperparameters) {
  return find_learner(name).create(hyperparameters);
}

std::unique_ptr<Learner> make_learner(const std::string& name, const nlohmann::json& hyperparameters,
                                      const std::string& source) {
  ConfigReader r(hyperparameters, source);
  auto learner = make_learner(name, r);
  r.finish();
  return learner;
}

std::unique_ptr<Learner> load_learner(const Checkpoint& checkpoint) {
  const std::string& src = checkpoint.source();
  if (checkpoint.meta.contains("format") && checkpoint.meta["format"] == kPolicyFormat)
    throw std::runtime_error(src + ": an exported policy (mtf export), not a training checkpoint: it holds only "
                                   "what serving needs (serving/served_policy.hpp loads it)");
  const nlohmann::json& algorithm = checkpoint.meta_at("algorithm");
  if (!algorithm.is_string()) throw std::runtime_error(src + ": checkpoint field \"algorithm\" is not a string");
  std::unique_ptr<Learner> learner;
  try {
    learner = make_learner(algorithm.get<std::string>(), checkpoint.meta_at("hyperparameters"),
                           src + ": hyperparameters");
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(src + ": " + e.what());
  }
  learner->load(checkpoint);
  return learner;
}

std::unique_ptr<Learner> load_learner(const std::string& path) { return load_learner(Checkpoint::load(path)); }

std::unique_ptr<Learner> load_learner_for(const std::string& path, Index state_dim, Index action_dim,
                                          const std::string& data_source) {
  std::unique_ptr<Learner> learner = load_learner(path);
  if (learner->state_dim() != state_dim || learner->action_dim() != action_dim)
    throw std::runtime_error(path + ": a learner of state/action dims " + std::to_string(learner->state_dim()) + "/" +
                             std::to_string(learner->action_dim()) + " but " + data_source + " has " +
                             std::to_string(state_dim) + "/" + std::to_string(action_dim));
  return learner;
}

}  // namespace mtf
