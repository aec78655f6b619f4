// tests/rl/loop/online_loop_test.cpp — the online loop (rl/loop/online_loop.cpp) on a small simulator with
// tiny networks: stable user groups, equal exploration shares, one day's report, a gate that keeps a worse
// candidate, the same bits for the same seed and at 1 and 2 threads, and a save/resume that ends with the
// same bits as an uninterrupted run.
#include "rl/loop/online_loop.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>

#include "engine/threads.hpp"
#include "rl/bcq.hpp"

using namespace mtf;
using Catch::Matchers::Contains;

namespace {

const sim::Simulator& small_sim() {
  static const sim::Simulator sim = [] {
    sim::SimConfig c;
    c.num_users = 240;
    return sim::Simulator(c);
  }();
  return sim;
}

LoopConfig tiny_config() {
  LoopConfig c;
  c.learner = {{"vae_hidden", {32, 32}}, {"actor_hidden", {32, 32}}, {"critic_hidden", {32, 32}}, {"batch_size", 64},
               {"kl_weight", 0.05}};
  c.iterations_per_day = 60;
  c.estimator = {{"hidden", {32, 32}}, {"steps", 40}, {"batch_size", 64}, {"initial_states", 100}};
  c.eval_starts = 150;
  c.seed = 5;
  return c;
}

// Every weight of the deployed learner (BCQ), as bytes.
std::string deployed_bytes(const OnlineLoop& loop) {
  const Learner* l = loop.deployed_learner();
  if (!l) return "baseline";
  Checkpoint c("x");
  l->save(c);
  std::string out;
  for (const char* s : {"vae", "actor", "critic", "actor_target", "critic_target", "critic_adam"}) out += std::string(c.get(s));
  return out;
}

}  // namespace

TEST_CASE("users are split into groups once, by the seed, in the configured shares", "[loop]") {
  LoopConfig c = tiny_config();
  c.control_share = 0.5;
  c.noise_share = 0.25;
  const OnlineLoop a(small_sim(), c), b(small_sim(), c);
  int count[3] = {0, 0, 0};
  for (int u = 0; u < small_sim().num_users(); ++u) {
    REQUIRE(a.group_of(u) == b.group_of(u));  // a pure function of the seed and the user
    count[int(a.group_of(u))] += 1;
  }
  const double n = small_sim().num_users();
  REQUIRE(std::abs(count[0] / n - 0.5) < 0.1);
  REQUIRE(std::abs(count[1] / n - 0.25) < 0.1);
  REQUIRE(std::abs(count[2] / n - 0.25) < 0.1);
  c.seed = 6;
  const OnlineLoop other(small_sim(), c);
  int differ = 0;
  for (int u = 0; u < small_sim().num_users(); ++u) differ += other.group_of(u) != a.group_of(u);
  REQUIRE(differ > 0);
}

TEST_CASE("a day: served groups, the truth, training on equal exploration shares, the gate's scores", "[loop]") {
  OnlineLoop loop(small_sim(), tiny_config());
  REQUIRE(loop.deployed()->name() == "baseline global alpha");
  REQUIRE(loop.deployed_learner() == nullptr);
  const nlohmann::json day = loop.run_day();
  REQUIRE(loop.day() == 1);
  REQUIRE(day["day"] == 0);
  REQUIRE(day["deployed"] == "baseline global alpha");
  for (const char* g : {"control", "noise", "random"}) {
    INFO(g);
    REQUIRE(day["groups"][g]["adtime"]["n"].get<int>() > 0);
    REQUIRE(day["groups"][g]["adtime"]["mean"].get<double>() > 0);
  }
  REQUIRE(day["true_value"]["mean"].get<double>() > 0);
  REQUIRE(day["true_value"]["ci95"].get<double>() > 0);
  // Mixed exploration: as many training sessions from the noise group as from the random group.
  const long long day_sessions = day["training"]["day_sessions"].get<long long>();
  REQUIRE(day_sessions > 0);
  REQUIRE(day_sessions % 2 == 0);
  REQUIRE(day["training"]["iteration"] == 60);
  for (const char* e : {"conservative", "fqe"}) {
    INFO(e);
    REQUIRE(std::isfinite(day["gate"][e]["candidate"].get<double>()));
    REQUIRE(std::isfinite(day["gate"][e]["deployed"].get<double>()));
  }
  const bool deployed = day["gate"]["decision"] == "deployed";
  const double c = day["gate"]["fqe"]["candidate"], d = day["gate"]["fqe"]["deployed"];
  REQUIRE(deployed == (c >= d));  // gate fqe, margin 0
  REQUIRE((loop.deployed_learner() != nullptr) == deployed);
}

