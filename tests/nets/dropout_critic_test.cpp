// tests/nets/dropout_critic_test.cpp — the MC-dropout twin critic (nets/dropout_critic.cpp): without
// masks it is TwinCritic; n samples of a row are the row repeated n times, each with its own mask rows;
// gradients with masks and samples match finite differences in double; fill_dropout_mask's rate, values
// and determinism. (Against PyTorch: the UWAC+TD3 fixture, tests/rl/uwac_td3_test.cpp.)
#include "nets/dropout_critic.hpp"

#include <catch2/catch.hpp>
#include <cstring>

#include "engine/gradcheck.hpp"
#include "tests/support/random.hpp"

using namespace mtf;
using Catch::Matchers::WithinAbs;

namespace {
// Masks of keep probability 1 - p for each hidden layer of `spec`, `rows` rows, as double.
std::vector<MatrixR<double>> draw_masks(const CriticSpec& spec, Index rows, double p, Rng& rng) {
  std::vector<MatrixR<double>> masks;
  for (const Index width : spec.hidden) {
    MatrixR<float> m(rows, width);
    fill_dropout_mask(m.data(), std::size_t(m.size()), p, rng);
    masks.push_back(m.cast<double>());
  }
  return masks;
}
}  // namespace

TEST_CASE("dropout critic without masks is TwinCritic: same initialization, same values", "[nets][dropout_critic]") {
  const CriticSpec spec{4, 2, {16, 8}};
  Rng r1(6), r2(6), data(7);
  DropoutTwinCritic<float> dropout(spec, r1);
  TwinCritic<float> twin(spec, r2);
  REQUIRE(dropout.params().size() == twin.params().size());
  REQUIRE(std::memcmp(dropout.params().values(), twin.params().values(), sizeof(float) * twin.params().size()) == 0);
  REQUIRE(dropout.params().layout() == twin.params().layout());  // block names and order: one soft update fits both
  Tape<float> t;
  const Var s = t.input(test::normal_matrix<float>(5, 4, data)), a = t.input(test::normal_matrix<float>(5, 2, data));
  const auto [q1, q2] = dropout.both(t, s, a);
  const auto [p1, p2] = twin.both(t, s, a);
  REQUIRE(t.value(q1) == t.value(p1));
  REQUIRE(t.value(q2) == t.value(p2));
  REQUIRE(t.value(dropout.q1(t, s, a)) == t.value(p1));
  REQUIRE(t.value(dropout.q2(t, s, a)) == t.value(p2));
}

TEST_CASE("dropout critic: n samples of a row are the row repeated n times, each with its mask rows",
          "[nets][dropout_critic]") {
  const CriticSpec spec{3, 2, {6, 5}};
  Rng rng(9);
  DropoutTwinCritic<double> c(spec, rng);
  const Index B = 4, n = 3;
  const MatrixR<double> s = test::normal_matrix(B, 3, rng), a = test::uniform_matrix(B, 2, rng, -1, 1);
  const auto masks1 = draw_masks(spec, B * n, 0.3, rng), masks2 = draw_masks(spec, B * n, 0.3, rng);
  Tape<double> t;
  std::vector<Var> m1, m2;
  for (std::size_t l = 0; l < masks1.size(); ++l) m1.push_back(t.input(masks1[l])), m2.push_back(t.input(masks2[l]));
  const auto [q1, q2] = c.both(t, t.input(s), t.input(a), m1.data(), m2.data(), n);
  REQUIRE(t.rows(q1) == B * n);
  // Reference: the repeated rows (repeat_interleave order), one sample each.
  const Var s_rep = ops::repeat_rows(t, t.input(s), n), a_rep = ops::repeat_rows(t, t.input(a), n);
  const Var r1 = c.q1(t, s_rep, a_rep, m1.data()), r2 = c.q2(t, s_rep, a_rep, m2.data());
  for (Index i = 0; i < B * n; ++i) {
    REQUIRE_THAT(t.value(q1)(i, 0), WithinAbs(t.value(r1)(i, 0), 1e-12));
    REQUIRE_THAT(t.value(q2)(i, 0), WithinAbs(t.value(r2)(i, 0), 1e-12));
  }
  // The masks act: some row's samples differ (a dropped unit may have been ReLU's zero anyway, so not
  // every row's need to), and all-ones masks give the value without dropout.
  bool samples_differ = false;
  for (Index i = 0; i < B; ++i)
    for (Index j = 1; j < n; ++j) samples_differ = samples_differ || t.value(q1)(i * n + j, 0) != t.value(q1)(i * n, 0);
  REQUIRE(samples_differ);
  std::vector<Var> ones;
  for (const Index width : spec.hidden) ones.push_back(t.input(MatrixR<double>::Ones(B, width)));
  const Var kept = c.q1(t, t.input(s), t.input(a), ones.data()), plain = c.q1(t, t.input(s), t.input(a));
  REQUIRE(t.value(kept) == t.value(plain));
}

