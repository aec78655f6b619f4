// Tests for rl/data/session_log.cpp: the writer, the round trip, and the strict reader's message for each
// kind of defect (each asserted exactly).
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <unistd.h>

#include "engine/limits.hpp"
#include "rl/data/session_log.hpp"

using namespace mtf;

namespace {

const char* kHeader =
    "{\"format\":\"mtf-session-log\",\"version\":1,\"state_dim\":3,\"action_dim\":12,\"feedback\":[\"play_time\","
    "\"play_integrity\",\"play\",\"like\",\"share\",\"comment\",\"follow\",\"collect\",\"skip\",\"negative\"],"
    "\"meta\":{}}\n";

std::string step_line(int session, int step, bool done) {
  std::ostringstream o;
  o << "{\"session\":" << session << ",\"user\":4,\"day\":0,\"step\":" << step
    << ",\"state\":[0.5,1,2],\"action\":[0,0,0,0,0,0,0,0,0,0,0,0.25],\"feedback\":{\"play_time\":3.5,"
       "\"play_integrity\":0.5,\"play\":1,\"like\":0,\"share\":0,\"comment\":0,\"follow\":0,\"collect\":0,"
       "\"skip\":0,\"negative\":0},\"done\":"
    << (done ? "true" : "false") << "}\n";
  return o.str();
}

// A valid 2-session file: lines 2-3 session 0, lines 4-5 session 1.
std::string valid_text() {
  return kHeader + step_line(0, 0, false) + step_line(0, 1, true) + step_line(1, 0, false) + step_line(1, 1, true);
}

std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

// Replaces `from` by `to` in line `line` (1-based) only.
std::string edit_line(const std::string& text, int line, const std::string& from, const std::string& to) {
  std::size_t begin = 0;
  for (int i = 1; i < line; ++i) begin = text.find('\n', begin) + 1;
  const std::size_t end = text.find('\n', begin);
  return text.substr(0, begin) + replace_once(text.substr(begin, end - begin), from, to) + text.substr(end);
}

}  // namespace

TEST_CASE("a valid log parses completely", "[data][session_log]") {
  const SessionLog log = parse_session_log(valid_text(), "logs.jsonl");
  REQUIRE(log.state_dim == 3);
  REQUIRE(log.sessions.size() == 2);
  REQUIRE(log.num_steps() == 4);
  REQUIRE(log.sessions[1].id == 1);
  REQUIRE(log.sessions[1].begin == 2);
  REQUIRE(log.sessions[1].user == 4);
  REQUIRE(log.state(1)[0] == 0.5f);
  REQUIRE(log.action(3)[11] == 0.25f);
  REQUIRE(log.feedback_row(2)[kFbPlayTime] == 3.5f);
  // Keys in another order and extra whitespace are fine.
  const std::string reordered = kHeader +
      std::string("{ \"done\" : true , \"feedback\":{\"negative\":0,\"skip\":1,\"collect\":0,\"follow\":0,"
                  "\"comment\":0,\"share\":0,\"like\":0,\"play\":0,\"play_integrity\":0.1,\"play_time\":1},"
                  "\"action\":[1,1,1,1,1,1,1,1,1,1,1,1],\"state\":[ 1e-3 , -2.5E2 , 0 ],\"step\":0,\"day\":2,"
                  "\"user\":9,\"session\":5 }\n");
  const SessionLog r = parse_session_log(reordered, "x.jsonl");
  REQUIRE(r.state(0)[1] == -250.0f);
  REQUIRE(r.feedback_row(0)[kFbSkip] == 1.0f);
}

