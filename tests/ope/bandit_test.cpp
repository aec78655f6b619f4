// Tests for ope/bandit.cpp: IPS computed by hand, the four estimators on a synthetic contextual bandit with
// a known value, the identities between them (DR = DM when the correction vanishes, DR = IPS with a zero
// model, SNIPS = IPS on-policy), the Beta sampler's moments, the BTS slate distribution, the prior file's
// reader and the bootstrap.
#include <catch2/catch.hpp>

#include <cmath>

#include "engine/limits.hpp"
#include "ope/bandit.hpp"

using namespace mtf;
using Catch::Matchers::WithinAbs;

namespace {

// A log of n rows with the given actions, rewards and propensities, one position, no context.
BanditLog small_log(const std::vector<int>& action, const std::vector<double>& reward, const std::vector<double>& propensity,
                    int n_actions) {
  BanditLog log;
  log.action = action;
  log.position.assign(action.size(), 0);
  // Element by element: GCC 12 warns (-Warray-bounds, a false positive) on Eigen's AVX-512 copy of a
  // mapped 4-element vector.
  log.reward.resize(Index(reward.size()));
  log.propensity.resize(Index(propensity.size()));
  for (std::size_t i = 0; i < reward.size(); ++i) log.reward[Index(i)] = reward[i];
  for (std::size_t i = 0; i < propensity.size(); ++i) log.propensity[Index(i)] = propensity[i];
  log.context = MatrixR<float>::Zero(Index(action.size()), 1);
  log.n_actions = n_actions;
  log.n_positions = 1;
  return log;
}

// A contextual bandit: x in {0, 1} (P(x = 1) = 0.4), three actions, click probability kClick[x][a];
// the logging policy kLogging[x] and the target kTarget[x] both depend on x. True value of the target:
// 0.6 (0.1*0.1 + 0.8*0.5 + 0.1*0.3) + 0.4 (0.7*0.6 + 0.1*0.2 + 0.2*0.4) = 0.6*0.44 + 0.4*0.52 = 0.472.
constexpr double kClick[2][3] = {{0.1, 0.5, 0.3}, {0.6, 0.2, 0.4}};
constexpr double kLogging[2][3] = {{0.5, 0.3, 0.2}, {0.2, 0.2, 0.6}};
constexpr double kTarget[2][3] = {{0.1, 0.8, 0.1}, {0.7, 0.1, 0.2}};
constexpr double kTrueValue = 0.472;

struct Synthetic {
  BanditLog log;
  MatrixR<double> target;
};

Synthetic synthetic_bandit(Index n, std::uint64_t seed) {
  Rng rng(seed);
  Synthetic s;
  BanditLog& log = s.log;
  log.context = MatrixR<float>::Zero(n, 2);
  log.reward.resize(n);
  log.propensity.resize(n);
  s.target.resize(n, 3);
  for (Index i = 0; i < n; ++i) {
    const int x = rng.bernoulli(0.4) ? 1 : 0;
    const double u = rng.uniform();
    const int a = u < kLogging[x][0] ? 0 : u < kLogging[x][0] + kLogging[x][1] ? 1 : 2;
    log.context(i, x) = 1.0f;
    log.action.push_back(a);
    log.position.push_back(0);
    log.reward[i] = rng.bernoulli(kClick[x][a]) ? 1.0 : 0.0;
    log.propensity[i] = kLogging[x][a];
    for (int j = 0; j < 3; ++j) s.target(i, j) = kTarget[x][j];
  }
  log.n_actions = 3;
  log.n_positions = 1;
  return s;
}

}  // namespace

