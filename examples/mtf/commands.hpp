// examples/mtf/commands.hpp — the subcommands of `mtf`. Each takes its name and the arguments after it
// (argv[0] is the command's name), parses them with CLI11 (examples/cli/options.hpp: usage errors and
// --help return 2 and 0) and returns the process exit status; errors found later are thrown
// (UsageError → status 2, anything else → 1).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "rl/data/policy.hpp"
#include "rl/loop/online_loop.hpp"
#include "rl/sim/config.hpp"

namespace mtf::cli {

int simulate_command(int argc, char** argv);
int inspect_command(int argc, char** argv);
int train_command(int argc, char** argv);
int evaluate_command(int argc, char** argv);
int loop_command(int argc, char** argv);
int probe_command(int argc, char** argv);
int baselines_command(int argc, char** argv);
int bandit_ope_command(int argc, char** argv);
int online_command(int argc, char** argv);
int export_command(int argc, char** argv);
int experiment_command(int argc, char** argv);
int ab_test_command(int argc, char** argv);

/// The policy called `name` (evaluate.cpp): ckpt:PATH (any learner's checkpoint, for states of state_dim;
/// its errors name logs_path as the data), constant, random or noisy; UsageError for other names.
std::shared_ptr<Policy> policy_by_name(const std::string& name, int state_dim, const std::string& logs_path);
/// The simulator a log was written in: the file `config_path` (SimConfig's keys) when given, else the log
/// header's meta.sim_config (what mtf simulate records); errors name the file and the field.
sim::SimConfig simulator_config_for(const std::string& logs_path, const std::string& config_path);

/// The "simulator" object of a command's config file (SimConfig's keys; the defaults when absent), removed
/// from `file` so the rest can be read strictly; ConfigError naming `source` and the field.
sim::SimConfig take_simulator_config(nlohmann::json& file, const std::string& source);

/// `mtf loop`'s config file: LoopConfig's keys and "simulator" (SimConfig's); `seed`, when given,
/// overrides the file's. An empty path: the defaults.
std::pair<sim::SimConfig, LoopConfig> read_loop_config(const std::string& config_path, const std::uint64_t* seed);

}  // namespace mtf::cli
