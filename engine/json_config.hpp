// engine/json_config.hpp — strict reading of JSON configuration objects.
//
// A ConfigReader wraps one JSON object and the name of where it came from ("bcq.json"). Each get()
// reads one field, checking its type and range, and marks it consumed; finish() then rejects any key
// that nothing read — a misspelled "critc_lr" is an error naming it, never silently ignored. Several
// consumers may read one object (a learner's hyper-parameters and the trainer's run settings share a
// config file) before one finish().
//
// A config lists its fields once, in a static template `fields(config, visit)` that calls
// visit(key, field[, lo, hi]) and visit.widths(key, field) for each; ConfigReader and ConfigWriter are
// the two visitors, and read_config / config_to_json / config_from_json put them to work:
//
//   struct FooConfig : JsonConfig<FooConfig> {
//     double lr = 1e-3;
//     std::vector<Index> hidden = {256, 256};
//     template <class Self, class Visit> static void fields(Self& c, Visit& v) {
//       v("lr", c.lr, 0.0, 1.0);
//       v.widths("hidden", c.hidden);
//     }
//     void check(const ConfigReader&) const;  // optional: cross-field rules, after every field is read
//   };
// (deriving from JsonConfig<FooConfig> adds from_json, load and to_json).
//
// Numbers are never narrowed silently: an integer field takes only JSON integers (16.9 is an error, not
// 16) that fit its type (4294967328 in an int is an error, not 32), and a ranged field reports the
// value against its range whatever the field's type.
#pragma once
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "engine/atomic_file.hpp"
#include "engine/limits.hpp"

namespace mtf {

// One type for every defect of a config: a field's type or range, an unknown key, and the limits of
// engine/limits.hpp (widths, network size, JSON depth) checked while reading one. (A distinct subclass
// let the limits' InputError escape a `catch (const ConfigError&)`: found by fuzz/config_fuzz.)
using ConfigError = InputError;

/// Parses the JSON file at `path` (engine/limits.hpp's parse_json: depth and size limited); ConfigError
/// naming the path (and the field, for a number out of range) if it cannot be read or parsed.
nlohmann::json load_json_file(const std::string& path);

/// Why `v` is not a JSON integer (not 16.9, not 1e3, not 6.7e19) that fits T exactly; empty if it is.
/// Every integer read from a file goes through this first: nlohmann's get<T>() converts a float or an
/// out-of-range number to T with undefined behaviour (found by fuzz/checkpoint_fuzz on an RNG state).
template <class T>
std::string json_integer_problem(const nlohmann::json& v) {
  static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool>);
  if (!v.is_number_integer()) return "expected an integer, got " + v.dump();
  // nlohmann keeps a non-negative integer parsed from text as unsigned, one built in C++ may be signed.
  const bool negative = !v.is_number_unsigned() && v.get<long long>() < 0;
  if (negative && std::is_unsigned_v<T>) return "expected a non-negative integer, got " + v.dump();
  const bool fits = negative ? v.get<long long>() >= static_cast<long long>(std::numeric_limits<T>::min())
                             : v.get<unsigned long long>() <= static_cast<unsigned long long>(std::numeric_limits<T>::max());
  if (!fits)
    return "value " + v.dump() + " does not fit a " + std::to_string(8 * sizeof(T)) + "-bit " +
           (std::is_signed_v<T> ? "signed" : "unsigned") + " integer";
  return "";
}

/// `v` as T, checked as above; InputError "<what>: <problem>" otherwise.
template <class T>
T json_integer(const nlohmann::json& v, const std::string& what) {
  const std::string problem = json_integer_problem<T>(v);
  if (!problem.empty()) throw InputError(what + ": " + problem);
  return v.get<T>();
}

class ConfigReader {
 public:
  ConfigReader(const nlohmann::json& object, std::string source) : j_(object), source_(std::move(source)) {
    if (!j_.is_object()) throw ConfigError(source_ + ": expected a JSON object, got " + j_.type_name());
  }

  /// Reads key into `out` if present (otherwise leaves the default). T: bool, integers, double,
  /// std::string, std::vector<integer or double>, nlohmann::json (an object).
  template <class T>
  void get(const std::string& key, T& out) {
    seen_.insert(key);
    auto it = j_.find(key);
    if (it == j_.end()) return;
    try {
      check_type<T>(key, *it);
      out = it->template get<T>();
    } catch (const nlohmann::json::exception& e) {
      fail(key, std::string("cannot read: ") + e.what());
    }
  }
  /// Reads a number and checks lo <= value <= hi. An integer is read at 64 bits first, so a value
  /// that does not fit T is reported against [lo, hi] rather than as a type error.
  template <class T>
  void get(const std::string& key, T& out, T lo, T hi) {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      using Wide = std::conditional_t<std::is_signed_v<T>, long long, unsigned long long>;
      Wide wide = out;
      get(key, wide);
      if (wide < Wide(lo) || wide > Wide(hi))
        fail(key, "value " + std::to_string(wide) + " outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
      out = T(wide);
    } else {
      get(key, out);
      if (!(out >= lo && out <= hi))  // also refuses NaN
        fail(key, "value " + std::to_string(out) + " outside [" + std::to_string(lo) + ", " +
                      std::to_string(hi) + "]");
    }
  }
  /// Reads a non-empty list of layer widths, each in [1, InputLimits::max_width].
  template <class Width>
  void get_widths(const std::string& key, std::vector<Width>& out) {
    std::vector<long long> w(out.begin(), out.end());
    get(key, w);
    if (w.empty()) fail(key, "needs at least one hidden width");
    const long long max_width = input_limits().max_width;
    for (long long v : w) {
      if (v <= 0) fail(key, "widths must be positive, got " + std::to_string(v));
      if (v > max_width) limit_exceeded(source_, key, static_cast<long double>(v), max_width, "max_width");
    }
    out.assign(w.begin(), w.end());
  }
  /// The visitor form of get() and get_widths() (see the top of this file).
  template <class T>
  void operator()(const std::string& key, T& out) { get(key, out); }
  template <class T>
  void operator()(const std::string& key, T& out, T lo, T hi) { get(key, out, lo, hi); }
  template <class Width>
  void widths(const std::string& key, std::vector<Width>& out) { get_widths(key, out); }
  /// True when the object has `key` (read or not).
  bool has(const std::string& key) const { return j_.contains(key); }
  const std::string& source() const { return source_; }

