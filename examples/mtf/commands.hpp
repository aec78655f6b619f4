// examples/mtf/commands.hpp — the subcommands of `mtf`. Each takes the arguments after its name and
// returns the process exit status; errors are thrown (UsageError → status 2, anything else → 1).
#pragma once

namespace mtf::cli {

int simulate_command(int argc, char** argv);
int inspect_command(int argc, char** argv);
int train_command(int argc, char** argv);
int evaluate_command(int argc, char** argv);

}  // namespace mtf::cli
