// rl/data/session_log.hpp — logged sessions in memory, and their JSON Lines file format.
//
// File format (docs/simulator.md has the full schema). Line 1 is a header:
//   {"format":"mtf-session-log","version":1,"state_dim":64,"action_dim":12,
//    "feedback":["play_time",...,"negative"],"meta":{...}}
// then one line per step, sessions contiguous, in time order, steps 0, 1, ... within a session:
//   {"session":7,"user":42,"day":0,"step":3,"state":[...S numbers],"action":[...12 numbers],
//    "feedback":{"play_time":12.5,"play_integrity":0.41,"play":1,"like":0,...},"done":false}
// `done` is true exactly on a session's last step. Keys may come in any order; every key is required;
// unknown keys are errors; numbers must be finite.
//
// The reader is strict and all-or-nothing: any defect throws SessionLogError naming the file, the
// 1-based line and the field, e.g. `logs.jsonl:17: field "action": expected 12 values, got 11`, and
// no partially filled log is ever returned. Sizes are checked against engine/limits.hpp's InputLimits
// (header nesting depth, state_dim, line length) before anything is allocated for them.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "rl/data/schema.hpp"

namespace mtf {

/// Sessions stored flat: step rows [begin, end) of the three matrices belong to one session.
struct SessionLog {
  struct SessionInfo {
    std::int64_t id = 0;
    int user = 0;
    int day = 0;
    std::int64_t begin = 0, end = 0;  // step rows
    std::int64_t length() const { return end - begin; }
  };
  int state_dim = 0;
  nlohmann::json meta = nlohmann::json::object();  // free-form: simulator config, policy, seed, ...
  std::vector<SessionInfo> sessions;
  std::vector<float> states;    // num_steps x state_dim, row-major
  std::vector<float> actions;   // num_steps x kActionDim
  std::vector<float> feedback;  // num_steps x kNumFeedback

  std::int64_t num_steps() const { return static_cast<std::int64_t>(actions.size() / kActionDim); }
  const float* state(std::int64_t row) const { return states.data() + row * state_dim; }
  const float* action(std::int64_t row) const { return actions.data() + row * kActionDim; }
  const float* feedback_row(std::int64_t row) const { return feedback.data() + row * kNumFeedback; }

  /// Appends a session's rows (states: len x S, actions: len x A, feedback: len x F).
  void append_session(std::int64_t id, int user, int day, std::int64_t length, const float* session_states,
                      const float* session_actions, const float* session_feedback);
  /// Appends all sessions of `other` (same state_dim), keeping their ids.
  void append(const SessionLog& other);
  /// Drops every session after the first `n` (and their rows).
  void keep_first_sessions(std::size_t n);
  /// The sessions at `indices` (in that order, ids kept), e.g. one user group's.
  SessionLog subset(const std::vector<std::size_t>& indices) const;
};

/// The block size of the readers that stream a log (SessionLogReader): large enough that parsing runs at
/// full speed in parallel, small beside any machine's memory.
constexpr std::size_t kLogBlockBytes = std::size_t(64) << 20;

class SessionLogError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Writes the log (header + one line per step); floats in shortest round-trip form, so identical logs
/// give identical bytes. Written through the engine's AtomicFileWriter (`path.tmp.<pid>`,
/// fsync, rename), so a crash leaves no partial file, and the next write removes a killed one's temporary.
void write_session_log(const SessionLog& log, const std::string& path);
/// Strict reader; throws SessionLogError (see above). Reads the file through a SessionLogReader, block by
/// block (the messages and the result do not depend on the block size).
SessionLog read_session_log(const std::string& path, std::size_t block_bytes = kLogBlockBytes);
/// The same parser over an in-memory text; `name` stands for the file name in messages.
SessionLog parse_session_log(const std::string& text, const std::string& name);

/// A byte range [begin, end) of a log file holding whole sessions: begin at the start of a session's first
/// line (or of the steps, after the header), end at the start of the next part's first line or at the end
/// of the file. SessionLogReader::part() cuts a log into such parts, one per process of a sharded read.
struct LogByteRange {
  std::uint64_t begin = 0, end = 0;
  std::uint64_t bytes() const { return end - begin; }
  bool operator==(const LogByteRange& o) const { return begin == o.begin && end == o.end; }
};

/// A log read in blocks of whole sessions, for logs larger than memory: memory is bounded by the block
/// size (or the longest session, if longer), never by the file. Every check of read_session_log applies,
/// with the same messages (file, line, field): a defect throws when the block holding it is read, so the
/// blocks before it have already been handed out — a caller that must be all-or-nothing keeps nothing
/// until next() has returned false.
///
///   SessionLogReader reader("logs.jsonl");
///   SessionLog block;
///   while (reader.next(block)) use(block);   // block.sessions in file order; rows from 0 in each block
class SessionLogReader {
 public:
  /// Opens the file and reads its header (SessionLogError naming the file for any defect).
  explicit SessionLogReader(const std::string& path, std::size_t block_bytes = kLogBlockBytes);
  ~SessionLogReader();
  SessionLogReader(const SessionLogReader&) = delete;
  SessionLogReader& operator=(const SessionLogReader&) = delete;

