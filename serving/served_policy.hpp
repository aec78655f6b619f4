// serving/served_policy.hpp — serving an exported policy (issue 14, part 3): load the file `mtf export`
// writes, decide the actions and the fusion weights α for a batch of states. The one header a serving
// binary needs; it exposes no Eigen and no engine type. serving/mtf_serving.h is the same for C.
//
//   mtf::ServedPolicy policy = mtf::ServedPolicy::load("bcq.policy");  // throws naming file and field
//   mtf::ServedPolicy::Scratch scratch(seed);                            // one per calling thread
//   policy.decide(states, n, actions, alphas, scratch);                  // n x S in, n x A and n x A out
//
// Load packs every layer's weights once into the panel layout of the GEMM kernel active then
// (engine/kernels/dispatch.hpp; about the weights' size again: 3.9 MB at the reference sizes), so a call
// does not repack them; the actions are the same bits as unpacked. (After mtf::set_kernel to another
// kernel, calls fall back to packing per call, with that kernel's bits.)
//
// Threads: decide() is const and reads only the policy, so any number of threads may call it at once,
// each with its OWN Scratch (the tape its networks run on, and its random generator). After the first
// call with a given n (warm-up) a call allocates nothing. Each call's kernels use the calling thread's
// OpenMP thread count (mtf::set_num_threads / omp_set_num_threads on that thread): concurrent callers
// on a full machine should each use 1.
//
// Randomness: BCQ samples its VAE proposals (eq. 4), so its actions depend on the Scratch's generator:
// the same seed and the same sequence of calls give the same bits, on any thread, with any number of
// other callers; Scratch::reseed(seed) before a call makes that call reproducible on its own. The
// deterministic learners (bc, td3, uwac_td3, cql_sac) ignore it. For the same generator state the
// actions are bit for bit the learner snapshot's (Learner::snapshot(...)->act with an Rng of that state).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace mtf {

class Checkpoint;

class ServedPolicy {
 public:
  /// A calling thread's working memory and random generator: never shared by two concurrent calls.
  class Scratch {
   public:
    explicit Scratch(std::uint64_t seed = 0);
    ~Scratch();
    Scratch(Scratch&&) noexcept;
    Scratch& operator=(Scratch&&) noexcept;
    /// Restarts the generator (BCQ's latent samples) from `seed`.
    void reseed(std::uint64_t seed);

   private:
    friend class ServedPolicy;
    struct Impl;
    std::unique_ptr<Impl> impl_;
  };

  /// Reads an exported policy. Throws std::runtime_error naming the file and the field or section for a
  /// missing, truncated or corrupted file (checksum), a training checkpoint, another format or version,
  /// and — when expected_state_dim / expected_action_dim are positive — a policy of other dimensions.
  static ServedPolicy load(const std::string& path, int expected_state_dim = 0, int expected_action_dim = 0);
  /// The same from the file's bytes; `source` names them in messages.
  static ServedPolicy from_bytes(std::string_view bytes, const std::string& source, int expected_state_dim = 0,
                                 int expected_action_dim = 0);

  ServedPolicy(ServedPolicy&&) noexcept;
  ServedPolicy& operator=(ServedPolicy&&) noexcept;
  ~ServedPolicy();

  /// The learner it was exported from ("bcq", "bc", "td3", "uwac_td3", "cql_sac").
  const std::string& algorithm() const;
  int state_dim() const;
  int action_dim() const;
  /// True when decide() draws from the Scratch's generator (BCQ).
  bool stochastic() const;

  /// Actions (n x A, row-major, in [-1, 1]) and, unless `alphas` is null, the fusion weights (n x A):
  /// α_i = low_i + (a_i + 1) / 2 (high_i - low_i), the bounds stored in the file. `states` is n x S
  /// row-major. n >= 0; throws std::invalid_argument for n < 0 or null pointers with n > 0.
  void decide(const float* states, int n, float* actions, float* alphas, Scratch& scratch) const;

  /// The α bounds of action dimension i.
  double alpha_low(int i) const;
  double alpha_high(int i) const;

  class Model;  // the network(s) of one serving kind (served_policy.cpp)

 private:
  ServedPolicy();
  static ServedPolicy from_checkpoint(const Checkpoint& in, int expected_state_dim, int expected_action_dim);
  std::unique_ptr<const Model> model_;
  struct Info;
  std::unique_ptr<const Info> info_;
};

}  // namespace mtf
