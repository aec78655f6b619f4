// rl/data/session_log.cpp — the JSON Lines writer and the strict, all-or-nothing reader.
//
// The reader is a small hand-written parser for exactly this schema (any key order, any JSON
// whitespace) rather than a general JSON DOM: it parses numbers with std::from_chars straight into the
// final arrays, which is what makes a million transitions load in seconds, and it knows at every moment
// which field it is in, which is what makes its messages precise.
#include "rl/data/session_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <tuple>
#include <sstream>
#include <string_view>

#include "engine/atomic_file.hpp"
#include "engine/checksum.hpp"
#include "engine/limits.hpp"

namespace mtf {

void SessionLog::append_session(std::int64_t id, int user, int day, std::int64_t length, const float* session_states,
                                const float* session_actions, const float* session_feedback) {
  SessionInfo info;
  info.id = id;
  info.user = user;
  info.day = day;
  info.begin = num_steps();
  info.end = info.begin + length;
  sessions.push_back(info);
  states.insert(states.end(), session_states, session_states + length * state_dim);
  actions.insert(actions.end(), session_actions, session_actions + length * kActionDim);
  feedback.insert(feedback.end(), session_feedback, session_feedback + length * kNumFeedback);
}

void SessionLog::append(const SessionLog& other) {
  if (other.state_dim != state_dim) throw std::invalid_argument("SessionLog::append: state_dim differs");
  const std::int64_t offset = num_steps();
  for (SessionInfo s : other.sessions) {
    s.begin += offset;
    s.end += offset;
    sessions.push_back(s);
  }
  states.insert(states.end(), other.states.begin(), other.states.end());
  actions.insert(actions.end(), other.actions.begin(), other.actions.end());
  feedback.insert(feedback.end(), other.feedback.begin(), other.feedback.end());
}

void SessionLog::keep_first_sessions(std::size_t n) {
  if (n >= sessions.size()) return;
  sessions.resize(n);
  const std::int64_t rows = n ? sessions.back().end : 0;
  states.resize(static_cast<std::size_t>(rows) * state_dim);
  actions.resize(static_cast<std::size_t>(rows) * kActionDim);
  feedback.resize(static_cast<std::size_t>(rows) * kNumFeedback);
}

SessionLog SessionLog::subset(const std::vector<std::size_t>& indices) const {
  SessionLog out;
  out.state_dim = state_dim;
  out.meta = meta;
  for (std::size_t i : indices) {
    if (i >= sessions.size()) throw std::out_of_range("SessionLog::subset: no session " + std::to_string(i));
    const SessionInfo& s = sessions[i];
    out.append_session(s.id, s.user, s.day, s.length(), state(s.begin), action(s.begin), feedback_row(s.begin));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------- writer

namespace {

void put_float(std::string& out, float v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip representation
  out.append(buf, r.ptr);
}

void put_int(std::string& out, long long v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void put_array(std::string& out, const float* v, int n) {
  out += '[';
  for (int i = 0; i < n; ++i) {
    if (i) out += ',';
    put_float(out, v[i]);
  }
  out += ']';
}

constexpr const char* kFormat = "mtf-session-log";
constexpr int kVersion = 1;

}  // namespace

void write_session_log(const SessionLog& log, const std::string& path) {
  AtomicFileWriter file(path);  // nothing appears at `path` until commit(); a failure leaves the old file
  nlohmann::json header = {{"format", kFormat},     {"version", kVersion},
                           {"state_dim", log.state_dim}, {"action_dim", kActionDim},
                           {"feedback", kFeedbackNames}, {"meta", log.meta}};
  std::string out = header.dump() + "\n";
  for (const auto& s : log.sessions) {
    for (std::int64_t row = s.begin; row < s.end; ++row) {
      out += "{\"session\":";
      put_int(out, s.id);
      out += ",\"user\":";
      put_int(out, s.user);
      out += ",\"day\":";
      put_int(out, s.day);
      out += ",\"step\":";
      put_int(out, row - s.begin);
      out += ",\"state\":";
      put_array(out, log.state(row), log.state_dim);
      out += ",\"action\":";
      put_array(out, log.action(row), kActionDim);
      out += ",\"feedback\":{";
      const float* fb = log.feedback_row(row);
      for (int i = 0; i < kNumFeedback; ++i) {
        if (i) out += ',';
        out += '"';
        out += kFeedbackNames[i];
        out += "\":";
        put_float(out, fb[i]);
      }
      out += "},\"done\":";
      out += row + 1 == s.end ? "true" : "false";
      out += "}\n";
    }
    if (out.size() > (1u << 20)) {  // written in ~1 MiB pieces: the whole text is never in memory
      file.write(out);
      out.clear();
    }
  }
  file.write(out);
  file.commit();
}

// ---------------------------------------------------------------------------------------------- reader

namespace {

// Parses one line. Every error carries "<name>:<line>: " and, inside a field, `field "<name>"`.
class LineParser {
 public:
  LineParser(const std::string& name, std::int64_t line, const char* begin, const char* end)
      : name_(name), line_(line), p_(begin), end_(end) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw SessionLogError(name_ + ":" + std::to_string(line_) + ": " + what);
  }
  [[noreturn]] void fail_field(std::string_view field, const std::string& what) const {
    fail("field \"" + std::string(field) + "\": " + what);
  }
  [[noreturn]] void malformed(const std::string& expected) const {
    const std::string where = *field_ == 0 ? "" : " in field \"" + std::string(field_) + "\"";
    fail("malformed JSON" + where + " at column " + std::to_string(column()) + ": expected " + expected);
  }
  long column() const { return static_cast<long>(p_ - line_begin_) + 1; }
  void set_line_begin(const char* b) { line_begin_ = b; }

  void ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\r')) ++p_;
  }
  bool peek(char c) {
    ws();
    return p_ < end_ && *p_ == c;
  }
  void expect(char c) {
    ws();
    if (p_ >= end_ || *p_ != c) malformed(std::string("'") + c + "'");
    ++p_;
  }
  bool at_end() {
    ws();
    return p_ >= end_;
  }

  // A key: its characters between the quotes, without a copy. Keys of this schema have no escapes; a
  // key with one simply matches no field name (and is reported as unknown).
  std::string_view key() {
    ws();
    if (p_ >= end_ || *p_ != '"') malformed("a string");
    const char* begin = ++p_;
    while (p_ < end_ && *p_ != '"') {
      if (*p_ == '\\' && p_ + 1 < end_) ++p_;
      ++p_;
    }
    if (p_ >= end_) malformed("'\"' (unterminated string)");
    return std::string_view(begin, static_cast<std::size_t>(p_++ - begin));
  }

  // A JSON number. NaN / Infinity (not JSON, but what some writers emit) and values that overflow are
  // reported as non-finite rather than as syntax errors, which is what they are to the user.
  double number(std::string_view field, long element) {
    ws();
    auto non_finite = [&]() {
      if (element >= 0) fail_field(field, "element " + std::to_string(element) + " is not finite");
      fail_field(field, "value is not finite");
    };
    const char* q = p_ + (p_ < end_ && *p_ == '-' ? 1 : 0);
    if (q < end_ && (*q == 'N' || *q == 'n' || *q == 'I' || *q == 'i')) non_finite();
    double v = 0;
    auto r = std::from_chars(p_, end_, v);
    if (r.ec == std::errc::result_out_of_range) {
      // from_chars reports underflow (1e-400) like overflow; only overflow is not finite. strtod rounds
      // an underflow to 0 or a subnormal and an overflow to HUGE_VAL, telling them apart.
      const std::string token(p_, r.ptr);
      v = std::strtod(token.c_str(), nullptr);
      if (!std::isfinite(v) || std::fabs(v) >= 1) non_finite();
      r.ec = std::errc();
    }
    if (r.ec != std::errc() || r.ptr == p_) malformed("a number");
    // from_chars accepts forms JSON does not ("+1", "1."): reject leading '+' and ".5" / "5." forms.
    if (*p_ == '+' || *p_ == '.' || *(r.ptr - 1) == '.') malformed("a number");
    p_ = r.ptr;
    if (!std::isfinite(v)) non_finite();
    return v;
  }

  std::int64_t integer(std::string_view field) {
    ws();
    std::int64_t v = 0;
    const auto r = std::from_chars(p_, end_, v);
    if (r.ec != std::errc() || r.ptr == p_) {
      if (p_ < end_ && (*p_ == '"' || *p_ == 't' || *p_ == 'f' || *p_ == '[' || *p_ == '{'))
        fail_field(field, "expected an integer");
      malformed("an integer");
    }
    if (r.ptr < end_ && (*r.ptr == '.' || *r.ptr == 'e' || *r.ptr == 'E')) fail_field(field, "expected an integer");
    p_ = r.ptr;
    return v;
  }

  bool boolean(std::string_view field) {
    ws();
    if (end_ - p_ >= 4 && std::memcmp(p_, "true", 4) == 0) {
      p_ += 4;
      return true;
    }
    if (end_ - p_ >= 5 && std::memcmp(p_, "false", 5) == 0) {
      p_ += 5;
      return false;
    }
    fail_field(field, "expected true or false");
  }

  // An array of exactly `n` finite numbers written into out[0..n).
  void float_array(std::string_view field, float* out, int n) {
    ws();
    if (p_ >= end_ || *p_ != '[') {
      if (p_ < end_ && (*p_ == '"' || *p_ == '{' || *p_ == 't' || *p_ == 'f' || *p_ == '-' ||
                        (*p_ >= '0' && *p_ <= '9')))
        fail_field(field, "expected an array of " + std::to_string(n) + " numbers");
      malformed("'['");
    }
    ++p_;
    long count = 0;
    if (peek(']')) {
      ++p_;
    } else {
      for (;;) {
        const double v = number(field, count);
        const auto f = static_cast<float>(v);
        if (!std::isfinite(f)) fail_field(field, "element " + std::to_string(count) + " is not finite");
        if (count < n) out[count] = f;
        ++count;
        ws();
        if (p_ < end_ && *p_ == ',') {
          ++p_;
          continue;
        }
        if (p_ < end_ && *p_ == ']') {
          ++p_;
          break;
        }
        malformed("',' or ']'");
      }
    }
    if (count != n)
      fail_field(field, "expected " + std::to_string(n) + " values, got " + std::to_string(count));
  }

  void set_field(const char* f) { field_ = f; }  // a static name: no copy per field
  std::string field() const { return field_; }

 private:
  const std::string& name_;
  std::int64_t line_;
  const char* p_;
  const char* end_;
  const char* line_begin_ = nullptr;
  const char* field_ = "";
};

struct StepLine {
  std::int64_t session = 0, step = 0;
  std::int64_t user = 0, day = 0;
  bool done = false;
};

enum StepField { kSession, kUser, kDay, kStep, kState, kAction, kFeedbackField, kDone, kNumStepFields };
constexpr const char* kStepFieldNames[kNumStepFields] = {"session", "user",     "day",  "step",
                                                         "state",   "action",   "feedback", "done"};

// "feedback.<name>" for messages, built once.
const std::array<std::string, kNumFeedback>& feedback_field_names() {
  static const std::array<std::string, kNumFeedback> names = [] {
    std::array<std::string, kNumFeedback> n;
    for (int i = 0; i < kNumFeedback; ++i) n[i] = std::string("feedback.") + kFeedbackNames[i];
    return n;
  }();
  return names;
}

void parse_step_line(LineParser& in, int state_dim, StepLine& line, float* state, float* action, float* feedback) {
  const auto& feedback_fields = feedback_field_names();
  bool seen[kNumStepFields] = {};
  bool seen_feedback[kNumFeedback] = {};
  in.expect('{');
  if (!in.peek('}')) {
    for (;;) {
      in.set_field("");
      const std::string_view key = in.key();
      int field = -1;
      for (int i = 0; i < kNumStepFields && field < 0; ++i)
        if (key == kStepFieldNames[i]) field = i;
      if (field < 0) in.fail("unknown field \"" + std::string(key) + "\"");
      const char* name = kStepFieldNames[field];
      if (seen[field]) in.fail("duplicate field \"" + std::string(name) + "\"");
      seen[field] = true;
      in.set_field(name);
      in.expect(':');
      switch (field) {
        case kSession: line.session = in.integer(name); break;
        case kUser: line.user = in.integer(name); break;
        case kDay: line.day = in.integer(name); break;
        case kStep: line.step = in.integer(name); break;
        case kState: in.float_array(name, state, state_dim); break;
        case kAction: in.float_array(name, action, kActionDim); break;
        case kDone: line.done = in.boolean(name); break;
        case kFeedbackField: {
          if (!in.peek('{')) in.fail_field("feedback", "expected an object");
          in.expect('{');
          if (!in.peek('}')) {
            for (;;) {
              in.set_field("feedback");
              const std::string_view fb_key = in.key();
              int f = -1;
              for (int i = 0; i < kNumFeedback && f < 0; ++i)
                if (fb_key == kFeedbackNames[i]) f = i;
              if (f < 0) in.fail("unknown field \"feedback." + std::string(fb_key) + "\"");
              const std::string& full = feedback_fields[f];
              if (seen_feedback[f]) in.fail("duplicate field \"" + full + "\"");
              seen_feedback[f] = true;
              in.set_field(full.c_str());
              in.expect(':');
              feedback[f] = static_cast<float>(in.number(full, -1));
              if (!std::isfinite(feedback[f])) in.fail_field(full, "value is not finite");
              if (in.peek(',')) {
                in.expect(',');
                continue;
              }
              if (!in.peek('}')) in.malformed("',' or '}'");
              in.expect('}');
              break;
            }
          } else {
            in.expect('}');
          }
          for (int i = 0; i < kNumFeedback; ++i)
            if (!seen_feedback[i]) in.fail("missing field \"" + feedback_fields[i] + "\"");
          break;
        }
      }
      in.set_field("");
      if (in.peek(',')) {
        in.expect(',');
        continue;
      }
      if (!in.peek('}')) in.malformed("',' or '}'");
      in.expect('}');
      break;
    }
  } else {
    in.expect('}');
  }
  if (!in.at_end()) in.malformed("end of line after the object");
  for (int i = 0; i < kNumStepFields; ++i)
    if (!seen[i]) in.fail(std::string("missing field \"") + kStepFieldNames[i] + "\"");
}

}  // namespace

namespace {

[[noreturn]] void line_too_long(const std::string& name, std::int64_t line, std::size_t bytes) {
  throw SessionLogError(name + ":" + std::to_string(line) + ": line of " + std::to_string(bytes) +
                        " bytes exceeds the limit of " + std::to_string(input_limits().max_line_bytes) +
                        " (InputLimits::max_line_bytes)");
}

// The header line (line 1, without its '\n'; `terminated`: it had one). Its JSON is parsed with the
// engine's limits (a `meta` nested 200,000 deep would otherwise overflow the stack of every later copy
// or print of it). Sets log.state_dim and log.meta.
void parse_header(std::string_view line, bool terminated, const std::string& name, SessionLog& log) {
  const InputLimits& limits = input_limits();
  if (line.size() > limits.max_line_bytes) line_too_long(name, 1, line.size());
  nlohmann::json header;
  try {
    header = parse_json(line, name + ":1");
  } catch (const InputError& error) {
    throw SessionLogError(error.what());
  }
  if (!terminated) throw SessionLogError(name + ":1: truncated last line (no end of line)");
  auto header_field = [&](const char* key) -> const nlohmann::json& {
    if (!header.is_object() || !header.contains(key))
      throw SessionLogError(name + ":1: missing field \"" + key + "\"");
    return header[key];
  };
  if (header_field("format") != kFormat)
    throw SessionLogError(name + ":1: field \"format\": expected \"" + std::string(kFormat) + "\"");
  if (header_field("version") != kVersion)
    throw SessionLogError(name + ":1: field \"version\": unsupported version " + header["version"].dump());
  const auto& sd = header_field("state_dim");
  // Read at 64 bits and checked against the limit before it sizes anything: 4294967360 is not 64.
  if (!sd.is_number_integer() || (!sd.is_number_unsigned() && sd.get<std::int64_t>() < 1) || sd == 0)
    throw SessionLogError(name + ":1: field \"state_dim\": expected a positive integer");
  if (sd.get<std::uint64_t>() > std::uint64_t(limits.max_state_dim)) {
    try {
      limit_exceeded(name + ":1", "state_dim", static_cast<long double>(sd.get<std::uint64_t>()),
                     static_cast<long double>(limits.max_state_dim), "max_state_dim");
    } catch (const InputError& error) {
      throw SessionLogError(error.what());
    }
  }
  log.state_dim = sd.get<int>();
  if (header_field("action_dim") != kActionDim)
    throw SessionLogError(name + ":1: field \"action_dim\": expected " + std::to_string(kActionDim));
  const auto& fb_names = header_field("feedback");
  if (fb_names != nlohmann::json(kFeedbackNames))
    throw SessionLogError(name + ":1: field \"feedback\": expected the names " + nlohmann::json(kFeedbackNames).dump());
  log.meta = header.value("meta", nlohmann::json::object());
}

// Where one block of step lines stands in the file, and what came before it.
struct BlockContext {
  std::int64_t first_line = 2;  // the file line of the block's first byte
  bool at_eof = true;           // the block ends where the file ends
  bool have_previous = false;   // a session ended before the block ...
  std::int64_t previous_id = 0; // ... with this id (ids must increase across blocks too)
  bool more_after = false;      // at_eof ends a part of the file (SessionLogReader::read_only), not the file
};

// Parses the step lines of [p, end) and appends their sessions to `log` (state_dim set, no rows yet).
// Every line of a block that is not at the end of the file ends with '\n'; such a block's last session
// may continue in the next block: its lines are not kept, and the returned pointer is where they start
// (the caller reads them again with the rest of the session). At the end of the file, the whole text is
// consumed and an unfinished session or a line without '\n' is an error.
//
// The lines are indexed, then parsed in parallel straight into their rows (each line is independent),
// then the sequence checks run in line order. The first defect by line number wins, so the message is the
// same whatever the thread count and whatever the block size.
//
// Memory is sized from the lines, so it is bounded by the text: a valid step line holds at least 2 bytes
// per number of its state and action ("0,"). Indexing stops after the first line shorter than that (it
// cannot parse, and its error is the one reported), so a small file whose header claims a huge
// state_dim never allocates more than a few times its own size.
const char* parse_step_block(const char* const begin, const char* const end, const BlockContext& ctx,
                             const std::string& name, SessionLog& log) {
  const InputLimits& limits = input_limits();
  const std::size_t min_line = 2 * (std::size_t(log.state_dim) + kActionDim);
  std::vector<const char*> starts;
  const char* p = begin;
  while (p < end) {
    starts.push_back(p);
    const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
    const char* line_end = nl ? static_cast<const char*>(nl) : end;
    if (std::size_t(line_end - p) > limits.max_line_bytes)
      line_too_long(name, ctx.first_line + std::int64_t(starts.size()) - 1, std::size_t(line_end - p));
    p = nl ? line_end + 1 : end;
    if (std::size_t(line_end - starts.back()) < min_line) break;
  }
  const bool last_terminated = p > begin && p[-1] == '\n';  // of the last indexed line
  const auto rows = static_cast<std::int64_t>(starts.size());
  const std::int64_t first_line = ctx.first_line;  // file line of starts[0]
  log.states.resize(static_cast<std::size_t>(rows) * log.state_dim);
  log.actions.resize(static_cast<std::size_t>(rows) * kActionDim);
  log.feedback.resize(static_cast<std::size_t>(rows) * kNumFeedback);
  std::vector<StepLine> lines(static_cast<std::size_t>(rows));

  std::int64_t error_row = rows;  // the first row whose parse failed
  std::string error_message;
#pragma omp parallel
  {
    std::int64_t my_error_row = rows;
    std::string my_message;
#pragma omp for schedule(static)
    for (std::int64_t r = 0; r < rows; ++r) {
      if (r > my_error_row) continue;  // a thread's rows are increasing: later ones cannot win
      const bool terminated_line = r + 1 < rows || last_terminated;
      const char* line_begin = starts[r];
      const char* line_end = r + 1 < rows ? starts[r + 1] - 1 : (last_terminated ? p - 1 : p);
      LineParser in(name, first_line + r, line_begin, line_end);
      in.set_line_begin(line_begin);
      try {
        try {
          parse_step_line(in, log.state_dim, lines[r], log.states.data() + r * log.state_dim,
                          log.actions.data() + r * kActionDim, log.feedback.data() + r * kNumFeedback);
        } catch (const SessionLogError&) {
          // The writer always ends a line; a last line without one that does not parse was cut mid-write.
          if (!terminated_line) {
            const std::string where = in.field().empty() ? "" : " in field \"" + in.field() + "\"";
            in.fail("truncated last line (it ends" + where + " without completing the JSON object)");
          }
          throw;
        }
        if (!terminated_line) in.fail("truncated last line (no end of line)");
      } catch (const SessionLogError& e) {
        if (r < my_error_row) my_error_row = r, my_message = e.what();
      }
    }
#pragma omp critical(mtf_session_log_error)
    if (my_error_row < error_row) error_row = my_error_row, error_message = std::move(my_message);
  }

  // Sequence checks: sessions contiguous with increasing ids, steps 0, 1, ..., done on the last step.
  auto fail = [&](std::int64_t r, const std::string& field, const std::string& what) {
    throw SessionLogError(name + ":" + std::to_string(first_line + r) + ": field \"" + field + "\": " + what);
  };
  bool open_session = false;
  for (std::int64_t r = 0; r < error_row; ++r) {
    const StepLine& line = lines[r];
    if (open_session && line.session == lines[r - 1].session) {
      const StepLine& previous = lines[r - 1];
      if (line.step != previous.step + 1)
        fail(r, "step", "expected " + std::to_string(previous.step + 1) + ", got " + std::to_string(line.step));
      if (line.user != previous.user) fail(r, "user", "changes within session " + std::to_string(line.session));
      if (line.day != previous.day) fail(r, "day", "changes within session " + std::to_string(line.session));
    } else {
      if (open_session)
        fail(r, "session", "session " + std::to_string(lines[r - 1].session) + " ended without a step with \"done\": true");
      const bool have_previous = !log.sessions.empty() || ctx.have_previous;
      const std::int64_t previous_id = log.sessions.empty() ? ctx.previous_id : log.sessions.back().id;
      if (have_previous && line.session <= previous_id)
        fail(r, "session", "ids must increase (got " + std::to_string(line.session) + " after " +
                               std::to_string(previous_id) + ")");
      if (line.step != 0) fail(r, "step", "expected 0 at the start of a session, got " + std::to_string(line.step));
      if (line.user < 0 || line.user > INT32_MAX) fail(r, "user", "out of range");
      if (line.day < 0 || line.day > INT32_MAX) fail(r, "day", "out of range");
      SessionLog::SessionInfo info;
      info.id = line.session;
      info.user = static_cast<int>(line.user);
      info.day = static_cast<int>(line.day);
      info.begin = info.end = r;
      log.sessions.push_back(info);
    }
    log.sessions.back().end = r + 1;
    open_session = !line.done;
  }
  if (error_row < rows) throw SessionLogError(error_message);
  if (open_session && !ctx.at_eof) {  // continues in the next block: handed back
    const std::int64_t first_row = log.sessions.back().begin;
    log.sessions.pop_back();
    log.states.resize(std::size_t(first_row) * log.state_dim);
    log.actions.resize(std::size_t(first_row) * kActionDim);
    log.feedback.resize(std::size_t(first_row) * kNumFeedback);
    return starts[std::size_t(first_row)];
  }
  // A part of the file ends where the next part's first session begins (a line with another id): the
  // whole file's reader reports an unfinished session at that line, and so does this one.
  if (open_session && ctx.more_after)
    fail(rows, "session", "session " + std::to_string(lines[rows - 1].session) +
                              " ended without a step with \"done\": true");
  if (open_session)
    fail(rows - 1, "done", "the file ends inside session " + std::to_string(lines[rows - 1].session) +
                               " (its last step is not done)");
  return end;
}

}  // namespace

SessionLog parse_session_log(const std::string& text, const std::string& name) {
  if (text.empty()) throw SessionLogError(name + ":1: empty file (no header)");
  const char* const data = text.data();
  const char* const end = data + text.size();
  const void* nl = std::memchr(data, '\n', text.size());
  const char* header_end = nl ? static_cast<const char*>(nl) : end;
  SessionLog log;
  parse_header(std::string_view(data, std::size_t(header_end - data)), nl != nullptr, name, log);
  parse_step_block(header_end + 1, end, BlockContext{}, name, log);
  return log;
}

// ---------------------------------------------------------------------------------------- streaming

SessionLogReader::SessionLogReader(const std::string& path, std::size_t block_bytes)
    : path_(path), block_bytes_(std::max<std::size_t>(block_bytes, 1)) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw SessionLogError(path + ": cannot open for reading: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    ::close(fd_);
    throw SessionLogError(path + ": cannot stat: " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd_);
    throw SessionLogError(path + ": is a directory, not a file");
  }
  regular_file_ = S_ISREG(st.st_mode);
  file_bytes_ = regular_file_ ? std::uint64_t(st.st_size) : 0;
  try {
    // The header: read until its '\n' (or the end of the file), never more than the line limit allows.
    std::size_t nl = std::string::npos;
    while ((nl = buffer_.find('\n')) == std::string::npos && !eof_) {
      if (buffer_.size() > input_limits().max_line_bytes) line_too_long(path_, 1, buffer_.size());
      fill(buffer_.size() + (1 << 16));
    }
    if (buffer_.empty()) throw SessionLogError(path_ + ":1: empty file (no header)");
    const std::size_t header_end = nl == std::string::npos ? buffer_.size() : nl;
    parse_header(std::string_view(buffer_).substr(0, header_end), nl != std::string::npos, path_, header_);
    buffer_.erase(0, std::min(buffer_.size(), header_end + 1));
    steps_begin_ = bytes_read_ - buffer_.size();
  } catch (...) {
    ::close(fd_);
    throw;
  }
}

SessionLogReader::~SessionLogReader() {
  if (fd_ >= 0) ::close(fd_);
}

// Reads until the buffer holds `want` bytes or the file ends.
void SessionLogReader::fill(std::size_t want) {
  while (!eof_ && buffer_.size() < want) {
    const std::size_t at = buffer_.size();
    const std::size_t ask = std::size_t(std::min<std::uint64_t>(want - at, remaining_));
    if (ask == 0) {  // the end of read_only()'s range
      eof_ = true;
      break;
    }
    buffer_.resize(at + ask);
    const ssize_t r = ::read(fd_, buffer_.data() + at, ask);
    if (r < 0) {
      buffer_.resize(at);
      if (errno == EINTR) continue;
      throw SessionLogError(path_ + ": read error: " + std::strerror(errno));
    }
    buffer_.resize(at + std::size_t(r));
    if (r == 0) eof_ = true;
    bytes_read_ += std::uint64_t(r);
    if (remaining_ != UINT64_MAX) remaining_ -= std::uint64_t(r);
  }
}

bool SessionLogReader::next(SessionLog& block) {
  block.state_dim = header_.state_dim;
  block.meta = header_.meta;
  block.sessions.clear();
  block.states.clear();
  block.actions.clear();
  block.feedback.clear();
  for (std::size_t want = block_bytes_;; want *= 2) {
    fill(want);
    if (buffer_.empty() && eof_) return false;
    // A block is the first `want` bytes cut at a line's end, unless the file ends first; a session longer
    // than the block makes it grow (memory is bounded by the block size or the longest session).
    const std::size_t window = std::min(want, buffer_.size());
    const bool at_eof = eof_ && window == buffer_.size();
    std::size_t length = window;
    if (!at_eof) {
      const std::size_t last_nl = buffer_.rfind('\n', window - 1);
      if (last_nl == std::string::npos) continue;
      length = last_nl + 1;
    }
    BlockContext ctx;
    ctx.first_line = next_line_;
    ctx.at_eof = at_eof;
    ctx.have_previous = have_previous_;
    ctx.previous_id = previous_id_;
    ctx.more_after = at_eof && more_after_;
    const char* begin = buffer_.data();
    const char* used = parse_step_block(begin, begin + length, ctx, path_, block);
    if (block.sessions.empty() && !ctx.at_eof) continue;  // one session longer than the block: read more
    next_line_ += std::int64_t(std::count(begin, used, '\n'));
    have_previous_ = true;
    previous_id_ = block.sessions.back().id;
    buffer_.erase(0, std::size_t(used - begin));
    sessions_read_ += std::int64_t(block.sessions.size());
    return true;
  }
}

namespace {

// The session id of one step line, or false when the line does not parse (strictly, as the reader would).
bool step_line_session(const std::string& line, int state_dim, const std::string& name, std::vector<float>& scratch,
                       std::int64_t& id) {
  LineParser in(name, 0, line.data(), line.data() + line.size());
  in.set_line_begin(line.data());
  StepLine step;
  try {
    parse_step_line(in, state_dim, step, scratch.data(), scratch.data() + state_dim,
                    scratch.data() + state_dim + kActionDim);
  } catch (const SessionLogError&) {
    return false;
  }
  id = step.session;
  return true;
}

}  // namespace

LogByteRange SessionLogReader::part(int part, int parts) const {
  if (parts < 1 || part < 0 || part >= parts)
    throw std::invalid_argument("SessionLogReader::part: part " + std::to_string(part) + " of " + std::to_string(parts));
  if (!regular_file_) throw SessionLogError(path_ + ": a sharded read needs a regular file (offsets), not a pipe");
  const std::uint64_t begin = steps_begin_, size = std::max(file_bytes_, steps_begin_);
  // Where part k begins: the first line after the line holding byte `from` whose session id differs from
  // its (parsed) predecessor's. Both neighbours' cuts run this same function, so the parts tile the file.
  auto cut = [&](int k) -> std::uint64_t {
    if (k == 0) return begin;
    if (k == parts) return size;
    const std::uint64_t from = begin + std::uint64_t((unsigned __int128)(size - begin) * unsigned(k) / unsigned(parts));
    const std::size_t limit = input_limits().max_line_bytes;
    std::vector<float> scratch(std::size_t(header_.state_dim) + kActionDim + kNumFeedback);
    std::vector<char> chunk(std::size_t(1) << 16);
    std::string line;
    bool first = true;      // in the line holding byte from - 1: skipped (it may have begun before)
    bool too_long = false;  // the current line passed the limit: it cannot parse, and is not kept
    bool have_previous = false;
    std::int64_t previous = 0;
    std::uint64_t line_start = 0;
    for (std::uint64_t offset = from - 1; offset < size;) {
      const ssize_t r = ::pread(fd_, chunk.data(), std::size_t(std::min<std::uint64_t>(chunk.size(), size - offset)),
                                off_t(offset));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) throw SessionLogError(path_ + ": read error: " + std::strerror(errno));
      if (r == 0) break;
      for (ssize_t i = 0; i < r; ++i) {
        const char c = chunk[std::size_t(i)];
        if (c != '\n') {
          if (!first && !too_long) {
            if (line.size() < limit) line.push_back(c);
            else too_long = true;
          }
          continue;
        }
        if (!first) {
          std::int64_t id = 0;
          const bool parsed = !too_long && step_line_session(line, header_.state_dim, path_, scratch, id);
          if (parsed && have_previous && id != previous) return line_start;
          have_previous = parsed;
          previous = id;
        }
        first = false;
        too_long = false;
        line.clear();
        line_start = offset + std::uint64_t(i) + 1;
      }
      offset += std::uint64_t(r);
    }
    return size;  // no session starts after `from`: this part and the later ones are empty
  };
  return {cut(part), cut(part + 1)};
}

