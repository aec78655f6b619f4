// examples/mtf/commands.hpp — the subcommands of `mtf`. Each takes its name and the arguments after it
// (argv[0] is the command's name), parses them with CLI11 (examples/cli/options.hpp: usage errors and
// --help return 2 and 0) and returns the process exit status; errors found later are thrown
// (UsageError → status 2, anything else → 1).
#pragma once

namespace mtf::cli {

int simulate_command(int argc, char** argv);
int inspect_command(int argc, char** argv);
int train_command(int argc, char** argv);
int evaluate_command(int argc, char** argv);
int loop_command(int argc, char** argv);

}  // namespace mtf::cli
