// tests/engine/json_config_test.cpp — ConfigReader's strict numbers (no wrapping, no truncation) and
// load_json_file's messages.
#include "engine/json_config.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

using namespace mtf;

namespace {
struct Tiny : JsonConfig<Tiny> {
  int batch_size = 32;
  unsigned count = 1;
  long long steps = 5;
  double lr = 0.1;
  std::vector<long> hidden = {16};
  template <class Self, class Visit>
  static void fields(Self& c, Visit& v) {
    v("batch_size", c.batch_size, 1, 1 << 20);
    v("count", c.count);
    v("steps", c.steps, 0LL, 1LL << 40);
    v("lr", c.lr, 0.0, 1.0);
    v.widths("hidden", c.hidden);
  }
};
Tiny read(const std::string& text) { return Tiny::from_json(nlohmann::json::parse(text), "c.json"); }
}  // namespace

TEST_CASE("integers that do not fit are errors, never wrapped", "[config]") {
  REQUIRE_THROWS_WITH(read("{\"batch_size\": 4294967328}"),
                      "c.json: field \"batch_size\": value 4294967328 outside [1, 1048576]");
  REQUIRE_THROWS_WITH(read("{\"count\": 4294967297}"),
                      "c.json: field \"count\": value 4294967297 does not fit a 32-bit unsigned integer");
  REQUIRE_THROWS_WITH(read("{\"count\": -1}"), "c.json: field \"count\": expected a non-negative integer, got -1");
  REQUIRE_THROWS_WITH(read("{\"steps\": 18446744073709551615}"),
                      "c.json: field \"steps\": value 18446744073709551615 does not fit a 64-bit signed integer");
  REQUIRE(read("{\"batch_size\": 64}").batch_size == 64);
}

TEST_CASE("fractional values are errors for integer fields, never truncated", "[config]") {
  REQUIRE_THROWS_WITH(read("{\"batch_size\": 16.9}"), "c.json: field \"batch_size\": expected an integer, got 16.9");
  REQUIRE_THROWS_WITH(read("{\"hidden\": [16.9]}"),
                      "c.json: field \"hidden\": element 0: expected an integer, got 16.9");
  REQUIRE_THROWS_WITH(read("{\"hidden\": [32, 1e30]}"),
                      "c.json: field \"hidden\": element 1: expected an integer, got 1e+30");
}

TEST_CASE("json_integer reads only integers that fit, naming what it read", "[config]") {
  using nlohmann::json;
  REQUIRE(json_integer<int>(json::parse("-7"), "f") == -7);
  REQUIRE(json_integer<std::uint64_t>(json::parse("18446744073709551615"), "f") == 18446744073709551615ull);
  REQUIRE(json_integer<std::size_t>(json(std::int64_t{3}), "f") == 3);  // signed when built in C++
  REQUIRE_THROWS_WITH(json_integer<std::uint64_t>(json::parse("6.70455e+19"), "ckpt: field \"s\""),
                      Catch::Contains("ckpt: field \"s\": expected an integer, got 6.70455e+19"));
  REQUIRE_THROWS_WITH(json_integer<int>(json::parse("2.0"), "f"), Catch::Contains("expected an integer"));
  REQUIRE_THROWS_WITH(json_integer<int>(json::parse("\"3\""), "f"), Catch::Contains("expected an integer"));
  REQUIRE_THROWS_WITH(json_integer<std::size_t>(json::parse("-1"), "f"), Catch::Contains("expected a non-negative integer"));
  REQUIRE_THROWS_WITH(json_integer<int>(json::parse("2147483648"), "f"), Catch::Contains("does not fit a 32-bit signed"));
  REQUIRE_THROWS_WITH(json_integer<int>(json::parse("-2147483649"), "f"), Catch::Contains("does not fit a 32-bit signed"));
  REQUIRE_THROWS_WITH(json_integer<long long>(json::parse("9223372036854775808"), "f"), Catch::Contains("does not fit a 64-bit signed"));
}

TEST_CASE("widths are limited by InputLimits::max_width", "[config][limits]") {
  REQUIRE_THROWS_WITH(read("{\"hidden\": [1048576]}"),
                      "c.json: field \"hidden\": 1048576 exceeds the limit of 65536 (InputLimits::max_width)");
  REQUIRE_THROWS_WITH(read("{\"hidden\": [0]}"), "c.json: field \"hidden\": widths must be positive, got 0");
}

TEST_CASE("a limit exceeded while reading a config is a ConfigError like any other defect", "[config][limits]") {
  // fuzz/config_fuzz found the limit's exception escaping `catch (const ConfigError&)`.
  REQUIRE_THROWS_AS(read("{\"hidden\": [31, 328888888]}"), ConfigError);
  REQUIRE_THROWS_AS(parse_json("[[1e400]]", "c.json"), ConfigError);
}

TEST_CASE("real fields: range, and NaN-free", "[config]") {
  REQUIRE_THROWS_WITH(read("{\"lr\": 2}"), Catch::Matchers::StartsWith("c.json: field \"lr\": value 2.000000 outside [0.000000, 1.000000]"));
  REQUIRE(read("{\"lr\": 1e-400}").lr == 0.0);
}

TEST_CASE("load_json_file names the file, the field and the defect", "[config]") {
  const std::string dir = "/tmp/mtf_json_config_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/c.json";
  {
    std::ofstream(path) << "{\"lr\": 1e400}";
  }
  REQUIRE_THROWS_WITH(Tiny::load(path), path + ": field \"lr\": number out of range: 1e400");
  {
    std::ofstream(path) << "{\"lr\": }";
  }
  REQUIRE_THROWS_WITH(Tiny::load(path), Catch::Matchers::StartsWith(path + ": field \"lr\": not valid JSON: parse error at line 1"));
  REQUIRE_THROWS_WITH(load_json_file(dir), dir + ": is a directory, not a file");
  REQUIRE_THROWS_AS(load_json_file(dir), ConfigError);
  std::filesystem::remove_all(dir);
}