TEST_CASE("dropout critic gradients with masks and samples match finite differences", "[nets][dropout_critic]") {
  const CriticSpec spec{3, 2, {6, 5}};
  Rng rng(11);
  DropoutTwinCritic<double> c(spec, rng);
  const Index B = 4, n = 3;
  const auto masks1 = draw_masks(spec, B * n, 0.2, rng), masks2 = draw_masks(spec, B * n, 0.2, rng);
  std::vector<MatrixR<double>> inputs = {test::normal_matrix(B, 3, rng), test::uniform_matrix(B, 2, rng, -1, 1),
                                         masks1[0], masks1[1], masks2[0], masks2[1]};
  SECTION("both heads, n samples: inputs and every weight") {
    const GradCheckResult r = check_gradients(inputs, {true, true, false, false, false, false}, &c.params(),
                                              [&](Tape<double>& t, const std::vector<Var>& in) {
                                                const Var m1[] = {in[2], in[3]}, m2[] = {in[4], in[5]};
                                                const auto [q1, q2] = c.both(t, in[0], in[1], m1, m2, n);
                                                return ops::add(t, q1, ops::scale(t, q2, 0.5));
                                              });
    INFO(r.first_failure);
    REQUIRE(r.checked > 0);
    REQUIRE(r.ok);
  }
  SECTION("Q1 passing gradients to its input only (ParamGrad::Skip), as in the actor step") {
    const GradCheckResult r = check_gradients(inputs, {true, true, false, false, false, false}, nullptr,
                                              [&](Tape<double>& t, const std::vector<Var>& in) {
                                                const Var m1[] = {in[2], in[3]};
                                                return c.q1(t, in[0], in[1], m1, n, ParamGrad::Skip);
                                              });
    INFO(r.first_failure);
    REQUIRE(r.ok);
  }
}

TEST_CASE("fill_dropout_mask: rate p, kept entries scaled by 1/(1-p), same seed same mask", "[nets][dropout_critic]") {
  const double p = 0.1;
  const std::size_t n = 200001;  // odd: the last entry comes from a draw of its own
  std::vector<float> mask(n), again(n);
  Rng r1(3), r2(3);
  fill_dropout_mask(mask.data(), n, p, r1);
  fill_dropout_mask(again.data(), n, p, r2);
  REQUIRE(mask == again);
  std::size_t dropped = 0;
  for (const float v : mask) {
    if (v == 0.0f) ++dropped;
    else REQUIRE(v == 1.0f / 0.9f);
  }
  // Binomial(200001, 0.1): standard deviation ~134; 5 of them.
  REQUIRE_THAT(double(dropped), WithinAbs(p * double(n), 5 * 134.0));
  // p = 0 keeps everything at scale 1.
  fill_dropout_mask(mask.data(), 1000, 0.0, r1);
  for (std::size_t i = 0; i < 1000; ++i) REQUIRE(mask[i] == 1.0f);
}
