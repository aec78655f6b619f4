// rl/online/online_arms.cpp — see online_arms.hpp.
#include "rl/online/online_arms.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <numeric>
#include <ostream>
#include <sstream>
#include <stdexcept>

#include "rl/data/reward.hpp"

namespace mtf::online {

namespace {

// The population cut into groups of `group_size` users, in a seeded order: evaluation k serves group
// k mod per_day() on day k / per_day().
class UserSchedule {
 public:
  UserSchedule(int num_users, int group_size, std::uint64_t seed) : group_size_(group_size) {
    if (group_size > num_users)
      throw std::invalid_argument("online arm: a group of " + std::to_string(group_size) + " users, but the population has " +
                                  std::to_string(num_users));
    order_.resize(std::size_t(num_users));
    std::iota(order_.begin(), order_.end(), 0);
    Rng rng(seed);
    for (std::size_t i = order_.size(); i > 1; --i) std::swap(order_[i - 1], order_[rng.below(i)]);  // Fisher-Yates
  }
  int per_day() const { return int(order_.size()) / group_size_; }
  int day(long long k) const { return int(k / per_day()); }
  std::vector<int> users(long long k) const {
    const auto begin = order_.begin() + std::ptrdiff_t(k % per_day()) * group_size_;
    return std::vector<int>(begin, begin + group_size_);
  }

