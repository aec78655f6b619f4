// tests/engine/limits_test.cpp — parse_json's limits and messages, check_network_size.
#include "engine/limits.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace mtf;
using Catch::Matchers::Contains;

namespace {
// Restores the default limits when a test that changed them ends (even by a failed REQUIRE).
struct LimitsGuard {
  InputLimits saved = input_limits();
  ~LimitsGuard() { set_input_limits(saved); }
};
std::string nested(const std::string& key, int depth) {
  return "{\"" + key + "\":" + std::string(std::size_t(depth), '[') + std::string(std::size_t(depth), ']') + "}";
}
}  // namespace

TEST_CASE("parse_json refuses deep nesting before building it, naming the field and the limit", "[limits]") {
  // 200,000 levels: what crashed `mtf inspect` (a recursive copy) now fails while parsing.
  REQUIRE_THROWS_WITH(parse_json(nested("meta", 200000), "logs.jsonl:1"),
                      "logs.jsonl:1: field \"meta\": JSON nested deeper than the limit of 64 levels "
                      "(InputLimits::max_json_depth)");
  // 63 levels inside the top object are 64 in all: allowed.
  REQUIRE(parse_json(nested("meta", 63), "x")["meta"].is_array());
  REQUIRE_THROWS_AS(parse_json(nested("meta", 64), "x"), InputError);
  LimitsGuard guard;
  set_input_limits(input_limits_from_json({{"max_json_depth", 3}}, "test"));
  REQUIRE_THROWS_WITH(parse_json("{\"a\":{\"b\":{\"c\":[1]}}}", "c.json"),
                      "c.json: field \"a.b.c\": JSON nested deeper than the limit of 3 levels (InputLimits::max_json_depth)");
}

TEST_CASE("parse_json: numbers beyond double's range name the field, underflow is a number", "[limits]") {
  REQUIRE_THROWS_WITH(parse_json("{\"lr\": 1e400}", "c.json"), "c.json: field \"lr\": number out of range: 1e400");
  REQUIRE_THROWS_WITH(parse_json("{\"w\": [1, -1e400]}", "c.json"), "c.json: field \"w\": number out of range: -1e400");
  const nlohmann::json j = parse_json("{\"lr\": 1e-400}", "c.json");
  REQUIRE(j["lr"].get<double>() == 0.0);
}

TEST_CASE("parse_json: syntax errors give the source, line and column, and size is limited", "[limits]") {
  REQUIRE_THROWS_WITH(parse_json("{\"a\": 1,\n \"b\": tru}", "c.json"),
                      Catch::Matchers::StartsWith("c.json: field \"b\": not valid JSON: parse error at line 2, column"));
  REQUIRE_THROWS_WITH(parse_json("", "c.json"), Catch::Matchers::StartsWith("c.json: not valid JSON: "));
  LimitsGuard guard;
  set_input_limits(input_limits_from_json({{"max_json_bytes", 10}}, "test"));
  REQUIRE_THROWS_WITH(parse_json("{\"a\": 12345678}", "c.json"),
                      "c.json: 15 bytes of JSON exceed the limit of 10 (InputLimits::max_json_bytes)");
}

TEST_CASE("check_network_size: parameters and activations against their limits", "[limits]") {
  // 2^20 wide layers: what passed the width check and then died of bad_alloc inside a parallel region.
  REQUIRE_THROWS_WITH(check_network_size("bcq.json", "vae_hidden", 76, {1 << 20, 1 << 20}, 48, 256),
                      Catch::Matchers::StartsWith("bcq.json: field \"vae_hidden\": a network of 1099643748400 "
                                                  "parameters exceeds the limit of 134217728"));
  REQUIRE_THROWS_WITH(check_network_size("bcq.json", "actor_hidden", 76, {4096}, 12, 1 << 20),
                      "bcq.json: field \"actor_hidden\": batch size x widest layer = 4294967296 activations exceeds "
                      "the limit of 268435456 (InputLimits::max_activations)");
  REQUIRE_NOTHROW(check_network_size("bcq.json", "vae_hidden", 76, {750, 750}, 48, 2560));  // the paper's
}

TEST_CASE("limit_exceeded names the source, the field and the limit", "[limits]") {
  REQUIRE_THROWS_WITH(limit_exceeded("logs.jsonl:1", "state_dim", 4294967360.0L, 65536, "max_state_dim"),
                      "logs.jsonl:1: field \"state_dim\": 4294967360 exceeds the limit of 65536 "
                      "(InputLimits::max_state_dim)");
}

TEST_CASE("limits as configuration: strict keys, integral values in range, omitted ones kept", "[limits]") {
  const InputLimits base;
  const InputLimits l = input_limits_from_json({{"max_state_dim", 16}, {"max_width", 1e6}}, "lim.json");
  REQUIRE(l.max_state_dim == 16);
  REQUIRE(l.max_width == 1000000);                        // 1e6 is an integer written as a float
  REQUIRE(l.max_json_depth == base.max_json_depth);       // omitted: the default
  REQUIRE(input_limits_from_json(input_limits_to_json(l), "round trip").max_state_dim == 16);
  REQUIRE_THROWS_WITH(input_limits_from_json({{"max_depth", 3}}, "lim.json"),
                      Contains("lim.json: unknown key \"max_depth\"") && Contains("max_json_depth"));
  REQUIRE_THROWS_WITH(input_limits_from_json({{"max_width", 16.5}}, "lim.json"),
                      Contains("lim.json: field \"max_width\": expected an integer in [1, "));
  REQUIRE_THROWS_WITH(input_limits_from_json({{"max_width", 0}}, "lim.json"), Contains("field \"max_width\""));
  REQUIRE_THROWS_WITH(input_limits_from_json({{"max_width", -3}}, "lim.json"), Contains("field \"max_width\""));
  REQUIRE_THROWS_WITH(input_limits_from_json({{"max_json_depth", 4294967297LL}}, "lim.json"),
                      Contains("field \"max_json_depth\": expected an integer in [1, 100000]"));
  REQUIRE_THROWS_WITH(input_limits_from_json({{"max_width", "big"}}, "lim.json"), Contains("field \"max_width\""));
  REQUIRE_THROWS_WITH(input_limits_from_json(nlohmann::json::array(), "lim.json"), Contains("expected a JSON object"));
  // Applied, they bite: nesting of 5 against a configured depth of 3 (the command line's test does the
  // same for a log's state_dim through `mtf --limits`).
  LimitsGuard guard;
  REQUIRE_NOTHROW(parse_json(nested("a", 5), "doc.json"));
  set_input_limits(input_limits_from_json({{"max_json_depth", 3}}, "lim.json"));
  REQUIRE_THROWS_WITH(parse_json(nested("a", 5), "doc.json"), Contains("doc.json") && Contains("max_json_depth"));
}
