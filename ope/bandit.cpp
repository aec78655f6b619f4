#include "ope/bandit.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include "engine/atomic_file.hpp"
#include "engine/limits.hpp"
#include "engine/ops.hpp"
#include "ope/fqe.hpp"

namespace mtf {

SlateDistribution uniform_slate_distribution(int n_actions, int n_positions) {
  if (n_actions < 1 || n_positions < 1 || n_positions > n_actions)
    throw std::invalid_argument("uniform_slate_distribution: needs 1 <= positions <= actions");
  return SlateDistribution::Constant(n_positions, n_actions, 1.0 / n_actions);
}

double sample_gamma(Rng& rng, double shape) {
  if (shape < 1) {  // Gamma(a) = Gamma(a + 1) * U^(1/a) (Marsaglia and Tsang, section 6)
    return sample_gamma(rng, shape + 1) * std::pow(rng.uniform(), 1.0 / shape);
  }
  // Marsaglia and Tsang (2000): a squeeze, then the log test; accepts > 95 % of proposals.
  const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    const double x = rng.normal();
    double v = 1.0 + c * x;
    if (v <= 0) continue;
    v = v * v * v;
    const double u = rng.uniform();
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
    if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
  }
}

double sample_beta(Rng& rng, double a, double b) {
  const double x = sample_gamma(rng, a), y = sample_gamma(rng, b);
  return x / (x + y);
}

SlateDistribution bts_slate_distribution(const std::vector<double>& alpha, const std::vector<double>& beta,
                                         int n_positions, std::int64_t samples, std::uint64_t seed) {
  const int n = int(alpha.size());
  if (n < 1 || beta.size() != alpha.size() || n_positions < 1 || n_positions > n || samples < 1)
    throw std::invalid_argument("bts_slate_distribution: needs as many betas as alphas and 1 <= positions <= items");
  for (int a = 0; a < n; ++a)
    if (!(alpha[a] > 0 && beta[a] > 0 && std::isfinite(alpha[a]) && std::isfinite(beta[a])))
      throw std::invalid_argument("bts_slate_distribution: Beta parameters must be finite and positive");
  Rng rng(seed);
  std::vector<double> theta(std::size_t(n), 0.0);
  std::vector<int> order(static_cast<std::size_t>(n));
  SlateDistribution count = SlateDistribution::Zero(n_positions, n);
  for (std::int64_t s = 0; s < samples; ++s) {
    for (int a = 0; a < n; ++a) theta[a] = sample_beta(rng, alpha[a], beta[a]);
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + n_positions, order.end(),
                      [&](int i, int j) { return theta[i] > theta[j]; });
    for (int k = 0; k < n_positions; ++k) count(k, order[k]) += 1;
  }
  return count / double(samples);
}

namespace {

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return "";
  const auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

}  // namespace

BetaPrior parse_bts_prior(const std::string& text, const std::string& source, const std::string& campaign) {
  std::istringstream in(text);
  std::string raw, current_campaign;
  std::vector<std::string> campaigns;
  std::vector<double>* list = nullptr;
  std::vector<double> skipped;
  BetaPrior prior;
  bool found = false, in_wanted = false;
  long long line = 0;
  const auto fail = [&](const std::string& what) -> void {
    throw InputError(source + ":" + std::to_string(line) + ": " + what);
  };
  while (std::getline(in, raw)) {
    ++line;
    if (!raw.empty() && raw.back() == '\r') raw.pop_back();
    const std::string body = trim(raw);
    if (body.empty() || body[0] == '#') continue;
    const bool indented = raw[0] == ' ' || raw[0] == '\t';
    if (!indented) {  // "<campaign>:"
      if (body.back() != ':' || body.size() < 2) fail("expected \"<campaign>:\", got \"" + body + "\"");
      current_campaign = body.substr(0, body.size() - 1);
      if (std::find(campaigns.begin(), campaigns.end(), current_campaign) != campaigns.end())
        fail("campaign \"" + current_campaign + "\" appears twice");
      campaigns.push_back(current_campaign);
      in_wanted = current_campaign == campaign;
      found = found || in_wanted;
      list = nullptr;
    } else if (body == "alpha:" || body == "beta:") {
      if (current_campaign.empty()) fail("\"" + body + "\" outside a campaign");
      std::vector<double>& target = body == "alpha:" ? prior.alpha : prior.beta;
      if (in_wanted && !target.empty()) fail("\"" + body + "\" appears twice in campaign \"" + campaign + "\"");
      skipped.clear();
      list = in_wanted ? &target : &skipped;  // another campaign's numbers are checked, then dropped
    } else if (body.rfind("- ", 0) == 0) {
      if (list == nullptr) fail("a list item outside \"alpha:\" or \"beta:\"");
      const std::string number = trim(std::string_view(body).substr(2));
      double v = 0;
      const auto r = std::from_chars(number.data(), number.data() + number.size(), v);
      if (r.ec != std::errc() || r.ptr != number.data() + number.size() || !std::isfinite(v) || !(v > 0))
        fail("expected a positive number, got \"" + number + "\"");
      if (std::int64_t(list->size()) >= input_limits().max_state_dim)
        limit_exceeded(source, campaign, double(list->size() + 1), double(input_limits().max_state_dim), "max_state_dim");
      list->push_back(v);
    } else {
      fail("expected \"alpha:\", \"beta:\" or \"- <number>\", got \"" + body + "\"");
    }
  }
  if (!found) {
    std::string names;
    for (const auto& c : campaigns) names += (names.empty() ? "" : ", ") + c;
    throw InputError(source + ": no campaign \"" + campaign + "\" (the file has: " + names + ")");
  }
  if (prior.alpha.empty() || prior.alpha.size() != prior.beta.size())
    throw InputError(source + ": campaign \"" + campaign + "\" has " + std::to_string(prior.alpha.size()) +
                     " alphas and " + std::to_string(prior.beta.size()) + " betas (one of each per item)");
  return prior;
}