 private:
  int group_size_;
  std::vector<int> order_;
};

nlohmann::json value_json(const sim::ValueEstimate& v) {
  return {{"mean", v.mean}, {"ci95", 1.96 * v.std_error}, {"mean_first_reward", v.mean_first_reward},
          {"mean_length", v.mean_length}};
}

std::vector<double> to_std(const VectorXd& x) { return std::vector<double>(x.data(), x.data() + x.size()); }

Action to_action(const VectorXd& x) {
  Action a{};
  for (int i = 0; i < kActionDim; ++i) a[std::size_t(i)] = float(x(i));
  return a;
}

}  // namespace

void BoArmConfig::check(const ConfigReader& r) const {
  bo.check(r);
  if (objective != "return" && objective != "adtime") r.fail("objective", "expected return or adtime, got \"" + objective + "\"");
  try {
    reward_preset(reward);
  } catch (const std::exception& e) {
    r.fail("reward", e.what());
  }
}

void EsArmConfig::check(const ConfigReader& r) const {
  es.check(r);
  if (fitness != "first_reward" && fitness != "step_reward")
    r.fail("fitness", "expected first_reward or step_reward, got \"" + fitness + "\"");
  if (users_per_generation < 2 * es.pairs)
    r.fail("users_per_generation", "fewer users than the 2 * pairs perturbed policies they are dealt to");
  try {
    reward_preset(reward);
  } catch (const std::exception& e) {
    r.fail("reward", e.what());
  }
}

nlohmann::json OnlineArmResult::summary() const {
  return {{"method", method}, {"days", days}, {"user_days", user_days}, {"sessions", sessions},
          {"evaluations", history.size()}, {"initial_true_value", value_json(initial_truth)},
          {"true_value", value_json(truth)}, {"policy", final_policy}};
}

TruthProtocol::TruthProtocol(const sim::Simulator& sim, int eval_starts, std::uint64_t seed, const std::string& reward)
    : starts(sim::random_starts(sim, eval_starts, mix_seed(seed, "evaluation starts"))),
      rollout_seed(mix_seed(seed, "evaluation rollouts")) {
  options.reward = reward_preset(reward);
}

sim::ValueEstimate TruthProtocol::operator()(const sim::Simulator& sim, Policy& policy) const {
  return sim::true_value(sim, policy, starts, rollout_seed, options);
}

// ------------------------------------------------------------------------------------------------ BO

OnlineArmResult run_bo_arm(const sim::Simulator& sim, const BoArmConfig& config, int days, std::ostream* progress) {
  if (days < 1) throw std::invalid_argument("run_bo_arm: days must be positive");
  const UserSchedule schedule(sim.num_users(), config.users_per_evaluation, mix_seed(config.seed, "user groups"));
  const TruthProtocol truth(sim, config.eval_starts, config.seed, config.reward);
  BayesOpt bo(kActionDim, config.bo, mix_seed(config.seed, "bo"));
  sim::UserHistories histories;
  sim::RolloutOptions options;
  options.reward = reward_preset(config.reward);

  OnlineArmResult result;
  result.method = "bo";
  result.days = days;
  const long long evaluations = (long long)days * schedule.per_day();
  for (long long k = 0; k < evaluations; ++k) {
    const VectorXd x = bo.ask();
    const AskInfo ask = bo.last_ask();
    ConstantPolicy policy(to_action(x), "bo ask");
    sim::DaysOptions day;
    day.users = schedule.users(k);
    day.first_day = schedule.day(k);
    day.days = 1;
    day.seed = mix_seed(config.seed, "simulated days");
    options.policy_seed = mix_seed(mix_seed(config.seed, "serving noise"), std::uint64_t(k));
    const sim::RolloutResult served = sim::simulate_days(sim, policy, day, options, &histories);
    double returns = 0, play_time = 0;
    long long sessions = 0;
    for (const sim::UserDay& ud : served.user_days) returns += ud.return_sum, play_time += ud.play_time, sessions += ud.sessions;
    const double value = config.objective == "adtime" ? play_time / double(served.user_days.size())
                                                      : returns / double(std::max(sessions, 1LL));
    bo.tell(x, value);
    result.user_days += (long long)served.user_days.size();
    result.sessions += sessions;

    nlohmann::json h = {{"evaluation", k}, {"day", day.first_day}, {"users", day.users.size()},
                        {"user_days", result.user_days}, {"sessions", result.sessions}, {"action", to_std(x)},
                        {"value", value}, {"from_design", ask.from_design}};
    if (!ask.from_design) {
      const GpHyper& hp = bo.gp().hyper();
      std::vector<double> lengths;
      for (Eigen::Index d = 0; d < hp.log_length.size(); ++d) lengths.push_back(std::exp(hp.log_length(d)));
      h["ucb"] = ask.ucb;
      h["posterior_mean"] = ask.mean;
      h["posterior_sd"] = ask.sd;
      h["gp"] = {{"length", lengths}, {"signal_variance", std::exp(hp.log_signal)},
                 {"noise_variance", std::exp(hp.log_noise)}, {"log_marginal_likelihood", bo.gp().fitted_log_likelihood()},
                 {"jitter", bo.gp().last_jitter()}, {"observations", bo.gp().size()}};
    }
    if (config.truth_every > 0 && (k + 1) % config.truth_every == 0) {
      ConstantPolicy recommended(to_action(bo.recommend()), "bo recommendation");
      h["recommendation_true_value"] = value_json(truth(sim, recommended));
    }
    if (progress) {
      std::ostringstream o;
      o << std::fixed << std::setprecision(4) << "bo: evaluation " << k + 1 << "/" << evaluations << " (day "
        << day.first_day << "): value " << value << (ask.from_design ? " [design]" : "") << "\n";
      *progress << o.str() << std::flush;
    }
    result.history.push_back(std::move(h));
  }
  const VectorXd best = bo.recommend();
  auto final_policy = std::make_shared<ConstantPolicy>(to_action(best), "bo global alpha");
  ConstantPolicy neutral(Action{}, "neutral");
  result.initial_truth = truth(sim, neutral);
  result.truth = truth(sim, *final_policy);
  result.policy = final_policy;
  result.final_policy = {{"action", to_std(best)}};
  return result;
}

// ------------------------------------------------------------------------------------------------ ES

OnlineArmResult run_es_arm(const sim::Simulator& sim, const EsArmConfig& config, int days, std::ostream* progress) {
  if (days < 1) throw std::invalid_argument("run_es_arm: days must be positive");
  const UserSchedule schedule(sim.num_users(), config.users_per_generation, mix_seed(config.seed, "user groups"));
  const TruthProtocol truth(sim, config.eval_starts, config.seed, config.reward);
  const MlpSpec spec = es_policy_spec(sim.state_dim(), config.hidden);
  const VectorXd theta0 = es_initial_parameters(spec, mix_seed(config.seed, "es"), config.output_init_scale);
  NaturalEvolution es(theta0, config.es, mix_seed(config.seed, "es"));
  const int members = 2 * config.es.pairs;
  std::vector<std::shared_ptr<Policy>> policies;
  std::vector<MlpParameterPolicy*> perturbed;
  for (int m = 0; m < members; ++m) {
    auto p = std::make_shared<MlpParameterPolicy>(spec, theta0, "es perturbation " + std::to_string(m));
    perturbed.push_back(p.get());
    policies.push_back(std::move(p));
  }
  const MixedPolicy serving(policies);
  sim::UserHistories histories;
  sim::RolloutOptions options;
  options.reward = reward_preset(config.reward);

  OnlineArmResult result;
  result.method = "es";
  result.days = days;
  const long long generations = (long long)days * schedule.per_day();
  std::vector<int> member_of_user(std::size_t(sim.num_users()), 0);
  for (long long k = 0; k < generations; ++k) {
    const std::vector<VectorXd>& candidates = es.ask();
    for (int m = 0; m < members; ++m) perturbed[std::size_t(m)]->set_parameters(candidates[std::size_t(m)]);
    // Deal the group's users to the perturbations at random (per generation), round robin.
    std::vector<int> users = schedule.users(k);
    Rng deal(mix_seed(mix_seed(config.seed, "deal users"), std::uint64_t(k)));
    for (std::size_t i = users.size(); i > 1; --i) std::swap(users[i - 1], users[deal.below(i)]);
    for (std::size_t i = 0; i < users.size(); ++i) member_of_user[std::size_t(users[i])] = int(i % std::size_t(members));
    sim::DaysOptions day;
    day.users = users;
    day.first_day = schedule.day(k);
    day.days = 1;
    day.seed = mix_seed(config.seed, "simulated days");
    day.member_of_user = member_of_user;
    options.policy_seed = mix_seed(mix_seed(config.seed, "serving noise"), std::uint64_t(k));
    const sim::RolloutResult served = sim::simulate_days(sim, serving, day, options, &histories);
    std::vector<double> reward_sum(std::size_t(members), 0.0), count(std::size_t(members), 0.0);
    for (const sim::SessionOutcome& s : served.sessions) {
      const std::size_t m = std::size_t(member_of_user[std::size_t(s.user)]);
      if (config.fitness == "first_reward") reward_sum[m] += s.first_reward, count[m] += 1;
      else reward_sum[m] += s.total_reward, count[m] += s.length;
    }
    std::vector<double> fitness(static_cast<std::size_t>(members));
    for (std::size_t m = 0; m < fitness.size(); ++m) fitness[m] = count[m] > 0 ? reward_sum[m] / count[m] : 0.0;
    es.tell(fitness);
    result.user_days += (long long)served.user_days.size();
    result.sessions += (long long)served.sessions.size();

    const double mean_fitness = std::accumulate(fitness.begin(), fitness.end(), 0.0) / double(members);
    nlohmann::json h = {{"generation", k}, {"day", day.first_day}, {"users", users.size()},
                        {"user_days", result.user_days}, {"sessions", result.sessions},
                        {"fitness", {{"mean", mean_fitness}, {"min", *std::min_element(fitness.begin(), fitness.end())},
                                     {"max", *std::max_element(fitness.begin(), fitness.end())}}},
                        {"gradient_norm", es.last_gradient().norm()}, {"parameter_norm", es.mean().norm()}};
    if (config.truth_every > 0 && (k + 1) % config.truth_every == 0) {
      MlpParameterPolicy current(spec, es.mean(), "es mean");
      h["true_value"] = value_json(truth(sim, current));
    }
    if (progress) {
      std::ostringstream o;
      o << std::fixed << std::setprecision(4) << "es: generation " << k + 1 << "/" << generations << " (day "
        << day.first_day << "): mean fitness " << mean_fitness << ", |g| " << es.last_gradient().norm() << "\n";
      *progress << o.str() << std::flush;
    }
    result.history.push_back(std::move(h));
  }
  MlpParameterPolicy initial(spec, theta0, "es initial");
  result.initial_truth = truth(sim, initial);
  auto final_policy = std::make_shared<MlpParameterPolicy>(spec, es.mean(), "es policy");
  result.truth = truth(sim, *final_policy);
  result.policy = final_policy;
  result.final_policy = {{"spec", {{"in", spec.in}, {"widths", spec.widths}, {"hidden", "relu"}, {"output", "tanh"}}},
                         {"parameters", to_std(es.mean())}};
  return result;
}

}  // namespace mtf::online
