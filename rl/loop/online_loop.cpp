#include "rl/loop/online_loop.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <iomanip>
#include <ostream>
#include <sstream>
#include <stdexcept>

#include "engine/checkpoint.hpp"
#include "ope/estimator.hpp"
#include "ope/fqe.hpp"
#include "rl/data/dataset.hpp"
#include "rl/data/replay_buffer.hpp"
#include "rl/data/reward.hpp"
#include "rl/registry.hpp"
#include "rl/sim/alpha_search.hpp"
#include "rl/trainer.hpp"

namespace mtf {

namespace {

constexpr char kFormat[] = "mtf-online-loop";
constexpr const char* kGroupNames[3] = {"control", "noise", "random"};
constexpr int kHistoryFloats = sim::state_layout::kHistoryEnd - sim::state_layout::kHistoryBegin;

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Mean and the half-width of its 95 % interval (normal approximation; units are user-days, hundreds).
nlohmann::json mean_ci(const std::vector<double>& x) {
  const double n = double(x.size());
  if (x.empty()) return {{"mean", nullptr}, {"ci95", nullptr}, {"n", 0}};
  double m = 0, v = 0;
  for (double e : x) m += e;
  m /= n;
  for (double e : x) v += (e - m) * (e - m);
  const double se = x.size() > 1 ? std::sqrt(v / (n - 1) / n) : 0.0;
  return {{"mean", m}, {"ci95", 1.96 * se}, {"n", x.size()}};
}

// A ratio sum(num) / sum(den) over units and the half-width of its 95 % interval by the delta method.
nlohmann::json ratio_ci(const std::vector<double>& num, const std::vector<double>& den) {
  double sn = 0, sd = 0;
  for (std::size_t i = 0; i < num.size(); ++i) sn += num[i], sd += den[i];
  if (num.size() < 2 || sd <= 0) return {{"value", sd > 0 ? sn / sd : 0.0}, {"ci95", nullptr}};
  const double r = sn / sd, n = double(num.size()), mean_den = sd / n;
  double v = 0;
  for (std::size_t i = 0; i < num.size(); ++i) {
    const double lin = (num[i] - r * den[i]) / mean_den;  // linearized per-unit contribution
    v += lin * lin;
  }
  return {{"value", r}, {"ci95", 1.96 * std::sqrt(v / (n - 1) / n)}};
}

}  // namespace

// ------------------------------------------------------------------------------------------- config

void LoopConfig::check(const ConfigReader& r) const {
  try {
    find_learner(algo);
  } catch (const std::exception& e) {
    r.fail("algo", e.what());
  }
  if (exploration != "mixed" && exploration != "random" && exploration != "noise")
    r.fail("exploration", "expected mixed, random or noise, got \"" + exploration + "\"");
  if (control_share + noise_share > 1.0 + 1e-12)
    r.fail("noise_share", "control_share + noise_share exceed 1 (the random group gets the rest)");
  const double random_share = 1.0 - control_share - noise_share;
  if (exploration != "random" && noise_share <= 0) r.fail("noise_share", exploration + " exploration needs noise users");
  if (exploration != "noise" && random_share <= 1e-12)
    r.fail("noise_share", exploration + " exploration needs random users (control_share + noise_share < 1)");
  if (warm_start != "candidate" && warm_start != "deployed" && warm_start != "none")
    r.fail("warm_start", "expected candidate, deployed or none, got \"" + warm_start + "\"");
  if (baseline_action.size() != std::size_t(kActionDim))
    r.fail("baseline_action", "expected " + std::to_string(kActionDim) + " numbers");
  for (double a : baseline_action)
    if (!(a >= -1 && a <= 1)) r.fail("baseline_action", "every element must be in [-1, 1]");
  if (gate != "none" && gate != "conservative" && gate != "fqe")
    r.fail("gate", "expected none, conservative or fqe, got \"" + gate + "\"");
  try {
    reward_preset(reward);
  } catch (const std::exception& e) {
    r.fail("reward", e.what());
  }
  make_learner(algo, learner, r.source() + ": learner");  // every key known and in range
  estimator_config(r.source());
}

FqeConfig LoopConfig::estimator_config(const std::string& source) const {
  nlohmann::json e = estimator;
  if (!e.contains("steps")) e["steps"] = 2000;  // the loop's default: 4 fits a day (see the header)
  return config_from_json<FqeConfig>(e, source + ": estimator");
}

// --------------------------------------------------------------------------------------------- loop

OnlineLoop::OnlineLoop(const sim::Simulator& sim, const LoopConfig& config) : sim_(sim), config_(config) {
  const std::uint64_t group_seed = mix_seed(config.seed, "user groups");
  groups_.resize(std::size_t(sim.num_users()));
  for (int u = 0; u < sim.num_users(); ++u) {
    const double x = double(mix_seed(group_seed, std::uint64_t(u)) >> 11) * 0x1.0p-53;  // uniform in [0, 1)
    groups_[std::size_t(u)] = x < config.control_share ? int(LoopGroup::kControl)
                              : x < config.control_share + config.noise_share ? int(LoopGroup::kNoise)
                                                                                : int(LoopGroup::kRandom);
  }
  eval_starts_ = sim::random_starts(sim, config.eval_starts, mix_seed(config.seed, "evaluation starts"));
  Action baseline{};
  for (int i = 0; i < kActionDim; ++i) baseline[std::size_t(i)] = float(config.baseline_action[std::size_t(i)]);
  deployed_ = std::make_shared<ConstantPolicy>(baseline, "baseline global alpha");
}

std::unique_ptr<Learner> OnlineLoop::fresh_learner(std::uint64_t seed) const {
  nlohmann::json hyper = config_.learner;
  hyper["state_dim"] = sim_.state_dim();
  hyper["action_dim"] = kActionDim;
  hyper["seed"] = seed;
  return make_learner(config_.algo, hyper, "loop config: learner");
}

SessionLog OnlineLoop::training_sessions(const SessionLog& day_log) const {
  std::vector<std::size_t> noise, random;
  for (std::size_t i = 0; i < day_log.sessions.size(); ++i) {
    const LoopGroup g = group_of(day_log.sessions[i].user);
    if (g == LoopGroup::kNoise) noise.push_back(i);
    if (g == LoopGroup::kRandom) random.push_back(i);
  }
  std::vector<std::size_t> keep;
  if (config_.exploration == "mixed") {
    // Equal numbers of trajectories from both exploration groups: the first n of each, in time order.
    const std::size_t n = std::min(noise.size(), random.size());
    keep.assign(noise.begin(), noise.begin() + std::ptrdiff_t(n));
    keep.insert(keep.end(), random.begin(), random.begin() + std::ptrdiff_t(n));
    std::sort(keep.begin(), keep.end());
  } else {
    keep = config_.exploration == "random" ? random : noise;
  }
  return day_log.subset(keep);
}

double OnlineLoop::estimate(Policy& policy, const TransitionBatch& data, const MatrixR<float>& initial,
                            double alpha) const {
  FqeConfig c = config_.estimator_config();
  c.alpha = alpha;
  c.seed = mix_seed(mix_seed(config_.seed, "estimator"), std::uint64_t(day_));  // the same for every policy
  auto estimator = make_fqe_estimator(c, sim_.state_dim(), kActionDim);  // `ensemble` fits when configured
  estimator->fit(data, policy);
  return estimator->estimate_per_state(initial, policy).mean();
}

const nlohmann::json& OnlineLoop::run_day(std::ostream* progress) {
  const int d = day_;
  const RewardWeights reward = reward_preset(config_.reward);
  auto say = [&](const std::string& what) {
    if (progress) *progress << "day " << d << ": " << what << "\n" << std::flush;
  };
  nlohmann::json report = {{"day", d}, {"deployed", deployed_->name()}};

  // Serve the day: control gets pi_d, the noise group pi_d + eps, the random group random exploration.
  auto t0 = std::chrono::steady_clock::now();
  const MixedPolicy serving({deployed_, std::make_shared<NoisyPolicy>(deployed_, config_.noise_sigma),
                             std::make_shared<RandomPolicy>(config_.random_sigma)});
  sim::DaysOptions days;
  days.first_day = d;
  days.days = 1;
  days.seed = mix_seed(config_.seed, "simulated days");
  days.member_of_user = groups_;
  sim::RolloutOptions options;
  options.reward = reward;
  options.record = true;
  options.policy_seed = mix_seed(mix_seed(config_.seed, "serving noise"), std::uint64_t(d));
  const sim::RolloutResult served = sim::simulate_days(sim_, serving, days, options, &histories_);
  // The day's A/B: per group, units are user-days.
  nlohmann::json groups = nlohmann::json::object();
  for (int g = 0; g < 3; ++g) {
    std::vector<double> play_time, plays, positive, returns, sessions;
    for (const sim::UserDay& ud : served.user_days) {
      if (groups_[std::size_t(ud.user)] != g) continue;
      play_time.push_back(ud.play_time);
      plays.push_back(ud.plays);
      positive.push_back(ud.positive_plays);
      returns.push_back(ud.return_sum);
      sessions.push_back(ud.sessions);
    }
    groups[kGroupNames[g]] = {{"adtime", mean_ci(play_time)},
                              {"upirate", ratio_ci(positive, plays)},
                              {"session_return", ratio_ci(returns, sessions)}};
  }
  report["groups"] = groups;
  report["sessions"] = served.log.sessions.size();
  const double serve_seconds = seconds_since(t0);
  say("served " + std::to_string(served.log.sessions.size()) + " sessions");

  // pi_d's true value: fixed starts and seeds, the same every day.
  t0 = std::chrono::steady_clock::now();
  const sim::ValueEstimate truth = true_value(*deployed_);
  report["true_value"] = {{"mean", truth.mean}, {"ci95", 1.96 * truth.std_error}, {"mean_length", truth.mean_length}};
  const double truth_seconds = seconds_since(t0);
  {
    std::ostringstream o;
    o << std::fixed << std::setprecision(4) << "true value of " << deployed_->name() << " " << truth.mean << " ± "
      << 1.96 * truth.std_error;
    say(o.str());
  }

  // Collect: the day's training sessions join the window.
  window_.push_back(training_sessions(served.log));
  while (int(window_.size()) > config_.window_days) window_.pop_front();
  ReplayBuffer buffer(sim_.state_dim(), config_.replay_capacity, kActionDim);
  std::size_t window_sessions = 0;
  for (const SessionLog& log : window_) {
    buffer.add_all(build_transitions(log, reward));
    window_sessions += log.sessions.size();
  }

  if (buffer.size() == 0) {  // e.g. a tiny population whose exploration groups had no session today
    say("no training data today: " + deployed_->name() + " stays");
    report["training"] = {{"day_sessions", 0}, {"window_sessions", 0}, {"transitions", 0}};
    report["gate"] = {{"rule", config_.gate}, {"decision", "kept"}};
    report["seconds"] = {{"serve", serve_seconds}, {"truth", truth_seconds}};
    history_.push_back(std::move(report));
    ++day_;
    return history_.back();
  }

  // Retrain: continue yesterday's candidate, or the deployed learner, or a fresh one (warm_start).
  t0 = std::chrono::steady_clock::now();
  std::unique_ptr<Learner> candidate;
  if (config_.warm_start == "candidate" && rejected_learner_) candidate = std::move(rejected_learner_);
  else if (config_.warm_start != "none" && deployed_learner_) candidate = deployed_learner_->clone();
  else candidate = fresh_learner(config_.warm_start != "none" ? mix_seed(config_.seed, "learner")
                                                              : mix_seed(mix_seed(config_.seed, "learner"), std::uint64_t(d)));
  rejected_learner_.reset();
  TrainOptions train_options;
  train_options.iterations = config_.iterations_per_day;
  train_options.log_every = std::max<long long>(1, config_.iterations_per_day);
  const TrainReport trained = train(*candidate, buffer, train_options);
  report["training"] = {{"day_sessions", window_.back().sessions.size()}, {"window_sessions", window_sessions},
                        {"transitions", buffer.size()}, {"iteration", trained.iterations},
                        {"last_update", trained.last.to_json()}};
  const double train_seconds = seconds_since(t0);
  say("trained " + candidate->algorithm() + " to iteration " + std::to_string(trained.iterations) + " on " +
      std::to_string(buffer.size()) + " transitions");

  // Gate: both estimators, fit on the day's logs (every group), for the candidate and for pi_d.
  t0 = std::chrono::steady_clock::now();
  const std::string name = candidate->algorithm() + " (day " + std::to_string(d) + ")";
  const std::shared_ptr<Policy> candidate_policy = candidate->snapshot(name);
  bool deploy = true;
  nlohmann::json gate = {{"rule", config_.gate}, {"margin", config_.gate_margin}};
  if (config_.gate != "none") {
    const TransitionBatch data = build_transitions(served.log, reward);
    const FqeConfig fc = config_.estimator_config();
    const Index n0 = std::min<Index>(fc.initial_states, Index(served.log.sessions.size()));
    MatrixR<float> initial(n0, sim_.state_dim());
    for (Index i = 0; i < n0; ++i)
      std::copy_n(served.log.state(served.log.sessions[std::size_t(i)].begin), sim_.state_dim(), initial.row(i).data());
    for (const auto& [estimator, alpha] : {std::pair<const char*, double>{"conservative", fc.alpha}, {"fqe", 0.0}}) {
      const double v_candidate = estimate(*candidate_policy, data, initial, alpha);
      const double v_deployed = estimate(*deployed_, data, initial, alpha);
      gate[estimator] = {{"candidate", v_candidate}, {"deployed", v_deployed}};
      if (config_.gate == estimator)
        deploy = v_candidate >= v_deployed - config_.gate_margin * std::abs(v_deployed);
    }
  }
  gate["decision"] = deploy ? "deployed" : "kept";
  const double gate_seconds = seconds_since(t0);
  // The instrument, not the gate: the candidate's true value on the same starts and seeds as pi_d's.
  t0 = std::chrono::steady_clock::now();
  const sim::ValueEstimate candidate_truth = true_value(*candidate_policy);
  gate["candidate_true_value"] = {{"mean", candidate_truth.mean}, {"ci95", 1.96 * candidate_truth.std_error}};
  report["gate"] = gate;
  const double candidate_truth_seconds = seconds_since(t0);
  say(std::string(deploy ? "deployed " : "kept ") + (deploy ? name : deployed_->name()));
  if (deploy) {
    deployed_learner_ = std::move(candidate);
    deployed_ = candidate_policy;
  } else if (config_.warm_start == "candidate") {
    rejected_learner_ = std::move(candidate);
  }
  report["seconds"] = {{"serve", serve_seconds}, {"truth", truth_seconds + candidate_truth_seconds},
                       {"train", train_seconds}, {"gate", gate_seconds}};
  history_.push_back(std::move(report));
  ++day_;
  return history_.back();
}

sim::ValueEstimate OnlineLoop::true_value(Policy& policy) const {
  sim::RolloutOptions options;
  options.reward = reward_preset(config_.reward);
  return sim::true_value(sim_, policy, eval_starts_, mix_seed(config_.seed, "evaluation rollouts"), options);
}

long long OnlineLoop::sessions_served() const {
  long long n = 0;
  for (const nlohmann::json& d : history_) n += d["sessions"].get<long long>();
  return n;
}

GlobalAlphaReference search_global_alpha(const sim::Simulator& sim, const OnlineLoop& loop, long long sessions,
                                         int candidates) {
  if (candidates < 2 || sessions < 4 * candidates)
    throw std::invalid_argument("search_global_alpha: need at least 2 candidates and 4 sessions per candidate");
  const std::uint64_t seed = loop.config().seed;
  GlobalAlphaReference ref;
  ref.starts_per_candidate = int(sessions / (2 * candidates));
  sim::RolloutOptions options;
  options.reward = reward_preset(loop.config().reward);
  const auto starts = sim::random_starts(sim, ref.starts_per_candidate, mix_seed(seed, "alpha search starts"));
  const auto screen = sim::random_action_candidates(candidates - 1, mix_seed(seed, "alpha candidates"));
  const auto first = sim::evaluate_action_candidates(sim, screen, starts, mix_seed(seed, "alpha search rollouts"), options);
  const auto local = sim::local_action_candidates(screen[std::size_t(first.best_value)], candidates, 0.2,
                                                  mix_seed(seed, "alpha refinement candidates"));
  const auto second = sim::evaluate_action_candidates(sim, local, starts, mix_seed(seed, "alpha search rollouts"), options);
  ref.action = local[std::size_t(second.best_value)];
  ref.sessions_used = 2LL * candidates * ref.starts_per_candidate;
  ConstantPolicy best(ref.action, "best global alpha");
  ref.truth = loop.true_value(best);
  return ref;
}

// --------------------------------------------------------------------------------------- checkpoints

void OnlineLoop::save(const std::string& path) const {
  Checkpoint c(path);
  c.meta = {{"format", kFormat},
            {"config", config_to_json(config_)},
            {"day", day_},
            {"deployed_name", deployed_->name()},
            {"window_days", window_.size()},
            {"history", history_}};
  if (deployed_learner_) {
    Checkpoint learner("deployed learner");
    deployed_learner_->save(learner);
    c.put("deployed_learner", learner.to_bytes());
  }
  if (rejected_learner_) {
    Checkpoint learner("rejected learner");
    rejected_learner_->save(learner);
    c.put("rejected_learner", learner.to_bytes());
  }
  for (std::size_t k = 0; k < window_.size(); ++k) c.put("window_" + std::to_string(k), session_log_to_bytes(window_[k]));
  std::string histories;
  for (const auto& h : histories_.history) histories.append(reinterpret_cast<const char*>(h.data()), sizeof(float) * h.size());
  c.put("histories", histories);
  c.save(path);
}

void OnlineLoop::load(const std::string& path) {
  const Checkpoint c = Checkpoint::load(path);
  if (c.meta.value("format", "") != kFormat) throw std::runtime_error(path + ": not an online-loop checkpoint");
  if (config_to_json(config_from_json<LoopConfig>(c.meta_at("config"), path + ": config")) != config_to_json(config_))
    throw std::runtime_error(path + ": the loop was run with another config: " + c.meta_at("config").dump());
  // Read everything before changing anything.
  const int day = json_integer<int>(c.meta_at("day"), path + ": field \"day\"");
  std::unique_ptr<Learner> learner;
  std::shared_ptr<Policy> deployed = deployed_;
  if (c.has("deployed_learner")) {
    learner = load_learner(Checkpoint::from_bytes(c.get("deployed_learner"), path + ": deployed learner"));
    deployed = learner->snapshot(c.meta_at("deployed_name").get<std::string>());
  }
  std::unique_ptr<Learner> rejected;
  if (c.has("rejected_learner"))
    rejected = load_learner(Checkpoint::from_bytes(c.get("rejected_learner"), path + ": rejected learner"));
  std::deque<SessionLog> window;
  const auto n_window = json_integer<std::size_t>(c.meta_at("window_days"), path + ": field \"window_days\"");
  for (std::size_t k = 0; k < n_window; ++k) {
    const std::string section = "window_" + std::to_string(k);
    window.push_back(session_log_from_bytes(c.get(section), path + ": " + section));
  }
  const std::string_view h = c.get("histories");
  if (h.size() % (sizeof(float) * kHistoryFloats) != 0)
    throw std::runtime_error(path + ": section \"histories\" is not a whole number of users' histories");
  sim::UserHistories histories;
  histories.history.resize(h.size() / (sizeof(float) * kHistoryFloats));
  for (std::size_t u = 0; u < histories.history.size(); ++u)
    std::memcpy(histories.history[u].data(), h.data() + u * sizeof(float) * kHistoryFloats, sizeof(float) * kHistoryFloats);
  const nlohmann::json& h_json = c.meta_at("history");
  if (!h_json.is_array() || h_json.size() != static_cast<std::size_t>(day))
    throw std::runtime_error(path + ": field \"history\": expected one report per day run (" + std::to_string(day) + ")");
  for (const nlohmann::json& d : h_json)  // sessions_so_far() sums these
    if (!d.is_object() || !d.contains("sessions") || json_integer<long long>(d["sessions"], path + ": history: field \"sessions\"") < 0)
      throw std::runtime_error(path + ": field \"history\": a day's report without a session count");
  std::vector<nlohmann::json> history = h_json.get<std::vector<nlohmann::json>>();

  day_ = day;
  deployed_learner_ = std::move(learner);
  rejected_learner_ = std::move(rejected);
  deployed_ = deployed;
  window_ = std::move(window);
  histories_ = std::move(histories);
  history_ = std::move(history);
}

}  // namespace mtf
