// tests/rl/data/train_window_test.cpp — rl/data/train_window.cpp: the training window read by the world's
// processes, each from its own part of the log, equals the window one process reads from the whole log
// (its rows at their global ages, the split's fingerprint, every minibatch bit for bit), and a defect in
// any part fails every process with the whole file's reader's message.
//
// In the data suite it runs in one process (the world is rank 0 of 1). In a -DMTF_MPI=ON build it is also
// the `mpi_data_tests` executable, which ctest runs under mpirun with 2 and 3 processes (label mpi).
// Collective calls are never skipped by a failed assertion (CHECK after a collective, not REQUIRE).
#include "rl/data/train_window.hpp"

#include <catch2/catch.hpp>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "rl/data/dataset.hpp"

using namespace mtf;

namespace {

// A log of `sessions` sessions of 1 to 9 steps, state_dim 3, ids 0, 3, 6, ...; values from a seeded
// generator, with some -0.0 (whose bits a careless exchange would lose).
SessionLog make_log(int sessions, std::uint64_t seed) {
  SessionLog log;
  log.state_dim = 3;
  Rng rng(seed);
  for (int s = 0; s < sessions; ++s) {
    const int length = 1 + int(rng.below(9));
    std::vector<float> states(std::size_t(length) * 3), actions(std::size_t(length) * kActionDim),
        feedback(std::size_t(length) * kNumFeedback);
    for (float& x : states) x = rng.bernoulli(0.1) ? -0.0f : float(rng.normal());
    for (float& x : actions) x = float(rng.uniform(-1, 1));
    for (float& x : feedback) x = float(rng.below(3));
    log.append_session(3 * s, int(rng.below(50)), s / 10, length, states.data(), actions.data(), feedback.data());
  }
  return log;
}

// A file name every process knows: rank 0's pid, broadcast.
std::string shared_path(const std::string& name) {
  std::string path = "/tmp/mtf_train_window_test_" + std::to_string(::getpid()) + "_" + name;
  ProcessGroup::world().broadcast(path, 0);
  return path;
}

// Rank 0 writes `text` at `path`; every process returns once it is there.
void write_shared(const std::string& path, const std::string& text) {
  const ProcessGroup& world = ProcessGroup::world();
  if (world.rank() == 0) std::ofstream(path, std::ios::binary) << text;
  world.barrier();
}

std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool same_floats(const float* a, const float* b, std::size_t n) { return std::memcmp(a, b, n * sizeof(float)) == 0; }

}  // namespace

TEST_CASE("the window read in parts by the world's processes equals the whole log's window", "[data][train_window]") {
  const ProcessGroup& world = ProcessGroup::world();
  const RewardWeights weights = reward_preset("default");
  // 2 sessions: fewer than 3 processes (some parts are empty); 150: cuts through sessions everywhere.
  for (const int sessions : {2, 150}) {
    const std::string path = shared_path("log" + std::to_string(sessions) + ".jsonl");
    if (world.rank() == 0) write_session_log(make_log(sessions, std::uint64_t(sessions)), path);
    world.barrier();
    // Capacities: the whole split; a window smaller than the split (the FIFO evicts), cut inside a part;
    // a window of one transition.
    for (const std::int64_t capacity : {std::int64_t(100000), std::int64_t(157), std::int64_t(1)}) {
      for (const std::size_t block : {std::size_t(997), kLogBlockBytes}) {
        INFO("sessions " << sessions << ", capacity " << capacity << ", block " << block << ", rank " << world.rank()
                         << " of " << world.size());
        // One process, the whole file (rl/data/dataset.hpp's reader, the FIFO as train.cpp used it).
        ReplayBuffer whole(3, capacity, kActionDim);
        SplitFingerprint whole_print;
        const DatasetSplit split = split_file_by_time(
            path, weights, 0.7,
            [&](const TransitionBatch& t) {
              whole_print.add(t, whole_print.rows());
              whole.add_all(t);
            },
            block, false);

        const TrainWindow w = read_train_window(path, weights, 0.7, capacity, world, block);
        CHECK(w.train_sessions == split.train_sessions);
        CHECK(w.sessions == split.train_sessions + split.test_sessions);
        CHECK(w.fingerprint.rows() == whole_print.rows());
        CHECK(w.fingerprint.hash() == whole_print.hash());
        CHECK(w.buffer->size() == whole.size());
        CHECK(w.buffer->capacity() == capacity);
        CHECK(w.buffer->sharded() == world.distributed());
        // This process's rows are the whole window's at their ages.
        int wrong = 0;
        for (std::int64_t k = 0; k < w.buffer->held(); ++k) {
          const std::int64_t age = w.buffer->first_held() + k;
          wrong += age >= whole.size() || !same_floats(w.buffer->state_at(k), whole.state_at(age), 3);
          const float r1 = w.buffer->reward_at(k), r2 = whole.reward_at(age);
          wrong += !same_floats(&r1, &r2, 1);
        }
        CHECK(wrong == 0);
        // The processes' parts tile the window, in rank order.
        const std::int64_t mine[2] = {w.buffer->first_held(), w.buffer->held()};
        std::vector<std::int64_t> all(std::size_t(2 * world.size()));
        world.allgather_i64(mine, 2, all.data());
        std::int64_t next = 0;
        for (int r = 0; r < world.size(); ++r) {
          if (all[std::size_t(2 * r + 1)] > 0) {
            CHECK(all[std::size_t(2 * r)] == next);
            next = all[std::size_t(2 * r)] + all[std::size_t(2 * r + 1)];
          }
        }
        CHECK(next == whole.size());
        // Minibatches: the same draws, the same bits (the exchange completes each process's rows).
        Rng a(5), b(5);
        TransitionBatch expected(64, 3, kActionDim), got(64, 3, kActionDim);
        for (int k = 0; k < 3; ++k) {
          whole.sample(a, expected);
          w.buffer->sample(b, got);
          CHECK(same_floats(got.state.data(), expected.state.data(), std::size_t(expected.state.size())));
          CHECK(same_floats(got.action.data(), expected.action.data(), std::size_t(expected.action.size())));
          CHECK(same_floats(got.reward.data(), expected.reward.data(), std::size_t(expected.reward.size())));
          CHECK(same_floats(got.next_state.data(), expected.next_state.data(), std::size_t(expected.next_state.size())));
          CHECK(same_floats(got.not_done.data(), expected.not_done.data(), std::size_t(expected.not_done.size())));
        }
      }
    }
    world.barrier();
    if (world.rank() == 0) std::remove(path.c_str());
  }
}

