// fuzz/session_log_fuzz.cpp — the strict session-log reader on arbitrary bytes. Any outcome but a parsed
// log or a SessionLogError (another exception, a crash, a sanitizer report, a huge allocation) is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/limits.hpp"
#include "rl/data/session_log.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Small limits so that a claimed size is refused, not allocated, within libFuzzer's -rss_limit_mb.
  mtf::InputLimits limits;
  limits.max_state_dim = 4096;
  limits.max_line_bytes = 1 << 20;
  mtf::set_input_limits(limits);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const mtf::SessionLog log = mtf::parse_session_log(text, "fuzz.jsonl");
    // A log that parses is consistent: every session's rows lie inside the arrays.
    for (const auto& s : log.sessions)
      if (s.begin < 0 || s.end > log.num_steps() || s.begin >= s.end) __builtin_trap();
    if (log.states.size() != std::size_t(log.num_steps()) * std::size_t(log.state_dim)) __builtin_trap();
  } catch (const mtf::SessionLogError&) {
  }
  return 0;
}