  /// Replaces `block` with the next whole sessions of the file (at least one); false at the end of the
  /// file. `block.state_dim` and `block.meta` are the header's.
  bool next(SessionLog& block);

  /// Part `part` of `parts` contiguous parts of the log's steps, cut at session starts near equal byte
  /// offsets, so each process of a sharded read parses only its part (never the others'): part k begins
  /// at the first session that starts on a line after the line holding byte begin + k * (size - begin) /
  /// parts (begin: the steps' first byte). Finding it parses a few lines there (about one session); a line
  /// that does not parse is skipped (it stays inside a part, whose reader reports it). The parts tile the
  /// steps in order; a part may be empty (a session longer than a part, or fewer sessions than parts).
  /// Needs a regular file (a pipe has no offsets).
  LogByteRange part(int part, int parts) const;

  /// From now on reads only `range` (a part(); before the first next()). Messages give the file's line
  /// numbers from `first_line` (the file line of range.begin, when known: a sharded read that found a
  /// defect reads its part again with the right number), and ids must exceed `previous_id` when
  /// `have_previous` (the last session before the range). A session still open at the range's end is
  /// reported as the whole file's reader would at the next line (the next part begins a new session).
  void read_only(LogByteRange range, std::int64_t first_line = 2, bool have_previous = false,
                 std::int64_t previous_id = 0);

  int state_dim() const { return header_.state_dim; }
  const nlohmann::json& meta() const { return header_.meta; }
  const std::string& path() const { return path_; }
  /// Sessions handed out so far, and bytes read from the file so far.
  std::int64_t sessions_read() const { return sessions_read_; }
  std::uint64_t bytes_read() const { return bytes_read_; }
  /// The file line of the next line to be read (2 at the start; read_only() sets it).
  std::int64_t next_line() const { return next_line_; }
  /// The file's size in bytes, and the offset of its first step line (after the header's '\n').
  std::uint64_t file_bytes() const { return file_bytes_; }
  std::uint64_t steps_begin() const { return steps_begin_; }

 private:
  void fill(std::size_t want);

  std::string path_;
  std::size_t block_bytes_;
  int fd_ = -1;
  bool eof_ = false;
  std::string buffer_;  // read, not yet handed out (starts at a line's beginning)
  SessionLog header_;   // state_dim and meta only
  std::int64_t next_line_ = 2;  // the file line of buffer_'s first byte
  bool have_previous_ = false;
  std::int64_t previous_id_ = 0;
  std::int64_t sessions_read_ = 0;
  std::uint64_t bytes_read_ = 0;
  std::uint64_t file_bytes_ = 0, steps_begin_ = 0;
  bool regular_file_ = false;
  std::uint64_t remaining_ = UINT64_MAX;  // bytes fill() may still read (read_only(): the range's rest)
  bool more_after_ = false;               // the range ends before the file does
};

/// read_session_log with a binary cache beside the file (`path + ".cache"`). The cache records the size
/// and a 64-bit hash of the JSON text it was built from and a checksum of its own contents; it is used
/// only when all three match (the text is still read and hashed, parsing is what is skipped). Otherwise
/// — no cache, a stale one, a truncated or corrupted one — the text is parsed strictly and the cache is
/// rewritten atomically (a cache that cannot be written is not an error). `used_cache` reports which.
SessionLog read_session_log_cached(const std::string& path, bool* used_cache = nullptr);

/// A log as compact binary (the binary cache's and the online loop checkpoint's form; no checksum of its
/// own: it travels inside a checksummed container) and back. The reader checks every size and the
/// sessions' row ranges, and throws SessionLogError naming `source` on any inconsistency.
std::string session_log_to_bytes(const SessionLog& log);
SessionLog session_log_from_bytes(std::string_view bytes, const std::string& source);


}  // namespace mtf
