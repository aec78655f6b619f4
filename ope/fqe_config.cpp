#include "ope/fqe_config.hpp"

#include "engine/json_config.hpp"

namespace mtf {

FqeConfig FqeConfig::from_json(const nlohmann::json& j, const std::string& source) {
  FqeConfig c;
  ConfigReader r(j, source);
  r.get_widths("hidden", c.hidden);
  r.get("batch_size", c.batch_size, 1, 1 << 20);
  r.get("steps", c.steps, 0LL, 1LL << 40);
  r.get("lr", c.lr, 0.0, 1.0);
  r.get("gamma", c.gamma, 0.0, 1.0);
  r.get("alpha", c.alpha, 0.0, 1e6);
  r.get("target_period", c.target_period, 1, 1 << 30);
  r.get("target_eta", c.target_eta, 0.0, 1.0);
  r.get("initial_states", c.initial_states, 1, 1 << 30);
  r.get("estimate_samples", c.estimate_samples, 1, 1 << 16);
  r.get("gradient_shards", c.gradient_shards, 1, 1 << 10);
  r.get("log_every", c.log_every, 1LL, 1LL << 40);
  r.get("seed", c.seed);
  r.finish();
  if (c.gradient_shards > c.batch_size)
    throw ConfigError(source + ": field \"gradient_shards\" (" + std::to_string(c.gradient_shards) +
                      ") exceeds \"batch_size\" (" + std::to_string(c.batch_size) + ")");
  return c;
}

FqeConfig FqeConfig::load(const std::string& path) { return from_json(load_json_file(path), path); }

nlohmann::json FqeConfig::to_json() const {
  return {{"hidden", hidden},           {"batch_size", batch_size},   {"steps", steps},
          {"lr", lr},                   {"gamma", gamma},             {"alpha", alpha},
          {"target_period", target_period}, {"target_eta", target_eta}, {"initial_states", initial_states},
          {"estimate_samples", estimate_samples}, {"gradient_shards", gradient_shards},
          {"log_every", log_every}, {"seed", seed}};
}

}  // namespace mtf
