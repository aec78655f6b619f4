// tests/engine/parameters_test.cpp — the flat buffer: layout, zeroing, copy, soft update, and save/load
// with its refusals (wrong layout, corruption, truncation) leaving the network untouched.
#include "engine/parameters.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <string>

#include "engine/atomic_file.hpp"

using namespace mtf;
using Catch::Matchers::Contains;

namespace {
Parameters<float> make_params(std::uint64_t seed, Index width = 3) {
  Parameters<float> p;
  p.add("l0.weight", width, 2);
  p.add("l0.bias", 1, width);
  Rng rng(seed);
  p.fill_uniform(0, p.size(), 1.0f, rng);
  return p;
}
std::string temp_path(const std::string& name) { return "/tmp/mtf_params_test_" + name; }
}  // namespace

TEST_CASE("blocks are laid out consecutively in one buffer", "[parameters]") {
  Parameters<float> p = make_params(1);
  REQUIRE(p.size() == 3 * 2 + 3);
  REQUIRE(p.block("l0.weight").offset == 0);
  REQUIRE(p.block("l0.bias").offset == 6);
  REQUIRE(p.value(p.block("l0.bias")).cols() == 3);
  REQUIRE_THROWS_WITH(p.add("l0.bias", 1, 1), Contains("duplicate block \"l0.bias\""));
}

TEST_CASE("zero_grad, copy_from and the soft update are one loop over the buffer", "[parameters]") {
  Parameters<float> online = make_params(1), target = make_params(2);
  for (std::size_t i = 0; i < online.size(); ++i) online.grads()[i] = 1.0f;
  online.zero_grad();
  for (std::size_t i = 0; i < online.size(); ++i) REQUIRE(online.grads()[i] == 0.0f);

  std::vector<float> before(target.values(), target.values() + target.size());
  target.soft_update_from(online, 0.05f);
  for (std::size_t i = 0; i < target.size(); ++i)
    REQUIRE(target.values()[i] == 0.05f * online.values()[i] + 0.95f * before[i]);
  target.copy_from(online);
  for (std::size_t i = 0; i < target.size(); ++i) REQUIRE(target.values()[i] == online.values()[i]);
}

TEST_CASE("save and load round-trip bit for bit", "[parameters][io]") {
  const std::string path = temp_path("roundtrip.bin");
  Parameters<float> a = make_params(3), b = make_params(4);
  a.save(path);
  b.load(path);
  REQUIRE(std::memcmp(a.values(), b.values(), a.size() * sizeof(float)) == 0);
  std::remove(path.c_str());
}

TEST_CASE("load refuses a different layout and names the field", "[parameters][io]") {
  const std::string path = temp_path("layout.bin");
  make_params(3, 3).save(path);
  Parameters<float> wider = make_params(5, 4);
  const std::vector<float> before(wider.values(), wider.values() + wider.size());
  REQUIRE_THROWS_WITH(wider.load(path), Contains(path) && Contains("blocks[0]"));
  REQUIRE(std::equal(before.begin(), before.end(), wider.values()));  // untouched
  Parameters<double> as_double;
  as_double.add("l0.weight", 3, 2);
  as_double.add("l0.bias", 1, 3);
  REQUIRE_THROWS_WITH(as_double.load(path), Contains("field \"scalar\""));
  std::remove(path.c_str());
}

TEST_CASE("load refuses corrupted and truncated files", "[parameters][io]") {
  const std::string path = temp_path("corrupt.bin");
  make_params(3).save(path);
  std::string bytes = read_file(path);
  Parameters<float> p = make_params(6);
  const std::vector<float> before(p.values(), p.values() + p.size());

  std::string flipped = bytes;
  flipped[flipped.size() / 2] ^= 0x10;
  write_file_atomically(path, flipped);
  REQUIRE_THROWS_WITH(p.load(path), Contains(path) && Contains("checksum mismatch"));

  write_file_atomically(path, bytes.substr(0, bytes.size() - 5));
  REQUIRE_THROWS_WITH(p.load(path), Contains("truncated"));

  write_file_atomically(path, "garbage that is long enough to have a header....");
  REQUIRE_THROWS_WITH(p.load(path), Contains("wrong magic"));

  REQUIRE_THROWS_WITH(p.load(temp_path("missing.bin")), Contains("cannot open"));
  REQUIRE(std::equal(before.begin(), before.end(), p.values()));
  std::remove(path.c_str());
}

