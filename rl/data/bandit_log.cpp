#include "rl/data/bandit_log.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "engine/json_config.hpp"
#include "rl/data/csv_reader.hpp"

namespace mtf {

bool glob_match(std::string_view pattern, std::string_view name) {
  // Iterative matcher with one backtrack point (the last '*'): linear in practice, no recursion.
  std::size_t p = 0, n = 0, star = std::string_view::npos, resume = 0;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      ++p;
      ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

BanditMapping BanditMapping::from_json(const nlohmann::json& j, const std::string& source) {
  if (!j.is_object()) throw InputError(source + ": expected a JSON object (a column mapping), got " + j.type_name());
  static const std::set<std::string> kKeys = {"action", "position", "position_base", "reward", "propensity",
                                              "features", "categorical_features"};
  for (const auto& [key, value] : j.items())
    if (!kKeys.count(key))
      throw InputError(source + ": unknown key \"" + key + "\" (action, position, position_base, reward, "
                                "propensity, features, categorical_features)");
  const auto name = [&](const char* key, bool required) -> std::string {
    const auto it = j.find(key);
    if (it == j.end()) {
      if (required) throw InputError(source + ": key \"" + key + "\" is required (the column's name)");
      return "";
    }
    if (!it->is_string() || it->get<std::string>().empty())
      throw InputError(source + ": key \"" + key + "\": expected a column name, got " + it->dump());
    return it->get<std::string>();
  };
  const auto names = [&](const char* key) {
    std::vector<std::string> out;
    const auto it = j.find(key);
    if (it == j.end()) return out;
    const nlohmann::json list = it->is_array() ? *it : nlohmann::json::array({*it});
    for (const auto& v : list) {
      if (!v.is_string() || v.get<std::string>().empty())
        throw InputError(source + ": key \"" + key + "\": expected column names or globs, got " + v.dump());
      out.push_back(v.get<std::string>());
    }
    return out;
  };
  BanditMapping m;
  m.action = name("action", true);
  m.position = name("position", false);
  m.reward = name("reward", true);
  m.propensity = name("propensity", true);
  m.features = names("features");
  m.categorical_features = names("categorical_features");
  if (const auto it = j.find("position_base"); it != j.end()) {
    m.position_base = json_integer<std::int64_t>(*it, source + ": key \"position_base\"");
    if (m.position.empty()) throw InputError(source + ": key \"position_base\" without a \"position\" column");
  }
  return m;
}

BanditMapping BanditMapping::load(const std::string& path) { return from_json(load_json_file(path), path); }

namespace {

// The header columns matched by `patterns`, in the patterns' order (header order within a glob).
std::vector<int> match_columns(const CsvReader& csv, const std::vector<std::string>& patterns, const char* key,
                               std::set<int>& taken) {
  std::vector<int> out;
  for (const std::string& pattern : patterns) {
    bool any = false;
    for (std::size_t c = 0; c < csv.header().size(); ++c) {
      if (csv.header()[c].empty() || !glob_match(pattern, csv.header()[c])) continue;
      any = true;
      if (taken.insert(int(c)).second) out.push_back(int(c));
    }
    if (!any)
      throw InputError(csv.source() + ":1: the mapping's " + key + " \"" + pattern + "\" matches no column of the header");
  }
  return out;
}

int required_column(const CsvReader& csv, const std::string& name, const char* key) {
  const int c = csv.column(name);
  if (c < 0) throw InputError(csv.source() + ":1: the header has no column \"" + name + "\" (the mapping's " + key + ")");
  return c;
}

BanditLog read(CsvReader csv, const BanditMapping& m) {
  const std::int64_t max_index = input_limits().max_state_dim;
  const int action_col = required_column(csv, m.action, "action");
  const int reward_col = required_column(csv, m.reward, "reward");
  const int propensity_col = required_column(csv, m.propensity, "propensity");
  const int position_col = m.position.empty() ? -1 : required_column(csv, m.position, "position");
  std::set<int> taken = {action_col, reward_col, propensity_col, position_col};
  const std::set<int> roles = taken;
  const std::vector<int> numeric = match_columns(csv, m.features, "feature", taken);
  const std::vector<int> categorical = match_columns(csv, m.categorical_features, "categorical feature", taken);
  for (const int c : roles)  // a feature pattern that names the action, reward, ... is a mistake, not a feature
    for (const auto* patterns : {&m.features, &m.categorical_features})
      for (const std::string& p : *patterns)
        if (c >= 0 && glob_match(p, csv.header()[c]))
          throw InputError(csv.source() + ":1: the mapping's feature \"" + p + "\" matches column \"" +
                           csv.header()[c] + "\", which is the action, position, reward or propensity");
  if (std::int64_t(numeric.size()) > max_index)
    limit_exceeded(csv.source(), "features", double(numeric.size()), double(max_index), "max_state_dim");

  BanditLog log;
  log.source = csv.source();
  std::vector<float> features;                          // numeric features, row by row
  std::vector<std::map<std::string, int>> vocabulary(categorical.size());  // value -> order of appearance
  std::vector<int> category;                            // categorical value ids, row by row
  std::vector<double> reward, propensity;
  while (csv.next()) {
    const std::int64_t a = csv.integer(action_col);
    if (a < 0) csv.fail(action_col, "action id " + std::to_string(a) + " is negative");
    if (a >= max_index)
      csv.fail(action_col, "action id " + std::to_string(a) + " exceeds the limit of " + std::to_string(max_index) +
                               " (InputLimits::max_state_dim: actions are one-hot inputs of the reward model)");
    std::int64_t pos = 0;
    if (position_col >= 0) {
      pos = csv.integer(position_col) - m.position_base;
      if (pos < 0)
        csv.fail(position_col, "position " + csv.fields()[position_col] + " is below the mapping's position_base " +
                                   std::to_string(m.position_base));
      if (pos >= max_index)
        csv.fail(position_col, "position " + csv.fields()[position_col] + " exceeds the limit of " +
                                   std::to_string(max_index) + " positions (InputLimits::max_state_dim)");
    }
    const double r = csv.number(reward_col);
    const double p = csv.number(propensity_col);
    if (!(p > 0 && p <= 1)) csv.fail(propensity_col, "propensity " + csv.fields()[propensity_col] + " outside (0, 1]");
    for (const int c : numeric) features.push_back(float(csv.number(c)));
    for (std::size_t k = 0; k < categorical.size(); ++k) {
      auto& vocab = vocabulary[k];
      const std::string& v = csv.fields()[categorical[k]];
      auto it = vocab.find(v);
      if (it == vocab.end()) {
        if (std::int64_t(vocab.size()) >= max_index)
          csv.fail(categorical[k], "more than " + std::to_string(max_index) +
                                       " distinct values (InputLimits::max_state_dim: each is a one-hot input)");
        it = vocab.emplace(v, int(vocab.size())).first;
      }
      category.push_back(it->second);
    }
    log.action.push_back(int(a));
    log.position.push_back(int(pos));
    reward.push_back(r);
    propensity.push_back(p);
    log.n_actions = std::max(log.n_actions, int(a) + 1);
    log.n_positions = std::max(log.n_positions, int(pos) + 1);
  }
  const Index n = log.rows();
  if (n == 0) throw InputError(csv.source() + ": no records after the header");

  // Context: numeric columns as read, then each categorical column one-hot in the sorted order of its
  // values (std::map's), so the layout does not depend on the order rows arrive in.
  Index width = Index(numeric.size());
  std::vector<std::vector<int>> slot(categorical.size());  // id of appearance -> column
  for (std::size_t k = 0; k < categorical.size(); ++k) {
    slot[k].resize(vocabulary[k].size());
    for (const auto& [value, id] : vocabulary[k]) slot[k][id] = int(width++);
  }
  if (width > max_index) limit_exceeded(csv.source(), "context width", double(width), double(max_index), "max_state_dim");
  for (const int c : numeric) log.context_names.push_back(csv.header()[c]);
  for (std::size_t k = 0; k < categorical.size(); ++k)
    for (const auto& [value, id] : vocabulary[k]) log.context_names.push_back(csv.header()[categorical[k]] + "=" + value);
  log.context = MatrixR<float>::Zero(n, width);
  for (Index i = 0; i < n; ++i) {
    for (std::size_t f = 0; f < numeric.size(); ++f) log.context(i, Index(f)) = features[std::size_t(i) * numeric.size() + f];
    for (std::size_t k = 0; k < categorical.size(); ++k)
      log.context(i, slot[k][category[std::size_t(i) * categorical.size() + k]]) = 1.0f;
  }
  log.reward = Eigen::Map<const Eigen::VectorXd>(reward.data(), n);
  log.propensity = Eigen::Map<const Eigen::VectorXd>(propensity.data(), n);
  return log;
}

}  // namespace

BanditLog read_bandit_log(const std::string& path, const BanditMapping& mapping) {
  return read(CsvReader::open(path), mapping);
}

BanditLog parse_bandit_log(std::string text, const std::string& source, const BanditMapping& mapping) {
  return read(CsvReader::from_text(std::move(text), source), mapping);
}

}  // namespace mtf
