#include "rl/bcq_config.hpp"

#include <stdexcept>
#include <string>

#include "engine/json_config.hpp"

namespace mtf {

BcqConfig BcqConfig::from_json(const nlohmann::json& j, const std::string& source) {
  BcqConfig c;
  ConfigReader r(j, source);
  r.get("state_dim", c.state_dim, Index(1), Index(1 << 20));
  r.get("action_dim", c.action_dim, Index(1), Index(1 << 12));
  r.get("latent_dim", c.latent_dim, Index(0), Index(1 << 12));
  r.get_widths("vae_hidden", c.vae_hidden);
  r.get_widths("actor_hidden", c.actor_hidden);
  r.get_widths("critic_hidden", c.critic_hidden);
  r.get("vae_lr", c.vae_lr, 0.0, 1.0);
  r.get("actor_lr", c.actor_lr, 0.0, 1.0);
  r.get("critic_lr", c.critic_lr, 0.0, 1.0);
  r.get("kl_weight", c.kl_weight, 0.0, 1e6);
  r.get("rho", c.rho, 0.0, 2.0);
  r.get("gamma", c.gamma, 0.0, 1.0);
  r.get("lambda", c.lambda, 0.0, 1.0);
  r.get("eta", c.eta, 0.0, 1.0);
  r.get("target_period", c.target_period, 1, 1 << 30);
  r.get("sampled_actions", c.sampled_actions, 1, 4096);
  r.get("batch_size", c.batch_size, 1, 1 << 20);
  r.get("gradient_shards", c.gradient_shards, 1, 1 << 10);
  r.get("iterations", c.iterations, 0LL, 1LL << 40);
  r.get("replay_capacity", c.replay_capacity, 1LL, 1LL << 40);
  r.get("log_every", c.log_every, 1LL, 1LL << 40);
  r.get("checkpoint_every", c.checkpoint_every, 0LL, 1LL << 40);
  r.get("seed", c.seed);
  r.finish();
  if (c.gradient_shards > c.batch_size)
    throw ConfigError(source + ": field \"gradient_shards\" (" + std::to_string(c.gradient_shards) +
                                ") exceeds \"batch_size\" (" + std::to_string(c.batch_size) + ")");
  return c;
}

BcqConfig BcqConfig::load(const std::string& path) { return from_json(load_json_file(path), path); }

nlohmann::json BcqConfig::to_json() const {
  return {{"state_dim", state_dim},         {"action_dim", action_dim},
          {"latent_dim", latent_dim},       {"vae_hidden", vae_hidden},
          {"actor_hidden", actor_hidden},   {"critic_hidden", critic_hidden},
          {"vae_lr", vae_lr},               {"actor_lr", actor_lr},
          {"critic_lr", critic_lr},         {"kl_weight", kl_weight},
          {"rho", rho},                     {"gamma", gamma},
          {"lambda", lambda},               {"eta", eta},
          {"target_period", target_period}, {"sampled_actions", sampled_actions},
          {"batch_size", batch_size},       {"gradient_shards", gradient_shards},
          {"iterations", iterations},
          {"replay_capacity", replay_capacity}, {"log_every", log_every},
          {"checkpoint_every", checkpoint_every}, {"seed", seed}};
}

}  // namespace mtf
