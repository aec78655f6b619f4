// rl/sim/config.cpp — names of tasks and feedback, SimConfig validation and its strict JSON form.
#include "rl/sim/config.hpp"

#include <stdexcept>

namespace mtf::sim {

namespace {
// Integers are taken only as JSON integers within [lo, hi] (never 16.9 -> 16 or 4294967360 -> 64);
// the upper bounds keep a config from asking for more memory than a machine has.
int strict_int(const nlohmann::json& v, long long lo, long long hi) {
  if (!v.is_number_integer()) throw std::invalid_argument("expected an integer, got " + v.dump());
  const bool outside = v.is_number_unsigned() ? v.get<unsigned long long>() > static_cast<unsigned long long>(hi)
                                              : v.get<long long>() < lo || v.get<long long>() > hi;
  if (outside)
    throw std::invalid_argument("value " + v.dump() + " outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return static_cast<int>(v.get<long long>());
}
double strict_double(const nlohmann::json& v) {
  if (!v.is_number()) throw std::invalid_argument(std::string("expected a number, got ") + v.type_name());
  return v.get<double>();
}
std::array<double, kNumTasks> strict_task_array(const nlohmann::json& v) {
  if (!v.is_array() || v.size() != kNumTasks)
    throw std::invalid_argument("expected an array of " + std::to_string(kNumTasks) + " numbers, one per task");
  std::array<double, kNumTasks> out{};
  for (int i = 0; i < kNumTasks; ++i) out[i] = strict_double(v[i]);
  return out;
}
}  // namespace

const std::array<const char*, kNumTasks> kTaskNames = {
    "play_prob", "play_time", "finish_rate", "skip",          "like",      "share",
    "comment",   "follow",    "collect",     "positive_rate", "exit_rate", "negative"};

void SimConfig::validate() const {
  auto fail = [](const std::string& what) { throw std::invalid_argument("SimConfig: " + what); };
  if (num_candidates < 1) fail("num_candidates must be >= 1");
  if (top_l < 1 || top_l > num_candidates) fail("top_l must be in [1, num_candidates]");
  if (state_dim < kNaturalStateDim)
    fail("state_dim must be >= " + std::to_string(kNaturalStateDim) + " (the state's meaningful length)");
  if (max_session_steps < 1) fail("max_session_steps must be >= 1");
  if (max_sessions_per_day < 1) fail("max_sessions_per_day must be >= 1");
  for (int i = 0; i < kNumTasks; ++i) {
    if (!(alpha_low[i] <= alpha_high[i]))
      fail(std::string("alpha_low > alpha_high for task ") + kTaskNames[i]);
    if (!(beta[i] > 0)) fail(std::string("beta must be > 0 for task ") + kTaskNames[i]);
  }
  if (mtl_logit_noise < 0 || mtl_time_noise < 0) fail("MTL noise must be >= 0");
  if (mtl_shrinkage < 0 || mtl_shrinkage > 1) fail("mtl_shrinkage must be in [0, 1]");
  if (population == PopulationSource::kParametric) {
    if (num_users < 1 || num_videos < num_candidates || num_topics < 1)
      fail("parametric population needs num_users >= 1, num_videos >= num_candidates, num_topics >= 1");
  } else if (kuairand_dir.empty()) {
    fail("population \"kuairand\" needs kuairand_dir");
  }
  if (clickbait_share < 0 || clickbait_share > 1) fail("clickbait_share must be in [0, 1]");
}

nlohmann::json to_json(const SimConfig& c) {
  return {{"num_candidates", c.num_candidates},
          {"top_l", c.top_l},
          {"state_dim", c.state_dim},
          {"max_session_steps", c.max_session_steps},
          {"max_sessions_per_day", c.max_sessions_per_day},
          {"alpha_low", c.alpha_low},
          {"alpha_high", c.alpha_high},
          {"beta", c.beta},
          {"mtl_logit_noise", c.mtl_logit_noise},
          {"mtl_time_noise", c.mtl_time_noise},
          {"mtl_shrinkage", c.mtl_shrinkage},
          {"population", c.population == PopulationSource::kParametric ? "parametric" : "kuairand"},
          {"kuairand_dir", c.kuairand_dir},
          {"num_users", c.num_users},
          {"num_videos", c.num_videos},
          {"num_topics", c.num_topics},
          {"clickbait_share", c.clickbait_share},
          {"population_seed", c.population_seed}};
}

SimConfig sim_config_from_json(const nlohmann::json& j, const std::string& source) {
  if (!j.is_object()) throw std::invalid_argument(source + ": expected a JSON object");
  SimConfig c;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    const nlohmann::json& v = it.value();
    try {
      if (key == "num_candidates") c.num_candidates = strict_int(v, 0, 1 << 16);
      else if (key == "top_l") c.top_l = strict_int(v, 0, 1 << 16);
      else if (key == "state_dim") c.state_dim = strict_int(v, 0, 4096);
      else if (key == "max_session_steps") c.max_session_steps = strict_int(v, 0, 1 << 20);
      else if (key == "max_sessions_per_day") c.max_sessions_per_day = strict_int(v, 0, 1 << 16);
      else if (key == "alpha_low") c.alpha_low = strict_task_array(v);
      else if (key == "alpha_high") c.alpha_high = strict_task_array(v);
      else if (key == "beta") c.beta = strict_task_array(v);
      else if (key == "mtl_logit_noise") c.mtl_logit_noise = strict_double(v);
      else if (key == "mtl_time_noise") c.mtl_time_noise = strict_double(v);
      else if (key == "mtl_shrinkage") c.mtl_shrinkage = strict_double(v);
      else if (key == "population") {
        const auto s = v.get<std::string>();
        if (s == "parametric") c.population = PopulationSource::kParametric;
        else if (s == "kuairand") c.population = PopulationSource::kKuaiRand;
        else throw std::invalid_argument("expected \"parametric\" or \"kuairand\", got \"" + s + "\"");
      } else if (key == "kuairand_dir") c.kuairand_dir = v.get<std::string>();
      else if (key == "num_users") c.num_users = strict_int(v, 0, 1 << 24);
      else if (key == "num_videos") c.num_videos = strict_int(v, 0, 1 << 24);
      else if (key == "num_topics") c.num_topics = strict_int(v, 0, 1 << 12);
      else if (key == "clickbait_share") c.clickbait_share = strict_double(v);
      else if (key == "population_seed") {
        if (!v.is_number_unsigned()) throw std::invalid_argument("expected a non-negative integer, got " + v.dump());
        c.population_seed = v.get<std::uint64_t>();
      }
      else throw std::invalid_argument("unknown key");
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(source + ": key \"" + key + "\": " + e.what());
    } catch (const nlohmann::json::exception& e) {
      throw std::invalid_argument(source + ": key \"" + key + "\": wrong type (" + e.what() + ")");
    }
  }
  if (source == "SimConfig") {
    c.validate();
  } else {
    try {
      c.validate();
    } catch (const std::invalid_argument& e) {  // "SimConfig: top_l must be ..." -> "<file>: top_l must be ..."
      const std::string what = e.what();
      throw std::invalid_argument(source + what.substr(what.find(':')));
    }
  }
  return c;
}

}  // namespace mtf::sim
