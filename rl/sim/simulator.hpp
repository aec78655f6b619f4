// rl/sim/simulator.hpp — the synthetic short-video session environment (SPEC §5).
//
// One step = one request: C candidates are drawn from the catalogue, the imperfect MTL model predicts
// k = 12 scores for each, the policy's action sets the fusion weights α (fusion.hpp), the top-l items are
// shown and the user answers with raw feedback. Hidden satisfaction S and fatigue F evolve, and after
// each shown item the user may leave, which ends the session. The model (docs/simulator.md):
//
//   taste match m = θ_u[topic], length match λ = −|ln(d / L_u)|, repetition ρ = recent same-topic count
//   P(play)    = σ(−0.6 + 0.8 m + 2.2 κ_u cb + 0.5 S − 0.5 F − 0.7 ρ + 0.25 λ − 0.5 ad)
//   P(finish)  = σ(0.8 + 2 (q − ½) + 1.2 λ + 0.4 m + 0.3 S − 0.3 F)                    (given play)
//   watch      = d if finished, else U(0, 0.9) · min(d, L_u (0.6 + q + 0.8 cb))         (given play)
//   P(x)       = σ(b_x + ι_u + 1.5 (q − ½) + 0.5 m + 0.7 ι_v + 0.3 S − cb),  x ∈ like…collect (given play)
//   P(neg)     = σ(−4.5 + 3 cb (1 − q) + 0.8 F − 0.5 m + 0.8 ad)                          (given play)
//   P(exit)    = σ(π_u + 0.8 F − S + [played](cb + 0.3 ln(d/30)) + 0.5 [skipped] + 1.5 [negative])
//   S ← 0.9 S + 0.3 e,  e = [played](1.5 (q − 0.45) − 1.2 cb + 0.6 λ + 0.3 [finished] + 0.3 [interacted])
//                            − 0.1 [skipped] − 0.8 [negative]
//   F ← 0.93 F + 0.06 + 0.3 cb [played] + 0.1 ρ
// The MTL model predicts these expectations for an under-personalized view of the user (traits moved
// SimConfig::mtl_shrinkage of the way to the population mean) plus noise.
// Clickbait (high cb, low q) is attractive now — higher play probability, so higher instant reward — but
// lowers S, raises F and the exit hazard: the instant-greedy ranking shortens sessions.
//
// Randomness: each session owns three Rng streams (candidates, MTL noise, responses) split from its
// seed, and every step draws a fixed number of values from each whatever the policy does — so two
// policies run from the same seed see the same candidates and the same uniforms (common random numbers).
//
// Thread safety: the Simulator is immutable after construction; a Session is owned by one thread.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "engine/rng.hpp"
#include "rl/sim/config.hpp"
#include "rl/sim/population.hpp"