BetaPrior read_bts_prior(const std::string& path, const std::string& campaign) {
  std::string text;
  try {
    text = read_file(path, input_limits().max_json_bytes);
  } catch (const std::runtime_error& e) {
    throw InputError(e.what());
  }
  return parse_bts_prior(text, path, campaign);
}

MatrixR<double> rows_of(const SlateDistribution& by_position, const std::vector<int>& position) {
  MatrixR<double> out(Index(position.size()), by_position.cols());
  for (std::size_t i = 0; i < position.size(); ++i) {
    if (position[i] < 0 || position[i] >= by_position.rows())
      throw std::invalid_argument("rows_of: row " + std::to_string(i) + " is at position " + std::to_string(position[i]) +
                                  " (0-based); the policy fills " + std::to_string(by_position.rows()));
    out.row(Index(i)) = by_position.row(position[i]);
  }
  return out;
}

FqeConfig bandit_reward_model_defaults() {
  FqeConfig c;
  c.hidden = {64, 64};
  c.batch_size = 512;
  c.steps = 3000;
  c.lr = 3e-4;  // 1e-3 left the last iterate ~0.01 off the cell means of a test bandit (Adam's noise)
  c.gamma = 0;
  c.alpha = 0;
  c.log_every = 500;
  return c;
}

MatrixR<double> fit_reward_model(const BanditLog& log, const MatrixR<double>& target, int n_actions,
                                 const FqeConfig& config, std::ostream* progress) {
  if (config.gamma != 0)
    throw std::invalid_argument("fit_reward_model: the direct method is FQE with gamma = 0, got gamma " +
                                std::to_string(config.gamma));
  const Index n = log.rows(), F = log.context.cols(), P = log.n_positions, A = n_actions;
  if (target.rows() != n || target.cols() != A || log.n_actions > A)
    throw std::invalid_argument("fit_reward_model: the target must have one row of " + std::to_string(A) +
                                " action probabilities per logged row, and the log's actions must be < " +
                                std::to_string(A));
  const Index S = F + P;
  // A bandit row is a one-step episode: state [context, one-hot position], action one-hot item,
  // not_done 0 (so y = r whatever Q_target says), next_state unused.
  TransitionBatch data(n, S, A);
  data.state.setZero();
  data.state.leftCols(F) = log.context;
  data.action.setZero();
  for (Index i = 0; i < n; ++i) {
    data.state(i, F + log.position[std::size_t(i)]) = 1.0f;
    data.action(i, log.action[std::size_t(i)]) = 1.0f;
  }
  data.reward = log.reward.cast<float>();
  data.next_state = data.state;
  data.not_done.setZero();
  // pi_e(s): what the CQL penalty pushes down. With alpha = 0 it has no effect; with alpha > 0 it is
  // one action per row drawn from the target (an unbiased sample of its expectation, as in fit(Policy)).
  MatrixR<float> pi = data.action;
  if (config.alpha > 0) {
    Rng rng(mix_seed(config.seed, "bandit target actions"));
    pi.setZero();
    for (Index i = 0; i < n; ++i) {
      double u = rng.uniform(), acc = 0;
      Index a = A - 1;
      for (Index j = 0; j < A; ++j)
        if ((acc += target(i, j)) > u) {
          a = j;
          break;
        }
      pi(i, a) = 1.0f;
    }
  }
  if (config.ensemble != 1)  // the gamma = 0 reward model is one fit; say so rather than ignore the key
    throw ConfigError("bandit reward model: field \"ensemble\": must be 1 (got " + std::to_string(config.ensemble) + ")");
  ConservativeFqe fqe(config, S, A);
  fqe.fit(data, pi, pi, progress);

  // q(x_i, a) for every action: the row's state once, all A one-hot actions (forward_repeated), in
  // chunks of rows so the activations stay small.
  MatrixR<double> q(n, A);
  Tape<float> tape;
  const Index chunk = std::max<Index>(1, 4096 / std::max<Index>(A, 1));
  for (Index b = 0; b < n; b += chunk) {
    const Index m = std::min(chunk, n - b);
    tape.reset();
    NoGradScope<float> no_grad(tape);
    const Var states = tape.input(data.state.data() + b * S, m, S);
    const Var actions = tape.leaf(m * A, A);
    tape.value(actions).setZero();
    for (Index i = 0; i < m; ++i)
      for (Index a = 0; a < A; ++a) tape.value(actions)(i * A + a, a) = 1.0f;
    const Var out = fqe.q().forward_repeated(tape, states, actions, A);
    for (Index i = 0; i < m; ++i)
      for (Index a = 0; a < A; ++a) q(b + i, a) = double(tape.value(out)(i * A + a, 0));
  }
  return q;
}

