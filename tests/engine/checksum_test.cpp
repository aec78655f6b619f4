// tests/engine/checksum_test.cpp — FNV-1a 64 against its published test vectors.
#include "engine/checksum.hpp"

#include <catch2/catch.hpp>

TEST_CASE("fnv1a64 matches the reference vectors", "[checksum]") {
  REQUIRE(mtf::fnv1a64("") == 0xcbf29ce484222325ull);
  REQUIRE(mtf::fnv1a64("a") == 0xaf63dc4c8601ec8cull);
  REQUIRE(mtf::fnv1a64("foobar") == 0x85944171f73967e8ull);
}

TEST_CASE("fnv1a64 changes with any single bit", "[checksum]") {
  std::string s(1000, 'x');
  const auto h = mtf::fnv1a64(s);
  s[500] ^= 1;
  REQUIRE(mtf::fnv1a64(s) != h);
}
