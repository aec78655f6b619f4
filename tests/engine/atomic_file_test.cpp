// tests/engine/atomic_file_test.cpp — atomic replace, no temporary left behind, and the checksummed
// container's refusals.
#include "engine/atomic_file.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>

using namespace mtf;
using Catch::Matchers::Contains;

TEST_CASE("write_file_atomically replaces the file and leaves no temporary", "[io]") {
  const std::string dir = "/tmp/mtf_atomic_test";
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/f.bin";
  write_file_atomically(path, "first");
  write_file_atomically(path, "second");
  REQUIRE(read_file(path) == "second");
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir)) files += e.is_regular_file();
  REQUIRE(files == 1);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a failed write keeps the old file", "[io]") {
  REQUIRE_THROWS_WITH(write_file_atomically("/nonexistent-dir/x.bin", "data"), Contains("/nonexistent-dir/x.bin"));
}

TEST_CASE("a file written in pieces appears only when committed, and an abandoned one leaves the old file", "[io]") {
  const std::string dir = "/tmp/mtf_atomic_pieces_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/log.jsonl";
  write_file_atomically(path, "old");
  {
    AtomicFileWriter out(path);
    out.write("new ");
    out.write("content");
    REQUIRE(read_file(path) == "old");  // not yet
    out.commit();
    REQUIRE_THROWS_WITH(out.write("more"), Contains("write after commit"));
  }
  REQUIRE(read_file(path) == "new content");
  {
    AtomicFileWriter abandoned(path);
    abandoned.write("half of a file");
  }  // destroyed without commit(): e.g. an exception while producing the content
  REQUIRE(read_file(path) == "new content");
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir)) files += e.is_regular_file();
  REQUIRE(files == 1);  // no temporary left behind
  std::filesystem::remove_all(dir);
}

TEST_CASE("checksummed container round trip and refusals", "[io]") {
  const std::string wrapped = wrap_checksummed("TESTMAGI", 2, "payload");
  std::uint32_t version = 0;
  REQUIRE(unwrap_checksummed("f", wrapped, "TESTMAGI", 2, &version) == "payload");
  REQUIRE(version == 2);
  REQUIRE_THROWS_WITH(unwrap_checksummed("f", wrapped, "TESTMAGI", 1), Contains("unsupported format version 2"));
  REQUIRE_THROWS_WITH(unwrap_checksummed("f", wrapped, "OTHERMAG", 2), Contains("wrong magic"));
  REQUIRE_THROWS_WITH(unwrap_checksummed("f", wrapped.substr(0, 10), "TESTMAGI", 2), Contains("truncated"));
  std::string bad = wrapped;
  bad[22] ^= 1;
  REQUIRE_THROWS_WITH(unwrap_checksummed("f", bad, "TESTMAGI", 2), Contains("f: checksum mismatch"));
}