void SessionLogReader::read_only(LogByteRange range, std::int64_t first_line, bool have_previous,
                                 std::int64_t previous_id) {
  if (!regular_file_) throw SessionLogError(path_ + ": a sharded read needs a regular file (offsets), not a pipe");
  if (sessions_read_ > 0 || range.begin < steps_begin_ || range.end < range.begin || range.end > file_bytes_)
    throw std::invalid_argument("SessionLogReader::read_only: a range of the steps, before the first block");
  if (::lseek(fd_, off_t(range.begin), SEEK_SET) < 0)
    throw SessionLogError(path_ + ": cannot seek: " + std::strerror(errno));
  buffer_.clear();
  eof_ = false;
  remaining_ = range.bytes();
  more_after_ = range.end < file_bytes_;
  next_line_ = first_line;
  have_previous_ = have_previous;
  previous_id_ = previous_id;
}

SessionLog read_session_log(const std::string& path, std::size_t block_bytes) {
  SessionLogReader reader(path, block_bytes);
  SessionLog log, block;
  log.state_dim = reader.state_dim();
  log.meta = reader.meta();
  while (reader.next(block)) log.append(block);
  return log;
}

namespace {

// The engine's reader: refuses a directory, reads a pipe to its end (seeking one gives no size).
std::string read_text(const std::string& path) {
  try {
    return read_file(path);
  } catch (const std::runtime_error& e) {
    throw SessionLogError(e.what());
  }
}

}  // namespace


