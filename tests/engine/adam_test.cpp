// tests/engine/adam_test.cpp — Adam against torch.optim.Adam, checkpoint round trip of its state, and
// its size checks.
//
// Fixture: tests/fixtures/engine/adam_three_steps.json, written by tests/fixtures/gen_engine_fixtures.py:
// an MLP + MSE on a fixed batch, three Adam steps, the loss before each step and every parameter after
// it, for two configurations (lr 1e-3 with default betas/eps; lr 1e-2, betas (0.8, 0.99), eps 1e-6).
// Adam<float> is held to torch's float32 trajectory, Adam<double> to its float64 one, both within 1e-5
// relative or 1e-7 absolute. This is an engine test, so the MLP is built from engine ops directly (no
// nets/ dependency).
#include "engine/adam.hpp"

#include <catch2/catch.hpp>

#include "tests/support/json_fixture.hpp"
#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/ops.hpp"

using namespace mtf;
using Catch::Matchers::Contains;
using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;

namespace {

constexpr double kRel = 1e-5;
constexpr double kAbs = 1e-7;

nlohmann::json load_fixture(const std::string& name) {
  const std::string path = std::string(MTF_TEST_DATA_DIR) + "/engine/" + name;
  std::ifstream in(path);
  if (!in) FAIL("cannot open fixture " << path << " (run /usr/bin/python3 tests/fixtures/gen_engine_fixtures.py)");
  return nlohmann::json::parse(in);
}

/// A plain MLP on engine ops: layer i is (W (out, in), b (1, out)) at consecutive offsets.
template <class T>
struct TinyMlp {
  std::vector<Index> sizes;  // in, widths...
  std::string hidden, output;
  std::vector<std::size_t> offsets;

  TinyMlp(Parameters<T>& p, std::vector<Index> s, std::string h, std::string o)
      : sizes(std::move(s)), hidden(std::move(h)), output(std::move(o)) {
    for (std::size_t i = 0; i + 1 < sizes.size(); ++i) {
      offsets.push_back(p.add("l" + std::to_string(i) + ".weight", sizes[i + 1], sizes[i]));
      p.add("l" + std::to_string(i) + ".bias", 1, sizes[i + 1]);
    }
  }
  static Var activate(Tape<T>& t, Var x, const std::string& a) {
    if (a == "relu") return ops::relu(t, x);
    if (a == "tanh") return ops::tanh(t, x);
    REQUIRE(a == "identity");
    return x;
  }
  Var forward(Tape<T>& t, Parameters<T>& p, Var x) const {
    for (std::size_t i = 0; i < offsets.size(); ++i) {
      x = ops::linear(t, x, sizes[i + 1], p.values() + offsets[i], p.grads() + offsets[i]);
      x = activate(t, x, i + 1 < offsets.size() ? hidden : output);
    }
    return x;
  }
};

using test::matrix_from;

template <class T>
T train_step(const TinyMlp<T>& net, Parameters<T>& p, Adam<T>& adam, Tape<T>& tape, const MatrixR<T>& x,
             const MatrixR<T>& y) {
  tape.reset();
  p.zero_grad();
  Var loss = ops::mse(tape, net.forward(tape, p, tape.input(x)), tape.input(y));
  tape.backward(loss);
  adam.step(p);
  return tape.scalar(loss);
}

}  // namespace