TEST_CASE("the split's fingerprint does not depend on how the split is cut into blocks", "[data][train_window]") {
  const SessionLog log = make_log(30, 3);
  const TransitionBatch t = build_transitions(log, reward_preset("default"));
  SplitFingerprint whole, pieces;
  whole.add(t, 0);
  for (Index begin = 0; begin < t.rows(); begin += 7) {
    const Index rows = std::min<Index>(7, t.rows() - begin);
    TransitionBatch piece(rows, t.state_dim(), t.action_dim());
    piece.state = t.state.middleRows(begin, rows);
    piece.action = t.action.middleRows(begin, rows);
    piece.reward = t.reward.middleRows(begin, rows);
    piece.next_state = t.next_state.middleRows(begin, rows);
    piece.not_done = t.not_done.middleRows(begin, rows);
    pieces.add(piece, begin);
  }
  REQUIRE(pieces.rows() == whole.rows());
  REQUIRE(pieces.hash() == whole.hash());
  // The order matters: the same rows at other places give another fingerprint.
  SplitFingerprint shifted;
  shifted.add(t, 1);
  REQUIRE(shifted.hash() != whole.hash());
  // And so does every value.
  TransitionBatch changed = t;
  changed.reward(t.rows() / 2, 0) = std::nextafter(changed.reward(t.rows() / 2, 0), 1e9f);
  SplitFingerprint other;
  other.add(changed, 0);
  REQUIRE(other.hash() != whole.hash());
}

TEST_CASE("a defect in any part fails every process with the whole file's reader's message", "[data][train_window]") {
  const ProcessGroup& world = ProcessGroup::world();
  const std::string path = shared_path("good.jsonl");
  if (world.rank() == 0) write_session_log(make_log(60, 9), path);
  world.barrier();
  const std::string text = file_text(path);
  world.barrier();
  if (world.rank() == 0) std::remove(path.c_str());
  // The byte where the file's second half begins: its part belongs to the last process of 2 or 3.
  const std::size_t late = text.find("{\"session\":", text.size() * 3 / 4);
  const std::size_t late_line_end = text.find('\n', late);
  const std::size_t done_in_middle = text.find("\"done\":true", text.size() / 2);
  const std::vector<std::pair<const char*, std::string>> defects = {
      {"a bad value late in the file", text.substr(0, late) + "{\"session\":1e3," + text.substr(late + 11)},
      {"a truncated last line", text.substr(0, text.size() - 5)},
      {"ids that do not increase late in the file",
       text.substr(0, late) + "{\"session\":0," + text.substr(text.find(',', late) + 1)},
      {"a session without done in the middle",
       text.substr(0, done_in_middle) + "\"done\":false" + text.substr(done_in_middle + 11)},
      {"a line cut short early", text.substr(0, text.find('\n', 200)) + text.substr(late_line_end)},
  };
  for (const auto& [what, bad] : defects) {
    const std::string bad_path = shared_path("bad.jsonl");
    write_shared(bad_path, bad);
    std::string expected;
    try {
      parse_session_log(bad, bad_path);
    } catch (const SessionLogError& e) {
      expected = e.what();
    }
    INFO(what << ": rank " << world.rank() << " of " << world.size() << ": " << expected);
    CHECK(!expected.empty());
    CHECK_THROWS_WITH(read_train_window(bad_path, reward_preset("default"), 0.7, 1000, world, 997), expected);
    world.barrier();
    if (world.rank() == 0) std::remove(bad_path.c_str());
  }
}
