#include "engine/limits.hpp"

#include <cmath>
#include <sstream>
#include <type_traits>
#include <vector>

namespace mtf {

namespace {
InputLimits& limits_storage() {
  static InputLimits limits;
  return limits;
}

std::string format_number(long double v) {
  std::ostringstream o;
  o.precision(v == std::floor(v) && std::fabs(v) < 1e20L ? 21 : 6);
  o << v;
  return o.str();
}

// nlohmann's messages start with "[json.exception.parse_error.101] "; the id means nothing to a user.
std::string without_id(const std::string& what) {
  const auto close = what.find("] ");
  return what.rfind("[json.exception.", 0) == 0 && close != std::string::npos ? what.substr(close + 2) : what;
}

// The DOM builder of nlohmann::json::parse, plus a depth limit and the path of object keys for messages.
class LimitedDomSax {
 public:
  using json = nlohmann::json;
  LimitedDomSax(json& root, const std::string& source, int max_depth)
      : dom_(root, true), source_(source), max_depth_(max_depth) {}

  bool null() { return done(dom_.null()); }
  bool boolean(bool v) { return done(dom_.boolean(v)); }
  bool number_integer(json::number_integer_t v) { return done(dom_.number_integer(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return done(dom_.number_unsigned(v)); }
  bool number_float(json::number_float_t v, const json::string_t& s) { return done(dom_.number_float(v, s)); }
  bool string(json::string_t& v) { return done(dom_.string(v)); }
  bool binary(json::binary_t& v) { return done(dom_.binary(v)); }
  bool start_object(std::size_t n) {
    enter();
    keys_.emplace_back();
    return dom_.start_object(n);
  }
  bool key(json::string_t& k) {
    keys_.back() = k;
    return dom_.key(k);
  }
  bool end_object() {
    keys_.pop_back();
    --depth_;
    return done(dom_.end_object());
  }
  bool start_array(std::size_t n) {
    enter();
    keys_.emplace_back("[]");
    return dom_.start_array(n);
  }
  bool end_array() {
    keys_.pop_back();
    --depth_;
    return done(dom_.end_array());
  }
  template <class Exception>
  bool parse_error(std::size_t position, const std::string& token, const Exception& e) {
    if (e.id == 406)  // the lexer's "number overflow": a finite-looking literal beyond double's range
      fail("number out of range: " + token);
    fail("not valid JSON: " + without_id(e.what()) + " (byte " + std::to_string(position) + ")");
  }

 private:
  // A value is complete: an error after it (a stray comma) is no longer in its field.
  bool done(bool ok) {
    if (!keys_.empty() && keys_.back() != "[]") keys_.back().clear();
    return ok;
  }
  void enter() {
    if (++depth_ > max_depth_)
      throw InputError(source_ + field() + ": JSON nested deeper than the limit of " + std::to_string(max_depth_) +
                       " levels (InputLimits::max_json_depth)");
  }
  // ": field \"a.b\"" from the keys of the enclosing objects (arrays shown as []), or "" at the top.
  std::string field() const {
    std::string f;
    for (const std::string& k : keys_) {
      if (k.empty() || k == "[]") continue;  // array levels: no index is tracked, the key names the field
      if (f.size() > 200) return ": field \"" + f + "...\"";  // a deep path is cut, not printed whole
      f += (f.empty() ? "" : ".") + k;
    }
    return f.empty() ? "" : ": field \"" + f + "\"";
  }
  [[noreturn]] void fail(const std::string& what) const { throw InputError(source_ + field() + ": " + what); }

  nlohmann::detail::json_sax_dom_parser<json> dom_;
  const std::string& source_;
  int max_depth_;
  int depth_ = 0;
  std::vector<std::string> keys_;
};
}  // namespace

const InputLimits& input_limits() { return limits_storage(); }
void set_input_limits(const InputLimits& limits) { limits_storage() = limits; }

nlohmann::json parse_json(std::string_view text, const std::string& source) {
  const InputLimits& lim = input_limits();
  if (text.size() > lim.max_json_bytes)
    throw InputError(source + ": " + std::to_string(text.size()) + " bytes of JSON exceed the limit of " +
                     std::to_string(lim.max_json_bytes) + " (InputLimits::max_json_bytes)");
  nlohmann::json root;
  LimitedDomSax sax(root, source, lim.max_json_depth);
  nlohmann::json::sax_parse(text.begin(), text.end(), &sax);
  return root;
}

void limit_exceeded(const std::string& source, const std::string& field, long double value, long double limit,
                    const char* limit_name) {
  throw InputError(source + ": field \"" + field + "\": " + format_number(value) + " exceeds the limit of " +
                   format_number(limit) + " (InputLimits::" + limit_name + ")");
}

void check_network_size(const std::string& source, const std::string& field, std::int64_t in,
                        const std::vector<std::int64_t>& widths, std::int64_t out, std::int64_t batch) {
  const InputLimits& lim = input_limits();
  long double params = 0, widest = static_cast<long double>(std::max(in, out));
  std::int64_t previous = in;
  for (std::int64_t w : widths) {
    params += static_cast<long double>(previous) * w + w;
    widest = std::max<long double>(widest, w);
    previous = w;
  }
  params += static_cast<long double>(previous) * out + out;
  if (params > lim.max_network_parameters)
    throw InputError(source + ": field \"" + field + "\": a network of " + format_number(params) +
                     " parameters exceeds the limit of " + format_number(lim.max_network_parameters) +
                     " (InputLimits::max_network_parameters)");
  const long double activations = widest * static_cast<long double>(batch);
  if (activations > lim.max_activations)
    throw InputError(source + ": field \"" + field + "\": batch size x widest layer = " + format_number(activations) +
                     " activations exceeds the limit of " + format_number(lim.max_activations) +
                     " (InputLimits::max_activations)");
}

// ------------------------------------------------------------------------------------ as configuration

namespace {
// Each field with its name and its own range; one table for both directions.
template <class Limits, class Visit>
void limit_fields(Limits& l, Visit&& v) {
  v("max_json_depth", l.max_json_depth, 100000);
  v("max_json_bytes", l.max_json_bytes, std::int64_t(1) << 62);
  v("max_line_bytes", l.max_line_bytes, std::int64_t(1) << 62);
  v("max_state_dim", l.max_state_dim, std::int64_t(1) << 62);
  v("max_width", l.max_width, std::int64_t(1) << 62);
  v("max_network_parameters", l.max_network_parameters, std::int64_t(1) << 62);
  v("max_activations", l.max_activations, std::int64_t(1) << 62);
}
}  // namespace

InputLimits input_limits_from_json(const nlohmann::json& j, const std::string& source, const InputLimits& base) {
  if (!j.is_object()) throw InputError(source + ": expected a JSON object of limits");
  InputLimits out = base;
  std::vector<std::string> known;
  limit_fields(out, [&](const char* name, auto&, std::int64_t) { known.emplace_back(name); });
  for (const auto& item : j.items()) {
    bool found = false;
    for (const std::string& k : known) found = found || k == item.key();
    if (!found) {
      std::string list;
      for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
      throw InputError(source + ": unknown key \"" + item.key() + "\" (known: " + list + ")");
    }
  }
  limit_fields(out, [&](const char* name, auto& field, std::int64_t hi) {
    if (!j.contains(name)) return;
    const nlohmann::json& v = j.at(name);
    // An integer, or a float with an integral value (1e6), in [1, hi]; nothing truncated or wrapped.
    const bool integral = v.is_number_integer() || (v.is_number_float() && std::isfinite(v.get<double>()) &&
                                                     v.get<double>() == std::floor(v.get<double>()));
    const long double x = v.is_number_unsigned() ? static_cast<long double>(v.get<std::uint64_t>())
                          : v.is_number_integer() ? static_cast<long double>(v.get<std::int64_t>())
                          : v.is_number() ? static_cast<long double>(v.get<double>()) : 0.0L;
    if (!integral || x < 1 || x > static_cast<long double>(hi))
      throw InputError(source + ": field \"" + name + "\": expected an integer in [1, " + format_number(hi) +
                       "], got " + v.dump());
    field = static_cast<std::remove_reference_t<decltype(field)>>(x);
  });
  return out;
}

nlohmann::json input_limits_to_json(const InputLimits& limits) {
  nlohmann::json j = nlohmann::json::object();
  InputLimits copy = limits;
  limit_fields(copy, [&](const char* name, auto& field, std::int64_t) { j[name] = field; });
  return j;
}

}  // namespace mtf
