// examples/mtf/probe.cpp — `mtf probe`: the simulator's truth as an instrument on a finished `mtf loop` run.
//
// Why the loop stops below the best global alpha is a question with two answers that look the same from
// outside: the critic does not know the better actions are better (its Q ranks them wrong: more data or
// another learner is needed), or it knows and BCQ's constraint keeps the policy from reaching them (a
// wider exploration or a looser constraint is needed). The probe asks the deployed BCQ's critic Q1 and the
// simulator the same questions, per user segment, on fresh starts:
//   which is better at this segment's states: the deployed policy pi(s), the best global alpha (from the
//   run's reference.json), or the segment's own best alpha (searched here, on separate starts and seeds)?
// and reports both answers side by side, with how far pi(s) is from the global alpha in action space.
// A diagnostic of the example layer: it reads BCQ's critic through Bcq's accessors (the library's RL code
// never does).
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "engine/json_config.hpp"
#include "engine/rng.hpp"
#include "engine/tape.hpp"
#include "examples/cli/options.hpp"
#include "rl/bcq.hpp"
#include "rl/data/reward.hpp"
#include "rl/sim/alpha_search.hpp"
#include "rl/sim/population.hpp"
#include "rl/sim/rollout.hpp"

namespace mtf::cli {

namespace {

const char* kDescription = R"(Probes a finished `mtf loop --reference` run (--run DIR, with the --config and --seed it ran
with): for each user segment, the deployed BCQ's critic Q1(s, a) and the TRUE value (simulator rollouts
from the same fresh starts and seeds) of three choices at that segment's states: the deployed policy
pi(s), the best global alpha of DIR/reference.json, and the segment's best constant alpha (searched
here on separate starts). Where Q and the truth disagree on the order, the critic is what limits the
loop; where they agree and pi(s) is still far from the better action, the constraint or the exploration is.)";

// Q1(s, a) of the critic for n states and n actions (row i: state i with action i).
std::vector<double> critic_q1(TwinCritic<float>& critic, const MatrixR<float>& states, const MatrixR<float>& actions) {
  Tape<float> tape;
  NoGradScope<float> no_grad(tape);
  const Var q = critic.q1(tape, tape.input(states), tape.input(actions), ParamGrad::Skip);
  const MatrixR<float>& v = tape.value(q);
  return std::vector<double>(v.data(), v.data() + v.rows());
}

}  // namespace