TEST_CASE("writer and reader round-trip exactly", "[data][session_log]") {
  SessionLog log;
  log.state_dim = 5;
  log.meta = {{"policy", "test"}};
  std::vector<float> states(3 * 5), actions(3 * kActionDim), feedback(3 * kNumFeedback);
  for (std::size_t i = 0; i < states.size(); ++i) states[i] = 0.1f * i - 0.7f;
  for (std::size_t i = 0; i < actions.size(); ++i) actions[i] = 1.0f / (1 + i);
  for (std::size_t i = 0; i < feedback.size(); ++i) feedback[i] = 3.14159f * i;
  log.append_session(10, 2, 0, 1, states.data(), actions.data(), feedback.data());
  log.append_session(12, 3, 1, 2, states.data() + 5, actions.data() + kActionDim, feedback.data() + kNumFeedback);
  const std::string path = "session_log_roundtrip.jsonl";
  write_session_log(log, path);
  const SessionLog back = read_session_log(path);
  REQUIRE(back.states == log.states);  // shortest round-trip floats: bit-exact
  REQUIRE(back.actions == log.actions);
  REQUIRE(back.feedback == log.feedback);
  REQUIRE(back.sessions.size() == 2);
  REQUIRE(back.sessions[1].id == 12);
  REQUIRE(back.sessions[1].day == 1);
  REQUIRE(back.meta["policy"] == "test");
  std::remove(path.c_str());
}

TEST_CASE("reader: malformed JSON names file, line and column", "[data][session_log]") {
  const std::string bad = edit_line(valid_text(), 3, ",\"feedback\"", " \"feedback\"");
  const std::string line3 = step_line(0, 1, true);
  const auto column = line3.find(",\"feedback\"") + 2;  // 1-based column of the offending '"'
  REQUIRE_THROWS_WITH(parse_session_log(bad, "logs.jsonl"),
                      "logs.jsonl:3: malformed JSON at column " + std::to_string(column) + ": expected ',' or '}'");
  const std::string in_array = edit_line(valid_text(), 2, "[0.5,1,2]", "[0.5,,2]");
  REQUIRE_THROWS_WITH(parse_session_log(in_array, "logs.jsonl"),
                      Catch::Matchers::StartsWith("logs.jsonl:2: malformed JSON in field \"state\" at column"));
}

TEST_CASE("reader: a truncated last line is reported as such", "[data][session_log]") {
  std::string text = valid_text();
  const auto cut = text.rfind("\"state\":[0.5,1") + std::string("\"state\":[0.5,1").size();
  text.resize(cut);  // the last write stopped inside the state array
  REQUIRE_THROWS_WITH(parse_session_log(text, "logs.jsonl"),
                      "logs.jsonl:5: truncated last line (it ends in field \"state\" without completing the JSON "
                      "object)");
  // Complete JSON but no final newline: still a cut write.
  std::string no_newline = valid_text();
  no_newline.pop_back();
  REQUIRE_THROWS_WITH(parse_session_log(no_newline, "logs.jsonl"), "logs.jsonl:5: truncated last line (no end of line)");
}

TEST_CASE("reader: a missing field is named", "[data][session_log]") {
  REQUIRE_THROWS_WITH(parse_session_log(edit_line(valid_text(), 4, ",\"action\":[0,0,0,0,0,0,0,0,0,0,0,0.25]", ""),
                                        "logs.jsonl"),
                      "logs.jsonl:4: missing field \"action\"");
  REQUIRE_THROWS_WITH(parse_session_log(edit_line(valid_text(), 2, "\"like\":0,", ""), "logs.jsonl"),
                      "logs.jsonl:2: missing field \"feedback.like\"");
  REQUIRE_THROWS_WITH(parse_session_log(edit_line(valid_text(), 5, ",\"done\":true", ""), "logs.jsonl"),
                      "logs.jsonl:5: missing field \"done\"");
}

