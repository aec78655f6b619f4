#include "engine/checkpoint.hpp"

#include <cstring>
#include <stdexcept>

#include "engine/atomic_file.hpp"
#include "engine/json_config.hpp"
#include "engine/limits.hpp"

namespace mtf {

namespace {
constexpr char kMagic[] = "MTFCKPT2";  // 8 bytes; "MTFBCQCK" was the BCQ-only format before it
constexpr std::uint32_t kVersion = 1;
[[noreturn]] void fail(const std::string& source, const std::string& what) {
  throw std::runtime_error(source + ": " + what);
}
}  // namespace

void Checkpoint::put(const std::string& name, std::string bytes) {
  if (has(name)) throw std::invalid_argument("Checkpoint::put: section \"" + name + "\" given twice");
  sections_.emplace_back(name, std::move(bytes));
}

bool Checkpoint::has(const std::string& name) const {
  for (const auto& s : sections_)
    if (s.first == name) return true;
  return false;
}

std::string_view Checkpoint::get(const std::string& name) const {
  for (const auto& s : sections_)
    if (s.first == name) return s.second;
  fail(source_, "checkpoint has no section \"" + name + "\"");
}

const nlohmann::json& Checkpoint::meta_at(const std::string& key) const {
  const auto it = meta.find(key);
  if (it == meta.end()) fail(source_, "checkpoint metadata has no field \"" + key + "\"");
  return *it;
}

std::string Checkpoint::to_bytes() const {
  nlohmann::json m = meta;
  m["sections"] = nlohmann::json::array();
  for (const auto& s : sections_) m["sections"].push_back({{"name", s.first}, {"bytes", s.second.size()}});
  const std::string header = m.dump();
  std::string payload;
  const std::uint64_t n = header.size();
  payload.append(reinterpret_cast<const char*>(&n), sizeof n);
  payload += header;
  for (const auto& s : sections_) payload += s.second;
  return wrap_checksummed(std::string_view(kMagic, 8), kVersion, payload);
}

Checkpoint Checkpoint::from_bytes(std::string_view bytes, const std::string& source) {
  if (bytes.size() >= 8 && bytes.substr(0, 8) == std::string_view("MTFBCQCK", 8))
    fail(source, "a BCQ checkpoint of the format before the learner interface (magic MTFBCQCK); this build reads "
                 "MTFCKPT2 checkpoints: train again");
  const std::string payload = unwrap_checksummed(source, bytes, std::string_view(kMagic, 8), kVersion);
  Checkpoint c(source);
  std::uint64_t n = 0;
  if (payload.size() < sizeof n) fail(source, "checkpoint payload too short for its metadata length");
  std::memcpy(&n, payload.data(), sizeof n);
  if (n > payload.size() - sizeof n) fail(source, "checkpoint metadata runs past the end of the file");
  try {
    c.meta = parse_json(std::string_view(payload).substr(sizeof n, n), source + ": checkpoint metadata");
  } catch (const InputError& e) {
    throw std::runtime_error(e.what());
  }
  if (!c.meta.is_object() || !c.meta.contains("sections") || !c.meta["sections"].is_array())
    fail(source, "checkpoint metadata has no \"sections\" list");
  std::size_t at = sizeof n + n;
  for (const auto& s : c.meta["sections"]) {
    if (!s.is_object() || !s.contains("name") || !s["name"].is_string() || !s.contains("bytes") ||
        !s["bytes"].is_number_unsigned())
      fail(source, "checkpoint metadata: malformed entry in \"sections\": " + s.dump());
    const std::string name = s["name"].get<std::string>();
    const auto size = s["bytes"].get<std::uint64_t>();
    if (size > payload.size() - at) fail(source, "section \"" + name + "\" runs past the end of the file");
    if (c.has(name)) fail(source, "section \"" + name + "\" appears twice");
    c.sections_.emplace_back(name, payload.substr(at, size));
    at += size;
  }
  if (at != payload.size()) fail(source, "unexpected bytes after the last section");
  c.meta.erase("sections");
  return c;
}

void Checkpoint::save(const std::string& path) const { write_file_atomically(path, to_bytes()); }

Checkpoint Checkpoint::load(const std::string& path) { return from_bytes(read_file(path), path); }

nlohmann::json rng_state_to_json(const Rng::State& st) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &st.cached_normal, sizeof bits);
  return {{"s", st.s}, {"cached_normal_bits", bits}, {"has_cached_normal", st.has_cached_normal}};
}

Rng::State rng_state_from_json(const nlohmann::json& j, const std::string& context) {
  if (!j.is_object()) throw std::runtime_error(context + ": not a generator state: expected an object, got " + j.dump());
  const auto field = [&](const char* key) -> const nlohmann::json& {
    const auto it = j.find(key);
    if (it == j.end()) throw std::runtime_error(context + ": not a generator state: no field \"" + key + "\"");
    return *it;
  };
  Rng::State st;
  const nlohmann::json& s = field("s");
  if (!s.is_array() || s.size() != st.s.size())
    throw std::runtime_error(context + ": field \"s\": expected 4 unsigned 64-bit integers, got " + s.dump());
  for (std::size_t i = 0; i < st.s.size(); ++i)
    st.s[i] = json_integer<std::uint64_t>(s[i], context + ": field \"s\" element " + std::to_string(i));
  const auto bits = json_integer<std::uint64_t>(field("cached_normal_bits"), context + ": field \"cached_normal_bits\"");
  std::memcpy(&st.cached_normal, &bits, sizeof bits);
  const nlohmann::json& has = field("has_cached_normal");
  if (!has.is_boolean()) throw std::runtime_error(context + ": field \"has_cached_normal\": expected a boolean, got " + has.dump());
  st.has_cached_normal = has.get<bool>();
  return st;
}

}  // namespace mtf
