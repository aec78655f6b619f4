// engine/checkpoint.hpp — the one checkpoint format every learner and estimator writes: a JSON metadata
// object and named binary sections, in the versioned, checksummed container of engine/atomic_file.hpp,
// written atomically.
//
// Payload layout: u64 metadata length | metadata JSON | the sections' bytes, back to back. The metadata
// holds {"sections": [{"name": ..., "bytes": N}, ...]} beside whatever its writer puts there (a learner:
// its algorithm, hyper-parameters, iteration and RNG state; a trainer: the data settings a resume needs).
// Sections are whatever their owners serialize: Parameters::to_bytes(), Adam::to_bytes(), ...
//
// Reading is all-or-nothing: a wrong magic, version, length or checksum, metadata that is not JSON, or
// sections that do not add up throw std::runtime_error naming the file (and the section), and a missing
// section names the section asked for. A Checkpoint also lives in memory only (to_bytes / from_bytes):
// that is how a learner is cloned.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/rng.hpp"

namespace mtf {

/// An exported policy (`mtf export`, serving/served_policy.hpp) is a checkpoint of this format: its metadata
/// has "format": kPolicyFormat and "version": kPolicyVersion beside the algorithm, the dimensions, the
/// alpha bounds and a "serving" object; its sections are only the networks serving needs. A training
/// checkpoint has no "format" key (it has "hyperparameters" instead), so neither is taken for the other.
inline constexpr const char* kPolicyFormat = "mtf-policy";
inline constexpr int kPolicyVersion = 1;

class Checkpoint {
 public:
  /// `source` names the checkpoint in error messages (its path, or "memory").
  explicit Checkpoint(std::string source = "checkpoint") : source_(std::move(source)) {}

  /// Free-form metadata; "sections" is reserved.
  nlohmann::json meta = nlohmann::json::object();

  /// Adds a section; names are unique.
  void put(const std::string& name, std::string bytes);
  bool has(const std::string& name) const;
  /// The section's bytes; throws naming the file and the section when there is none.
  std::string_view get(const std::string& name) const;
  /// meta[key]; throws naming the file and the key when it is absent.
  const nlohmann::json& meta_at(const std::string& key) const;
  const std::string& source() const { return source_; }

  std::string to_bytes() const;
  static Checkpoint from_bytes(std::string_view bytes, const std::string& source);
  /// Atomically (temporary + fsync + rename), so a crash leaves the old file or the new one.
  void save(const std::string& path) const;
  static Checkpoint load(const std::string& path);

 private:
  std::string source_;
  std::vector<std::pair<std::string, std::string>> sections_;
};

/// An Rng's exact state as JSON (the cached normal as its bits: a decimal round trip could change it).
nlohmann::json rng_state_to_json(const Rng::State& state);
/// Throws std::runtime_error naming `context` when the JSON is not such a state.
Rng::State rng_state_from_json(const nlohmann::json& j, const std::string& context);

}  // namespace mtf
