// rl/sim/config.cpp — names of tasks and feedback, SimConfig validation and its strict JSON form.
#include "rl/sim/config.hpp"

#include <stdexcept>

namespace mtf::sim {

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

SimConfig sim_config_from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw std::invalid_argument("SimConfig: expected a JSON object");
  SimConfig c;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    const nlohmann::json& v = it.value();
    try {
      if (key == "num_candidates") c.num_candidates = v.get<int>();
      else if (key == "top_l") c.top_l = v.get<int>();
      else if (key == "state_dim") c.state_dim = v.get<int>();
      else if (key == "max_session_steps") c.max_session_steps = v.get<int>();
      else if (key == "max_sessions_per_day") c.max_sessions_per_day = v.get<int>();
      else if (key == "alpha_low") c.alpha_low = v.get<std::array<double, kNumTasks>>();
      else if (key == "alpha_high") c.alpha_high = v.get<std::array<double, kNumTasks>>();
      else if (key == "beta") c.beta = v.get<std::array<double, kNumTasks>>();
      else if (key == "mtl_logit_noise") c.mtl_logit_noise = v.get<double>();
      else if (key == "mtl_time_noise") c.mtl_time_noise = v.get<double>();
      else if (key == "mtl_shrinkage") c.mtl_shrinkage = v.get<double>();
      else if (key == "population") {
        const auto s = v.get<std::string>();
        if (s == "parametric") c.population = PopulationSource::kParametric;
        else if (s == "kuairand") c.population = PopulationSource::kKuaiRand;
        else throw std::invalid_argument("expected \"parametric\" or \"kuairand\", got \"" + s + "\"");
      } else if (key == "kuairand_dir") c.kuairand_dir = v.get<std::string>();
      else if (key == "num_users") c.num_users = v.get<int>();
      else if (key == "num_videos") c.num_videos = v.get<int>();
      else if (key == "num_topics") c.num_topics = v.get<int>();
      else if (key == "clickbait_share") c.clickbait_share = v.get<double>();
      else if (key == "population_seed") c.population_seed = v.get<std::uint64_t>();
      else throw std::invalid_argument("unknown key");
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("SimConfig: key \"" + key + "\": " + e.what());
    } catch (const nlohmann::json::exception& e) {
      throw std::invalid_argument("SimConfig: key \"" + key + "\": wrong type (" + e.what() + ")");
    }
  }
  c.validate();
  return c;
}

}  // namespace mtf::sim
