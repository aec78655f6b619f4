// Tests for rl/data/bandit_log.cpp: the column mapping (strict JSON, globs), the context it builds
// (numeric columns, then categorical ones one-hot in sorted order), the per-row checks (propensity in
// (0, 1], integer ids, finite numbers) with file:line and column in each message, and the committed
// Open Bandit logs read through the committed mapping.
#include <catch2/catch.hpp>

#include "engine/limits.hpp"
#include "rl/data/bandit_log.hpp"

using namespace mtf;

namespace {

const char* kHeader = ",timestamp,item_id,position,click,propensity_score,user_feature_0,affinity_0,affinity_1\n";

BanditMapping obd_like_mapping() {
  return BanditMapping::from_json(
      nlohmann::json::parse(R"({"action": "item_id", "position": "position", "position_base": 1,
        "reward": "click", "propensity": "propensity_score", "features": ["affinity_*"],
        "categorical_features": "user_feature_0"})"),
      "map.json");
}

std::string good_text() {
  return std::string(kHeader) +
         "0,\"2019-11-24 00:01:03, UTC\",2,2,0,0.25,beef,0.0,1.5\n"
         "1,2019-11-24 00:01:45,0,1,1,1,abba,2.0,0.0\n"
         "2,2019-11-24 00:02:00,1,3,0,0.5,beef,0.0,0.0\n";
}

