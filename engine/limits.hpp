// engine/limits.hpp — how large an input may be before anything is allocated for it, and the one JSON
// parser every file reader uses.
//
// A file names its own sizes (a log header's state_dim, a config's widths, a checkpoint's metadata);
// trusting them lets a 9 KB file ask for gigabytes or a deeply nested one overflow the stack of any
// recursive JSON copy or print. Every reader checks the sizes it is given against InputLimits first
// and fails with the file, the field and the limit named. The defaults are far above anything this
// project trains (the paper's largest network has ~1.2 M parameters) and far below what breaks a machine;
// a program that needs more raises them once, at start-up, with set_input_limits().
//
// parse_json(): nlohmann::json's parser is iterative, but copying, comparing and printing a document
// recurse once per nesting level, so depth is limited while parsing (through the SAX interface, before
// the deep part is ever built). Its errors name the source, the field (the object keys leading to the
// defect) and the limit: `c.json: field "lr": number out of range: 1e400`.
#pragma once
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mtf {

struct InputLimits {
  int max_json_depth = 64;                         // nesting levels of any JSON document
  std::size_t max_json_bytes = std::size_t(64) << 20;  // a config file or checkpoint metadata
  std::size_t max_line_bytes = std::size_t(16) << 20;  // one line of a session log (64 K states need ~1 MB)
  std::int64_t max_state_dim = 65536;              // a log's or a learner's state dimension
  std::int64_t max_width = 65536;                  // one hidden layer of a network
  std::int64_t max_network_parameters = std::int64_t(1) << 27;  // 128 M floats = 512 MB per copy
  std::int64_t max_activations = std::int64_t(1) << 28;         // batch size x widest layer
};

/// The process-wide limits (defaults above). Not thread-safe to change: set them before any reading.
const InputLimits& input_limits();
void set_input_limits(const InputLimits& limits);

/// Limits from a JSON object with any of InputLimits' field names (e.g. {"max_state_dim": 1024}); the
/// fields it omits keep `base`'s values. Strict: an unknown key, or a value that is not an integer in
/// [1, 2^62] (max_json_depth: [1, 100000]), is an InputError naming `source` and the field. This is how
/// `mtf --limits FILE <command>` raises or lowers them for one run.
InputLimits input_limits_from_json(const nlohmann::json& j, const std::string& source, const InputLimits& base = {});
nlohmann::json input_limits_to_json(const InputLimits& limits);

/// A limit exceeded, or malformed JSON; the message names the source, the field and the limit.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Parses `text` as one JSON document. Throws InputError("<source>: ...") on a syntax error (with line
/// and column), a number out of double's range, nesting deeper than max_json_depth, or more than
/// max_json_bytes.
nlohmann::json parse_json(std::string_view text, const std::string& source);

/// "<source>: field \"<field>\": <value> exceeds the limit of <limit> (InputLimits::<limit_name>)".
[[noreturn]] void limit_exceeded(const std::string& source, const std::string& field, long double value,
                                 long double limit, const char* limit_name);

/// Parameters and activations of an MLP in -> widths... -> out run on `batch` rows; throws
/// InputError naming `source` and `field` when either exceeds its limit. Checked before a network is
/// built, in the learners' config checks. Sums in long double: widths up to 2^20 cannot overflow it.
void check_network_size(const std::string& source, const std::string& field, std::int64_t in,
                        const std::vector<std::int64_t>& widths, std::int64_t out, std::int64_t batch);

}  // namespace mtf
