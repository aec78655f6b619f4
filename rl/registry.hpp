// rl/registry.hpp — the learners by name. `mtf train --algo NAME`, `mtf evaluate --policy ckpt:PATH` and
// the examples find learners here; adding a learner is its source pair plus one line in registry.cpp's
// table (docs/adding-a-learner.md).
//
// Every learner's config has the keys "state_dim" and "action_dim" (the data's), and a learner is
// created from its hyper-parameters alone: make_learner reads them from a ConfigReader the caller
// finishes (a training config file also holds the trainer's keys), load_learner from a checkpoint's
// metadata.
#pragma once
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/checkpoint.hpp"
#include "engine/json_config.hpp"
#include "rl/learner.hpp"

namespace mtf {

struct LearnerEntry {
  const char* name;     // "bcq"
  const char* summary;  // one line for --help
  /// A new learner from the hyper-parameters in `r` (unknown keys are left for the caller's finish()).
  std::unique_ptr<Learner> (*create)(ConfigReader& r);
};

/// Every registered learner, in the table's order.
const std::vector<LearnerEntry>& learner_registry();
/// The entry called `name`; throws std::invalid_argument listing the known names otherwise.
const LearnerEntry& find_learner(const std::string& name);
/// "bcq, bc, ..."
std::string learner_names();

std::unique_ptr<Learner> make_learner(const std::string& name, ConfigReader& hyperparameters);
/// A whole JSON object of hyper-parameters (unknown keys are errors); `source` names it in messages.
std::unique_ptr<Learner> make_learner(const std::string& name, const nlohmann::json& hyperparameters,
                                      const std::string& source);
/// The learner a checkpoint holds, in the state it was saved in.
std::unique_ptr<Learner> load_learner(const Checkpoint& checkpoint);
std::unique_ptr<Learner> load_learner(const std::string& path);
/// load_learner(path) for data of the given dimensions: a learner of other state or action dims (which
/// would read past its inputs or outputs) is refused, naming the checkpoint, `data_source` and both.
std::unique_ptr<Learner> load_learner_for(const std::string& path, Index state_dim, Index action_dim,
                                          const std::string& data_source);

/// The registry line's factory: L::Config read from `r`, then L(config).
template <class L>
std::unique_ptr<Learner> create_learner(ConfigReader& r) {
  return std::make_unique<L>(read_config<typename L::Config>(r));
}

}  // namespace mtf
