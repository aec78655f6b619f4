// rl/sim/simulator.cpp — the session dynamics; the equations are in simulator.hpp and docs/simulator.md.
#include "rl/sim/simulator.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "rl/sim/fusion.hpp"

namespace mtf::sim {

namespace {

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

// A fast, approximately standard normal draw for the MTL noise: the Irwin–Hall sum of four 16-bit
// uniforms taken from one 64-bit output, centred and scaled to variance 1 (bounded at ±3.46). The MTL
// model draws 600 of these per step, where Box–Muller's log and sincos dominated the profile.
float fast_normal(Rng& rng) {
  const std::uint64_t bits = rng.next_u64();
  const float sum = static_cast<float>((bits & 0xFFFF) + ((bits >> 16) & 0xFFFF) + ((bits >> 32) & 0xFFFF) +
                                       (bits >> 48)) * (1.0f / 65536.0f);
  return (sum - 2.0f) * 1.7320508f;  // Var(sum of 4 U(0,1)) = 1/3
}

// Interaction biases b_x (like, share, comment, follow, collect): with ι_u ≈ ±1.3 they give KuaiRand-like
// rates per exposure (like ≈ 0.02, follow ≈ 0.001) for a population that is 40 % interactive.
constexpr int kNumInteractions = 5;
constexpr std::array<double, kNumInteractions> kInteractionBias = {-5.0, -7.0, -6.5, -8.0, -6.5};
constexpr std::array<int, kNumInteractions> kInteractionTask = {kLike, kShare, kComment, kFollow, kCollect};
constexpr std::array<int, kNumInteractions> kInteractionFeedback = {kFbLike, kFbShare, kFbComment, kFbFollow,
                                                                    kFbCollect};
constexpr double kSkipSeconds = 1.0;
const double kLogMedianDuration = std::log(30.0);  // mean time on a skipped video (U(0.5, 1.5) s)

// Everything about one (user, video, hidden state) the response and its expectation share.
struct Logits {
  double play, finish, negative, exit_base;
  std::array<double, kNumInteractions> interaction;
  double exit_played;  // extra exit logit when the video was played
  double length_match;
  double partial_cap;  // seconds a non-finishing viewer watches at most
  double repetition;
};

Logits logits_for(const User& u, const Video& v, double satisfaction, double fatigue, double repetition) {
  const double m = u.taste[v.topic];
  const double length_match = -std::fabs(v.log_duration - u.log_preferred_length);
  const double q = v.quality, cb = v.clickbait, ad = v.is_ad ? 1.0 : 0.0;
  Logits l;
  l.repetition = repetition;
  l.length_match = length_match;
  l.play = -0.6 + 0.8 * m + 2.2 * u.clickbait_susceptibility * cb + 0.5 * satisfaction - 0.5 * fatigue -
           0.7 * repetition + 0.25 * length_match - 0.5 * ad;
  l.finish = 0.8 + 2.0 * (q - 0.5) + 1.2 * length_match + 0.4 * m + 0.3 * satisfaction - 0.3 * fatigue;
  for (int x = 0; x < kNumInteractions; ++x)
    l.interaction[x] = kInteractionBias[x] + u.interactivity + 1.5 * (q - 0.5) + 0.5 * m +
                       0.7 * v.interactiveness + 0.3 * satisfaction - cb;
  l.negative = -4.5 + 3.0 * cb * (1.0 - q) + 0.8 * fatigue - 0.5 * m + 0.8 * ad;
  l.exit_base = u.patience + 0.8 * fatigue - satisfaction;
  l.exit_played = cb + 0.3 * (v.log_duration - kLogMedianDuration);  // long videos: more time to leave
  l.partial_cap = std::min<double>(v.duration, u.preferred_length * (0.6 + q + 0.8 * cb));  // the hook holds
  return l;
}

}  // namespace

Simulator::Simulator(const SimConfig& config) : Simulator(config, make_population(config)) {}

Simulator::Simulator(const SimConfig& config, Population population)
    : config_(config), population_(std::move(population)) {
  config_.validate();
  if (population_.users.empty()) throw std::invalid_argument("Simulator: empty population");
  if (static_cast<int>(population_.videos.size()) < config_.num_candidates)
    throw std::invalid_argument("Simulator: fewer videos than candidates per request");
  build_model_view();
}

// The MTL model's view of each user: every personal trait moved a fraction `mtl_shrinkage` of the way
// toward the population mean — the model under-personalizes, as real multi-task models do for traits
// they see only through sparse history. Fusion weights that depend on the user can correct this, which
// is one of the reasons personalized MTF pays.
void Simulator::build_model_view() {
  const double lambda = config_.mtl_shrinkage;
  const auto& users = population_.users;
  double log_len = 0, inter = 0, sus = 0, patience = 0;
  for (const User& u : users) {
    log_len += u.log_preferred_length;
    inter += u.interactivity;
    sus += u.clickbait_susceptibility;
    patience += u.patience;
  }
  const double n = static_cast<double>(users.size());
  log_len /= n, inter /= n, sus /= n, patience /= n;
  auto shrink = [lambda](double value, double mean) { return static_cast<float>(value + lambda * (mean - value)); };
  model_view_ = users;
  for (User& u : model_view_) {
    u.log_preferred_length = shrink(u.log_preferred_length, log_len);
    u.preferred_length = std::exp(u.log_preferred_length);
    u.interactivity = shrink(u.interactivity, inter);
    u.clickbait_susceptibility = shrink(u.clickbait_susceptibility, sus);
    u.patience = shrink(u.patience, patience);
    for (float& t : u.taste) t = shrink(t, 0.0);
  }
}

SessionStart Simulator::fresh_start(int user, int day, int session_in_day) const {
  if (user < 0 || user >= num_users()) throw std::out_of_range("Simulator: user id out of range");
  SessionStart s;
  s.user = user;
  s.day = day;
  s.session_in_day = session_in_day;
  return s;
}

SessionStart Simulator::start_from_state(int user, int day, const float* state) const {
  SessionStart s = fresh_start(user, day, 0);
  std::copy(state + state_layout::kHistoryBegin, state + state_layout::kHistoryEnd, s.history.begin());
  s.session_in_day = static_cast<int>(std::lround(state[state_layout::kSession + 2] * 8.0f));
  return s;
}

Session Simulator::begin(const SessionStart& start, std::uint64_t seed) const {
  Session s;
  s.start = start;
  s.history = start.history;
  Rng root(seed);
  s.candidate_rng = root.split();
  s.noise_rng = root.split();
  s.response_rng = root.split();
  const User& u = population_.users.at(start.user);
  s.satisfaction = u.base_satisfaction + 0.2 * root.normal();
  s.fatigue = 0.0;
  s.topic_recency.assign(population_.num_topics, 0.0f);
  const int c = config_.num_candidates;
  s.candidates.resize(c);
  s.scores.resize(static_cast<std::size_t>(c) * kNumTasks);
  s.fused.resize(c);
  s.shown.resize(config_.top_l);
  return s;
}

void Simulator::observe(const Session& s, float* state) const {
  namespace L = state_layout;
  const User& u = population_.users[s.start.user];
  std::fill(state, state + config_.state_dim, 0.0f);
  std::copy(u.profile.begin(), u.profile.end(), state + L::kProfile);
  std::copy(s.history.begin(), s.history.end(), state + L::kHistoryBegin);
  float* pos = state + L::kSession;
  pos[0] = std::min(4.0f, s.step / 50.0f);
  pos[1] = static_cast<float>(std::log1p(s.step) / std::log(201.0));
  pos[2] = s.start.session_in_day / 8.0f;
  pos[3] = s.session_play_time / 600.0f;
  pos[4] = s.last_integrity;
  pos[5] = s.last_skip;
  std::copy(s.last_scores.begin(), s.last_scores.end(), state + L::kLastScores);
}

TrueResponse Simulator::true_response(const Session& s, const Video& v) const {
  return expected_response(population_.users[s.start.user], s, v);
}

TrueResponse Simulator::model_response(const Session& s, const Video& v) const {
  return expected_response(model_view_[s.start.user], s, v);
}

TrueResponse Simulator::expected_response(const User& u, const Session& s, const Video& v) const {
  const Logits l = logits_for(u, v, s.satisfaction, s.fatigue, s.topic_recency[v.topic]);
  const double p_play = sigmoid(l.play);
  const double p_finish = sigmoid(l.finish);
  TrueResponse r;
  auto& t = r.task;
  t[kPlayProb] = p_play;
  t[kSkipProb] = 1.0 - p_play;
  t[kFinishRate] = p_play * p_finish;
  const double watch_given_play = p_finish * v.duration + (1.0 - p_finish) * 0.45 * l.partial_cap;
  t[kPlayTime] = p_play * watch_given_play + (1.0 - p_play) * std::min<double>(kSkipSeconds, v.duration);
  double none = 1.0;
  for (int x = 0; x < kNumInteractions; ++x) {
    const double p = sigmoid(l.interaction[x]);
    t[kInteractionTask[x]] = p_play * p;
    none *= 1.0 - p;
  }
  t[kPositiveRate] = p_play * (1.0 - none);
  const double p_negative = sigmoid(l.negative);
  t[kNegative] = p_play * p_negative;
  t[kExitRate] = p_play * (p_negative * sigmoid(l.exit_base + l.exit_played + 1.5) +
                           (1.0 - p_negative) * sigmoid(l.exit_base + l.exit_played)) +
                 (1.0 - p_play) * sigmoid(l.exit_base + 0.5);
  return r;
}

void Simulator::draw_candidates(Session& s) const {
  const auto n = static_cast<std::uint64_t>(population_.videos.size());
  for (int& c : s.candidates) c = static_cast<int>(s.candidate_rng.below(n));
}

void Simulator::predict(Session& s) const {
  const float sigma = static_cast<float>(config_.mtl_logit_noise);
  const float sigma_t = static_cast<float>(config_.mtl_time_noise);
  for (int j = 0; j < config_.num_candidates; ++j) {
    const TrueResponse belief = model_response(s, population_.videos[s.candidates[j]]);
    float* o = s.scores.data() + static_cast<std::size_t>(j) * kNumTasks;
    for (int i = 0; i < kNumTasks; ++i) {
      const float eps = fast_normal(s.noise_rng);  // drawn for every task: a fixed count per step
      const float truth = static_cast<float>(belief.task[i]);
      if (i == kPlayTime) {
        o[i] = truth * std::exp(sigma_t * eps - 0.5f * sigma_t * sigma_t);
      } else {
        // σ(logit p + σ ε) computed on the odds, which needs no log: odds · e^{σε} / (1 + odds · e^{σε}).
        const float p = std::clamp(truth, 1e-6f, 1.0f - 1e-6f);
        const float odds = p / (1.0f - p) * std::exp(sigma * eps);
        o[i] = odds / (1.0f + odds);
      }
    }
  }
}

StepResult Simulator::step(Session& s, const float* action) const {
  prepare_request(s);
  return serve(s, action);
}

void Simulator::prepare_request(Session& s) const {
  if (s.done) throw std::logic_error("Simulator::prepare_request on a finished session");
  draw_candidates(s);
  predict(s);
}

StepResult Simulator::serve(Session& s, const float* action) const {
  if (s.done) throw std::logic_error("Simulator::serve on a finished session");
  const auto alpha = alpha_from_action(config_, action);
  rank_top_l(alpha, config_.beta, s.scores.data(), config_.num_candidates, config_.top_l, s.fused.data(),
             s.shown.data());

  const User& u = population_.users[s.start.user];
  StepResult result;
  std::array<float, kNumTasks> shown_scores{};
  bool exited = false;
  for (int r = 0; r < config_.top_l; ++r) {
    const Video& v = population_.videos[s.candidates[s.shown[r]]];
    const float* o = s.scores.data() + static_cast<std::size_t>(s.shown[r]) * kNumTasks;
    for (int i = 0; i < kNumTasks; ++i) shown_scores[i] += o[i] / config_.top_l;
    // A fixed number of uniforms per shown item, whatever happens (common random numbers).
    std::array<double, 11> uni;
    for (double& x : uni) x = s.response_rng.uniform();
    if (exited) continue;  // the user already left: the remaining items are not seen

    const double repetition = s.topic_recency[v.topic];
    const Logits l = logits_for(u, v, s.satisfaction, s.fatigue, repetition);
    const bool played = uni[0] < sigmoid(l.play);
    bool finished = false, negative = false, interacted = false;
    double watch = 0;
    if (played) {
      finished = uni[1] < sigmoid(l.finish);
      watch = finished ? v.duration : 0.9 * uni[2] * l.partial_cap;
      for (int x = 0; x < kNumInteractions; ++x) {
        const bool hit = uni[3 + x] < sigmoid(l.interaction[x]);
        result.feedback[kInteractionFeedback[x]] += hit ? 1.0f : 0.0f;
        interacted = interacted || hit;
      }
      negative = uni[8] < sigmoid(l.negative);
    } else {
      watch = std::min<double>(v.duration, 0.5 + uni[10]);
    }
    const double integrity = std::min(1.0, watch / v.duration);
    result.feedback[kFbPlayTime] += static_cast<float>(watch);
    result.feedback[kFbPlayIntegrity] += static_cast<float>(integrity);
    result.feedback[kFbPlay] += played ? 1.0f : 0.0f;
    result.feedback[kFbSkip] += played ? 0.0f : 1.0f;
    result.feedback[kFbNegative] += negative ? 1.0f : 0.0f;
    result.plays += played ? 1 : 0;
    result.positive_plays += (played && interacted) ? 1 : 0;

    // Leaving: the hazard uses the hidden state before this video's update plus what just happened.
    const double exit_logit = l.exit_base + (played ? l.exit_played : 0.5) +
                              (negative ? 1.5 : 0.0);
    exited = uni[9] < sigmoid(exit_logit);

    // Hidden dynamics.
    const double experience =
        (played ? 1.5 * (v.quality - 0.45) - 1.2 * v.clickbait + 0.6 * l.length_match + 0.3 * finished +
                      0.3 * interacted
                : 0.0) -
        (played ? 0.0 : 0.1) - (negative ? 0.8 : 0.0);
    s.satisfaction = 0.9 * s.satisfaction + 0.3 * experience;
    s.fatigue = 0.93 * s.fatigue + 0.06 + (played ? 0.3 * v.clickbait : 0.0) + 0.1 * repetition;
    for (float& t : s.topic_recency) t *= 0.7f;
    s.topic_recency[v.topic] += 1.0f;
  }

  // Observable summaries.
  namespace L = state_layout;
  const auto& fb = result.feedback;
  float* recent = s.history.data() + (L::kRecentFeedback - L::kHistoryBegin);
  float* recent_scores = s.history.data() + (L::kRecentScores - L::kHistoryBegin);
  float* long_run = s.history.data() + (L::kLongRun - L::kHistoryBegin);
  float& videos_seen = s.history[L::kVideosSeen - L::kHistoryBegin];
  const float scale = 1.0f / config_.top_l;
  for (int i = 0; i < kNumFeedback; ++i) {
    const float value = (i == kFbPlayTime ? fb[i] / 60.0f : fb[i]) * scale;
    recent[i] = 0.9f * recent[i] + 0.1f * value;
  }
  for (int i = 0; i < kNumTasks; ++i) {
    const float value = i == kPlayTime ? std::min(5.0f, shown_scores[i] / 60.0f) : shown_scores[i];
    recent_scores[i] = 0.9f * recent_scores[i] + 0.1f * value;
    s.last_scores[i] = value;
  }
  const float long_values[5] = {fb[kFbPlayTime] / 60.0f * scale, fb[kFbPlayIntegrity] * scale,
                                fb[kFbPlay] * scale, static_cast<float>(result.positive_plays) * scale,
                                fb[kFbSkip] * scale};
  for (int i = 0; i < 5; ++i) long_run[i] = 0.995f * long_run[i] + 0.005f * long_values[i];
  const float seen = std::expm1(videos_seen * 8.0f) + static_cast<float>(config_.top_l);
  videos_seen = static_cast<float>(std::log1p(seen) / 8.0);
  s.session_play_time += fb[kFbPlayTime];
  s.last_integrity = fb[kFbPlayIntegrity] * scale;
  s.last_skip = fb[kFbSkip] * scale;

  ++s.step;
  s.done = exited || s.step >= config_.max_session_steps;
  result.done = s.done;
  return result;
}

SessionStart Simulator::next_start(const Session& ended) {
  SessionStart next = ended.start;
  next.session_in_day += 1;
  next.history = ended.history;
  return next;
}

double Simulator::return_probability(const Session& ended) const {
  if (ended.start.session_in_day + 1 >= config_.max_sessions_per_day) return 0.0;
  const User& u = population_.users[ended.start.user];
  return sigmoid(u.activeness + 1.5 * ended.satisfaction - 0.5 * ended.fatigue -
                 0.3 * ended.start.session_in_day);
}

}  // namespace mtf::sim