TEST_CASE("bandit ope: IPS by hand is the target's value when the log matches the logging policy", "[bandit]") {
  // Logging p = (1/4, 3/4), rewards r(0) = 1, r(1) = 0.5; four rows in exactly those proportions, so
  // IPS = E_p[pi/p r] = sum_a pi(a) r(a) = 0.6 * 1 + 0.4 * 0.5 = 0.8:
  //   1/4 [ (0.6/0.25) 1 + 3 (0.4/0.75) 0.5 ] = 1/4 [2.4 + 0.8] = 0.8.
  const BanditLog log = small_log({0, 1, 1, 1}, {1, 0.5, 0.5, 0.5}, {0.25, 0.75, 0.75, 0.75}, 2);
  const MatrixR<double> target = rows_of((SlateDistribution(1, 2) << 0.6, 0.4).finished(), log.position);
  const MatrixR<double> zero = MatrixR<double>::Zero(4, 2);
  const BanditEstimates e = estimate_bandit(log, target, zero, 200, 0.95, 1);
  CHECK_THAT(e.ips.value, WithinAbs(0.8, 1e-12));
  // SNIPS: sum w r / sum w = 3.2 / (2.4 + 3 * 0.5333...) = 3.2 / 4.0 = 0.8 here too.
  CHECK_THAT(e.snips.value, WithinAbs(0.8, 1e-12));
  CHECK_THAT(e.max_weight, WithinAbs(2.4, 1e-12));
  CHECK_THAT(e.mean_weight, WithinAbs((2.4 + 3 * 0.4 / 0.75) / 4, 1e-12));
}

TEST_CASE("bandit ope: IPS and SNIPS and DM (FQE at gamma 0) and DR recover a known value", "[bandit]") {
  const Synthetic s = synthetic_bandit(20000, 7);
  FqeConfig config = bandit_reward_model_defaults();
  config.seed = 3;
  const MatrixR<double> q = fit_reward_model(s.log, s.target, 3, config);
  REQUIRE(q.rows() == 20000);
  // The reward model learned the click table: every cell within 0.015 of its true click rate (the
  // smallest cells, x = 1 and a = 0 or 1, have ~1700 rows: standard error 0.012 of their mean).
  for (Index i = 0; i < 20000; ++i) {
    const int x = s.log.context(i, 1) > 0 ? 1 : 0;
    for (int a = 0; a < 3; ++a) REQUIRE_THAT(q(i, a), WithinAbs(kClick[x][a], 0.015));
  }
  const BanditEstimates e = estimate_bandit(s.log, s.target, q, 500, 0.95, 11);
  // Standard errors here are ~0.005 (IPS, weights up to 3.5): 0.02 is four of them. DM's error is the
  // model's (weighted cell errors), within 0.01.
  for (const auto& [name, est] : {std::pair{"IPS", e.ips}, {"SNIPS", e.snips}, {"DM", e.dm}, {"DR", e.dr}}) {
    INFO(name << " " << est.value << " [" << est.lo << ", " << est.hi << "]");
    CHECK_THAT(est.value, WithinAbs(kTrueValue, name == std::string("DM") ? 0.01 : 0.02));
    CHECK(est.lo < est.value);
    CHECK(est.value < est.hi);
    CHECK(est.hi - est.lo < 0.05);
    if (name != std::string("DM")) CHECK(est.contains(kTrueValue));
  }
  // DM's interval resamples rows with the model held fixed: it omits the model's own error, so it is
  // far narrower than the others and need not cover the truth (here it is ~0.001 wide).
  CHECK(e.dm.hi - e.dm.lo < 0.25 * (e.dr.hi - e.dr.lo));
  // A reward model that ignores the context is biased, and DR corrects it: with q = the overall click rate
  // DM is the mean click of the log (the logging policy's value, 0.6*0.31+0.4*0.38 = 0.338), far from 0.472.
  const MatrixR<double> flat = MatrixR<double>::Constant(20000, 3, s.log.reward.mean());
  const BanditEstimates biased = estimate_bandit(s.log, s.target, flat, 200, 0.95, 11);
  CHECK_THAT(biased.dm.value, WithinAbs(0.338, 0.02));
  CHECK_FALSE(biased.dm.contains(kTrueValue));
  CHECK_THAT(biased.dr.value, WithinAbs(kTrueValue, 0.02));
}