namespace mtf::sim {

/// Observable state layout (the first kNaturalStateDim entries; the rest of S is zero):
///   [0, 18)  profile (population.hpp)
///   [18, 28) recent feedback, exponentially weighted (decay 0.9 per video, carried across sessions):
///            play_time/60, play_integrity, play, like, share, comment, follow, collect, skip, negative
///   [28, 40) recent predicted scores of the shown videos (same weighting; play_time/60)
///   [40, 45) long-run averages (decay 0.995, ≈ the last 200 videos): play_time/60, play_integrity,
///            play, any positive interaction, skip
///   [45]     log1p(videos seen)/8
///   [46, 52) session position: step/50, log1p(step)/log(201), session index in the day/8,
///            session play time/600, last play_integrity, last skip
///   [52, 64) the last shown video's predicted scores (play_time/60)
namespace state_layout {
constexpr int kProfile = 0;
constexpr int kRecentFeedback = 18;
constexpr int kRecentScores = 28;
constexpr int kLongRun = 40;
constexpr int kVideosSeen = 45;
constexpr int kSession = 46;
constexpr int kLastScores = 52;
constexpr int kHistoryBegin = kRecentFeedback;  // [18, 46) is carried from session to session
constexpr int kHistoryEnd = kSession;
}  // namespace state_layout

/// What a session starts from: who, when, and the observable history summary [18, 46) of the state.
struct SessionStart {
  int user = 0;
  int day = 0;
  int session_in_day = 0;
  std::array<float, state_layout::kHistoryEnd - state_layout::kHistoryBegin> history{};
};

/// The true expected responses to one candidate (what the MTL model estimates with noise).
struct TrueResponse {
  std::array<double, kNumTasks> task{};  // the k = 12 task values, indexed by Task
};

/// A running session: hidden variables, observable summaries, RNG streams and step scratch.
struct Session {
  SessionStart start;
  int step = 0;
  bool done = false;
  // Hidden.
  double satisfaction = 0;
  double fatigue = 0;
  std::vector<float> topic_recency;
  // Observable summaries.
  std::array<float, state_layout::kHistoryEnd - state_layout::kHistoryBegin> history{};
  float session_play_time = 0, last_integrity = 0, last_skip = 0;
  std::array<float, kNumTasks> last_scores{};
  // Streams.
  Rng candidate_rng, noise_rng, response_rng;
  // Scratch of the last step (kept for inspection and tests): candidate ids, their predicted scores
  // (C x k row-major), their true responses, fused scores and the shown positions.
  std::vector<int> candidates;
  std::vector<float> scores;
  std::vector<double> fused;
  std::vector<int> shown;
};

/// The outcome of one step.
struct StepResult {
  std::array<float, kNumFeedback> feedback{};  // summed over the shown items
  bool done = false;                           // the user left (or the step cap was reached)
  int positive_plays = 0;                      // shown items played with ≥ 1 positive interaction
  int plays = 0;
};

class Simulator {
 public:
  explicit Simulator(const SimConfig& config);
  Simulator(const SimConfig& config, Population population);

  const SimConfig& config() const { return config_; }
  const Population& population() const { return population_; }
  int state_dim() const { return config_.state_dim; }
  int num_users() const { return static_cast<int>(population_.users.size()); }

  /// A fresh start for user `user` with an empty history.
  SessionStart fresh_start(int user, int day = 0, int session_in_day = 0) const;
  /// The start a logged initial state describes (its history block and session index are read back).
  SessionStart start_from_state(int user, int day, const float* state) const;

  /// Begins a session; all of its randomness derives from `seed`.
  Session begin(const SessionStart& start, std::uint64_t seed) const;
  /// Writes the observable state (state_dim floats).
  void observe(const Session& session, float* state) const;
  /// One request: rank with the action's α, show top-l, sample feedback, evolve hidden state.
  StepResult step(Session& session, const float* action) const;
  /// step() in two halves, so a caller can look at the request (session.candidates, session.scores)
  /// before serving it: prepare_request draws candidates and predictions, serve ranks and responds.
  void prepare_request(Session& session) const;
  StepResult serve(Session& session, const float* action) const;

  /// The history block to carry into the user's next session.
  static SessionStart next_start(const Session& ended);
  /// Probability that the user returns for another session today, given how the session ended.
  double return_probability(const Session& ended) const;

  /// True expected responses of the session's user to one video at the current hidden state.
  TrueResponse true_response(const Session& session, const Video& video) const;
  /// What the MTL model believes before its noise: the same model for its under-personalized view of
  /// the user (SimConfig::mtl_shrinkage). The predicted scores are this plus noise.
  TrueResponse model_response(const Session& session, const Video& video) const;

 private:
  TrueResponse expected_response(const User& user, const Session& session, const Video& video) const;
  void build_model_view();
  void draw_candidates(Session& session) const;
  void predict(Session& session) const;

  SimConfig config_;
  Population population_;
  std::vector<User> model_view_;  // the MTL model's shrunk view of each user
};

/// Segment (0..3) of the user whose state this is (reads the profile part of the state only).
inline int segment_from_state(const float* state) { return segment_from_profile(state + state_layout::kProfile); }

}  // namespace mtf::sim