TEST_CASE("all_finite detects NaN and Inf", "[parameters]") {
  Parameters<float> p = make_params(1);
  REQUIRE(p.all_finite());
  p.values()[4] = std::numeric_limits<float>::quiet_NaN();
  REQUIRE_FALSE(p.all_finite());
}

TEST_CASE("gradient shards: separate buffers, summed into grads() in shard order", "[parameters][shards]") {
  Parameters<float> p = make_params(1);
  REQUIRE(p.gradient_shards() == 1);
  REQUIRE(p.grads(0) == p.grads());
  p.set_gradient_shards(3);
  REQUIRE(p.gradient_shards() == 3);
  REQUIRE(p.grads(1) != p.grads(0));
  REQUIRE(p.grads(2) != p.grads(1));
  // Values where the order of the float sum shows: (1e8 + 1) - 1e8 = 0, 1e8 - 1e8 + 1 = 1.
  const std::size_t n = p.size();
  for (std::size_t i = 0; i < n; ++i) {
    p.grads(0)[i] = 1e8f;
    p.grads(1)[i] = 1.0f;
    p.grads(2)[i] = -1e8f;
  }
  p.sum_gradient_shards(0, 4);  // two disjoint ranges, as two team members would
  p.sum_gradient_shards(4, n);
  for (std::size_t i = 0; i < n; ++i) REQUIRE(p.grads()[i] == (1e8f + 1.0f) + -1e8f);
  REQUIRE((1e8f + 1.0f) + -1e8f == 0.0f);  // so the check above pins the order 0, 1, 2
  for (std::size_t i = 0; i < n; ++i) REQUIRE(p.grads(1)[i] == 1.0f);  // the other shards are read only
  p.zero_grad(1);
  for (std::size_t i = 0; i < n; ++i) REQUIRE(p.grads(1)[i] == 0.0f);
  REQUIRE(p.grads(2)[0] == -1e8f);
  REQUIRE_THROWS_AS(p.set_gradient_shards(0), std::invalid_argument);
}

TEST_CASE("gradient shards are one contiguous buffer: shard k at k * stride, zeroing one leaves its "
          "neighbours alone", "[parameters][shards]") {
  Parameters<float> p;
  p.add("w", 3, 7);  // 21 values: the stride rounds up to 32
  p.add("b", 1, 3);  // 24
  p.set_gradient_shards(4);
  REQUIRE(p.size() == 24);
  REQUIRE(p.shard_stride() == 32);
  for (std::size_t k = 0; k < 4; ++k) REQUIRE(p.grads(k) == p.grads(0) + k * 32);
  // A process's block of shards (engine/distributed.hpp) is then one range: fill every shard, zero one,
  // and no write reaches past its size() values into the next shard.
  for (std::size_t k = 0; k < 4; ++k)
    for (std::size_t i = 0; i < p.size(); ++i) p.grads(k)[i] = float(k + 1);
  p.zero_grad(2);
  for (std::size_t i = 0; i < p.size(); ++i) {
    REQUIRE(p.grads(1)[i] == 2.0f);
    REQUIRE(p.grads(2)[i] == 0.0f);
    REQUIRE(p.grads(3)[i] == 4.0f);
  }
  // A block added later (as a network adds its layers) keeps shard 0's gradients and grows the stride.
  p.add("c", 1, 20);
  REQUIRE(p.shard_stride() == 48);
  REQUIRE(p.gradient_shards() == 4);
  REQUIRE(p.grads(0)[23] == 1.0f);
  REQUIRE(p.grads(0)[24] == 0.0f);
  REQUIRE(p.grads(3)[0] == 0.0f);
}
