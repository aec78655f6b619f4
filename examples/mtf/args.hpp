// examples/mtf/args.hpp — a small strict option parser for the subcommands: `--name value` and
// `--flag`; unknown options, missing values and malformed numbers are errors naming the option.
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace mtf::cli {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Args {
 public:
  /// `with_value`: options that take a value; `flags`: options that do not. Positional arguments are kept.
  Args(int argc, char** argv, const std::set<std::string>& with_value, const std::set<std::string>& flags);

  bool has(const std::string& name) const { return values_.count(name) > 0; }
  std::string str(const std::string& name, const std::string& fallback) const;
  std::string required(const std::string& name) const;
  std::int64_t integer(const std::string& name, std::int64_t fallback) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

}  // namespace mtf::cli
