// examples/mtf/export.cpp — `mtf export`: a training checkpoint → the exported policy a serving binary
// loads (serving/served_policy.hpp, serving/mtf_serving.h): only the networks serving needs, the
// dimensions and the action → α bounds of the simulator config, versioned and checksummed, written
// atomically. The file is read back before the command reports success.
#include <cstdio>

#include "commands.hpp"
#include "engine/atomic_file.hpp"
#include "engine/json_config.hpp"
#include "examples/cli/options.hpp"
#include "rl/registry.hpp"
#include "serving/served_policy.hpp"

namespace mtf::cli {

namespace {
const char* kDescription = R"(Writes the serving file of a trained learner (any --algo of mtf train): for BCQ the VAE's decoder, the
perturbation net and Q1; for the others their actor. The action -> alpha map uses the alpha bounds of
--config's "simulator" object (SimConfig's alpha_low and alpha_high; the defaults when absent).)";
}  // namespace

int export_command(int argc, char** argv) {
  CLI::App app(kDescription, "mtf export");
  std::string checkpoint_path, out, config_path;
  app.add_option("--checkpoint", checkpoint_path, "the training checkpoint (mtf train --out)")->required();
  app.add_option("--out", out, "the exported policy to write")->required();
  app.add_option("--config", config_path,
                 "a JSON object whose \"simulator\" object gives the alpha bounds (other keys are ignored)");
  if (const int status = parse(app, argc, argv); status >= 0) return status;
  require_distinct_files("--out", out, {{"--checkpoint", checkpoint_path}, {"--config", config_path}});

  sim::SimConfig sim_config;
  if (!config_path.empty()) {
    nlohmann::json file = load_json_file(config_path);
    sim_config = take_simulator_config(file, config_path);
  }
  const Checkpoint checkpoint = Checkpoint::load(checkpoint_path);
  const std::unique_ptr<Learner> learner = load_learner(checkpoint);
  const std::vector<double> low(sim_config.alpha_low.begin(), sim_config.alpha_low.end());
  const std::vector<double> high(sim_config.alpha_high.begin(), sim_config.alpha_high.end());
  if (Index(low.size()) != learner->action_dim())
    throw std::runtime_error(checkpoint_path + ": a learner of action dim " + std::to_string(learner->action_dim()) +
                             ", but the fusion has " + std::to_string(low.size()) + " weights");
  const std::string bytes = learner->export_policy(low, high).to_bytes();
  // Read back before writing: a file serving would refuse is never written.
  const ServedPolicy check = ServedPolicy::from_bytes(bytes, out, int(learner->state_dim()), int(learner->action_dim()));
  write_file_atomically(out, bytes);
  std::printf("wrote %s: %s policy, state dim %d, action dim %d, %zu bytes (checkpoint %zu bytes), iteration %lld\n",
              out.c_str(), check.algorithm().c_str(), check.state_dim(), check.action_dim(), bytes.size(),
              read_file(checkpoint_path).size(), learner->iteration());
  return 0;
}

}  // namespace mtf::cli
