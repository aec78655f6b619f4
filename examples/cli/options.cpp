// examples/cli/options.cpp — see options.hpp.
#include "examples/cli/options.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "engine/threads.hpp"

namespace mtf::cli {

namespace {
[[noreturn]] void invalid(const std::string& option, const std::string& what) {
  throw CLI::ValidationError(option, what);
}
template <class T>
T parse_whole(const std::string& option, const std::string& text, const char* kind) {
  T value{};
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec == std::errc::result_out_of_range)
    invalid(option, "\"" + text + "\" is out of range for " + kind);
  if (text.empty() || ec != std::errc() || ptr != end)
    invalid(option, std::string("expected ") + kind + ", got \"" + text + "\"");
  return value;
}
}  // namespace

long long parse_integer(const std::string& option, const std::string& text, long long lo, long long hi) {
  const long long v = parse_whole<long long>(option, text, "an integer");
  if (v < lo || v > hi)
    invalid(option, "value " + text + " outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return v;
}

std::uint64_t parse_unsigned(const std::string& option, const std::string& text) {
  return parse_whole<std::uint64_t>(option, text, "a non-negative 64-bit integer");
}

double parse_real(const std::string& option, const std::string& text, double lo, double hi, bool lo_open,
                  bool hi_open) {
  const double v = parse_whole<double>(option, text, "a number");
  const bool below = lo_open ? !(v > lo) : !(v >= lo), above = hi_open ? !(v < hi) : !(v <= hi);
  if (!std::isfinite(v) || below || above)
    invalid(option, "value " + text + " outside " + std::string(lo_open ? "(" : "[") + std::to_string(lo) + ", " +
                        std::to_string(hi) + (hi_open ? ")" : "]"));
  return v;
}

CLI::Option* add_seed(CLI::App& app, const std::string& name, std::uint64_t& out, const std::string& help) {
  return app
      .add_option_function<std::string>(
          name, [&out, name](const std::string& s) { out = parse_unsigned(name, s); }, help)
      ->type_name("SEED")
      ->default_str(std::to_string(out));
}

CLI::Option* add_real(CLI::App& app, const std::string& name, double& out, double lo, double hi,
                      const std::string& help) {
  return app
      .add_option_function<std::string>(
          name, [&out, name, lo, hi](const std::string& s) { out = parse_real(name, s, lo, hi); }, help)
      ->type_name("X")
      ->default_str(std::to_string(out));
}

CLI::Option* add_train_fraction(CLI::App& app, double& out) {
  return app
      .add_option_function<std::string>(
          "--train-fraction",
          [&out](const std::string& s) { out = parse_real("--train-fraction", s, 0.0, 1.0, true, true); },
          "share of the sessions, in time order, that is training data; the rest is the test split; in (0, 1)")
      ->type_name("F")
      ->default_str(std::to_string(out));
}

CLI::Option* add_threads(CLI::App& app) {
  return app
      .add_option_function<std::string>(
          "--threads", [](const std::string& s) { set_num_threads(int(parse_integer("--threads", s, 1, 1024))); },
          "engine threads (default: OMP_NUM_THREADS or all cores)")
      ->type_name("T");
}

namespace {
bool same_file(const std::string& a, const std::string& b) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(a, ec) && fs::exists(b, ec)) return fs::equivalent(a, b, ec);
  // One does not exist yet: compare the paths they would have (symbolic links in existing parts resolved).
  const fs::path pa = fs::weakly_canonical(fs::absolute(a, ec), ec), pb = fs::weakly_canonical(fs::absolute(b, ec), ec);
  return !ec && pa == pb;
}
}  // namespace

void require_distinct_files(const std::string& out_option, const std::string& out_path,
                            const std::vector<std::pair<std::string, std::string>>& inputs) {
  if (out_path.empty()) return;
  for (const auto& [option, path] : inputs)
    if (!path.empty() && same_file(out_path, path))
      throw UsageError(out_option + " " + out_path + " is the same file as " + option + " " + path +
                       ": writing it would destroy the input");
}

int parse(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
    return -1;
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "%s: %s (see %s --help)\n", app.get_name().c_str(), e.what(), app.get_name().c_str());
    return 2;
  }
}

}  // namespace mtf::cli
