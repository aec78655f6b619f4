// examples/cli/options.hpp — what every command-line program of the project shares on top of CLI11
// (Debian's libcli11-dev; outside the library core): strictly parsed, range-checked numeric options and
// one way to run a parser and report its errors.
//
// Numbers are parsed here rather than by CLI11 2.1, which reads integers with strtoll in base 0 and
// does not check overflow ("010" is 8, "99999999999999999999" is LLONG_MAX, "-1" is 2^64 - 1 for an
// unsigned option): an integer option takes decimal digits with an optional leading '-' only, and a
// value that does not fit the option's range — or its type — is an error naming the option, never a
// wrapped or truncated value. Real options take finite decimal numbers.
#pragma once
#include <CLI/CLI.hpp>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace mtf::cli {

/// A wrong use of a command (exit status 2), found after parsing (e.g. an unknown policy name).
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Parses a whole string as a decimal integer in [lo, hi]; throws CLI::ValidationError naming `option`.
long long parse_integer(const std::string& option, const std::string& text, long long lo, long long hi);
std::uint64_t parse_unsigned(const std::string& option, const std::string& text);
/// Parses a whole string as a finite real in [lo, hi] (or (lo, hi) etc. as the flags say).
double parse_real(const std::string& option, const std::string& text, double lo, double hi, bool lo_open = false,
                  bool hi_open = false);

/// `--name N`: an integer in [lo, hi] into `out` (whose current value is the default shown by --help).
template <class Int>
CLI::Option* add_integer(CLI::App& app, const std::string& name, Int& out, Int lo, Int hi, const std::string& help) {
  static_assert(std::is_integral_v<Int> && std::is_signed_v<Int>, "add_integer: a signed integer");
  return app
      .add_option_function<std::string>(
          name, [&out, name, lo, hi](const std::string& s) { out = Int(parse_integer(name, s, lo, hi)); }, help)
      ->type_name("INT")
      ->default_str(std::to_string(out));
}
/// `--name N`: a 64-bit unsigned integer (seeds).
CLI::Option* add_seed(CLI::App& app, const std::string& name, std::uint64_t& out, const std::string& help);
/// `--name X`: a finite real in [lo, hi].
CLI::Option* add_real(CLI::App& app, const std::string& name, double& out, double lo, double hi, const std::string& help);
/// `--train-fraction F`: the share of sessions, in time order, that is training data; in (0, 1), the
/// same check for every command.
CLI::Option* add_train_fraction(CLI::App& app, double& out);
/// `--threads T`: the engine's thread count (1 to 1024); sets it when given.
CLI::Option* add_threads(CLI::App& app);

/// Refuses an output that is one of the inputs (the same file by any name: a path, a hard link or a
/// symbolic link): UsageError "--out L.jsonl is the same file as --logs L.jsonl: ...". Pairs with an
/// empty path are skipped. Checked before anything is read or written.
void require_distinct_files(const std::string& out_option, const std::string& out_path,
                            const std::vector<std::pair<std::string, std::string>>& inputs);

/// Parses argv into `app`. Returns -1 when the program should go on, otherwise the exit status: 0 after
/// printing --help, 2 after printing a usage error ("<app name>: <message> (see <app name> --help)").
int parse(CLI::App& app, int argc, char** argv);

}  // namespace mtf::cli
