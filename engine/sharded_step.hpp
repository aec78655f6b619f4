// engine/sharded_step.hpp — what every learner's gradient step shares, in one place: the minibatch split
// into gradient shards, a tape and a random generator per shard, one team fork per step, the barriers
// between phases, the shards' gradients summed in shard order before Adam, and the per-shard statistics
// summed in shard order.
//
// An algorithm states its phases — the loss of one shard's rows, and which networks the phase updates
// with which optimizer — and ShardedStep runs them:
//
//   step_.run(batch.rows(), {
//       Step::Phase({{&vae.params(), &vae_opt}}, [&](const Step::Shard& s) { vae_loss(s, batch); }),
//       Step::Phase({{&actor.params(), &actor_opt}, {&critic.params(), &critic_opt}},
//                   [&](const Step::Shard& s) { actor_loss(s, batch); critic_loss(s, batch); }),
//   });
//
// Per phase, each team member runs whole shards (shard k: rows split_range(M, shards, k)): the shard's
// tape is reset and the phase's networks' shard-k gradients zeroed, then the loss function runs forward
// and backward on the shard's tape, into the shard's gradient buffers (the shard's loss is its rows' mean
// times weight = rows / M, so the shards' gradients sum to the minibatch mean's). At the barrier the team
// sums each network's shards in shard order and applies Adam, each member on its own slice of the flat
// buffers (Adam::sum_shards_and_update). A phase therefore sees every update of the phases before it.
//
// The bits depend on the shard count, never on the thread count: shards are fixed by the config, each is
// computed whole by one thread, and every sum runs in shard order. One fork per step, no allocation after
// the first step with a given batch size: the phases are held in an initializer_list of non-owning
// function references.
//
// Several processes (mpirun; engine/distributed.hpp): every rank holds the same networks, optimizers and
// minibatch, and runs only its block of the shards (ProcessGroup::owned). At each phase's barrier the
// master thread all-gathers each network's shard gradients (one message per network: the shards are one
// contiguous buffer, Parameters::grads(k)); then every rank sums ALL shards in shard order and applies the
// same Adam update, exactly as one process does. The per-shard statistics are gathered the same way after
// the last phase, and share_rows() gives every rank a per-row output the shards wrote (e.g. the Q values
// behind a metric). So the bits depend on the total shard count, not on how many processes ran them.
#pragma once
#include <array>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "engine/adam.hpp"
#include "engine/distributed.hpp"
#include "engine/json_config.hpp"
#include "engine/parameters.hpp"
#include "engine/rng.hpp"
#include "engine/tape.hpp"
#include "engine/threads.hpp"

