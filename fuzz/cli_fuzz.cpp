// fuzz/cli_fuzz.cpp — the command-line layer (examples/cli: strictly parsed, range-checked numbers on
// CLI11) on arbitrary argument vectors: the input split at '\n' into arguments, parsed by an app with
// every kind of option `mtf train` and `mtf evaluate` declare. Expected outcomes: parsed (-1), --help
// (0) or a usage error (2), and values within their ranges; anything else is a finding.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "examples/cli/options.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> args{"mtf fuzz"};
  std::string current;
  for (std::size_t i = 0; i < size && args.size() < 64; ++i) {
    if (data[i] == '\n') {
      args.push_back(current);
      current.clear();
    } else {
      current += char(data[i]);
    }
  }
  args.push_back(current);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());

  CLI::App app("fuzz", "mtf fuzz");
  std::string logs, out, policy;
  long long iterations = -1, steps = -1;
  std::uint64_t seed = 0;
  double alpha_c = -1, fraction = 0.9;
  bool resume = false;
  app.add_option("--logs", logs)->required();
  app.add_option("--out", out);
  app.add_option("--policy", policy);
  mtf::cli::add_integer(app, "--iterations", iterations, 0LL, 1LL << 40, "");
  mtf::cli::add_integer(app, "--steps", steps, 0LL, 1LL << 40, "");
  mtf::cli::add_seed(app, "--seed", seed, "");
  mtf::cli::add_real(app, "--alpha-c", alpha_c, 0.0, 1e6, "");
  mtf::cli::add_train_fraction(app, fraction);
  mtf::cli::add_threads(app);
  app.add_flag("--resume", resume);
  const int status = mtf::cli::parse(app, int(argv.size()), argv.data());
  if (status != -1 && status != 0 && status != 2) __builtin_trap();
  if (status == -1) {
    // Whatever parsed is within its declared range: never a wrapped or truncated value.
    if (iterations != -1 && (iterations < 0 || iterations > (1LL << 40))) __builtin_trap();
    if (steps != -1 && (steps < 0 || steps > (1LL << 40))) __builtin_trap();
    if (alpha_c != -1 && !(alpha_c >= 0 && alpha_c <= 1e6)) __builtin_trap();
    if (!(fraction > 0 && fraction < 1)) __builtin_trap();
  }
  return 0;
}
