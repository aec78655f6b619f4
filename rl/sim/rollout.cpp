// rl/sim/rollout.cpp — the lock-step engine behind run_sessions, true_value and simulate_days.
#include "rl/sim/rollout.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace mtf::sim {

namespace {

// One lane runs a chain of sessions of one user: one session (sessions mode) or a day (days mode).
struct Lane {
  int user = 0, day = 0;
  bool live = false;           // a session is running
  bool allow_return = false;   // days mode: may start another session when one ends
  std::uint64_t lane_seed = 0;
  Rng lane_rng;                // start times and return decisions
  Session session;
  int member = 0;              // which policy serves the current session
  int block = 0;               // whose policy stream serves it (LockStep::set_blocks; 0 without blocks)
  double discount = 1.0;
  SessionOutcome outcome;
  UserDay user_day;
  std::vector<float> state, action;
  // Recording of the current session and the lane's finished sessions.
  std::vector<float> rec_states, rec_actions, rec_feedback;
  struct Finished {
    SessionOutcome outcome;
    std::vector<float> states, actions, feedback;
  };
  std::vector<Finished> finished;
};

// Below this many live sessions a step runs on one thread (see LockStep::run).
constexpr int kParallelMinSessions = 128;

// Serves each session by one policy: the mixture's member for that session, or the one policy. The
// policies are borrowed for the rollout's duration.
class LockStep {
 public:
  LockStep(const Simulator& sim, const MixedPolicy& mixture, const RolloutOptions& options)
      : sim_(sim), mixture_(&mixture), options_(options), policy_rngs_{Rng(options.policy_seed)} {
    for (const auto& m : mixture.members()) members_.push_back(m.get());
  }
  LockStep(const Simulator& sim, Policy& policy, const RolloutOptions& options)
      : sim_(sim), members_{&policy}, options_(options), policy_rngs_{Rng(options.policy_seed)} {}
  /// Blocks first..first+count-1 of RolloutOptions::blocks, each with its own policy stream; a lane's
  /// `block` is then its block's index minus `first`.
  void set_blocks(std::ptrdiff_t first, std::ptrdiff_t count) {
    policy_rngs_.clear();
    for (std::ptrdiff_t b = first; b < first + count; ++b)
      policy_rngs_.emplace_back(b == 0 ? options_.policy_seed : mix_seed(options_.policy_seed, std::uint64_t(b)));
  }
  /// Serve each user's sessions by member (*groups)[user] (DaysOptions::member_of_user).
  void set_member_of_user(const std::vector<int>* groups) { member_of_user_ = groups; }

  void begin_session(Lane& lane, const SessionStart& start, std::uint64_t seed, double start_time) const {
    lane.session = sim_.begin(start, seed);
    lane.live = true;
    lane.discount = 1.0;
    lane.outcome = SessionOutcome{};
    lane.outcome.user = start.user;
    lane.outcome.day = start.day;
    lane.outcome.session_in_day = start.session_in_day;
    lane.outcome.start_time = start_time;
    if (!mixture_) lane.member = 0;
    else if (member_of_user_) lane.member = (*member_of_user_)[static_cast<std::size_t>(start.user)];
    else lane.member = static_cast<int>(mixture_->member_for_session(start.user + start.day + start.session_in_day));
    lane.state.resize(sim_.state_dim());
    lane.action.resize(kActionDim);
    lane.rec_states.clear();
    lane.rec_actions.clear();
    lane.rec_feedback.clear();
  }

  // One parallel region per step (advance the live sessions, then observe their next states), and
  // none at all when few sessions are live: on a busy machine each OpenMP barrier can cost a scheduler
  // tick, and the long tail of a rollout has only a handful of sessions left.
  void run(std::vector<Lane>& lanes) {
    const int s_dim = sim_.state_dim();
    const int n_lanes = static_cast<int>(lanes.size());
    for (Lane& lane : lanes)
      if (lane.live) sim_.observe(lane.session, lane.state.data());
    std::vector<int> group;
    std::vector<float> states, actions;
    for (;;) {
      int live = 0;
      // One batch per (member, block): a block's batch is its live lanes whatever else runs beside it.
      for (std::size_t m = 0; m < members_.size(); ++m)
        for (std::size_t b = 0; b < policy_rngs_.size(); ++b) {
          group.clear();
          for (int i = 0; i < n_lanes; ++i)
            if (lanes[i].live && lanes[i].member == static_cast<int>(m) && lanes[i].block == static_cast<int>(b))
              group.push_back(i);
          if (group.empty()) continue;
          const int n = static_cast<int>(group.size());
          live += n;
          states.resize(static_cast<std::size_t>(n) * s_dim);
          actions.resize(static_cast<std::size_t>(n) * kActionDim);
          for (int g = 0; g < n; ++g)
            std::copy(lanes[group[g]].state.begin(), lanes[group[g]].state.end(), states.data() + static_cast<long>(g) * s_dim);
          members_[m]->act(states.data(), n, actions.data(), policy_rngs_[b]);
          for (int g = 0; g < n; ++g)
            std::copy_n(actions.data() + static_cast<long>(g) * kActionDim, kActionDim, lanes[group[g]].action.begin());
        }
      if (live == 0) break;
#pragma omp parallel for schedule(dynamic, 8) if (live >= kParallelMinSessions)
      for (int i = 0; i < n_lanes; ++i) {
        Lane& lane = lanes[i];
        if (!lane.live) continue;
        advance(lane);
        if (lane.live) sim_.observe(lane.session, lane.state.data());  // the next state (maybe of a new session)
      }
    }
  }