TEMPLATE_TEST_CASE("Adam follows torch.optim.Adam for three steps (adam_three_steps.json)", "[adam][fixture]",
                   float, double) {
  using T = TestType;
  const char* ref_key = sizeof(T) == 4 ? "float32" : "float64";
  const nlohmann::json fx = load_fixture("adam_three_steps.json");
  REQUIRE(fx["cases"].size() == 2);
  for (const auto& c : fx["cases"]) {
    const std::string name = c["name"].get<std::string>();
    SECTION(name) {
      std::vector<Index> sizes{c["in"].get<Index>()};
      for (Index w : c["widths"].get<std::vector<Index>>()) sizes.push_back(w);
      Parameters<T> p;
      TinyMlp<T> net(p, sizes, c["hidden"], c["output"]);
      const auto& blocks = c["blocks"];
      REQUIRE(p.blocks().size() == blocks.size());
      for (std::size_t i = 0; i < blocks.size(); ++i) {
        CHECK(p.blocks()[i].name == blocks[i]["name"].get<std::string>());
        CHECK(p.blocks()[i].rows == blocks[i]["rows"].get<Index>());
        CHECK(p.blocks()[i].cols == blocks[i]["cols"].get<Index>());
      }
      const auto init = c["params"].get<std::vector<double>>();
      REQUIRE(init.size() == p.size());
      for (std::size_t i = 0; i < init.size(); ++i) p.values()[i] = T(init[i]);

      const Index batch = c["batch"];
      const MatrixR<T> x = matrix_from<T>(c["x"], batch, sizes.front());
      const MatrixR<T> y = matrix_from<T>(c["y"], batch, sizes.back());
      AdamConfig cfg;
      cfg.lr = c["lr"];
      cfg.beta1 = c["beta1"];
      cfg.beta2 = c["beta2"];
      cfg.eps = c["eps"];
      Adam<T> adam(p.size(), cfg);
      Tape<T> tape;

      const auto& ref = c[ref_key];
      const auto losses = ref["loss"].get<std::vector<double>>();
      const auto after = ref["params_after_step"].get<std::vector<std::vector<double>>>();
      REQUIRE(losses.size() == 3);
      REQUIRE(after.size() == 3);
      double worst_abs = 0, worst_rel = 0;  // for the record; rel over |ref| >= 1e-6
      for (int step = 0; step < 3; ++step) {
        INFO("step " << step + 1);
        const T loss = train_step(net, p, adam, tape, x, y);
        REQUIRE_THAT(double(loss), WithinRel(losses[step], kRel) || WithinAbs(losses[step], kAbs));
        REQUIRE(adam.steps() == step + 1);
        for (std::size_t i = 0; i < p.size(); ++i) {
          INFO("parameter " << i);
          const double want = after[step][i], got = double(p.values()[i]);
          REQUIRE_THAT(got, WithinRel(want, kRel) || WithinAbs(want, kAbs));
          worst_abs = std::max(worst_abs, std::abs(got - want));
          if (std::abs(want) >= 1e-6) worst_rel = std::max(worst_rel, std::abs(got - want) / std::abs(want));
        }
      }
      WARN("Adam<" << (sizeof(T) == 4 ? "float" : "double") << "> vs torch " << ref_key << ", " << name
                   << ": max abs error " << worst_abs << ", max rel error " << worst_rel);
    }
  }
}

TEST_CASE("Adam state round trip: a restored optimizer continues bit for bit", "[adam]") {
  Parameters<float> p;
  TinyMlp<float> net(p, {6, 32, 32, 3}, "tanh", "identity");
  Rng rng(8);
  for (std::size_t i = 0; i < p.size(); ++i) p.values()[i] = float(rng.uniform(-0.3, 0.3));
  MatrixR<float> x(16, 6), y(16, 3);
  auto draw = [&](Rng& r) {
    for (Index i = 0; i < x.size(); ++i) x.data()[i] = float(r.normal());
    for (Index i = 0; i < y.size(); ++i) y.data()[i] = float(r.normal());
  };
  Adam<float> adam(p.size(), AdamConfig{0.01, 0.8, 0.99, 1e-6});
  Tape<float> tape;
  for (int s = 0; s < 2; ++s) {
    draw(rng);
    train_step(net, p, adam, tape, x, y);
  }
  // Checkpoint: parameters, optimizer state and the data RNG.
  const std::vector<float> saved(p.values(), p.values() + p.size());
  const std::string state = adam.to_bytes();
  Rng data_rng = rng;

  for (int s = 0; s < 3; ++s) {
    draw(rng);
    train_step(net, p, adam, tape, x, y);
  }
  const std::vector<float> uninterrupted(p.values(), p.values() + p.size());

  // Resume in fresh objects.
  Parameters<float> q;
  TinyMlp<float> net2(q, {6, 32, 32, 3}, "tanh", "identity");
  std::memcpy(q.values(), saved.data(), sizeof(float) * saved.size());
  Adam<float> resumed(q.size(), AdamConfig{0.01, 0.8, 0.99, 1e-6});
  resumed.from_bytes(state, "test state");
  REQUIRE(resumed.steps() == 2);
  REQUIRE(resumed.to_bytes() == state);
  Tape<float> tape2;
  for (int s = 0; s < 3; ++s) {
    draw(data_rng);
    train_step(net2, q, resumed, tape2, x, y);
  }
  REQUIRE(resumed.steps() == adam.steps());
  REQUIRE(std::memcmp(q.values(), uninterrupted.data(), sizeof(float) * uninterrupted.size()) == 0);
  REQUIRE(resumed.to_bytes() == adam.to_bytes());
}