// ------------------------------------------------------------------------------------------ binary cache


namespace {

// The cache is the engine's checksummed container (engine/atomic_file.hpp: magic, version, length, FNV-1a)
// around: u64 source_size | u64 source_hash | session_log_to_bytes(log).
constexpr char kCacheMagic[] = "MTFLOGC2";
constexpr std::uint32_t kCacheVersion = 1;

template <class T>
void put_raw(std::string& out, const T& v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

// Returns false on any mismatch or damage; never throws for a bad cache.
bool try_read_cache(const std::string& cache_path, std::uint64_t source_size, std::uint64_t source_hash,
                    SessionLog& out) {
  try {
    const std::string bytes =
        unwrap_checksummed(cache_path, read_file(cache_path), std::string_view(kCacheMagic, 8), kCacheVersion);
    std::uint64_t f[2];
    if (bytes.size() < sizeof f) return false;
    std::memcpy(f, bytes.data(), sizeof f);
    if (f[0] != source_size || f[1] != source_hash) return false;
    out = session_log_from_bytes(std::string_view(bytes).substr(sizeof f), cache_path);
    return true;
  } catch (const std::exception&) {
    return false;  // missing, truncated, corrupted or of another format: parse the text instead
  }
}

void write_cache(const std::string& cache_path, std::uint64_t source_size, std::uint64_t source_hash,
                 const SessionLog& log) {
  std::string bytes;
  put_raw(bytes, source_size);
  put_raw(bytes, source_hash);
  bytes += session_log_to_bytes(log);
  try {
    write_file_atomically(cache_path, wrap_checksummed(std::string_view(kCacheMagic, 8), kCacheVersion, bytes));
  } catch (const std::exception&) {
    // an unwritable cache is not an error: the log itself was read
  }
}

}  // namespace

// Layout: u64 state_dim | u64 sessions | u64 steps | u64 meta_size | meta JSON | sessions (5 x i64 each:
// id, user, day, begin, end) | states | actions | feedback (float32).
std::string session_log_to_bytes(const SessionLog& log) {
  std::string bytes;
  const std::string meta = log.meta.dump();
  for (std::uint64_t v : {static_cast<std::uint64_t>(log.state_dim), static_cast<std::uint64_t>(log.sessions.size()),
                          static_cast<std::uint64_t>(log.num_steps()), static_cast<std::uint64_t>(meta.size())})
    put_raw(bytes, v);
  bytes += meta;
  for (const auto& s : log.sessions)
    for (std::int64_t v : {s.id, static_cast<std::int64_t>(s.user), static_cast<std::int64_t>(s.day), s.begin, s.end})
      put_raw(bytes, v);
  for (const auto* v : {&log.states, &log.actions, &log.feedback})
    bytes.append(reinterpret_cast<const char*>(v->data()), v->size() * sizeof(float));
  return bytes;
}

SessionLog session_log_from_bytes(std::string_view bytes, const std::string& source) {
  auto fail = [&](const std::string& what) { throw SessionLogError(source + ": binary session log: " + what); };
  constexpr std::size_t kHeader = 4 * sizeof(std::uint64_t);
  if (bytes.size() < kHeader) fail("truncated header");
  std::uint64_t f[4];
  std::memcpy(f, bytes.data(), sizeof f);
  const auto [state_dim, sessions, steps, meta_size] = std::tuple{f[0], f[1], f[2], f[3]};
  if (state_dim == 0 || state_dim > (1u << 20)) fail("state_dim " + std::to_string(state_dim) + " out of range");
  const std::uint64_t floats_per_step = state_dim + kActionDim + kNumFeedback;
  if (meta_size > bytes.size() || sessions > bytes.size() / 40 || steps > bytes.size() / (floats_per_step * 4))
    fail("sizes larger than the data");  // checked before multiplying, so nothing overflows
  const std::uint64_t expected = kHeader + meta_size + sessions * 5 * 8 + steps * floats_per_step * sizeof(float);
  if (expected != bytes.size())
    fail(std::to_string(bytes.size()) + " bytes where the header implies " + std::to_string(expected));
  const char* p = bytes.data() + kHeader;
  SessionLog log;
  log.state_dim = static_cast<int>(state_dim);
  try {
    log.meta = parse_json(std::string_view(p, meta_size), source);
  } catch (const std::exception& e) {
    fail(std::string("metadata: ") + e.what());
  }
  p += meta_size;
  log.sessions.resize(sessions);
  std::int64_t previous_end = 0;
  for (auto& s : log.sessions) {
    std::int64_t v[5];
    std::memcpy(v, p, sizeof v);
    p += sizeof v;
    s.id = v[0];
    s.user = static_cast<int>(v[1]);
    s.day = static_cast<int>(v[2]);
    s.begin = v[3];
    s.end = v[4];
    if (s.begin != previous_end || s.end <= s.begin || s.end > static_cast<std::int64_t>(steps))
      fail("session " + std::to_string(s.id) + " has rows [" + std::to_string(s.begin) + ", " + std::to_string(s.end) +
           ") that do not follow the previous session's");
    previous_end = s.end;
  }
  if (previous_end != static_cast<std::int64_t>(steps)) fail("the sessions do not cover the steps");
  auto take = [&p](std::vector<float>& dst, std::uint64_t n) {
    dst.resize(n);
    std::memcpy(dst.data(), p, n * sizeof(float));
    p += n * sizeof(float);
  };
  take(log.states, steps * state_dim);
  take(log.actions, steps * kActionDim);
  take(log.feedback, steps * kNumFeedback);
  return log;
}

SessionLog read_session_log_cached(const std::string& path, bool* used_cache) {
  const std::string text = read_text(path);
  const std::uint64_t source_hash = hash64(text.data(), text.size());
  const std::string cache_path = path + ".cache";
  SessionLog log;
  const bool hit = try_read_cache(cache_path, text.size(), source_hash, log);
  if (used_cache) *used_cache = hit;
  if (hit) return log;
  log = parse_session_log(text, path);  // strict: throws on any defect, and then no cache is written
  write_cache(cache_path, text.size(), source_hash, log);
  return log;
}

}  // namespace mtf