int probe_command(int argc, char** argv) {
  CLI::App app(kDescription, "mtf probe");
  std::string config_path, run_dir;
  std::uint64_t seed = 0;
  int starts_count = 2000, candidates = 64;
  app.add_option("--config", config_path, "the loop config the run used (JSON)");
  app.add_option("--run", run_dir, "the run's folder (loop.ckpt, reference.json)")->required();
  CLI::Option* seed_option = add_seed(app, "--seed", seed, "the seed the run used (overrides the config's)");
  seed_option->default_str("config");
  add_integer(app, "--starts", starts_count, 100, 1 << 20, "fresh session starts the truth and Q are measured on");
  add_integer(app, "--candidates", candidates, 8, 4096,
              "constant actions searched per stage for each segment's best alpha (random, then around the global)");
  add_threads(app);
  if (const int status = parse(app, argc, argv); status >= 0) return status;

  const auto [sim_config, config] = read_loop_config(config_path, seed_option->count() > 0 ? &seed : nullptr);
  const sim::Simulator simulator(sim_config);
  OnlineLoop loop(simulator, config);
  loop.load(run_dir + "/loop.ckpt");
  if (!loop.deployed_learner()) throw std::runtime_error(run_dir + ": the baseline is still deployed: nothing to probe");
  std::unique_ptr<Learner> learner = loop.deployed_learner()->clone();
  auto* bcq = dynamic_cast<Bcq*>(learner.get());
  if (!bcq) throw std::runtime_error(run_dir + ": the deployed learner is " + learner->algorithm() + ", not bcq");
  const nlohmann::json reference = load_json_file(run_dir + "/reference.json");
  Action global{};
  const auto& a = reference.at("global_alpha").at("action");
  if (!a.is_array() || a.size() != std::size_t(kActionDim))
    throw std::runtime_error(run_dir + "/reference.json: field \"global_alpha.action\": expected " +
                             std::to_string(kActionDim) + " numbers");
  for (int i = 0; i < kActionDim; ++i) global[std::size_t(i)] = a[std::size_t(i)].get<float>();

  sim::RolloutOptions options;
  options.reward = reward_preset(config.reward);
  // Each segment's best constant alpha: random candidates, then candidates around the global alpha, chosen
  // per segment on search starts and seeds of their own (the winner is then measured on the probe's).
  const std::uint64_t probe_seed = mix_seed(config.seed, "probe");
  const auto search_starts = sim::random_starts(simulator, starts_count, mix_seed(probe_seed, "search starts"));
  std::vector<Action> pool = sim::random_action_candidates(candidates - 1, mix_seed(probe_seed, "random candidates"));
  const std::vector<Action> local = sim::local_action_candidates(global, candidates, 0.3, mix_seed(probe_seed, "local"));
  pool.insert(pool.end(), local.begin(), local.end());
  const sim::AlphaSearchResult search =
      sim::evaluate_action_candidates(simulator, pool, search_starts, mix_seed(probe_seed, "search rollouts"), options);

  // The probe's starts: their states (for Q and pi) and segments.
  const auto starts = sim::random_starts(simulator, starts_count, mix_seed(probe_seed, "starts"));
  const Index S = simulator.state_dim(), n = Index(starts.size());
  MatrixR<float> states(n, S);
  std::vector<int> segment(starts.size());
  for (Index j = 0; j < n; ++j) {
    const sim::Session session = simulator.begin(starts[std::size_t(j)], 0);
    simulator.observe(session, states.row(j).data());
    segment[std::size_t(j)] = sim::segment_from_state(states.row(j).data());
  }
  const std::shared_ptr<Policy> deployed = loop.deployed();
  MatrixR<float> pi_actions(n, kActionDim);
  Rng act_rng(mix_seed(probe_seed, "serving"));
  deployed->act(states.data(), int(n), pi_actions.data(), act_rng);

  // Truth and Q of each choice. Choice 0: pi(s); 1: the global alpha; 2 + g: segment g's best alpha.
  const std::uint64_t truth_seed = mix_seed(probe_seed, "truth rollouts");
  std::vector<std::string> names = {"deployed pi(s)"};
  std::vector<std::vector<double>> truth, q;
  truth.push_back(sim::true_value(simulator, *deployed, starts, truth_seed, options).per_rollout);
  q.push_back(critic_q1(bcq->critic(), states, pi_actions));
  auto constant = [&](const Action& action, const std::string& name) {
    ConstantPolicy p(action, name);
    truth.push_back(sim::true_value(simulator, p, starts, truth_seed, options).per_rollout);
    MatrixR<float> actions(n, kActionDim);
    for (Index j = 0; j < n; ++j)
      for (int i = 0; i < kActionDim; ++i) actions(j, i) = action[std::size_t(i)];
    q.push_back(critic_q1(bcq->critic(), states, actions));
    names.push_back(name);
  };
  constant(global, "best global alpha");
  for (int g = 0; g < sim::kNumSegments; ++g)
    constant(pool[std::size_t(search.best_segment[std::size_t(g)])], std::string("best alpha of ") + sim::kSegmentNames[std::size_t(g)]);

  std::printf("mtf probe: %s (deployed: %s), %lld fresh starts, %zu constant actions searched per segment\n\n",
              run_dir.c_str(), deployed->name().c_str(), static_cast<long long>(n), pool.size());
  std::printf("%-17s %6s  %-34s %9s %9s   %s\n", "segment", "starts", "choice", "truth", "Q1", "|pi(s) - a| (L2)");
  int agree = 0, pairs = 0;
  for (int g = 0; g < sim::kNumSegments; ++g) {
    std::vector<Index> rows;
    for (Index j = 0; j < n; ++j)
      if (segment[std::size_t(j)] == g) rows.push_back(j);
    if (rows.empty()) continue;
    const std::size_t own = std::size_t(2 + g);
    double t[3] = {0, 0, 0}, qq[3] = {0, 0, 0}, dist[3] = {0, 0, 0};
    const std::size_t choice[3] = {0, 1, own};
    for (int c = 0; c < 3; ++c) {
      for (Index j : rows) {
        t[c] += truth[choice[c]][std::size_t(j)];
        qq[c] += q[choice[c]][std::size_t(j)];
        if (c > 0) {
          const Action& act = c == 1 ? global : pool[std::size_t(search.best_segment[std::size_t(g)])];
          double d2 = 0;
          for (int i = 0; i < kActionDim; ++i) d2 += std::pow(double(pi_actions(j, i)) - act[std::size_t(i)], 2);
          dist[c] += std::sqrt(d2);
        }
      }
      t[c] /= double(rows.size());
      qq[c] /= double(rows.size());
      dist[c] /= double(rows.size());
      char distance[32] = "";
      if (c > 0) std::snprintf(distance, sizeof distance, "%.3f", dist[c]);
      const std::string count = c == 0 ? std::to_string(rows.size()) : "";
      std::printf("%-17s %6s  %-34s %9.4f %9.4f   %s\n", c == 0 ? sim::kSegmentNames[std::size_t(g)] : "",
                  count.c_str(), names[choice[c]].c_str(), t[c], qq[c], distance);
    }
    // Does Q order the three pairs as the truth does?
    for (auto [x, y] : {std::pair<int, int>{1, 0}, {2, 0}, {2, 1}}) {
      agree += ((qq[x] > qq[y]) == (t[x] > t[y]));
      ++pairs;
    }
  }
  std::printf("\nQ1 orders %d of %d (segment, pair of choices) as the truth does.\n", agree, pairs);
  return 0;
}

}  // namespace mtf::cli
