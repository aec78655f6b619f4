// rl/sim/config.hpp — the simulator's names, dimensions and configuration.
//
// Everything a user may want to change about the synthetic short-video environment lives in SimConfig:
// the candidate count C, the state dimension S, the action → α bounds, the fusion biases β, the noise of
// the imperfect multi-task ("MTL") model, the population source and its size. The dynamics' own
// coefficients are in simulator.cpp beside the equations they belong to (docs/simulator.md lists them).
//
// A SimConfig round-trips through JSON; an unknown key is an error naming it.
#pragma once
#include <array>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "rl/data/schema.hpp"

namespace mtf::sim {

/// The k = 12 tasks of the multi-task model, i.e. the predicted scores o_i that fusion combines.
enum Task : int {
  kPlayProb = 0,      // P(user plays the video rather than skipping it)
  kPlayTime = 1,      // expected play time in seconds (a positive number, not a probability)
  kFinishRate = 2,    // P(user watches to the end)
  kSkipProb = 3,      // P(skip) = 1 − play probability (a "bad" task)
  kLike = 4,          // P(like)
  kShare = 5,         // P(share)
  kComment = 6,       // P(comment)
  kFollow = 7,        // P(follow the author)
  kCollect = 8,       // P(collect / save)
  kPositiveRate = 9,  // P(at least one positive interaction: like, share, comment, follow or collect)
  kExitRate = 10,     // P(the user leaves the app right after this video) (a "bad" task)
  kNegative = 11,     // P(negative feedback, "not interested") (a "bad" task)
};
constexpr int kNumTasks = 12;
extern const std::array<const char*, kNumTasks> kTaskNames;

/// The action has one dimension per task (rl/data/schema.hpp's kActionDim).
static_assert(kNumTasks == kActionDim, "one fusion weight per task");

/// Length of the meaningful part of the observable state; S may be larger (zero padded), never smaller.
constexpr int kNaturalStateDim = 64;

enum class PopulationSource { kParametric, kKuaiRand };

struct SimConfig {
  // Requests and ranking.
  int num_candidates = 50;  // C candidates per request
  int top_l = 1;            // items shown per request (the step's feedback sums over them)
  int state_dim = 64;       // S (≥ kNaturalStateDim; extra dimensions are zero)
  int max_session_steps = 200;  // hard cap; a session reaching it ends with done = true
  int max_sessions_per_day = 8;

  // Action a ∈ [−1, 1]^12 → α_i = lo_i + (a_i + 1)/2 · (hi_i − lo_i). "Good" tasks get α ∈ [0, 1];
  // the three "bad" tasks (skip, exit, negative feedback) get α ∈ [−1, 0] so a high predicted exit rate
  // can only lower a score. a = 0 is the neutral mid point (every |α_i| = 0.5).
  std::array<double, kNumTasks> alpha_low{0, 0, 0, -1, 0, 0, 0, 0, 0, 0, -1, -1};
  std::array<double, kNumTasks> alpha_high{1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 0};
  // Fusion biases β_i of f(o|α) = Σ α_i log(o_i + β_i), roughly a tenth of each task's typical value
  // so that log() does not blow up the differences between tiny probabilities.
  std::array<double, kNumTasks> beta{0.05, 1.0, 0.05, 0.05, 0.005, 0.001, 0.001, 0.0005,
                                     0.001, 0.005, 0.005, 0.005};

  // The imperfect MTL model: o = σ(logit p + N(0, σ²)) for probabilities, o = t·exp(N(0, σ_t²) − σ_t²/2)
  // for the expected play time t.
  double mtl_logit_noise = 0.6;
  double mtl_time_noise = 0.5;
  // The MTL model under-personalizes: it predicts for a user whose traits (preferred length,
  // interactivity, clickbait susceptibility, patience, topic tastes) are moved this fraction of the way
  // to the population mean. 0 = fully personalized predictions.
  double mtl_shrinkage = 0.7;

  // Population.
  PopulationSource population = PopulationSource::kParametric;
  std::string kuairand_dir;       // folder with user_features_pure.csv and video_features_basic_pure.csv
  int num_users = 2000;           // parametric population size (KuaiRand: all 27,285 users unless smaller)
  int num_videos = 5000;          // parametric catalogue size (KuaiRand: all 7,583 videos)
  int num_topics = 20;            // parametric topics (KuaiRand: distinct first tags)
  double clickbait_share = 0.2;   // share of attractive-but-poor videos
  std::uint64_t population_seed = 20240601;

  /// Throws std::invalid_argument naming the offending key or value.
  void validate() const;
};

nlohmann::json to_json(const SimConfig& config);
/// Strict: unknown keys and wrongly typed values throw std::invalid_argument naming the key.
/// `source` (a file name) starts every message. Integers must be JSON integers within their field's
/// range; arrays must have one number per task.
SimConfig sim_config_from_json(const nlohmann::json& j, const std::string& source = "SimConfig");

}  // namespace mtf::sim