TEST_CASE("reader: NaN and Inf are rejected with the element", "[data][session_log]") {
  REQUIRE_THROWS_WITH(parse_session_log(edit_line(valid_text(), 3, "[0.5,1,2]", "[0.5,NaN,2]"), "logs.jsonl"),
                      "logs.jsonl:3: field \"state\": element 1 is not finite");
  REQUIRE_THROWS_WITH(
      parse_session_log(edit_line(valid_text(), 2, "0,0,0.25]", "0,0,-Infinity]"), "logs.jsonl"),
      "logs.jsonl:2: field \"action\": element 11 is not finite");
  REQUIRE_THROWS_WITH(parse_session_log(edit_line(valid_text(), 4, "[0.5,1,2]", "[1e999,1,2]"), "logs.jsonl"),
                      "logs.jsonl:4: field \"state\": element 0 is not finite");
  // Finite as a double, infinite as a float.
  REQUIRE_THROWS_WITH(parse_session_log(edit_line(valid_text(), 4, "[0.5,1,2]", "[0.5,1,1e300]"), "logs.jsonl"),
                      "logs.jsonl:4: field \"state\": element 2 is not finite");
  REQUIRE_THROWS_WITH(parse_session_log(edit_line(valid_text(), 5, "\"play_time\":3.5", "\"play_time\":NaN"),
                                        "logs.jsonl"),
                      "logs.jsonl:5: field \"feedback.play_time\": value is not finite");
}

TEST_CASE("reader: a wrong dimension names the field and both counts", "[data][session_log]") {
  REQUIRE_THROWS_WITH(
      parse_session_log(edit_line(valid_text(), 3, "[0,0,0,0,0,0,0,0,0,0,0,0.25]", "[0,0,0,0,0,0,0,0,0,0,0.25]"),
                        "logs.jsonl"),
      "logs.jsonl:3: field \"action\": expected 12 values, got 11");
  REQUIRE_THROWS_WITH(parse_session_log(edit_line(valid_text(), 2, "[0.5,1,2]", "[0.5,1,2,3]"), "logs.jsonl"),
                      "logs.jsonl:2: field \"state\": expected 3 values, got 4");
}

TEST_CASE("reader: sequence defects and header defects", "[data][session_log]") {
  REQUIRE_THROWS_WITH(parse_session_log(edit_line(valid_text(), 3, "\"step\":1", "\"step\":2"), "logs.jsonl"),
                      "logs.jsonl:3: field \"step\": expected 1, got 2");
  REQUIRE_THROWS_WITH(parse_session_log(edit_line(valid_text(), 3, "\"done\":true", "\"done\":false"), "logs.jsonl"),
                      "logs.jsonl:4: field \"session\": session 0 ended without a step with \"done\": true");
  REQUIRE_THROWS_WITH(parse_session_log(edit_line(valid_text(), 5, "\"done\":true", "\"done\":false"), "logs.jsonl"),
                      "logs.jsonl:5: field \"done\": the file ends inside session 1 (its last step is not done)");
  REQUIRE_THROWS_WITH(parse_session_log(edit_line(valid_text(), 2, "\"user\":4,", "\"user\":4,\"extra\":1,"),
                                        "logs.jsonl"),
                      "logs.jsonl:2: unknown field \"extra\"");
  REQUIRE_THROWS_WITH(parse_session_log(edit_line(valid_text(), 2, "\"done\":false", "\"done\":0"), "logs.jsonl"),
                      "logs.jsonl:2: field \"done\": expected true or false");
  REQUIRE_THROWS_WITH(parse_session_log(replace_once(valid_text(), "\"state_dim\":3", "\"state_dim\":\"3\""),
                                        "logs.jsonl"),
                      "logs.jsonl:1: field \"state_dim\": expected a positive integer");
  REQUIRE_THROWS_WITH(parse_session_log("", "logs.jsonl"), "logs.jsonl:1: empty file (no header)");
}

TEST_CASE("reader: nothing is half-loaded, a defect on the very last line still throws", "[data][session_log]") {
  const std::string path = "session_log_bad.jsonl";
  {
    std::ofstream out(path, std::ios::binary);
    out << edit_line(valid_text(), 5, "[0.5,1,2]", "[0.5,1]");
  }
  REQUIRE_THROWS_AS(read_session_log(path), SessionLogError);
  REQUIRE_THROWS_WITH(read_session_log(path), "session_log_bad.jsonl:5: field \"state\": expected 3 values, got 2");
  std::remove(path.c_str());
  REQUIRE_THROWS_WITH(read_session_log("no_such_file.jsonl"),
                      "no_such_file.jsonl: cannot open for reading: No such file or directory");
}