 private:
  void advance(Lane& lane) const {
    const StepResult r = sim_.step(lane.session, lane.action.data());
    const double reward = options_.reward.reward(r.feedback.data());
    SessionOutcome& o = lane.outcome;
    if (o.length == 0) o.first_reward = reward;
    o.length += 1;
    o.discounted_return += lane.discount * reward;
    o.total_reward += reward;
    lane.discount *= options_.gamma;
    o.play_time += r.feedback[kFbPlayTime];
    o.plays += r.plays;
    o.positive_plays += r.positive_plays;
    if (options_.record) {
      lane.rec_states.insert(lane.rec_states.end(), lane.state.begin(), lane.state.end());
      lane.rec_actions.insert(lane.rec_actions.end(), lane.action.begin(), lane.action.end());
      lane.rec_feedback.insert(lane.rec_feedback.end(), r.feedback.begin(), r.feedback.end());
    }
    if (!r.done) return;

    // The session ended: account it, then maybe start the user's next session today.
    lane.live = false;
    UserDay& ud = lane.user_day;
    ud.sessions += 1;
    ud.steps += o.length;
    ud.play_time += o.play_time;
    ud.plays += o.plays;
    ud.positive_plays += o.positive_plays;
    ud.return_sum += o.discounted_return;
    lane.finished.push_back({o, std::move(lane.rec_states), std::move(lane.rec_actions),
                             std::move(lane.rec_feedback)});
    if (!lane.allow_return) return;
    const double p_return = sim_.return_probability(lane.session);
    const double u_return = lane.lane_rng.uniform();
    const double gap = lane.lane_rng.uniform(0.01, 0.1);  // days between sessions
    if (u_return < p_return) {
      const SessionStart next = Simulator::next_start(lane.session);
      const double start_time = o.start_time + o.play_time / 86400.0 + gap;
      begin_session(lane, next, mix_seed(lane.lane_seed, 1 + next.session_in_day), start_time);
    }
  }

  const Simulator& sim_;
  const MixedPolicy* mixture_ = nullptr;  // null: members_ is the one policy
  const std::vector<int>* member_of_user_ = nullptr;  // set: users' fixed members instead of turns
  std::vector<Policy*> members_;
  const RolloutOptions& options_;
  std::vector<Rng> policy_rngs_;  // one per block (one without blocks)
};

}  // namespace

RolloutResult run_sessions(const Simulator& sim, Policy& policy, const std::vector<SessionStart>& starts,
                           const std::vector<std::uint64_t>& seeds, const RolloutOptions& options) {
  if (starts.size() != seeds.size()) throw std::invalid_argument("run_sessions: starts and seeds differ in size");
  LockStep engine(sim, policy, options);
  std::vector<Lane> lanes(starts.size());
  for (std::size_t i = 0; i < starts.size(); ++i) {
    lanes[i].user = starts[i].user;
    engine.begin_session(lanes[i], starts[i], seeds[i], 0.0);
  }
  engine.run(lanes);
  RolloutResult result;
  result.log.state_dim = sim.state_dim();
  result.sessions.reserve(lanes.size());
  for (std::size_t i = 0; i < lanes.size(); ++i) {
    auto& f = lanes[i].finished.front();
    result.sessions.push_back(f.outcome);
    if (options.record)
      result.log.append_session(static_cast<std::int64_t>(i), f.outcome.user, f.outcome.day, f.outcome.length,
                                f.states.data(), f.actions.data(), f.feedback.data());
  }
  return result;
}

std::vector<SessionStart> random_starts(const Simulator& sim, int n, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<SessionStart> starts;
  starts.reserve(n);
  for (int i = 0; i < n; ++i) starts.push_back(sim.fresh_start(static_cast<int>(rng.below(sim.num_users()))));
  return starts;
}

std::vector<SessionStart> starts_from_log(const Simulator& sim, const SessionLog& log) {
  if (log.state_dim != sim.state_dim()) throw std::invalid_argument("starts_from_log: state_dim mismatch");
  std::vector<SessionStart> starts;
  starts.reserve(log.sessions.size());
  for (const auto& s : log.sessions) starts.push_back(sim.start_from_state(s.user, s.day, log.state(s.begin)));
  return starts;
}

