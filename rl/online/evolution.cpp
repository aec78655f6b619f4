// rl/online/evolution.cpp — see evolution.hpp.
#include "rl/online/evolution.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <stdexcept>

namespace mtf::online {

void EsConfig::check(const ConfigReader& r) const {
  if (optimizer != "adam" && optimizer != "sgd") r.fail("optimizer", "expected adam or sgd, got \"" + optimizer + "\"");
  if (shaping != "centered_ranks" && shaping != "none")
    r.fail("shaping", "expected centered_ranks or none, got \"" + shaping + "\"");
}

std::vector<double> centered_ranks(const std::vector<double>& x) {
  const std::size_t n = x.size();
  std::vector<double> u(n, 0.0);
  if (n < 2) return u;
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t(0));
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return x[a] < x[b]; });
  for (std::size_t rank = 0; rank < n; ++rank) u[order[rank]] = double(rank) / double(n - 1) - 0.5;
  return u;
}

VectorXd es_gradient(const std::vector<VectorXd>& noise, const std::vector<double>& fitness, double sigma,
                     const std::string& shaping) {
  const std::size_t pairs = noise.size();
  if (pairs == 0 || fitness.size() != 2 * pairs)
    throw std::invalid_argument("es_gradient: need two fitnesses (+ and −) per noise vector");
  const std::vector<double> u = shaping == "none" ? fitness : centered_ranks(fitness);
  VectorXd g = VectorXd::Zero(noise.front().size());
  for (std::size_t i = 0; i < pairs; ++i) g += (u[2 * i] - u[2 * i + 1]) * noise[i];
  return g / (2.0 * double(pairs) * sigma);
}

NaturalEvolution::NaturalEvolution(const VectorXd& theta0, const EsConfig& config, std::uint64_t seed)
    : config_(config), rng_(mix_seed(seed, "evolution noise")), theta_(theta0),
      gradient_(VectorXd::Zero(theta0.size())) {
  if (theta0.size() < 1) throw std::invalid_argument("NaturalEvolution: empty parameter vector");
  adam_view_.add("theta", 1, theta0.size());
  adam_ = Adam<double>(adam_view_.size(), AdamConfig{config.lr});
}

const std::vector<VectorXd>& NaturalEvolution::ask() {
  if (asked_) return candidates_;
  const Eigen::Index n = theta_.size();
  noise_.assign(std::size_t(config_.pairs), VectorXd(n));
  candidates_.clear();
  for (VectorXd& e : noise_) {
    for (Eigen::Index k = 0; k < n; ++k) e(k) = rng_.normal();
    candidates_.push_back(theta_ + config_.sigma * e);
    candidates_.push_back(theta_ - config_.sigma * e);
  }
  asked_ = true;
  return candidates_;
}

void NaturalEvolution::tell(const std::vector<double>& fitness) {
  if (!asked_) throw std::logic_error("NaturalEvolution::tell without ask");
  for (double f : fitness)
    if (!std::isfinite(f)) throw std::invalid_argument("NaturalEvolution::tell: a fitness is not finite");
  gradient_ = es_gradient(noise_, fitness, config_.sigma, config_.shaping);
  if (config_.optimizer == "sgd") {
    theta_ += config_.lr * gradient_;
  } else {  // Adam minimizes: its loss gradient is −g
    std::copy_n(theta_.data(), theta_.size(), adam_view_.values());
    for (Eigen::Index k = 0; k < theta_.size(); ++k) adam_view_.grads()[k] = -gradient_(k);
    adam_.step(adam_view_);
    std::copy_n(adam_view_.values(), theta_.size(), theta_.data());
  }
  asked_ = false;
  ++generation_;
}

MlpSpec es_policy_spec(Index state_dim, const std::vector<Index>& hidden) {
  std::vector<Index> widths = hidden;
  widths.push_back(kActionDim);
  return MlpSpec{state_dim, widths, Activation::Relu, Activation::Tanh};
}

VectorXd es_initial_parameters(const MlpSpec& spec, std::uint64_t seed, double output_scale) {
  Rng rng(mix_seed(seed, "es policy init"));
  Mlp<float> net(spec, rng);
  const Parameters<float>& p = net.params();
  VectorXd theta(Eigen::Index(p.size()));
  for (std::size_t k = 0; k < p.size(); ++k) theta(Eigen::Index(k)) = p.values()[k];
  // The output layer is the last Linear: its weight and bias blocks (nets/linear.hpp's names).
  const std::string last = "mlp.l" + std::to_string(spec.widths.size() - 1);
  for (const char* part : {".weight", ".bias"}) {
    const auto& b = p.block(last + part);
    theta.segment(Eigen::Index(b.offset), Eigen::Index(b.size())) *= output_scale;
  }
  return theta;
}

MlpParameterPolicy::MlpParameterPolicy(const MlpSpec& spec, const VectorXd& theta, std::string name)
    : name_(std::move(name)) {
  Rng unused(0);  // the initialization is overwritten by θ
  net_ = std::make_unique<Mlp<float>>(spec, unused);
  set_parameters(theta);
}

void MlpParameterPolicy::set_parameters(const VectorXd& theta) {
  if (std::size_t(theta.size()) != net_->params().size())
    throw std::invalid_argument("MlpParameterPolicy: " + std::to_string(theta.size()) + " parameters for a network of " +
                                std::to_string(net_->params().size()));
  float* v = net_->params().values();
  for (Eigen::Index k = 0; k < theta.size(); ++k) v[k] = float(theta(k));
}

void MlpParameterPolicy::act(const float* states, int n, float* actions, Rng&) {
  tape_.reset();
  NoGradScope<float> no_grad(tape_);
  const Var a = net_->forward(tape_, tape_.input(states, n, net_->spec().in));
  std::memcpy(actions, tape_.value(a).data(), sizeof(float) * std::size_t(tape_.value(a).size()));
}

}  // namespace mtf::online