TEST_CASE("Adam rejects wrong sizes with a clear message", "[adam]") {
  Parameters<float> p12, p10;
  p12.add("w", 3, 4);
  p10.add("w", 2, 5);
  Adam<float> adam(12, AdamConfig{});

  SECTION("step on a parameter buffer of another size") {
    REQUIRE_THROWS_AS(adam.step(p10), std::invalid_argument);
    REQUIRE_THROWS_WITH(adam.step(p10), Contains("built for 12 parameters, got 10"));
    REQUIRE(adam.steps() == 0);  // a refused step counts nothing
  }
  SECTION("state of an optimizer of another size") {
    Adam<float> other(10, AdamConfig{});
    other.step(p10);
    REQUIRE_THROWS_AS(adam.from_bytes(other.to_bytes(), "ckpt.bin: critic"), std::runtime_error);
    REQUIRE_THROWS_WITH(adam.from_bytes(other.to_bytes(), "ckpt.bin: critic"),
                        Contains("ckpt.bin: critic") && Contains("10 parameters, optimizer has 12"));
    REQUIRE(adam.steps() == 0);  // untouched
  }
  SECTION("truncated and mis-sized state") {
    Adam<float> same(12, AdamConfig{});
    same.step(p12);
    const std::string bytes = same.to_bytes();
    REQUIRE_THROWS_WITH(adam.from_bytes(bytes.substr(0, 10), "s"), Contains("s: truncated Adam state"));
    REQUIRE_THROWS_WITH(adam.from_bytes(bytes.substr(0, bytes.size() - 4), "s"), Contains("wrong length"));
    REQUIRE_THROWS_WITH(adam.from_bytes(bytes + "xxxx", "s"), Contains("wrong length"));
    REQUIRE(adam.steps() == 0);
    adam.from_bytes(bytes, "s");  // and the right one loads
    REQUIRE(adam.steps() == 1);
  }
  SECTION("a double optimizer's state is not a float optimizer's") {
    Adam<double> d(12, AdamConfig{});
    REQUIRE_THROWS_WITH(adam.from_bytes(d.to_bytes(), "s"), Contains("wrong length"));
  }
}

TEST_CASE("Adam advance + update on split ranges, and the team's sum of shards, equal step() bit for bit",
          "[adam][shards]") {
  // 1000 parameters: not a multiple of 16, so a masked tail is exercised at every split.
  auto make = [](std::uint64_t seed) {
    Parameters<float> p;
    p.add("w", 10, 100);
    Rng rng(seed);
    p.fill_uniform(0, p.size(), 1.0f, rng);
    return p;
  };
  Parameters<float> whole = make(1), split = make(1), sharded = make(1);
  sharded.set_gradient_shards(3);
  Adam<float> a(whole.size(), AdamConfig{}), b(whole.size(), AdamConfig{}), c(whole.size(), AdamConfig{});
  Rng rng(2);
  for (int step = 0; step < 3; ++step) {
    for (std::size_t i = 0; i < whole.size(); ++i) {
      const float g0 = float(rng.normal()), g1 = float(rng.normal()), g2 = float(rng.normal());
      whole.grads()[i] = split.grads()[i] = (g0 + g1) + g2;
      sharded.grads(0)[i] = g0;
      sharded.grads(1)[i] = g1;
      sharded.grads(2)[i] = g2;
    }
    a.step(whole);
    b.advance();
    b.update(split, 0, 480);
    b.update(split, 480, whole.size());
    c.advance();
    const int team = 1 + step;  // 1, 2, 3 members: the bits must not depend on it
    for (int member = team - 1; member >= 0; --member) c.sum_shards_and_update(sharded, team, member);
    REQUIRE(std::memcmp(whole.values(), split.values(), sizeof(float) * whole.size()) == 0);
    REQUIRE(std::memcmp(whole.values(), sharded.values(), sizeof(float) * whole.size()) == 0);
    REQUIRE(std::memcmp(whole.grads(), sharded.grads(), sizeof(float) * whole.size()) == 0);
  }
  REQUIRE(b.to_bytes() == a.to_bytes());
  REQUIRE(c.to_bytes() == a.to_bytes());
}
