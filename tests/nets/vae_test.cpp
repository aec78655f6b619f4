// tests/nets/vae_test.cpp — the conditional VAE: shapes, the log_std clamp, the tanh-bounded decoder,
// finite-difference gradients of the whole VAE loss (reconstruction + KL) in double, and decode_repeated
// against decode on the repeated state.
#include "nets/vae.hpp"

#include <catch2/catch.hpp>

#include "engine/gradcheck.hpp"
#include "tests/support/random.hpp"
#include "tests/support/repeated_state.hpp"

using namespace mtf;

TEST_CASE("VAE shapes and one flat buffer in the reference layer order", "[nets][vae]") {
  Rng rng(1);
  ConditionalVae<float> vae(VaeSpec{5, 3, 6, {8, 7}}, rng);
  const auto& b = vae.params().blocks();
  REQUIRE(b.front().name == "encoder.l0.weight");
  REQUIRE(b[4].name == "mean.weight");
  REQUIRE(b[6].name == "log_std.weight");
  REQUIRE(b.back().name == "decoder.l2.bias");
  REQUIRE(vae.params().size() == (8 * 8 + 8) + (7 * 8 + 7) + 2 * (6 * 7 + 6) + (8 * 11 + 8) + (7 * 8 + 7) + (3 * 7 + 3));
  Tape<float> t;
  const Var s = t.input(test::normal_matrix<float>(4, 5, rng)), a = t.input(test::uniform_matrix<float>(4, 3, rng, -1, 1));
  const auto rec = vae.reconstruct(t, s, a, t.input(test::normal_matrix<float>(4, 6, rng)));
  REQUIRE(t.rows(rec.action) == 4);
  REQUIRE(t.cols(rec.action) == 3);
  REQUIRE(t.cols(rec.mean) == 6);
  REQUIRE(t.value(rec.action).cwiseAbs().maxCoeff() <= 1.0f);
}

TEST_CASE("VAE log_std is clamped to [-4, 15]", "[nets][vae]") {
  Rng rng(2);
  ConditionalVae<float> vae(VaeSpec{2, 2, 4, {16, 16}}, rng);
  // Push the log_std head's bias far out; the clamp must hold.
  auto bias = vae.params().value(vae.params().block("log_std.bias"));
  bias.setConstant(100.0f);
  Tape<float> t;
  const auto rec = vae.reconstruct(t, t.input(MatrixR<float>::Ones(3, 2)), t.input(MatrixR<float>::Zero(3, 2)),
                                   t.input(MatrixR<float>::Zero(3, 4)));
  REQUIRE(t.value(rec.log_std).maxCoeff() == 15.0f);
  bias.setConstant(-100.0f);
  Tape<float> t2;
  const auto rec2 = vae.reconstruct(t2, t2.input(MatrixR<float>::Ones(3, 2)), t2.input(MatrixR<float>::Zero(3, 2)),
                                    t2.input(MatrixR<float>::Zero(3, 4)));
  REQUIRE(t2.value(rec2.log_std).minCoeff() == -4.0f);
}

TEST_CASE("VAE loss gradients (inputs and all weights) match finite differences", "[nets][vae]") {
  Rng rng(3);
  ConditionalVae<double> vae(VaeSpec{3, 2, 4, {6, 5}}, rng);
  const MatrixR<double> s = test::normal_matrix(4, 3, rng), a = test::uniform_matrix(4, 2, rng, -0.9, 0.9),
                        eps = test::normal_matrix(4, 4, rng);
  const GradCheckResult r = check_gradients(
      {s, a, eps}, {true, false, false}, &vae.params(), [&](Tape<double>& t, const std::vector<Var>& in) {
        const auto rec = vae.reconstruct(t, in[0], in[1], in[2]);
        return ops::add(t, ops::mse(t, rec.action, in[1]), ops::scale(t, ops::gaussian_kl(t, rec.mean, rec.log_std), 0.5));
      });
  INFO(r.first_failure);
  REQUIRE(r.checked == 12 + long(vae.params().size()));
  REQUIRE(r.ok);
}

TEST_CASE("VAE decode_repeated equals decode on the repeated state: value and gradients", "[nets][vae]") {
  Rng rng(31);
  ConditionalVae<double> vae(VaeSpec{3, 2, 4, {6, 5}}, rng);
  const Index M = 4, n = 5;
  const MatrixR<double> s = test::normal_matrix(M, 3, rng), z = test::uniform_matrix(M * n, 4, rng, -0.5, 0.5);
  test::require_repeated_matches(
      vae.params(), s, z, n, [&](Tape<double>& t, Var s_rep, Var zv) { return vae.decode(t, s_rep, zv); },
      [&](Tape<double>& t, Var state, Var zv, Index reps) { return vae.decode_repeated(t, state, zv, reps); }, 2, rng);
}
