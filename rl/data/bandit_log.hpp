// rl/data/bandit_log.hpp — logged bandit feedback (context, action, position, reward, logging propensity)
// read from any CSV file through a column mapping, so a user can point the off-policy estimators of
// ope/bandit.hpp at their own logs without converting them.
//
// The mapping is a JSON object (strict: unknown keys are errors), e.g. for the Open Bandit Dataset
// (examples/configs/obd_mapping.json):
//   {"action": "item_id", "position": "position", "position_base": 1, "reward": "click",
//    "propensity": "propensity_score", "features": ["user-item_affinity_*"],
//    "categorical_features": ["user_feature_*"]}
// action      column of the action (item) id: an integer in [0, number of actions)
// position    optional: the slot of a ranked list the action was shown in, an integer >= position_base
//             (positions are then 0-based); without it every row is position 0
// reward      column of the reward: a finite number (a click is 0/1)
// propensity  column of the logging policy's probability of the logged action (at that position): (0, 1]
// features / categorical_features
//             context columns, by exact name or glob ('*' any run of characters, '?' one), a name or a
//             list; numeric ones enter as they are, categorical ones one-hot over the values seen in the
//             file (sorted). Each pattern must match a column; a column matched twice is taken once.
// Every defect of the mapping names the mapping file and its key; every defect of a row names the log
// file, the line and the column (csv_reader.hpp).
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/tensor.hpp"

namespace mtf {

struct BanditMapping {
  std::string action, position, reward, propensity;  // column names; position may be empty
  std::int64_t position_base = 0;
  std::vector<std::string> features, categorical_features;  // names or globs

  /// Strict: the keys above only; action, reward and propensity are required. InputError naming
  /// `source` and the key.
  static BanditMapping from_json(const nlohmann::json& j, const std::string& source);
  static BanditMapping load(const std::string& path);
};

struct BanditLog {
  std::string source;
  std::vector<int> action;     // (N) in [0, n_actions)
  std::vector<int> position;   // (N) in [0, n_positions), 0-based
  Eigen::VectorXd reward;      // (N)
  Eigen::VectorXd propensity;  // (N) in (0, 1]
  MatrixR<float> context;      // (N, F): the numeric features, then the one-hot categorical ones
  std::vector<std::string> context_names;  // (F): "affinity_3", "user_feature_0=ab12..."
  int n_actions = 0;           // largest action id + 1
  int n_positions = 0;         // largest position + 1
  Index rows() const { return Index(action.size()); }
};

/// Reads the whole log. Limits (engine/limits.hpp): each record's bytes (max_line_bytes), and the
/// action ids, positions and context width (max_state_dim: all are inputs of the reward model).
BanditLog read_bandit_log(const std::string& path, const BanditMapping& mapping);
/// The same on CSV text in memory (tests); `source` names it in messages.
BanditLog parse_bandit_log(std::string text, const std::string& source, const BanditMapping& mapping);

/// Whether `name` matches the glob `pattern` ('*' any run, '?' one character; no escapes).
bool glob_match(std::string_view pattern, std::string_view name);

}  // namespace mtf