ValueEstimate true_value(const Simulator& sim, Policy& policy, const std::vector<SessionStart>& starts,
                         std::uint64_t seed, const RolloutOptions& options, int repetitions, const ProcessGroup& group) {
  if (starts.empty() || repetitions < 1) throw std::invalid_argument("true_value: no rollouts");
  if (options.blocks < 1) throw std::invalid_argument("true_value: RolloutOptions::blocks must be at least 1");
  const std::ptrdiff_t total = static_cast<std::ptrdiff_t>(starts.size()) * repetitions, blocks = options.blocks;
  RolloutOptions opts = options;
  opts.record = false;
  // This rank's blocks and their rollouts: rollout i = j·R + r, seeded by its index alone.
  const Range mine = group.owned(blocks);
  LockStep engine(sim, policy, opts);
  engine.set_blocks(mine.begin, mine.size());
  // This rank's blocks are contiguous, so its rollouts are one contiguous range: lane k runs rollout my_first + k.
  const bool any = mine.size() > 0;  // a rank may own no block (fewer blocks than processes)
  const std::ptrdiff_t my_first = any ? split_range(total, blocks, mine.begin).begin : 0;
  const std::ptrdiff_t my_end = any ? split_range(total, blocks, mine.end - 1).end : 0;
  std::vector<Lane> lanes(std::size_t(my_end - my_first));
  for (std::ptrdiff_t b = mine.begin; b < mine.end; ++b) {
    const Range rollouts = split_range(total, blocks, b);
    for (std::ptrdiff_t i = rollouts.begin; i < rollouts.end; ++i) {
      Lane& lane = lanes[std::size_t(i - my_first)];
      const SessionStart& start = starts[std::size_t(i / repetitions)];
      lane.user = start.user;
      lane.block = static_cast<int>(b - mine.begin);
      engine.begin_session(lane, start, mix_seed(seed, std::uint64_t(i)), 0.0);
    }
  }
  engine.run(lanes);
  // Per rollout: discounted return, first reward, length — as bits, every rank then holding every row.
  constexpr std::ptrdiff_t kCols = 3;
  std::vector<double> rows(std::size_t(total * kCols));
  for (std::size_t k = 0; k < lanes.size(); ++k) {
    const SessionOutcome& o = lanes[k].finished.front().outcome;
    double* row = rows.data() + (my_first + std::ptrdiff_t(k)) * kCols;
    row[0] = o.discounted_return;
    row[1] = o.first_reward;
    row[2] = o.length;
  }
  group.allgather_rows(rows.data(), total, kCols, blocks);
  // The reduction in rollout order, the same on every rank and in one process.
  ValueEstimate v;
  const double n = static_cast<double>(total);
  v.per_rollout.reserve(std::size_t(total));
  double sum = 0, sum_sq = 0, first = 0, length = 0;
  for (std::ptrdiff_t i = 0; i < total; ++i) {
    const double* row = rows.data() + i * kCols;
    v.per_rollout.push_back(row[0]);
    sum += row[0];
    sum_sq += row[0] * row[0];
    first += row[1];
    length += row[2];
  }
  v.mean = sum / n;
  v.std_error = n > 1 ? std::sqrt(std::max(0.0, (sum_sq - n * v.mean * v.mean) / (n - 1)) / n) : 0.0;
  v.mean_first_reward = first / n;
  v.mean_length = length / n;
  return v;
}

ValueEstimate mixture_value(const std::vector<const ValueEstimate*>& members, const std::vector<double>& weights) {
  if (members.empty() || members.size() != weights.size())
    throw std::invalid_argument("mixture_value: one weight per member, at least one member");
  const std::size_t n = members.front()->per_rollout.size();
  for (const ValueEstimate* m : members)
    if (!m || m->per_rollout.size() != n || n == 0)
      throw std::invalid_argument("mixture_value: the members must be measured on the same (non-empty) rollouts");
  ValueEstimate v;
  v.per_rollout.assign(n, 0.0);
  for (std::size_t k = 0; k < members.size(); ++k) {
    for (std::size_t j = 0; j < n; ++j) v.per_rollout[j] += weights[k] * members[k]->per_rollout[j];
    v.mean_first_reward += weights[k] * members[k]->mean_first_reward;
    v.mean_length += weights[k] * members[k]->mean_length;
  }
  double sum = 0, sum_sq = 0;
  for (double g : v.per_rollout) sum += g, sum_sq += g * g;
  const double count = static_cast<double>(n);
  v.mean = sum / count;
  v.std_error = n > 1 ? std::sqrt(std::max(0.0, (sum_sq - count * v.mean * v.mean) / (count - 1)) / count) : 0.0;
  return v;
}