// The message of the InputError that reading `rows` (after kHeader) throws ("" if none).
std::string row_error(const std::string& rows, const BanditMapping& m = obd_like_mapping()) {
  try {
    parse_bandit_log(std::string(kHeader) + rows, "log.csv", m);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

std::string mapping_error(const char* json) {
  try {
    BanditMapping::from_json(nlohmann::json::parse(json), "map.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("bandit log: a good file through a mapping", "[bandit_log]") {
  const BanditLog log = parse_bandit_log(good_text(), "log.csv", obd_like_mapping());
  REQUIRE(log.rows() == 3);
  CHECK(log.action == std::vector<int>{2, 0, 1});
  CHECK(log.position == std::vector<int>{1, 0, 2});  // position_base 1: positions are 0-based
  CHECK(log.n_actions == 3);
  CHECK(log.n_positions == 3);
  CHECK(log.reward[1] == 1.0);
  CHECK(log.propensity[2] == 0.5);
  // Numeric features first, then user_feature_0 one-hot in sorted order (abba before beef).
  CHECK(log.context_names == std::vector<std::string>{"affinity_0", "affinity_1", "user_feature_0=abba",
                                                      "user_feature_0=beef"});
  REQUIRE(log.context.cols() == 4);
  CHECK(log.context.row(0) == (Eigen::RowVector4f() << 0.0f, 1.5f, 0.0f, 1.0f).finished());
  CHECK(log.context.row(1) == (Eigen::RowVector4f() << 2.0f, 0.0f, 1.0f, 0.0f).finished());
}

TEST_CASE("bandit log: globs", "[bandit_log]") {
  CHECK(glob_match("user-item_affinity_*", "user-item_affinity_12"));
  CHECK(glob_match("a?c", "abc"));
  CHECK(glob_match("*_1*", "x_2_13"));
  CHECK(glob_match("*", ""));
  CHECK_FALSE(glob_match("a?c", "ac"));
  CHECK_FALSE(glob_match("affinity_*", "user_affinity_1"));
  CHECK_FALSE(glob_match("*a", "ab"));
}

TEST_CASE("bandit log: the mapping is strict", "[bandit_log]") {
  CHECK(mapping_error(R"({"action": "a", "reward": "r", "propensity": "p", "feature": ["x"]})") ==
        "map.json: unknown key \"feature\" (action, position, position_base, reward, propensity, features, "
        "categorical_features)");
  CHECK(mapping_error(R"({"action": "a", "reward": "r"})") ==
        "map.json: key \"propensity\" is required (the column's name)");
  CHECK(mapping_error(R"({"action": 3, "reward": "r", "propensity": "p"})") ==
        "map.json: key \"action\": expected a column name, got 3");
  CHECK(mapping_error(R"({"action": "a", "reward": "r", "propensity": "p", "features": ["x", 2]})") ==
        "map.json: key \"features\": expected column names or globs, got 2");
  CHECK(mapping_error(R"({"action": "a", "reward": "r", "propensity": "p", "position_base": 1})") ==
        "map.json: key \"position_base\" without a \"position\" column");
  CHECK(mapping_error(R"({"action": "a", "position": "k", "reward": "r", "propensity": "p", "position_base": 1.5})") ==
        "map.json: key \"position_base\": expected an integer, got 1.5");
}

TEST_CASE("bandit log: columns the mapping names must exist", "[bandit_log]") {
  BanditMapping m = obd_like_mapping();
  m.reward = "clicked";
  CHECK(row_error("0,t,2,2,0,0.25,beef,0.0,1.5\n", m) ==
        "log.csv:1: the header has no column \"clicked\" (the mapping's reward)");
  m = obd_like_mapping();
  m.features = {"affinity_*", "age_*"};
  CHECK(row_error("0,t,2,2,0,0.25,beef,0.0,1.5\n", m) ==
        "log.csv:1: the mapping's feature \"age_*\" matches no column of the header");
  m = obd_like_mapping();
  m.features = {"*"};
  CHECK(row_error("0,t,2,2,0,0.25,beef,0.0,1.5\n", m) ==
        "log.csv:1: the mapping's feature \"*\" matches column \"item_id\", which is the action, position, reward "
        "or propensity");
}

TEST_CASE("bandit log: each bad cell names file:line and column", "[bandit_log]") {
  const std::string ok = "0,t,2,2,0,0.25,beef,0.0,1.5\n";
  CHECK(row_error(ok + "1,t,2,2,0,0,beef,0.0,1.5\n") == "log.csv:3: column \"propensity_score\": propensity 0 outside (0, 1]");
  CHECK(row_error(ok + "1,t,2,2,0,1.5,beef,0.0,1.5\n") ==
        "log.csv:3: column \"propensity_score\": propensity 1.5 outside (0, 1]");
  CHECK(row_error(ok + "1,t,2,2,0,-0.1,beef,0.0,1.5\n") ==
        "log.csv:3: column \"propensity_score\": propensity -0.1 outside (0, 1]");
  CHECK(row_error(ok + "1,t,2,2,0,nan,beef,0.0,1.5\n") ==
        "log.csv:3: column \"propensity_score\": \"nan\" is not a finite number");
  CHECK(row_error(ok + "1,t,2,2,0,0.25,beef,0.0,high\n") == "log.csv:3: column \"affinity_1\": expected a number, got \"high\"");
  CHECK(row_error(ok + "1,t,2,2,NaN,0.25,beef,0.0,1.5\n") == "log.csv:3: column \"click\": \"NaN\" is not a finite number");
  CHECK(row_error(ok + "1,t,2.0,2,0,0.25,beef,0.0,1.5\n") == "log.csv:3: column \"item_id\": expected an integer, got \"2.0\"");
  CHECK(row_error(ok + "1,t,-1,2,0,0.25,beef,0.0,1.5\n") == "log.csv:3: column \"item_id\": action id -1 is negative");
  CHECK(row_error(ok + "1,t,1,0,0,0.25,beef,0.0,1.5\n") ==
        "log.csv:3: column \"position\": position 0 is below the mapping's position_base 1");
  CHECK(row_error(ok + "1,t,2,2,0,0.25,beef\n") ==
        "log.csv:3: column \"affinity_0\": missing: the line has 7 of the header's 9 fields (a truncated line?)");
  CHECK(row_error(ok + "1,t,2,2,0,0.25,beef,0.0,\"1.5\n") ==
        "log.csv:3: column \"affinity_1\": the file ends inside a quoted field opened on line 3 (a truncated line?)");
  CHECK(row_error("") == "log.csv: no records after the header");
}

TEST_CASE("bandit log: ids beyond max_state_dim are refused", "[bandit_log]") {
  const InputLimits saved = input_limits();
  InputLimits tight = saved;
  tight.max_state_dim = 2;
  set_input_limits(tight);
  const std::string error = row_error("0,t,2,2,0,0.25,beef,0.0,1.5\n");
  set_input_limits(saved);
  CHECK(error == "log.csv:2: column \"item_id\": action id 2 exceeds the limit of 2 (InputLimits::max_state_dim: "
                 "actions are one-hot inputs of the reward model)");
}

TEST_CASE("bandit log: the committed Open Bandit logs through the committed mapping", "[bandit_log]") {
  const BanditMapping m = BanditMapping::load(MTF_EXAMPLES_DIR "/configs/obd_mapping.json");
  const BanditLog random_men = read_bandit_log(MTF_OPEN_BANDIT_DIR "/random/men/men.csv", m);
  CHECK(random_men.rows() == 10000);
  CHECK(random_men.reward.sum() == 46);  // data/open-bandit/README.md
  CHECK(random_men.n_actions == 34);
  CHECK(random_men.n_positions == 3);
  CHECK((random_men.propensity.array() == 1.0 / 34).all());  // the file's 0.029411764705882353
  CHECK(random_men.context.cols() == 34 + 3 + 5 + 9 + 8);   // affinities, then four categorical user features
  const BanditLog bts_women = read_bandit_log(MTF_OPEN_BANDIT_DIR "/bts/women/women.csv", m);
  CHECK(bts_women.rows() == 10000);
  CHECK(bts_women.reward.sum() == 46);
  CHECK(bts_women.n_actions == 46);
  CHECK(bts_women.propensity.minCoeff() == 1e-6);
}
