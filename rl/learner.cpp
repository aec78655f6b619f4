#include "rl/learner.hpp"

#include <cmath>
#include <iomanip>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "engine/json_config.hpp"
#include "rl/registry.hpp"

namespace mtf {

float UpdateMetrics::get(const std::string& name) const {
  for (int i = 0; i < count; ++i)
    if (name == items[std::size_t(i)].first) return items[std::size_t(i)].second;
  return std::numeric_limits<float>::quiet_NaN();
}

bool UpdateMetrics::all_finite() const {
  for (int i = 0; i < count; ++i)
    if (!std::isfinite(items[std::size_t(i)].second)) return false;
  return true;
}

nlohmann::json UpdateMetrics::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  for (int i = 0; i < count; ++i) j[items[std::size_t(i)].first] = items[std::size_t(i)].second;
  return j;
}

std::string Learner::progress(const UpdateMetrics& m) const {
  std::ostringstream o;
  o << std::fixed << std::setprecision(4);
  for (int i = 0; i < m.count; ++i) o << (i ? "  " : "") << m.items[std::size_t(i)].first << " " << m.items[std::size_t(i)].second;
  return o.str();
}

void Learner::save(Checkpoint& out) const {
  out.meta["algorithm"] = algorithm();
  out.meta["hyperparameters"] = hyperparameters();
  out.meta["iteration"] = iteration_;
  out.meta["rng"] = rng_state_to_json(rng_.state());
  save_sections(out);
}

void Learner::load(const Checkpoint& in) {
  const std::string& src = in.source();
  const std::string algo = in.meta_at("algorithm").is_string() ? in.meta_at("algorithm").get<std::string>() : "";
  if (algo != algorithm())
    throw std::runtime_error(src + ": a checkpoint of \"" + algo + "\", not of \"" + algorithm() + "\"");
  if (!same_hyperparameters(in.meta_at("hyperparameters"), src + ": hyperparameters"))
    throw std::runtime_error(src + ": checkpoint was written with different hyper-parameters: " +
                             in.meta_at("hyperparameters").dump());
  const long long iteration = json_integer<long long>(in.meta_at("iteration"), src + ": checkpoint field \"iteration\"");
  if (iteration < 0) throw std::runtime_error(src + ": checkpoint field \"iteration\" is negative");
  const Rng::State rng_state = rng_state_from_json(in.meta_at("rng"), src + ": field \"rng\"");
  load_sections(in);  // all-or-nothing; throws before changing anything
  rng_.set_state(rng_state);
  iteration_ = iteration;
}

void Learner::save(const std::string& path) const {
  Checkpoint c(path);
  save(c);
  c.save(path);
}

Checkpoint Learner::export_policy(const std::vector<double>& alpha_low, const std::vector<double>& alpha_high) const {
  if (Index(alpha_low.size()) != action_dim() || Index(alpha_high.size()) != action_dim())
    throw std::invalid_argument("export_policy: " + std::to_string(alpha_low.size()) + " and " +
                                std::to_string(alpha_high.size()) + " alpha bounds for a policy of action dim " +
                                std::to_string(action_dim()));
  Checkpoint out("export");
  out.meta["format"] = kPolicyFormat;
  out.meta["version"] = kPolicyVersion;
  out.meta["algorithm"] = algorithm();
  out.meta["state_dim"] = state_dim();
  out.meta["action_dim"] = action_dim();
  out.meta["alpha_low"] = alpha_low;
  out.meta["alpha_high"] = alpha_high;
  out.meta["iteration"] = iteration_;  // provenance only
  export_sections(out);
  return out;
}

std::unique_ptr<Learner> Learner::clone() const {
  Checkpoint c("memory");
  save(c);
  return load_learner(c);
}

}  // namespace mtf
