// fuzz/checkpoint_fuzz.cpp — the checkpoint loader on arbitrary bytes. A random file never passes the
// checksum, so the first byte chooses: odd — the bytes as a whole file; even — the bytes as the payload
// of a correctly checksummed container, which reaches the metadata parser, the section table and every
// learner's load_sections. Expected failures are std::runtime_error with a message (ConfigError
// included); anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/atomic_file.hpp"
#include "engine/checkpoint.hpp"
#include "engine/limits.hpp"
#include "rl/registry.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Networks a fuzzed hyper-parameter block may ask for stay small enough for thousands of runs a second.
  mtf::InputLimits limits;
  limits.max_state_dim = 256;
  limits.max_width = 256;
  limits.max_network_parameters = 1 << 16;
  limits.max_activations = 1 << 16;
  mtf::set_input_limits(limits);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string bytes = data[0] % 2 ? std::string(rest) : mtf::wrap_checksummed("MTFCKPT2", 1, rest);
  try {
    const mtf::Checkpoint c = mtf::Checkpoint::from_bytes(bytes, "fuzz.ckpt");
    const auto learner = mtf::load_learner(c);
    learner->state_dim();
  } catch (const std::runtime_error&) {
  }
  return 0;
}
