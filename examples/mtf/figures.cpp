// examples/mtf/figures.cpp — see figures.hpp.
#include "figures.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "plot.hpp"

namespace mtf::cli {

namespace {
constexpr int kBins = 40;  // histogram bins over [-1, 1]
}  // namespace

double edge_share(const MatrixR<float>& a) {
  return double((a.array().abs() >= float(kEdge)).count()) / double(std::max<Index>(1, a.size()));
}

std::string action_histogram_tsv(const std::vector<PolicyActions>& policies) {
  std::string tsv = "# bin_centre";
  for (int d : kFigureActionDims)
    for (const PolicyActions& p : policies) tsv += "\t" + std::string(sim::kTaskNames[std::size_t(d)]) + ":" + p.name;
  tsv += "\n";
  std::vector<std::vector<double>> density;  // [dim * P + p][bin]
  for (int d : kFigureActionDims)
    for (const PolicyActions& p : policies) {
      std::vector<double> h(kBins, 0.0);
      for (Index i = 0; i < p.actions.rows(); ++i) {
        const double x = std::clamp(double(p.actions(i, d)), -1.0, 1.0);
        h[std::size_t(std::min(kBins - 1, int((x + 1.0) / 2.0 * kBins)))] += 1.0;
      }
      for (double& v : h) v /= double(std::max<Index>(1, p.actions.rows())) * (2.0 / kBins);  // a density over [-1, 1]
      density.push_back(std::move(h));
    }
  char cell[64];
  for (int b = 0; b < kBins; ++b) {
    std::snprintf(cell, sizeof cell, "%.4f", -1.0 + (b + 0.5) * 2.0 / kBins);
    tsv += cell;
    for (const auto& h : density) {
      std::snprintf(cell, sizeof cell, "\t%.6f", h[std::size_t(b)]);
      tsv += cell;
    }
    tsv += "\n";
  }
  return tsv;
}

std::string action_figure_script(const std::string& tsv, const std::vector<PolicyActions>& policies,
                                 const std::string& title, const std::string& png) {
  const int P = int(policies.size());
  std::string s = "set terminal pngcairo noenhanced size 1400,900 font ',10'\nset output " + gnuplot_quoted(png) +
                  "\nset multiplot layout 2,2 title " + gnuplot_quoted(title) +
                  "\nset style data steps\nset grid\nset xrange [-1:1]\nset key top center\n";
  for (int k = 0; k < int(kFigureActionDims.size()); ++k) {
    s += "set title '" + std::string(sim::kTaskNames[std::size_t(kFigureActionDims[std::size_t(k)])]) +
         "'\nset xlabel 'action'\nset ylabel 'density'\nplot ";
    for (int p = 0; p < P; ++p) {
      s += (p ? ", " : "") + gnuplot_quoted(tsv) + " using 1:" + std::to_string(2 + k * P + p) + " title " +
           gnuplot_quoted(policies[std::size_t(p)].name) + " lw 2";
    }
    s += "\n";
  }
  return s + "unset multiplot\n";
}

void read_q_curve(const std::string& metrics_path, const std::string& name, QCurves& curves) {
  auto& curve = curves[name];  // a learner that reports no Q still gets its (empty) entry
  std::ifstream in(metrics_path);
  for (std::string line; std::getline(in, line);) {
    const nlohmann::json m = nlohmann::json::parse(line);
    if (m.contains("q1_mean") && m.contains("q1_std"))
      curve[m["iteration"].get<long long>()] = {m["q1_mean"].get<double>(), m["q1_std"].get<double>()};
  }
}

std::string q_curves_tsv(const QCurves& q, const std::vector<std::string>& names) {
  std::string tsv = "# iteration";
  for (const std::string& n : names) tsv += "\t" + n + ":q1_mean\t" + n + ":q1_std";
  tsv += "\n";
  std::map<long long, bool> iterations;
  for (const auto& [name, rows] : q)
    for (const auto& [it, v] : rows) iterations[it] = true;
  char cell[64];
  for (const auto& [it, unused] : iterations) {
    tsv += std::to_string(it);
    for (const std::string& n : names) {
      const auto row = q.at(n).find(it);
      if (row == q.at(n).end()) {
        tsv += "\tNaN\tNaN";
      } else {
        std::snprintf(cell, sizeof cell, "\t%.6g\t%.6g", row->second.first, row->second.second);
        tsv += cell;
      }
    }
    tsv += "\n";
  }
  return tsv;
}

std::string q_figure_script(const std::string& tsv, const std::vector<std::string>& names, const std::string& png) {
  std::string s = "set terminal pngcairo noenhanced size 1000,600 font ',11'\nset output " + gnuplot_quoted(png) +
                  "\nset title 'Figure 5: estimated Q during training (mean over the minibatch, band: +-1 std)'\n"
                  "set xlabel 'iteration'\nset ylabel 'Q1(s, a) on logged (s, a)'\nset grid\nset key outside right\n"
                  "set logscale y\nset format y '%g'\nset datafile missing 'NaN'\nplot ";
  // Q can be negative only before it has learned the scale of the rewards (which are positive here);
  // a log axis shows TD3's growth and the others' plateaus on one plot. Non-positive points are dropped.
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string m = std::to_string(2 + 2 * i), sd = std::to_string(3 + 2 * i), c = std::to_string(i + 1);
    s += (i ? ", " : "") + gnuplot_quoted(tsv) + " using 1:(($" + m + "-$" + sd + ")>0?($" + m + "-$" + sd + "):1e-3):($" +
         m + "+$" + sd + ") with filledcurves fs transparent solid 0.15 lc " + c + " notitle, " + gnuplot_quoted(tsv) +
         " using 1:" + m + " with lines lw 2 lc " + c + " title " + gnuplot_quoted(names[i]);
  }
  return s + "\n";
}

sim::PairedComparison paired_truth(const sim::ValueEstimate& arm, const sim::ValueEstimate& base) {
  const std::vector<double> ones(arm.per_rollout.size(), 1.0);  // returns are per rollout: every weight 1
  return sim::compare_paired(arm.per_rollout, ones, base.per_rollout, ones);
}

nlohmann::json comparison_json(const sim::PairedComparison& c) {
  return {{"relative", c.relative}, {"ci95", {c.ci_low, c.ci_high}}, {"p_value", c.p_value}};
}

}  // namespace mtf::cli