  /// Rejects unknown keys.
  void finish() const {
    for (auto it = j_.begin(); it != j_.end(); ++it)
      if (!seen_.count(it.key())) {
        std::string known;
        for (const auto& k : seen_) known += (known.empty() ? "" : ", ") + k;
        throw ConfigError(source_ + ": unknown key \"" + it.key() + "\" (known keys: " + known + ")");
      }
  }
  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw ConfigError(source_ + ": field \"" + key + "\": " + what);
  }

 private:
  template <class T>
  void check_type(const std::string& key, const nlohmann::json& v) const {
    if constexpr (std::is_same_v<T, bool>) {
      if (!v.is_boolean()) fail(key, std::string("expected a boolean, got ") + v.type_name());
    } else if constexpr (std::is_integral_v<T>) {
      check_integer<T>(key, v, "");
    } else if constexpr (std::is_floating_point_v<T>) {
      if (!v.is_number()) fail(key, std::string("expected a number, got ") + v.type_name());
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (!v.is_string()) fail(key, std::string("expected a string, got ") + v.type_name());
    } else if constexpr (std::is_same_v<T, nlohmann::json>) {
      // A nested object read by another reader (e.g. a learner's hyper-parameters inside a loop config).
      if (!v.is_object()) fail(key, std::string("expected an object, got ") + v.type_name());
    } else {
      if (!v.is_array()) fail(key, std::string("expected an array, got ") + v.type_name());
      using E = typename T::value_type;
      std::size_t i = 0;
      for (const auto& e : v) {
        if constexpr (std::is_integral_v<E>)
          check_integer<E>(key, e, "element " + std::to_string(i) + ": ");
        else if (!e.is_number())
          fail(key, "element " + std::to_string(i) + ": expected a number, got " + e.type_name());
        ++i;
      }
    }
  }
  template <class T>
  void check_integer(const std::string& key, const nlohmann::json& v, const std::string& where) const {
    const std::string problem = json_integer_problem<T>(v);
    if (!problem.empty()) fail(key, where + problem);
  }
  nlohmann::json j_;  // a copy: a reader may outlive the object it was given (configs are small)
  std::string source_;
  std::set<std::string> seen_;
};

/// The visitor that writes a config's fields into a JSON object.
class ConfigWriter {
 public:
  template <class T>
  void operator()(const std::string& key, const T& value) { j_[key] = value; }
  template <class T>
  void operator()(const std::string& key, const T& value, T, T) { j_[key] = value; }
  template <class Width>
  void widths(const std::string& key, const std::vector<Width>& value) { j_[key] = value; }
  nlohmann::json& json() { return j_; }

 private:
  nlohmann::json j_ = nlohmann::json::object();
};

/// Reads Config's fields from `r` (keys absent keep their defaults), then Config::check(r). Leaves
/// r.finish() to the caller, who may read more keys from the same object.
template <class Config>
Config read_config(ConfigReader& r) {
  Config c;
  Config::fields(c, r);
  c.check(r);
  return c;
}
template <class Config>
nlohmann::json config_to_json(const Config& c) {
  ConfigWriter w;
  Config::fields(c, w);
  return std::move(w.json());
}
/// A whole object as a Config: unknown keys are errors. `source` names it in messages.
template <class Config>
Config config_from_json(const nlohmann::json& j, const std::string& source) {
  ConfigReader r(j, source);
  Config c = read_config<Config>(r);
  r.finish();
  return c;
}

/// The base of a config struct (struct FooConfig : JsonConfig<FooConfig> { ...; fields(); }): its JSON
/// round trip and file loading, and no cross-field rule unless the config declares its own check().
template <class Derived>
struct JsonConfig {
  static Derived from_json(const nlohmann::json& j, const std::string& source) {
    return config_from_json<Derived>(j, source);
  }
  static Derived load(const std::string& path);
  nlohmann::json to_json() const { return config_to_json(static_cast<const Derived&>(*this)); }
  void check(const ConfigReader&) const {}
};

template <class Derived>
Derived JsonConfig<Derived>::load(const std::string& path) {
  return from_json(load_json_file(path), path);
}

inline nlohmann::json load_json_file(const std::string& path) {
  try {
    return parse_json(read_file(path, input_limits().max_json_bytes), path);
  } catch (const InputError&) {
    throw;
  } catch (const std::runtime_error& e) {  // read_file's messages name the path already
    throw ConfigError(e.what());
  }
}

}  // namespace mtf