TEST_CASE("bandit ope: DR = DM when the correction vanishes and DR = IPS with a zero model", "[bandit]") {
  const Synthetic s = synthetic_bandit(500, 5);
  Rng rng(9);
  MatrixR<double> q(500, 3);
  for (Index i = 0; i < 500; ++i)
    for (Index a = 0; a < 3; ++a) q(i, a) = rng.uniform();
  // A model that predicts every logged reward exactly: w_i (r_i - q(x_i, a_i)) = 0 on every row.
  for (Index i = 0; i < 500; ++i) q(i, s.log.action[std::size_t(i)]) = s.log.reward[i];
  const BanditEstimates exact = estimate_bandit(s.log, s.target, q, 100, 0.95, 2);
  CHECK_THAT(exact.dr.value, WithinAbs(exact.dm.value, 1e-12));
  CHECK_THAT(exact.dr.lo, WithinAbs(exact.dm.lo, 1e-12));  // paired resamples: the same rows
  CHECK_THAT(exact.dr.hi, WithinAbs(exact.dm.hi, 1e-12));
  const BanditEstimates zero = estimate_bandit(s.log, s.target, MatrixR<double>::Zero(500, 3), 100, 0.95, 2);
  CHECK_THAT(zero.dr.value, WithinAbs(zero.ips.value, 1e-12));
  CHECK(zero.dm.value == 0.0);
}

TEST_CASE("bandit ope: on-policy logs give weights 1 and every estimator the mean reward", "[bandit]") {
  const Synthetic s = synthetic_bandit(1000, 4);
  MatrixR<double> logging(1000, 3);
  for (Index i = 0; i < 1000; ++i)
    for (int a = 0; a < 3; ++a) logging(i, a) = kLogging[s.log.context(i, 1) > 0 ? 1 : 0][a];
  const BanditEstimates e = estimate_bandit(s.log, logging, MatrixR<double>::Zero(1000, 3), 100, 0.95, 2);
  const double mean = s.log.reward.mean();
  CHECK_THAT(e.ips.value, WithinAbs(mean, 1e-12));
  CHECK_THAT(e.snips.value, WithinAbs(mean, 1e-12));
  CHECK_THAT(e.max_weight, WithinAbs(1.0, 1e-12));
  CHECK_THAT(e.mean_weight, WithinAbs(1.0, 1e-12));
  CHECK_THAT(e.effective_rows, WithinAbs(1000.0, 1e-9));
}

TEST_CASE("bandit ope: the reward model is FQE with gamma = 0 only", "[bandit]") {
  const Synthetic s = synthetic_bandit(100, 1);
  FqeConfig config = bandit_reward_model_defaults();
  config.gamma = 0.95;
  CHECK_THROWS_WITH(fit_reward_model(s.log, s.target, 3, config),
                    "fit_reward_model: the direct method is FQE with gamma = 0, got gamma 0.950000");
}

TEST_CASE("bandit ope: Beta draws have the right moments", "[bandit]") {
  Rng rng(17);
  for (const auto& [a, b] : {std::pair{2.0, 5.0}, {0.5, 0.5}, {47.0, 12198.0}}) {
    constexpr int n = 100000;
    double sum = 0, sum2 = 0;
    for (int i = 0; i < n; ++i) {
      const double x = sample_beta(rng, a, b);
      REQUIRE((x >= 0 && x <= 1));
      sum += x;
      sum2 += x * x;
    }
    const double mean = a / (a + b), var = a * b / ((a + b) * (a + b) * (a + b + 1));
    INFO("Beta(" << a << ", " << b << ")");
    CHECK_THAT(sum / n, WithinAbs(mean, 4 * std::sqrt(var / n)));
    CHECK_THAT(sum2 / n - (sum / n) * (sum / n), WithinAbs(var, 0.03 * var));
  }
}

