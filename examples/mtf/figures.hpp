// examples/mtf/figures.hpp — what more than one report command (mtf baselines, mtf experiment) writes:
// the paper's Figure 5 (the critics' Q during training) and Figures 6–7 (action distributions of policies
// beside their logged data), each a TSV of the plotted numbers plus a gnuplot script (plot.hpp renders
// it), and the paired comparison of two policies' true values.
#pragma once
#include <array>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/tensor.hpp"
#include "rl/sim/rollout.hpp"
#include "rl/sim/simulator.hpp"
#include "rl/sim/stats.hpp"

namespace mtf::cli {

/// The four action dimensions of Figures 6 and 7 (the paper's play time, play finish, exit rate and
/// positive-behaviour rate): indices of sim::Task.
constexpr std::array<int, 4> kFigureActionDims = {sim::kPlayTime, sim::kFinishRate, sim::kPositiveRate, sim::kExitRate};
constexpr double kEdge = 0.95;  // |a| at or above this counts as "on the edge of the box"

struct PolicyActions {
  std::string name;
  MatrixR<float> actions;  // (n, A)
};

/// Share of the action entries (all A dimensions) with |a| >= kEdge.
double edge_share(const MatrixR<float>& a);

/// Per bin centre over [-1, 1], the density of each policy's actions in each of the four dimensions.
std::string action_histogram_tsv(const std::vector<PolicyActions>& policies);
/// A 2 × 2 panel of those densities; `title` heads the figure.
std::string action_figure_script(const std::string& tsv, const std::vector<PolicyActions>& policies,
                                 const std::string& title, const std::string& png);

/// Per learner: iteration -> (mean, std) of the critic's Q on the minibatch, as the trainer logs them.
using QCurves = std::map<std::string, std::map<long long, std::pair<double, double>>>;
/// Reads q1_mean / q1_std of a trainer's metrics file (JSON Lines) into curves[name] (empty if none).
void read_q_curve(const std::string& metrics_path, const std::string& name, QCurves& curves);
/// Iteration, then (mean, std) per learner of `names` (NaN when a learner logged nothing there).
std::string q_curves_tsv(const QCurves& q, const std::vector<std::string>& names);
std::string q_figure_script(const std::string& tsv, const std::vector<std::string>& names, const std::string& png);

/// Two true values measured on the same starts and seeds, compared rollout by rollout (relative
/// difference of the means, paired 95 % interval, p-value).
sim::PairedComparison paired_truth(const sim::ValueEstimate& arm, const sim::ValueEstimate& base);
/// {"relative", "ci95": [low, high], "p_value"}.
nlohmann::json comparison_json(const sim::PairedComparison& c);

}  // namespace mtf::cli