TEST_CASE("the gate keeps the deployed policy when the candidate scores lower", "[loop]") {
  LoopConfig c = tiny_config();
  c.iterations_per_day = 1;  // a candidate barely trained: its critic knows nothing yet
  OnlineLoop loop(small_sim(), c);
  const nlohmann::json day = loop.run_day();
  const double cand = day["gate"]["fqe"]["candidate"], dep = day["gate"]["fqe"]["deployed"];
  WARN("barely trained candidate: FQE " << cand << " vs deployed " << dep << ": " << day["gate"]["decision"]);
  if (cand < dep) {
    REQUIRE(day["gate"]["decision"] == "kept");
    REQUIRE(loop.deployed()->name() == "baseline global alpha");
  } else {
    REQUIRE(day["gate"]["decision"] == "deployed");
  }
  // Gate "none" always deploys.
  c.gate = "none";
  OnlineLoop ungated(small_sim(), c);
  REQUIRE(ungated.run_day()["gate"]["decision"] == "deployed");
  REQUIRE(ungated.deployed()->name() == "bcq (day 0)");
}

TEST_CASE("the same seed gives the same bits, at 1 and at 2 threads", "[loop][determinism]") {
  const int saved = num_threads();
  auto run = [&](int threads) {
    set_num_threads(threads);
    OnlineLoop loop(small_sim(), tiny_config());
    for (int d = 0; d < 2; ++d) loop.run_day();
    nlohmann::json h = loop.history();
    for (auto& d : h) d.erase("seconds");
    return std::make_pair(h.dump(), deployed_bytes(loop));
  };
  const auto one = run(1), two = run(2);
  set_num_threads(saved);
  REQUIRE(one.first == two.first);
  REQUIRE(one.second == two.second);
}

TEST_CASE("a loop saved after a day and resumed ends with the same bits as one that ran through", "[loop][checkpoint]") {
  const std::string path = "/tmp/mtf_online_loop_test.ckpt";
  OnlineLoop through(small_sim(), tiny_config());
  for (int d = 0; d < 3; ++d) through.run_day();
  {
    OnlineLoop first(small_sim(), tiny_config());
    first.run_day();
    first.run_day();
    first.save(path);
  }  // the process that ran days 0-1 is gone
  OnlineLoop resumed(small_sim(), tiny_config());
  resumed.load(path);
  REQUIRE(resumed.day() == 2);
  resumed.run_day();
  auto strip = [](std::vector<nlohmann::json> h) {
    for (auto& d : h) d.erase("seconds");
    return nlohmann::json(h).dump();
  };
  REQUIRE(strip(resumed.history()) == strip(through.history()));
  REQUIRE(deployed_bytes(resumed) == deployed_bytes(through));
  REQUIRE(resumed.deployed()->name() == through.deployed()->name());

  LoopConfig other = tiny_config();
  other.seed = 6;
  OnlineLoop mismatched(small_sim(), other);
  REQUIRE_THROWS_WITH(mismatched.load(path), Contains(path) && Contains("another config"));
  REQUIRE(mismatched.day() == 0);
  std::remove(path.c_str());
}

