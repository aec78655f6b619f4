// rl/data/train_window.cpp — see train_window.hpp.
#include "rl/data/train_window.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <utility>
#include <vector>

#include "engine/checksum.hpp"
#include "rl/data/dataset.hpp"

namespace mtf {

void SplitFingerprint::add(const TransitionBatch& t, std::int64_t first_row) {
  const std::size_t S = sizeof(float) * std::size_t(t.state_dim()), A = sizeof(float) * std::size_t(t.action_dim());
  for (Index i = 0; i < t.rows(); ++i) {
    const std::uint64_t index = std::uint64_t(first_row + i);
    std::uint64_t h = hash64(&index, sizeof index, 0x7261696E5F726F77ull);  // the row's place in the split
    h = hash64(t.state.row(i).data(), S, h);
    h = hash64(t.action.row(i).data(), A, h);
    h = hash64(&t.reward(i, 0), sizeof(float), h);
    h = hash64(t.next_state.row(i).data(), S, h);
    h = hash64(&t.not_done(i, 0), sizeof(float), h);
    hash_ += h;  // wraps: the parts' sums add up in any order
  }
  rows_ += t.rows();
}

namespace {

// Pass 1's account of one part, all-gathered (int64 each).
enum PartField { kDefect, kSessions, kLines, kFirstId, kLastId, kPartFields };

}  // namespace

TrainWindow read_train_window(const std::string& path, const RewardWeights& weights, double train_fraction,
                              std::int64_t capacity, const ProcessGroup& group, std::size_t block_bytes) {
  if (!(train_fraction > 0 && train_fraction < 1)) throw std::invalid_argument("split_by_time: fraction in (0, 1)");
  if (capacity < 1) throw std::invalid_argument("read_train_window: capacity must be at least 1");
  const int processes = group.size(), me = group.rank();
  const bool sharded = processes > 1;
  // Every process reads the header (the same file, the same checks and messages on each).
  auto reader = std::make_unique<SessionLogReader>(path, block_bytes);
  const int state_dim = reader->state_dim();
  TrainWindow w;
  w.part = sharded ? reader->part(me, processes) : LogByteRange{reader->steps_begin(), reader->file_bytes()};
  auto open_part = [&](std::int64_t first_line, bool have_previous, std::int64_t previous_id) {
    auto r = std::make_unique<SessionLogReader>(path, block_bytes);
    if (sharded) r->read_only(w.part, first_line, have_previous, previous_id);
    return r;
  };

  // Pass 1: check this part, count its sessions and keep their lengths (the split's row offsets). In one
  // process a defect throws at once; sharded, it is kept for the exchange, so that every process learns
  // of it and the first one in the file is the one reported.
  std::vector<std::int64_t> lengths;  // of this part's sessions: 8 bytes a session, beside ~10 KB of text
  std::int64_t mine[kPartFields] = {};
  std::string defect;
  try {
    if (sharded) reader->read_only(w.part);
    SessionLog block;
    while (reader->next(block)) {
      for (const auto& s : block.sessions) lengths.push_back(s.length());
      if (mine[kSessions] == 0) mine[kFirstId] = block.sessions.front().id;
      mine[kLastId] = block.sessions.back().id;
      mine[kSessions] += std::int64_t(block.sessions.size());
    }
    mine[kLines] = reader->next_line() - 2;
  } catch (const std::exception& e) {
    if (!sharded) throw;
    mine[kDefect] = 1;
    defect = e.what();
  }
  reader.reset();
  std::vector<std::int64_t> parts(std::size_t(processes) * kPartFields);
  group.allgather_i64(mine, kPartFields, parts.data());
  auto at = [&](int r, PartField f) { return parts[std::size_t(r) * kPartFields + f]; };

  // Where each part begins: its first file line and the last session before it (ids increase across
  // parts as within them). The first defect in the file is in the first part with one of its own or whose
  // first session does not follow that last one; its process reads its part again, now knowing where it
  // begins: the whole file's reader's message, which every process then fails with.
  struct Context {
    std::int64_t first_line = 2;
    bool have_previous = false;
    std::int64_t previous_id = 0;
  };
  std::vector<Context> contexts(static_cast<std::size_t>(processes));
  int failing = -1;
  Context next;
  for (int r = 0; r < processes; ++r) {
    contexts[std::size_t(r)] = next;
    if (failing < 0 && (at(r, kDefect) != 0 ||
                        (at(r, kSessions) > 0 && next.have_previous && at(r, kFirstId) <= next.previous_id)))
      failing = r;
    next.first_line += at(r, kLines);
    if (at(r, kSessions) > 0) next.have_previous = true, next.previous_id = at(r, kLastId);
  }
  const Context& here = contexts[std::size_t(me)];
  if (failing >= 0) {
    std::string message;
    if (me == failing) {
      try {
        auto again = open_part(here.first_line, here.have_previous, here.previous_id);
        SessionLog block;
        while (again->next(block)) {
        }
        // Not found again (the file changed in between): pass 1's message, or the ids across parts.
        message = !defect.empty() ? defect
                                  : path + ":" + std::to_string(here.first_line) +
                                        ": field \"session\": ids must increase (got " +
                                        std::to_string(at(me, kFirstId)) + " after " +
                                        std::to_string(here.previous_id) + ")";
      } catch (const std::exception& e) {
        message = e.what();
      }
    }
    group.broadcast(message, failing);
    throw SessionLogError(message);
  }

  std::int64_t n = 0, sessions_before = 0;
  for (int r = 0; r < processes; ++r) {
    n += at(r, kSessions);
    if (r < me) sessions_before += at(r, kSessions);
  }
  w.sessions = std::size_t(n);
  w.train_sessions = static_cast<std::size_t>(train_fraction * static_cast<double>(n));
  const std::int64_t train_here =
      std::clamp<std::int64_t>(std::int64_t(w.train_sessions) - sessions_before, 0, at(me, kSessions));
  std::int64_t train_rows = 0;
  for (std::int64_t i = 0; i < train_here; ++i) train_rows += lengths[std::size_t(i)];
  std::vector<std::int64_t>().swap(lengths);

  // Every part's training transitions: the global index of this part's first, and the window.
  std::vector<std::int64_t> rows(static_cast<std::size_t>(processes));
  group.allgather_i64(&train_rows, 1, rows.data());
  std::int64_t total = 0;
  for (int r = 0; r < processes; ++r) {
    if (r < me) w.first_row += rows[std::size_t(r)];
    total += rows[std::size_t(r)];
  }
  // The window is the split's last min(G, capacity) rows; part r holds the window's rows among its own,
  // whose ages (row - window_begin) form one contiguous range, in rank order.
  const std::int64_t window = std::min(total, capacity), window_begin = total - window;
  std::vector<std::int64_t> part_starts(std::size_t(processes) + 1, window);
  for (std::int64_t r = 0, row = 0; r < processes; row += rows[std::size_t(r)], ++r)
    part_starts[std::size_t(r)] = std::max(row, window_begin) - window_begin;
  w.buffer = std::make_unique<ReplayBuffer>(
      sharded ? ReplayBuffer::shard(state_dim, capacity, kActionDim, group, std::move(part_starts))
              : ReplayBuffer(state_dim, capacity, kActionDim));

  // Pass 2: this part's training sessions, block by block; the window's rows into the buffer, every row
  // into the fingerprint. The sessions after the split are not read again.
  SplitFingerprint fingerprint;
  if (train_here > 0) {
    auto again = open_part(here.first_line, here.have_previous, here.previous_id);
    SessionLog block;
    std::int64_t row = w.first_row, left = train_here;
    while (left > 0 && again->next(block)) {
      const auto take = std::size_t(std::min<std::int64_t>(left, std::int64_t(block.sessions.size())));
      const TransitionBatch t = build_transitions(block, weights, 0, take);
      fingerprint.add(t, row);
      w.buffer->add_range(t, std::clamp<std::int64_t>(window_begin - row, 0, t.rows()), t.rows());
      row += t.rows();
      left -= std::int64_t(take);
    }
    if (left != 0 || row != w.first_row + train_rows)
      throw SessionLogError(path + ": changed while it was read (its training sessions differ between two readings)");
  }
  std::int64_t print[2] = {fingerprint.rows(), 0};
  const std::uint64_t hash = fingerprint.hash();
  std::memcpy(&print[1], &hash, sizeof hash);
  std::vector<std::int64_t> prints(std::size_t(processes) * 2);
  group.allgather_i64(print, 2, prints.data());
  for (int r = 0; r < processes; ++r) {
    std::uint64_t h = 0;
    std::memcpy(&h, &prints[std::size_t(r) * 2 + 1], sizeof h);
    w.fingerprint.merge(prints[std::size_t(r) * 2], h);
  }
  return w;
}

}  // namespace mtf