TEST_CASE("the binary cache is used only when it matches the log and its checksum", "[data][session_log]") {
  const std::string path = "session_log_cached.jsonl", cache = path + ".cache";
  {
    std::ofstream out(path, std::ios::binary);
    out << valid_text();
  }
  std::remove(cache.c_str());
  bool used = true;
  const SessionLog first = read_session_log_cached(path, &used);
  REQUIRE_FALSE(used);  // no cache yet: parsed, cache written
  const SessionLog second = read_session_log_cached(path, &used);
  REQUIRE(used);
  REQUIRE(second.states == first.states);
  REQUIRE(second.actions == first.actions);
  REQUIRE(second.feedback == first.feedback);
  REQUIRE(second.sessions.size() == first.sessions.size());
  REQUIRE(second.sessions[1].begin == first.sessions[1].begin);

  // A flipped byte inside the cache: the checksum fails, the log is parsed again (and the cache rebuilt).
  std::string bytes;
  {
    std::ifstream in(cache, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  bytes[bytes.size() / 2] ^= 0x5a;
  {
    std::ofstream out(cache, std::ios::binary);
    out << bytes;
  }
  REQUIRE(read_session_log_cached(path, &used).states == first.states);
  REQUIRE_FALSE(used);
  REQUIRE(read_session_log_cached(path, &used).states == first.states);
  REQUIRE(used);

  // A truncated cache is not used either.
  {
    std::ofstream out(cache, std::ios::binary);
    out << bytes.substr(0, bytes.size() / 3);
  }
  read_session_log_cached(path, &used);
  REQUIRE_FALSE(used);

  // The log changes (same length, one digit): the cache is stale and the new content is read.
  {
    std::ofstream out(path, std::ios::binary);
    out << edit_line(valid_text(), 2, "[0.5,1,2]", "[0.5,1,3]");
  }
  const SessionLog changed = read_session_log_cached(path, &used);
  REQUIRE_FALSE(used);
  REQUIRE(changed.state(0)[2] == 3.0f);

  // A defective log is an error, cache or not, and leaves no cache behind for it.
  {
    std::ofstream out(path, std::ios::binary);
    out << edit_line(valid_text(), 3, "[0.5,1,2]", "[0.5,NaN,2]");
  }
  REQUIRE_THROWS_WITH(read_session_log_cached(path, &used), "session_log_cached.jsonl:3: field \"state\": element 1 is not finite");
  std::remove(path.c_str());
  std::remove(cache.c_str());
}

TEST_CASE("reader: a deeply nested header is refused before it is built", "[data][session_log][limits]") {
  // 200,000 levels in "meta" crashed inspect, train and evaluate (a recursive copy of the header).
  const std::string deep = std::string(200000, '[') + std::string(200000, ']');
  REQUIRE_THROWS_WITH(parse_session_log(replace_once(valid_text(), "\"meta\":{}", "\"meta\":" + deep), "logs.jsonl"),
                      "logs.jsonl:1: field \"meta\": JSON nested deeper than the limit of 64 levels "
                      "(InputLimits::max_json_depth)");
}

TEST_CASE("reader: state_dim is read at 64 bits and limited before anything is sized by it",
          "[data][session_log][limits]") {
  // 4294967360 was read as 64 (wrapped) and accepted; 100000000 allocated 3.9 GB before failing.
  REQUIRE_THROWS_WITH(parse_session_log(replace_once(valid_text(), "\"state_dim\":3", "\"state_dim\":4294967360"),
                                        "logs.jsonl"),
                      "logs.jsonl:1: field \"state_dim\": 4294967360 exceeds the limit of 65536 "
                      "(InputLimits::max_state_dim)");
  REQUIRE_THROWS_WITH(parse_session_log(replace_once(valid_text(), "\"state_dim\":3", "\"state_dim\":100000000"),
                                        "logs.jsonl"),
                      "logs.jsonl:1: field \"state_dim\": 100000000 exceeds the limit of 65536 "
                      "(InputLimits::max_state_dim)");
  REQUIRE_THROWS_WITH(parse_session_log(replace_once(valid_text(), "\"state_dim\":3", "\"state_dim\":18446744073709551615"),
                                        "logs.jsonl"),
                      "logs.jsonl:1: field \"state_dim\": 18446744073709551615 exceeds the limit of 65536 "
                      "(InputLimits::max_state_dim)");
  REQUIRE_THROWS_WITH(parse_session_log(replace_once(valid_text(), "\"state_dim\":3", "\"state_dim\":3.5"), "logs.jsonl"),
                      "logs.jsonl:1: field \"state_dim\": expected a positive integer");
  // Within the limit but far more than the lines hold: the first (short) line's error, found without
  // sizing the arrays for every line at 64 K floats.
  std::string many = replace_once(valid_text(), "\"state_dim\":3", "\"state_dim\":65536");
  for (int i = 0; i < 2000; ++i) many += step_line(2 + i, 0, true);
  REQUIRE_THROWS_WITH(parse_session_log(many, "logs.jsonl"), "logs.jsonl:2: field \"state\": expected 65536 values, got 3");
}

TEST_CASE("reader: lines longer than the limit are refused, naming the line", "[data][session_log][limits]") {
  const InputLimits saved = input_limits();
  InputLimits tight = saved;
  const std::size_t step_bytes = step_line(0, 0, false).size() - 1;
  tight.max_line_bytes = step_bytes - 1;
  set_input_limits(tight);
  const std::string header_fits = std::string(kHeader).size() - 1 <= tight.max_line_bytes ? "yes" : "no";
  CHECK(header_fits == "yes");
  CHECK_THROWS_WITH(parse_session_log(valid_text(), "logs.jsonl"),
                    "logs.jsonl:2: line of " + std::to_string(step_bytes) + " bytes exceeds the limit of " +
                        std::to_string(step_bytes - 1) + " (InputLimits::max_line_bytes)");
  set_input_limits(saved);
}

TEST_CASE("reader: 1e-400 is a number (rounded to 0), 1e400 is not finite", "[data][session_log]") {
  const SessionLog log = parse_session_log(edit_line(valid_text(), 2, "[0.5,1,2]", "[1e-400,1,-2e-400]"), "logs.jsonl");
  REQUIRE(log.state(0)[0] == 0.0f);
  REQUIRE(log.state(0)[2] == 0.0f);
  REQUIRE_THROWS_WITH(parse_session_log(edit_line(valid_text(), 2, "[0.5,1,2]", "[0.5,1e400,2]"), "logs.jsonl"),
                      "logs.jsonl:2: field \"state\": element 1 is not finite");
}

TEST_CASE("reader: a directory is named as such", "[data][session_log]") {
  REQUIRE_THROWS_WITH(read_session_log("/tmp"), "/tmp: is a directory, not a file");
}

// ------------------------------------------------------------------------------- the streaming reader

namespace {

// 40 sessions of 1 to 7 steps (ids 0, 2, 4, ...), so blocks of any size cut through sessions.
std::string longer_text() {
  std::string text = kHeader;
  for (int s = 0; s < 40; ++s) {
    const int steps = 1 + (s * 5) % 7;
    for (int k = 0; k < steps; ++k) text += step_line(2 * s, k, k + 1 == steps);
  }
  return text;
}

std::string write_temp(const std::string& text, const std::string& name) {
  const std::string path = "/tmp/mtf_session_log_test_" + std::to_string(::getpid()) + "_" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// The message read_session_log gives for `text` at `block_bytes` ("" when it reads without error).
std::string message_at(const std::string& path, std::size_t block_bytes) {
  try {
    read_session_log(path, block_bytes);
  } catch (const SessionLogError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("the streaming reader gives the same log at every block size", "[data][session_log][stream]") {
  const std::string text = longer_text();
  const std::string path = write_temp(text, "valid.jsonl");
  const std::string whole = session_log_to_bytes(parse_session_log(text, path));
  for (std::size_t block : {std::size_t(1), std::size_t(97), std::size_t(1000), std::size_t(4096), std::size_t(64) << 20}) {
    INFO("block " << block);
    REQUIRE(session_log_to_bytes(read_session_log(path, block)) == whole);
  }
  // Block by block: whole sessions in file order, rows from 0, and no block much larger than asked for
  // (a block grows only to hold one whole session).
  SessionLogReader reader(path, 1000);
  SessionLog block;
  std::int64_t sessions = 0, steps = 0, previous_id = -1;
  int blocks = 0;
  while (reader.next(block)) {
    ++blocks;
    REQUIRE(!block.sessions.empty());
    REQUIRE(block.sessions.front().begin == 0);
    REQUIRE(block.sessions.back().end == block.num_steps());
    REQUIRE(block.sessions.front().id > previous_id);
    REQUIRE(block.num_steps() <= 1000 / std::int64_t(step_line(0, 0, false).size()) + 7);
    previous_id = block.sessions.back().id;
    sessions += std::int64_t(block.sessions.size());
    steps += block.num_steps();
  }
  REQUIRE(blocks > 10);
  REQUIRE(sessions == 40);
  REQUIRE(steps == parse_session_log(text, path).num_steps());
  REQUIRE(reader.sessions_read() == 40);
  REQUIRE(reader.bytes_read() == text.size());
  REQUIRE_FALSE(reader.next(block));  // stays at the end
  std::remove(path.c_str());
}

TEST_CASE("the streaming reader reports every defect as the whole-file parser does, at every block size",
          "[data][session_log][stream]") {
  const std::string text = longer_text();
  // Line 60 is inside the file; the edits reach the header, the middle, block boundaries and the end.
  const std::vector<std::pair<const char*, std::string>> defects = {
      {"malformed mid-file", edit_line(text, 60, "\"state\":[0.5", "\"state\":[0.5,")},
      {"NaN", edit_line(text, 33, "0.25]", "nan]")},
      {"ids not increasing", edit_line(text, 120, "\"session\":", "\"session\":1")},
      {"a session without done", text.substr(0, text.find("\"done\":true", text.size() / 2)) + "\"done\":false" +
                                     text.substr(text.find("\"done\":true", text.size() / 2) + 11)},
      {"truncated last line", text.substr(0, text.size() - 20)},
      {"last session not done", text.substr(0, text.rfind("{\"session\""))},
      {"header only, then garbage", std::string(kHeader) + "{\n"},
      {"bad header", replace_once(text, "\"version\":1", "\"version\":2")},
      {"empty", ""},
  };
  for (const auto& [what, bad] : defects) {
    const std::string path = write_temp(bad, "bad.jsonl");
    std::string expected;
    try {
      parse_session_log(bad, path);
    } catch (const SessionLogError& e) {
      expected = e.what();
    }
    INFO(what << ": " << expected);
    REQUIRE(!expected.empty());
    for (std::size_t block : {std::size_t(1), std::size_t(97), std::size_t(1000), std::size_t(64) << 20})
      REQUIRE(message_at(path, block) == expected);
    std::remove(path.c_str());
  }
}

// ------------------------------------------------------------------ parts of a log (a sharded read)

namespace {

// Reads the log at `path` part by part, in order, as the processes of a sharded read do (each part from
// the file line and the last id before it, known from the parts before): the sessions of all parts
// appended, or the first defect's message.
std::string read_by_parts(const std::string& path, int parts, std::size_t block_bytes, SessionLog& all) {
  std::int64_t first_line = 2, previous_id = 0;
  bool have_previous = false;
  try {
    for (int p = 0; p < parts; ++p) {
      SessionLogReader reader(path, block_bytes);
      all.state_dim = reader.state_dim();
      reader.read_only(reader.part(p, parts), first_line, have_previous, previous_id);
      SessionLog block;
      while (reader.next(block)) {
        all.append(block);
        have_previous = true;
        previous_id = block.sessions.back().id;
      }
      first_line = reader.next_line();
    }
  } catch (const SessionLogError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("parts of a log tile its steps at session starts, and read in order give the whole log",
          "[data][session_log][stream]") {
  const std::string text = longer_text();
  const std::string path = write_temp(text, "parts.jsonl");
  const std::string whole = session_log_to_bytes(parse_session_log(text, path));
  for (int parts : {1, 2, 3, 7, 60}) {  // 60 parts of 40 sessions: some parts are empty
    SessionLogReader reader(path);
    std::uint64_t next = reader.steps_begin();
    int empty = 0;
    for (int p = 0; p < parts; ++p) {
      const LogByteRange r = reader.part(p, parts);
      INFO("parts " << parts << ", part " << p << ": [" << r.begin << ", " << r.end << ")");
      REQUIRE(r.begin == next);  // contiguous, in order
      REQUIRE(r.end >= r.begin);
      // Each part begins at a session's first line (step 0), or is empty at the end of the file.
      if (r.bytes() > 0) REQUIRE(text.substr(r.begin, 11) == "{\"session\":");
      if (r.bytes() > 0) REQUIRE(text.substr(r.begin, text.find('\n', r.begin) - r.begin).find("\"step\":0,") != std::string::npos);
      empty += r.bytes() == 0;
      next = r.end;
    }
    REQUIRE(next == text.size());
    if (parts == 60) REQUIRE(empty >= 20);
    if (parts <= 7) REQUIRE(empty == 0);
    for (std::size_t block : {std::size_t(97), std::size_t(64) << 20}) {
      SessionLog all;
      REQUIRE(read_by_parts(path, parts, block, all) == "");
      REQUIRE(session_log_to_bytes(all) == whole);
    }
  }
  std::remove(path.c_str());
}

TEST_CASE("parts of a log report every defect as the whole-file parser does", "[data][session_log][stream]") {
  const std::string text = longer_text();
  // A session whose "done" is missing right before a part's cut (the next part begins a new session),
  // besides the streaming reader's defects.
  const std::string cut_path = write_temp(text, "cut.jsonl");
  const LogByteRange second = SessionLogReader(cut_path).part(1, 2);
  std::remove(cut_path.c_str());
  const std::size_t last_done = text.rfind("\"done\":true", second.begin);
  const std::vector<std::pair<const char*, std::string>> defects = {
      {"malformed mid-file", edit_line(text, 60, "\"state\":[0.5", "\"state\":[0.5,")},
      {"NaN", edit_line(text, 33, "0.25]", "nan]")},
      {"ids not increasing", edit_line(text, 120, "\"session\":", "\"session\":1")},
      {"a session open at a part's end", text.substr(0, last_done) + "\"done\":false" + text.substr(last_done + 11)},
      {"truncated last line", text.substr(0, text.size() - 20)},
      {"last session not done", text.substr(0, text.rfind("{\"session\""))},
      {"header only, then garbage", std::string(kHeader) + "{\n"},
  };
  for (const auto& [what, bad] : defects) {
    const std::string path = write_temp(bad, "bad_parts.jsonl");
    std::string expected;
    try {
      parse_session_log(bad, path);
    } catch (const SessionLogError& e) {
      expected = e.what();
    }
    REQUIRE(!expected.empty());
    for (int parts : {2, 3, 5}) {
      INFO(what << ", " << parts << " parts: " << expected);
      SessionLog all;
      REQUIRE(read_by_parts(path, parts, 97, all) == expected);
    }
    std::remove(path.c_str());
  }
}