namespace {
RolloutResult run_days(const Simulator& sim, LockStep& engine, const DaysOptions& days, const RolloutOptions& options,
                       UserHistories* histories) {
  std::vector<int> users = days.users;
  if (users.empty()) {
    users.resize(sim.num_users());
    std::iota(users.begin(), users.end(), 0);
  }
  UserHistories local;
  UserHistories& hist = histories ? *histories : local;
  if (hist.history.size() < static_cast<std::size_t>(sim.num_users())) hist.history.resize(sim.num_users());

  RolloutResult result;
  result.log.state_dim = sim.state_dim();
  std::int64_t next_id = days.first_session_id;
  for (int d = days.first_day; d < days.first_day + days.days; ++d) {
    std::vector<Lane> lanes(users.size());
    for (std::size_t i = 0; i < users.size(); ++i) {
      Lane& lane = lanes[i];
      lane.user = users[i];
      lane.day = d;
      lane.allow_return = true;
      lane.lane_seed = mix_seed(mix_seed(days.seed, static_cast<std::uint64_t>(d)), static_cast<std::uint64_t>(users[i]));
      lane.lane_rng = Rng(mix_seed(lane.lane_seed, 0));
      lane.user_day.user = users[i];
      lane.user_day.day = d;
      SessionStart start = sim.fresh_start(users[i], d, 0);
      start.history = hist.history[users[i]];
      const double start_time = d + lane.lane_rng.uniform(0.0, 0.5);
      engine.begin_session(lane, start, mix_seed(lane.lane_seed, 1), start_time);
    }
    engine.run(lanes);

    // Collect the day's sessions in time order and number them.
    struct Ref {
      double time;
      int user;
      std::size_t lane, k;
    };
    std::vector<Ref> order;
    for (std::size_t i = 0; i < lanes.size(); ++i) {
      hist.history[lanes[i].user] = lanes[i].session.history;
      result.user_days.push_back(lanes[i].user_day);
      for (std::size_t k = 0; k < lanes[i].finished.size(); ++k)
        order.push_back({lanes[i].finished[k].outcome.start_time, lanes[i].user, i, k});
    }
    std::sort(order.begin(), order.end(), [](const Ref& a, const Ref& b) {
      return a.time != b.time ? a.time < b.time : a.user < b.user;
    });
    for (const Ref& ref : order) {
      auto& f = lanes[ref.lane].finished[ref.k];
      result.sessions.push_back(f.outcome);
      if (options.record)
        result.log.append_session(next_id, f.outcome.user, f.outcome.day, f.outcome.length, f.states.data(),
                                  f.actions.data(), f.feedback.data());
      ++next_id;
    }
  }
  return result;
}

}  // namespace

RolloutResult simulate_days(const Simulator& sim, const MixedPolicy& behaviour, const DaysOptions& days,
                            const RolloutOptions& options, UserHistories* histories) {
  LockStep engine(sim, behaviour, options);
  if (!days.member_of_user.empty()) {
    if (days.member_of_user.size() < static_cast<std::size_t>(sim.num_users()))
      throw std::invalid_argument("simulate_days: member_of_user needs one entry per user of the population");
    for (int m : days.member_of_user)
      if (m < 0 || m >= static_cast<int>(behaviour.members().size()))
        throw std::invalid_argument("simulate_days: member_of_user names a member the mixture does not have");
    engine.set_member_of_user(&days.member_of_user);
  }
  return run_days(sim, engine, days, options, histories);
}

SessionLog simulate_sessions(const Simulator& sim, const MixedPolicy& behaviour, std::int64_t sessions,
                             DaysOptions days, const RolloutOptions& options) {
  if (sessions < 1) throw std::invalid_argument("simulate_sessions: need at least one session");
  RolloutOptions recording = options;
  recording.record = true;
  SessionLog log;
  log.state_dim = sim.state_dim();
  UserHistories histories;
  const int first_day = days.first_day;
  for (int day = first_day; static_cast<std::int64_t>(log.sessions.size()) < sessions; ++day) {
    if (day - first_day >= 100000) throw std::runtime_error("simulate_sessions: 100,000 days give too few sessions");
    days.first_day = day;
    days.days = 1;
    days.first_session_id = static_cast<std::int64_t>(log.sessions.size());
    log.append(simulate_days(sim, behaviour, days, recording, &histories).log);
  }
  log.keep_first_sessions(static_cast<std::size_t>(sessions));
  return log;
}

RolloutResult simulate_days(const Simulator& sim, Policy& policy, const DaysOptions& days,
                            const RolloutOptions& options, UserHistories* histories) {
  LockStep engine(sim, policy, options);
  return run_days(sim, engine, days, options, histories);
}

}  // namespace mtf::sim
