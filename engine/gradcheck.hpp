// engine/gradcheck.hpp — finite-difference gradient checker, in double.
//
// For an op (or any composite) y = f(x_1..x_n; theta), the checker draws a random upstream gradient G
// and checks the gradient of L = sum(G * y) computed by backward() against central differences
// (L(x + e) - L(x - e)) / 2e, for every element of every differentiable input and, optionally, of a
// Parameters buffer (layer weights).
//
// Like dlib's test_layer, it pre-fills every input and parameter gradient with noise before backward
// and subtracts the noise afterwards, so a backward that ASSIGNS instead of ADDING is caught as surely as
// a wrong derivative. An element fails when its error exceeds BOTH the absolute tolerance and the
// relative tolerance times the numeric derivative's magnitude.
#pragma once
#include <cmath>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "engine/parameters.hpp"
#include "engine/rng.hpp"
#include "engine/tape.hpp"

namespace mtf {

struct GradCheckOptions {
  double step = 1e-6;   // finite-difference half step
  double rtol = 1e-6;   // relative tolerance
  double atol = 1e-8;   // absolute tolerance
  std::uint64_t seed = 12345;
};

struct GradCheckResult {
  bool ok = true;
  long long checked = 0;       // elements compared
  long long failures = 0;
  double max_abs_error = 0;
  double max_rel_error = 0;    // |analytic - numeric| / max(|numeric|, tiny)
  std::string first_failure;   // "input 1 [2,3]: analytic 0.5 numeric 0.25"
};

namespace detail {
template <class Build>
double weighted_output(Tape<double>& tape, const std::vector<MatrixR<double>>& inputs, Build& build,
                       const MatrixR<double>& upstream) {
  tape.reset();
  NoGradScope<double> no_grad(tape);
  std::vector<Var> vars;
  for (const auto& x : inputs) vars.push_back(tape.input(x));
  const Var out = build(tape, vars);
  return (tape.value(out).array() * upstream.array()).sum();
}
}  // namespace detail

/// build(Tape<double>&, const std::vector<Var>& inputs) -> Var records the computation under test.
/// differentiable[i] says whether input i gets a gradient (constants such as masks and noise do not).
/// params, if non-null, is the Parameters buffer the computation reads; its gradients are checked too.
template <class Build>
GradCheckResult check_gradients(std::vector<MatrixR<double>> inputs,
                                const std::vector<bool>& differentiable, Parameters<double>* params,
                                Build build, GradCheckOptions opt = {}) {
  Rng rng(opt.seed);
  Tape<double> tape;
  GradCheckResult result;

  // Analytic gradients, with pre-filled noise in every gradient buffer.
  std::vector<Var> vars;
  for (std::size_t i = 0; i < inputs.size(); ++i) vars.push_back(tape.input(inputs[i], differentiable[i]));
  const Var out = build(tape, vars);
  MatrixR<double> upstream(tape.rows(out), tape.cols(out));
  for (Index k = 0; k < upstream.size(); ++k) upstream.data()[k] = rng.normal();

  std::vector<MatrixR<double>> noise(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!differentiable[i]) continue;
    noise[i].resize(inputs[i].rows(), inputs[i].cols());
    for (Index k = 0; k < noise[i].size(); ++k) noise[i].data()[k] = rng.normal();
    tape.grad(vars[i]) = noise[i];
  }
  std::vector<double> param_noise;
  if (params) {
    param_noise.resize(params->size());
    for (auto& v : param_noise) v = rng.normal();
    std::copy(param_noise.begin(), param_noise.end(), params->grads());
  }
  tape.grad(out) += upstream;
  tape.backward_from(out);

  auto compare = [&](double analytic, double numeric, const std::string& where) {
    const double err = std::abs(analytic - numeric);
    const double rel = err / std::max(std::abs(numeric), 1e-300);
    ++result.checked;
    result.max_abs_error = std::max(result.max_abs_error, err);
    if (err > opt.atol) result.max_rel_error = std::max(result.max_rel_error, rel);
    if (err > opt.atol && err > opt.rtol * std::abs(numeric)) {
      if (result.failures++ == 0) {
        std::ostringstream s;
        s.precision(10);
        s << where << ": analytic " << analytic << " numeric " << numeric;
        result.first_failure = s.str();
      }
      result.ok = false;
    }
  };

  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!differentiable[i]) continue;
    const MatrixR<double> analytic = tape.grad(vars[i]) - noise[i];
    for (Index r = 0; r < inputs[i].rows(); ++r) {
      for (Index c = 0; c < inputs[i].cols(); ++c) {
        Tape<double> probe;
        const double x0 = inputs[i](r, c);
        inputs[i](r, c) = x0 + opt.step;
        const double up = detail::weighted_output(probe, inputs, build, upstream);
        inputs[i](r, c) = x0 - opt.step;
        const double down = detail::weighted_output(probe, inputs, build, upstream);
        inputs[i](r, c) = x0;
        compare(analytic(r, c), (up - down) / (2 * opt.step),
                "input " + std::to_string(i) + " [" + std::to_string(r) + "," + std::to_string(c) + "]");
      }
    }
  }
  if (params) {
    std::vector<double> analytic(params->size());
    for (std::size_t k = 0; k < analytic.size(); ++k) analytic[k] = params->grads()[k] - param_noise[k];
    Tape<double> probe;
    for (std::size_t k = 0; k < analytic.size(); ++k) {
      double& p = params->values()[k];
      const double p0 = p;
      p = p0 + opt.step;
      const double up = detail::weighted_output(probe, inputs, build, upstream);
      p = p0 - opt.step;
      const double down = detail::weighted_output(probe, inputs, build, upstream);
      p = p0;
      compare(analytic[k], (up - down) / (2 * opt.step), "parameter " + std::to_string(k));
    }
  }
  return result;
}

}  // namespace mtf