TEST_CASE("loop config: strict, with the learner's and the estimator's keys checked", "[loop][config]") {
  const LoopConfig c;
  REQUIRE(c.window_days == 3);
  REQUIRE(c.noise_sigma == 0.1);
  REQUIRE(c.exploration == "mixed");
  REQUIRE(config_from_json<LoopConfig>(config_to_json(c), "mem").algo == "bcq");
  REQUIRE_THROWS_WITH(config_from_json<LoopConfig>({{"exploration", "greedy"}}, "loop.json"),
                      Contains("loop.json: field \"exploration\""));
  REQUIRE_THROWS_WITH(config_from_json<LoopConfig>({{"algo", "td4"}}, "loop.json"), Contains("unknown learner \"td4\""));
  REQUIRE_THROWS_WITH(config_from_json<LoopConfig>({{"learner", {{"critc_lr", 1}}}}, "loop.json"),
                      Contains("loop.json: learner: unknown key \"critc_lr\""));
  REQUIRE_THROWS_WITH(config_from_json<LoopConfig>({{"control_share", 0.5}, {"noise_share", 0.5}}, "loop.json"),
                      Contains("needs random users"));
  REQUIRE_THROWS_WITH(config_from_json<LoopConfig>({{"baseline_action", {0.5}}}, "loop.json"),
                      Contains("field \"baseline_action\": expected 12 numbers"));
  REQUIRE_THROWS_WITH(config_from_json<LoopConfig>({{"estimator", {{"stepz", 3}}}}, "loop.json"),
                      Contains("loop.json: estimator: unknown key \"stepz\""));
  REQUIRE_THROWS_WITH(config_from_json<LoopConfig>({{"estimator", {{"pessimism", 1.0}}}}, "loop.json"),
                      Contains("loop.json: estimator: field \"pessimism\": needs an ensemble"));
}

TEST_CASE("the global-alpha reference stays within the loop's budget and is measured on the loop's starts",
          "[loop][reference]") {
  OnlineLoop loop(small_sim(), tiny_config());
  loop.run_day();
  const long long budget = loop.sessions_served();
  REQUIRE(budget > 0);
  const GlobalAlphaReference ref = search_global_alpha(small_sim(), loop, budget, 8);
  REQUIRE(ref.sessions_used <= budget);
  REQUIRE(ref.starts_per_candidate == int(budget / 16));
  REQUIRE(ref.truth.per_rollout.size() == std::size_t(tiny_config().eval_starts));
  // Measured like the loop's own policies: the baseline's truth from the loop equals the day's record.
  ConstantPolicy baseline(Action{});
  REQUIRE(loop.true_value(baseline).mean == loop.history()[0]["true_value"]["mean"].get<double>());
  REQUIRE_THROWS_WITH(search_global_alpha(small_sim(), loop, 10, 8), Contains("4 sessions per candidate"));
}

TEST_CASE("warm starts: the candidate lineage continues through rejections, the deployed one restarts",
          "[loop][warm_start]") {
  auto iterations = [](const std::string& warm_start, std::vector<std::string>* decisions) {
    LoopConfig c = tiny_config();
    c.warm_start = warm_start;
    OnlineLoop loop(small_sim(), c);
    std::vector<long long> it;
    for (int d = 0; d < 4; ++d) {
      const nlohmann::json& day = loop.run_day();
      it.push_back(day["training"]["iteration"].get<long long>());
      if (decisions) decisions->push_back(day["gate"]["decision"].get<std::string>());
      REQUIRE((loop.rejected_learner() != nullptr) == (warm_start == "candidate" && day["gate"]["decision"] == "kept"));
    }
    return it;
  };
  std::vector<std::string> decisions;
  REQUIRE(iterations("candidate", &decisions) == std::vector<long long>{60, 120, 180, 240});
  REQUIRE(iterations("none", nullptr) == std::vector<long long>{60, 60, 60, 60});
  WARN("gate decisions of the candidate lineage: " << nlohmann::json(decisions).dump());
}
