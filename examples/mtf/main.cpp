// examples/mtf/main.cpp — `mtf <command> [options]`. Commands are a table of name → function, so a
// new one (train, evaluate, ...) is one line here and one source file.
//
// Under `mpirun -np N` (a -DMTF_MPI=ON build, issue 15) every process runs the same command on the same
// inputs; the commands marked distributed spread each gradient step's shards over the processes
// (engine/distributed.hpp), or whole rollout blocks, ensemble members and A/B arms (distributed evaluation),
// and give the bits of one process. Only rank 0 writes files and standard
// output; the other commands refuse to run with more than one process.
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "commands.hpp"
#include "engine/distributed.hpp"
#include "engine/json_config.hpp"
#include "engine/kernels/dispatch.hpp"
#include "engine/limits.hpp"
#include "examples/cli/options.hpp"

namespace {

struct Command {
  const char* name;
  const char* summary;
  int (*run)(int argc, char** argv);
  bool distributed = false;  // runs under mpirun with several processes (the others refuse)
};

const Command kCommands[] = {
    {"simulate", "write session logs (JSON Lines) from a behaviour policy in the simulator", mtf::cli::simulate_command},
    {"inspect", "validate a session log and print its statistics beside KuaiRand's", mtf::cli::inspect_command},
    {"train", "train a learner (BatchRL-MTF's BCQ, behaviour cloning, ...) on a session log, write a checkpoint", mtf::cli::train_command, true},
    {"evaluate", "estimate a policy's value offline (Conservative-OPEstimator) on a log's test split", mtf::cli::evaluate_command, true},
    {"loop", "run the online exploration and daily retraining loop on the simulator", mtf::cli::loop_command},
    {"probe", "ask a finished loop's critic and the simulator the same questions, per user segment", mtf::cli::probe_command},
    {"baselines", "train every offline learner on the same logs: Figures 5-6 and each policy's true value", mtf::cli::baselines_command},
    {"bandit-ope", "a slate policy's click rate from another policy's logged bandit feedback (IPS, SNIPS, DM, DR)", mtf::cli::bandit_ope_command},
    {"export", "write the serving file of a trained learner (serving/served_policy.hpp loads it)", mtf::cli::export_command},
    {"online", "run the BO or ES online baseline in the simulator with the loop's budget of user-days", mtf::cli::online_command},
    {"experiment", "regenerate the paper's Table 1 and Figures 5-8 on the simulator, true values beside (table1)", mtf::cli::experiment_command},
    {"ab-test", "an online A/B test of policies in the simulator (paired ADTime, UPIRate, return)", mtf::cli::ab_test_command, true},
};

// "train, evaluate and ab-test": the commands that spread over processes, for the refusal of the others.
std::string distributed_commands() {
  std::vector<std::string> names;
  for (const Command& c : kCommands)
    if (c.distributed) names.push_back(c.name);
  std::string text;
  for (std::size_t i = 0; i < names.size(); ++i)
    text += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  return text;
}

void usage(std::FILE* out) {
  std::fprintf(out, "usage: mtf [--limits FILE] <command> [options]   (mtf <command> --help for a command's options)\n"
                    "       mtf --version   the version and the engine's kernel (MTF_KERNEL=avx512|avx2|generic overrides it)\n\n"
                    "--limits FILE  a JSON object of input limits for this run (engine/limits.hpp's InputLimits:\n"
                    "               max_json_depth, max_json_bytes, max_line_bytes, max_state_dim, max_width,\n"
                    "               max_network_parameters, max_activations); omitted ones keep their defaults\n\n"
                    "commands:\n");
  for (const Command& c : kCommands) std::fprintf(out, "  %-10s %s\n", c.name, c.summary);
}

int run(int argc, char** argv) {
  // The one global option: input limits, set before any command reads anything.
  if (argc >= 2 && std::strcmp(argv[1], "--limits") == 0) {
    if (argc < 3) {
      std::fprintf(stderr, "mtf: --limits needs a file\n");
      return 2;
    }
    try {
      mtf::set_input_limits(mtf::input_limits_from_json(mtf::load_json_file(argv[2]), argv[2]));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "mtf: error: %s\n", e.what());
      return 1;
    }
    argv[2] = argv[0];
    argc -= 2;
    argv += 2;
  }
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    usage(stdout);
    return 0;
  }
  if (name == "--version") {
    try {
      // (an MPI build names its MPI library; the default build's line is unchanged)
      std::printf("mtf %s, %s%s\n", MTF_VERSION, mtf::kernel_summary().c_str(),
                  mtf::mpi_built() ? (", " + mtf::mpi_summary()).c_str() : "");
    } catch (const std::exception& e) {  // a bad MTF_KERNEL
      std::fprintf(stderr, "mtf: error: %s\n", e.what());
      return 1;
    }
    return 0;
  }
  const mtf::ProcessGroup& world = mtf::ProcessGroup::world();
  for (const Command& c : kCommands) {
    if (name != c.name) continue;
    if (world.distributed() && !c.distributed) {
      if (world.rank() == 0)
        std::fprintf(stderr, "mtf %s: runs in one process, and this is one of %d (mpirun): only %s "
                     "spread over processes; run it without mpirun\n", c.name, world.size(), distributed_commands().c_str());
      return 2;
    }
    try {
      return c.run(argc - 1, argv + 1);  // argv[0] becomes the command's name
    } catch (const mtf::cli::UsageError& e) {
      std::fprintf(stderr, "mtf %s: %s (see mtf %s --help)\n", c.name, e.what(), c.name);
      return 2;
    } catch (const std::bad_alloc&) {
      // The readers check every size against engine/limits.hpp first, so this is a machine smaller
      // than the limits allow for; say what ran out rather than print "std::bad_alloc".
      std::fprintf(stderr, "mtf %s: error: out of memory (the inputs are within engine/limits.hpp's InputLimits, "
                   "but this machine cannot hold them)\n", c.name);
      return 1;
    } catch (const std::exception& e) {
      if (world.distributed()) std::fprintf(stderr, "mtf %s (rank %d of %d): error: %s\n", c.name, world.rank(), world.size(), e.what());
      else std::fprintf(stderr, "mtf %s: error: %s\n", c.name, e.what());
      return 1;
    }
  }
  std::fprintf(stderr, "mtf: unknown command \"%s\"\n", name.c_str());
  usage(stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  // MPI first (it may read its own arguments); a no-op without -DMTF_MPI=ON.
  std::unique_ptr<mtf::MpiSession> mpi;
  try {
    mpi = std::make_unique<mtf::MpiSession>(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mtf: error: %s\n", e.what());
    return 1;
  }
  const mtf::ProcessGroup& world = mtf::ProcessGroup::world();
  // Rank 0 speaks for the run: the others' standard output (results, progress) is the same text again.
  if (world.rank() != 0 && !std::freopen("/dev/null", "w", stdout)) {
    std::fprintf(stderr, "mtf: error: rank %d cannot silence its standard output\n", world.rank());
    mtf::MpiSession::abort_run(1);
    return 1;
  }
  const int status = run(argc, argv);
  // A failure on one rank leaves the others waiting in their next exchange: end them all. (Statuses of
  // 0 and 2 — success, a usage error or a refused command — are the same on every rank.)
  if (status != 0 && status != 2) mtf::MpiSession::abort_run(status);
  return status;
}
