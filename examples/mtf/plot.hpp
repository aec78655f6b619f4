// examples/mtf/plot.hpp — the plotting step of the commands that draw figures (mtf loop, mtf baselines):
// a gnuplot script written beside the data and run by Debian's gnuplot (scripts/setup.sh installs
// gnuplot-nox), never part of the library. A PNG appears whole or not at all.
#pragma once
#include <functional>
#include <string>

namespace mtf::cli {

/// gnuplot's single-quoted string: a quote is written twice.
std::string gnuplot_quoted(const std::string& s);

/// Writes `script(png_path)` to gp_path (the script a user can rerun) and draws it: gnuplot is spawned
/// (no shell) on a copy whose output is a temporary, renamed to png_path when gnuplot succeeds. `script`
/// gets the PNG path to draw into (its "set output"). Returns png_path, or why there is no PNG (gnuplot
/// missing or failed) naming the script.
std::string render_gnuplot(const std::string& gp_path, const std::string& png_path,
                           const std::function<std::string(const std::string& png)>& script);

}  // namespace mtf::cli
