// examples/fit_mlp.cpp — the engine end to end on a synthetic regression task (the main example until
// the session simulator and BCQ land): an MLP learns y = sin(x . u) + 0.5 (x . v)^2 from noisy samples
// with Adam, and the program prints the measured training and held-out loss as it goes.
//
//   fit_mlp [--steps N] [--seed S] [--threads T]
#include <cmath>
#include <cstdio>
#include <string>

#include "engine/adam.hpp"
#include "engine/ops.hpp"
#include "engine/threads.hpp"
#include "examples/cli/options.hpp"
#include "nets/mlp.hpp"

using namespace mtf;

namespace {

struct Task {
  MatrixR<float> x, y;
};

Task make_task(Index n, Index dim, Rng& rng, const Eigen::VectorXf& u, const Eigen::VectorXf& v) {
  Task t{MatrixR<float>(n, dim), MatrixR<float>(n, 1)};
  for (Index i = 0; i < n; ++i) {
    for (Index j = 0; j < dim; ++j) t.x(i, j) = float(rng.normal());
    const float a = t.x.row(i).dot(u.transpose()), b = t.x.row(i).dot(v.transpose());
    t.y(i, 0) = std::sin(a) + 0.5f * b * b + 0.05f * float(rng.normal());
  }
  return t;
}

float evaluate(Mlp<float>& net, Tape<float>& tape, const Task& task) {
  tape.reset();
  NoGradScope<float> no_grad(tape);
  Var pred = net.forward(tape, tape.input(task.x));
  return tape.scalar(ops::mse(tape, pred, tape.input(task.y)));
}

}  // namespace

int main(int argc, char** argv) try {
  int steps = 3000;
  std::uint64_t seed = 7;
  CLI::App app("Fits an MLP (8 -> 64 -> 64 -> 1, ReLU) to y = sin(x.u) + 0.5 (x.v)^2 + noise with Adam (lr 1e-3,\n"
               "batch 128) and prints train / held-out MSE.",
               "fit_mlp");
  cli::add_integer(app, "--steps", steps, 1, 1 << 30, "Adam steps");
  cli::add_seed(app, "--seed", seed, "seed of the data and the initialization");
  cli::add_threads(app);
  if (const int status = cli::parse(app, argc, argv); status >= 0) return status;

  const Index dim = 8, batch = 128;
  Rng rng(seed);
  Eigen::VectorXf u(dim), v(dim);
  for (Index j = 0; j < dim; ++j) u(j) = float(rng.normal()) / std::sqrt(float(dim));
  for (Index j = 0; j < dim; ++j) v(j) = float(rng.normal()) / std::sqrt(float(dim));
  const Task train = make_task(8192, dim, rng, u, v);
  const Task test = make_task(2048, dim, rng, u, v);

  Mlp<float> net(MlpSpec{dim, {64, 64, 1}, Activation::Relu, Activation::Identity}, rng);
  Adam<float> adam(net.params().size(), AdamConfig{1e-3});
  Tape<float> tape;
  MatrixR<float> xb(batch, dim), yb(batch, 1);

  std::printf("fit_mlp: %lld parameters, %d threads, seed %llu\n",
              (long long)net.params().size(), num_threads(), (unsigned long long)seed);
  std::printf("%8s %12s %12s\n", "step", "train_mse", "test_mse");
  std::printf("%8d %12.5f %12.5f\n", 0, evaluate(net, tape, train), evaluate(net, tape, test));
  for (int step = 1; step <= steps; ++step) {
    for (Index i = 0; i < batch; ++i) {
      const Index r = Index(rng.below(std::uint64_t(train.x.rows())));
      xb.row(i) = train.x.row(r);
      yb.row(i) = train.y.row(r);
    }
    tape.reset();
    net.params().zero_grad();
    Var loss = ops::mse(tape, net.forward(tape, tape.input(xb)), tape.input(yb));
    tape.backward(loss);
    adam.step(net.params());
    if (step % (steps / 10 > 0 ? steps / 10 : 1) == 0)
      std::printf("%8d %12.5f %12.5f\n", step, evaluate(net, tape, train), evaluate(net, tape, test));
  }
  const float var_y = (test.y.array() - test.y.mean()).square().mean();
  std::printf("held-out variance of y: %.5f (a constant predictor's MSE)\n", var_y);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "fit_mlp: error: %s\n", e.what());
  return 1;
}