namespace mtf {

/// A non-owning reference to a callable: no heap, no copy of the callable. The callable must outlive the
/// reference (a lambda written in the call that uses it does).
template <class Signature>
class FunctionRef;
template <class R, class... Args>
class FunctionRef<R(Args...)> {
 public:
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, FunctionRef>>>
  FunctionRef(F&& f)  // NOLINT: implicit on purpose, so a lambda can be passed where a FunctionRef is taken
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* o, Args... a) -> R { return (*static_cast<std::remove_reference_t<F>*>(o))(std::forward<Args>(a)...); }) {}
  R operator()(Args... a) const { return call_(object_, std::forward<Args>(a)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

/// The config rule every sharded learner shares: no more gradient shards than minibatch rows.
inline void check_gradient_shards(const ConfigReader& r, int gradient_shards, int batch_size) {
  if (gradient_shards > batch_size)
    throw ConfigError(r.source() + ": field \"gradient_shards\" (" + std::to_string(gradient_shards) +
                      ") exceeds \"batch_size\" (" + std::to_string(batch_size) + ")");
}

/// Stats: a struct of floats (each shard's contribution, already weighted by its share of the rows);
/// summed_stats() adds the shards' structs field by field in shard order.
template <class Stats>
class ShardedStep {
  static_assert(std::is_trivially_copyable_v<Stats> && sizeof(Stats) % sizeof(float) == 0,
                "ShardedStep<Stats>: Stats must be a struct of floats");

 public:
  /// What a phase's loss function gets for gradient shard `index`.
  struct Shard {
    int index;
    Index begin, rows;  // the shard's rows of the minibatch: [begin, begin + rows)
    float weight;       // rows / M
    Tape<float>& tape;  // the shard's tape, reset at the start of the phase (reset it again between passes)
    Rng& rng;           // the shard's generator (reseed())
    Stats& stats;       // the shard's statistics
  };
  /// One network updated by a phase: its gradient shards summed, then `optimizer` applied.
  struct Update {
    Parameters<float>* params;
    Adam<float>* optimizer;
  };
  struct Phase {
    static constexpr int kMaxUpdates = 4;
    Phase(std::initializer_list<Update> phase_updates, FunctionRef<void(const Shard&)> shard_loss)
        : count(int(phase_updates.size())), loss(shard_loss) {
      if (count > kMaxUpdates) throw std::invalid_argument("ShardedStep::Phase: too many networks in one phase");
      std::copy(phase_updates.begin(), phase_updates.end(), updates.begin());
    }
    std::array<Update, kMaxUpdates> updates{};
    int count;
    FunctionRef<void(const Shard&)> loss;
  };

  /// `shards` >= 1 gradient shards in all, spread over the processes of `group` (ProcessGroup::world() by
  /// default; ProcessGroup::single() keeps a step in this process, as tests comparing the two do). run()
  /// needs at least one shard per process; a learner that only acts (a policy loaded for evaluation) may
  /// have fewer.
  explicit ShardedStep(int shards, const ProcessGroup& group = ProcessGroup::world()) : shards_(shards), group_(&group) {
    if (shards < 1) throw std::invalid_argument("ShardedStep: need at least one gradient shard");
    tapes_ = make_shard_tapes<float>(std::size_t(shards));
    rngs_.resize(std::size_t(shards));
    stats_.resize(std::size_t(shards));
  }
  ShardedStep(const ShardedStep&) = delete;
  ShardedStep& operator=(const ShardedStep&) = delete;

  int shards() const { return shards_; }
  /// Gives a network that a phase updates one gradient buffer per shard. Once, after building it.
  void attach(Parameters<float>& params) const { params.set_gradient_shards(std::size_t(shards_)); }
  /// Reseeds every shard's generator from `from` (one draw each, in shard order): the shards' draws then
  /// depend on the shard count, not the thread count, and a checkpoint of `from` resumes them.
  void reseed(Rng& from) {
    for (Rng& r : rngs_) r.reseed(from.next_u64());
  }

  /// Runs `phases` on an M-row minibatch (M >= shards): one fork, a barrier after each phase's shards,
  /// (with several processes: the exchange of the phase's gradient shards), its updates, and a barrier
  /// before the next phase.
  void run(Index batch_rows, std::initializer_list<Phase> phases) {
    if (batch_rows < shards_)
      throw std::invalid_argument("ShardedStep: minibatch of " + std::to_string(batch_rows) + " rows, fewer than the " +
                                  std::to_string(shards_) + " gradient shards");
    const ProcessGroup& group = *group_;
    if (shards_ < group.size())  // a rank without shards would only wait: refuse rather than waste it (every
                                 // rank refuses alike, before any exchange)
      throw std::invalid_argument("ShardedStep: " + std::to_string(shards_) + " gradient shards (\"gradient_shards\") for " +
                                  std::to_string(group.size()) + " processes; each process needs at least one");
    const Range mine = group.owned(shards_);  // all shards in one process
    const bool exchange = group.distributed();
    rows_ = batch_rows;
    for (Stats& s : stats_) s = Stats{};
    for (const Phase& phase : phases)
      for (int u = 0; u < phase.count; ++u) phase.updates[std::size_t(u)].optimizer->advance();
    std::exception_ptr failed;  // an MPI error on the master thread, rethrown outside the team
    run_team(int(mine.size()), [&](int team, int member) {
      std::size_t done = 0;
      for (const Phase& phase : phases) {
        for (Index k = mine.begin + member; k < mine.end; k += team) phase.loss(open(int(k), batch_rows, phase));
#pragma omp barrier
        if (exchange) {
          if (member == 0) {  // the master thread: only it calls MPI (MPI_THREAD_FUNNELED)
            try {
              for (int u = 0; u < phase.count; ++u) {
                Parameters<float>& p = *phase.updates[std::size_t(u)].params;
                group.allgather_rows(p.grads(0), shards_, Index(p.shard_stride()), shards_);
              }
            } catch (...) {
              failed = std::current_exception();
            }
          }
#pragma omp barrier
        }
        for (int u = 0; u < phase.count; ++u) {
          const Update& up = phase.updates[std::size_t(u)];
          up.optimizer->sum_shards_and_update(*up.params, team, member);
        }
        if (++done < phases.size()) {
#pragma omp barrier
        }
      }
    });
    if (failed) std::rethrow_exception(failed);
    if (exchange)
      group.allgather_rows(reinterpret_cast<float*>(stats_.data()), shards_, Index(sizeof(Stats) / sizeof(float)),
                           shards_);
  }

  /// Gives every process the rows of `m` that the other processes' shards wrote in the last run(): `m`
  /// has one row per minibatch row (or `per_row` rows per minibatch row, in the order of the minibatch),
  /// each shard having written its rows'. A no-op in one process. Collective: every rank calls it.
  void share_rows(MatrixR<float>& m, Index per_row = 1) const {
    if (m.rows() != rows_ * per_row)
      throw std::invalid_argument("ShardedStep::share_rows: " + std::to_string(m.rows()) + " rows, the last step had " +
                                  std::to_string(rows_ * per_row));
    group_->allgather_rows(m.data(), rows_, per_row * m.cols(), shards_);
  }

  /// The shards' statistics of the last run(), summed field by field in shard order.
  Stats summed_stats() const {
    constexpr std::size_t n = sizeof(Stats) / sizeof(float);
    std::array<float, n> total{}, part{};
    for (const Stats& s : stats_) {
      std::memcpy(part.data(), &s, sizeof(Stats));
      for (std::size_t i = 0; i < n; ++i) total[i] += part[i];
    }
    Stats out;
    std::memcpy(static_cast<void*>(&out), total.data(), sizeof(Stats));  // trivially copyable (asserted above)
    return out;
  }

 private:
  Shard open(int k, Index batch_rows, const Phase& phase) {
    const Range r = split_range(batch_rows, shards_, k);
    Tape<float>& tape = *tapes_[std::size_t(k)];
    tape.reset();
    for (int u = 0; u < phase.count; ++u) phase.updates[std::size_t(u)].params->zero_grad(std::size_t(k));
    return {k, r.begin, r.size(), float(r.size()) / float(batch_rows), tape, rngs_[std::size_t(k)],
            stats_[std::size_t(k)]};
  }

  int shards_;
  const ProcessGroup* group_;
  Index rows_ = 0;  // the last run()'s minibatch rows
  std::vector<std::unique_ptr<Tape<float>>> tapes_;  // one per shard: tapes hold their arenas by address
  std::vector<Rng> rngs_;
  std::vector<Stats> stats_;
};

}  // namespace mtf