Interval bootstrap_ratio(const Eigen::VectorXd& num, const Eigen::VectorXd& den, int resamples, double level,
                         std::uint64_t seed) {
  const Index n = num.size();
  if (n == 0 || den.size() != n || resamples < 2 || !(level > 0 && level < 1))
    throw std::invalid_argument("bootstrap_ratio: needs rows, equal lengths, >= 2 resamples and a level in (0, 1)");
  const auto ratio = [](double a, double b) { return b != 0 ? a / b : 0.0; };  // no weight: no evidence, 0
  Interval out;
  out.value = ratio(num.sum(), den.sum());
  Rng rng(seed);
  std::vector<double> stats(std::size_t(resamples), 0.0);
  for (int r = 0; r < resamples; ++r) {
    double a = 0, b = 0;
    for (Index k = 0; k < n; ++k) {
      const Index i = Index(rng.below(std::uint64_t(n)));
      a += num[i];
      b += den[i];
    }
    stats[std::size_t(r)] = ratio(a, b);
  }
  std::sort(stats.begin(), stats.end());
  const auto quantile = [&](double p) {  // linear between order statistics (numpy's default)
    const double h = p * double(resamples - 1);
    const auto lo = std::size_t(std::floor(h));
    const std::size_t hi = std::min(lo + 1, stats.size() - 1);
    return stats[lo] + (h - double(lo)) * (stats[hi] - stats[lo]);
  };
  out.lo = quantile((1 - level) / 2);
  out.hi = quantile((1 + level) / 2);
  return out;
}

Interval bootstrap_mean(const Eigen::VectorXd& terms, int resamples, double level, std::uint64_t seed) {
  return bootstrap_ratio(terms, Eigen::VectorXd::Ones(terms.size()), resamples, level, seed);
}

BanditEstimates estimate_bandit(const BanditLog& log, const MatrixR<double>& target, const MatrixR<double>& q,
                                int resamples, double level, std::uint64_t seed) {
  const Index n = log.rows();
  if (target.rows() != n || q.rows() != n || q.cols() != target.cols() || log.n_actions > target.cols())
    throw std::invalid_argument("estimate_bandit: target and reward model need one row per logged row and "
                                "a column for every logged action");
  Eigen::VectorXd w(n), ips(n), dm(n), dr(n);
  for (Index i = 0; i < n; ++i) {
    const int a = log.action[std::size_t(i)];
    w[i] = target(i, a) / log.propensity[i];
    ips[i] = w[i] * log.reward[i];
    dm[i] = target.row(i).dot(q.row(i));
    dr[i] = dm[i] + w[i] * (log.reward[i] - q(i, a));
  }
  BanditEstimates e;
  e.ips = bootstrap_mean(ips, resamples, level, seed);
  e.snips = bootstrap_ratio(ips, w, resamples, level, seed);
  e.dm = bootstrap_mean(dm, resamples, level, seed);
  e.dr = bootstrap_mean(dr, resamples, level, seed);
  e.max_weight = w.maxCoeff();
  e.mean_weight = w.mean();
  const double sw2 = w.squaredNorm();
  e.effective_rows = sw2 > 0 ? w.sum() * w.sum() / sw2 : 0.0;
  return e;
}

}  // namespace mtf