TEST_CASE("bandit ope: the BTS slate distribution", "[bandit]") {
  // Equal priors: every item equally likely at every position (3 items, 2 positions, 30000 draws: MC s.e.
  // 0.0027, tolerance 4 of them).
  const SlateDistribution even = bts_slate_distribution({1, 1, 1}, {10, 10, 10}, 2, 30000, 5);
  REQUIRE(even.rows() == 2);
  for (Index k = 0; k < 2; ++k) {
    CHECK_THAT(even.row(k).sum(), WithinAbs(1.0, 1e-12));
    for (Index a = 0; a < 3; ++a) CHECK_THAT(even(k, a), WithinAbs(1.0 / 3, 0.011));
  }
  // One item far better than the rest takes the first slot; the second slot is shared by the others.
  const SlateDistribution one = bts_slate_distribution({1000, 1, 1}, {1000, 1000, 1000}, 2, 2000, 5);
  CHECK(one(0, 0) == 1.0);
  CHECK(one(1, 0) == 0.0);
  CHECK_THAT(one(1, 1), WithinAbs(0.5, 0.05));
  // An item fills at most one slot of a slate: its probabilities over positions sum to at most 1.
  CHECK((even.colwise().sum().array() <= 1.0 + 1e-12).all());
  // Seeded: the same seed gives the same bits.
  CHECK(bts_slate_distribution({3, 1, 2}, {50, 40, 60}, 2, 500, 8) == bts_slate_distribution({3, 1, 2}, {50, 40, 60}, 2, 500, 8));
  CHECK(uniform_slate_distribution(4, 3) == SlateDistribution::Constant(3, 4, 0.25));
}

TEST_CASE("bandit ope: the prior file", "[bandit]") {
  const std::string text = "# priors\nall:\n  alpha:\n    - 1.0\n  beta:\n    - 2.0\nmen:\n  alpha:\n    - 47.0\n    - 8\n"
                           "  beta:\n    - 12198.0\n    - 3566.0\n";
  const BetaPrior men = parse_bts_prior(text, "p.yaml", "men");
  CHECK(men.alpha == std::vector<double>{47, 8});
  CHECK(men.beta == std::vector<double>{12198, 3566});
  CHECK_THROWS_WITH(parse_bts_prior(text, "p.yaml", "women"), "p.yaml: no campaign \"women\" (the file has: all, men)");
  CHECK_THROWS_WITH(parse_bts_prior("men:\n  alpha:\n    - x\n", "p.yaml", "men"),
                    "p.yaml:3: expected a positive number, got \"x\"");
  CHECK_THROWS_WITH(parse_bts_prior("men:\n  alpha:\n    - 0\n", "p.yaml", "men"),
                    "p.yaml:3: expected a positive number, got \"0\"");
  CHECK_THROWS_WITH(parse_bts_prior("men:\n  gamma:\n", "p.yaml", "men"),
                    "p.yaml:2: expected \"alpha:\", \"beta:\" or \"- <number>\", got \"gamma:\"");
  CHECK_THROWS_WITH(parse_bts_prior("men:\n  alpha:\n    - 1\n  beta:\n", "p.yaml", "men"),
                    "p.yaml: campaign \"men\" has 1 alphas and 0 betas (one of each per item)");
  const BetaPrior women = read_bts_prior(MTF_OPEN_BANDIT_DIR "/prior_bts.yaml", "women");
  CHECK(women.alpha.size() == 46);
  CHECK(women.beta.size() == 46);
  CHECK(women.alpha[2] == 984.0);
}

TEST_CASE("bandit ope: the percentile bootstrap", "[bandit]") {
  Eigen::VectorXd constant = Eigen::VectorXd::Constant(50, 0.25);
  const Interval c = bootstrap_mean(constant, 100, 0.95, 3);
  CHECK(c.value == 0.25);
  CHECK_THAT(c.lo, WithinAbs(0.25, 1e-15));
  CHECK_THAT(c.hi, WithinAbs(0.25, 1e-15));
  // 0/1 terms with mean 0.3 on 1000 rows: the 95 % interval is close to the normal one, 0.3 +- 0.0284.
  Eigen::VectorXd clicks = Eigen::VectorXd::Zero(1000);
  clicks.head(300).setOnes();
  const Interval b = bootstrap_mean(clicks, 4000, 0.95, 3);
  CHECK_THAT(b.value, WithinAbs(0.3, 1e-12));
  CHECK_THAT(b.lo, WithinAbs(0.3 - 0.0284, 0.004));
  CHECK_THAT(b.hi, WithinAbs(0.3 + 0.0284, 0.004));
  const Interval again = bootstrap_mean(clicks, 4000, 0.95, 3);
  CHECK((again.lo == b.lo && again.hi == b.hi));
  CHECK_THROWS_AS(bootstrap_mean(clicks, 1, 0.95, 3), std::invalid_argument);
}
