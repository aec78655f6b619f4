#include "rl/bc.hpp"

#include <cstring>

#include "engine/ops.hpp"

namespace mtf {

namespace {
MlpSpec policy_spec(const BcConfig& c) {
  std::vector<Index> widths = c.hidden;
  widths.push_back(c.action_dim);
  return MlpSpec{c.state_dim, widths, Activation::Relu, Activation::Tanh};
}

// pi(s) for `count` states, no gradient.
void bc_serve(Mlp<float>& policy, Tape<float>& t, const float* states, Index count, float* actions) {
  t.reset();
  NoGradScope<float> no_grad(t);
  const Var a = policy.forward(t, t.input(states, count, policy.spec().in));
  std::memcpy(actions, t.value(a).data(), sizeof(float) * std::size_t(t.value(a).size()));
}

// A deployed BC policy: its own copy of the MLP.
class BcSnapshot : public Policy {
 public:
  BcSnapshot(const Mlp<float>& policy, std::string name) : name_(std::move(name)) {
    Rng unused(0);  // the initialization is overwritten by the copy
    policy_ = std::make_unique<Mlp<float>>(policy.spec(), unused);
    policy_->params().copy_from(policy.params());
  }
  void act(const float* states, int n, float* actions, Rng&) override {
    bc_serve(*policy_, tape_, states, n, actions);
  }
  std::string name() const override { return name_; }

 private:
  std::string name_;
  std::unique_ptr<Mlp<float>> policy_;
  Tape<float> tape_;
};
}  // namespace

void BcConfig::check(const ConfigReader& r) const {
  check_gradient_shards(r, gradient_shards, batch_size);
  const std::int64_t max_state_dim = input_limits().max_state_dim;
  if (state_dim > max_state_dim) limit_exceeded(r.source(), "state_dim", state_dim, max_state_dim, "max_state_dim");
  check_network_size(r.source(), "hidden", state_dim, hidden, action_dim, batch_size);
}

BehaviourCloning::BehaviourCloning(const BcConfig& config)
    : ConfiguredLearner(config), step_(config.gradient_shards) {
  policy_ = std::make_unique<Mlp<float>>(policy_spec(config), rng_);
  opt_ = Adam<float>(policy_->params().size(), AdamConfig{config.lr});
  step_.attach(policy_->params());
}

UpdateMetrics BehaviourCloning::update(const TransitionBatch& batch) {
  step_.run(batch.rows(), {Step::Phase({{&policy_->params(), &opt_}},
                                       [&](const Step::Shard& s) { loss(s, batch); })});
  ++iteration_;
  UpdateMetrics m;
  m.add("loss", step_.summed_stats().loss);
  return m;
}

// The shard's share of the minibatch MSE: weight * mean ||pi(s) - a||^2 / A over its rows.
void BehaviourCloning::loss(const Step::Shard& sh, const TransitionBatch& batch) {
  const Index S = config_.state_dim, A = config_.action_dim, b = sh.begin, m = sh.rows;
  Tape<float>& t = sh.tape;
  const Var s = t.input(batch.state.data() + b * S, m, S), a = t.input(batch.action.data() + b * A, m, A);
  const Var loss = ops::scale(t, ops::mse(t, policy_->forward(t, s), a), sh.weight);
  t.backward(loss);
  sh.stats.loss = t.scalar(loss);
}

void BehaviourCloning::act(const float* states, Index n, float* actions, Rng&) {
  bc_serve(*policy_, serve_tape_, states, n, actions);
}

std::shared_ptr<Policy> BehaviourCloning::snapshot(const std::string& name) const {
  return std::make_shared<BcSnapshot>(*policy_, name);
}

void BehaviourCloning::save_sections(Checkpoint& out) const {
  out.put("policy", policy_->params().to_bytes());
  out.put("policy_adam", opt_.to_bytes());
}

// The MLP alone; "chunk" 0: bc_serve runs every state in one pass (serving must too, for the same bits).
void BehaviourCloning::export_sections(Checkpoint& out) const {
  out.meta["serving"] = {{"kind", "mlp"}, {"hidden", config_.hidden}, {"chunk", 0}};
  out.put("policy", policy_->params().to_bytes());
}

void BehaviourCloning::load_sections(const Checkpoint& in) {
  BehaviourCloning scratch(config_);  // read everything before changing anything
  scratch.policy_->params().from_bytes(in.get("policy"), in.source() + ": policy");
  scratch.opt_.from_bytes(in.get("policy_adam"), in.source() + ": policy_adam");
  policy_->params().copy_from(scratch.policy_->params());
  opt_ = scratch.opt_;
}

}  // namespace mtf
