#ifndef TARMAC_LEARNER_NETWORK_POLICY_H_
#define TARMAC_LEARNER_NETWORK_POLICY_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "tarmac/envs/policy.h"
#include "tarmac/schemas/policy_weights.h"

namespace tarmac::learner {

// A learned actor for inference: a batch of observations in, physical actions out. Built from a
// PolicyWeights message (what the learner publishes) or a checkpoint. Uses LibTorch on the CPU;
// the header does not include it. Thread-compatible: const calls may run concurrently, but one
// instance is normally owned by one inference actor.
class InferencePolicy {
 public:
  // InvalidArgument (one sentence) when the weights are not a "sac_mlp" or "sac_transformer"
  // actor (the transformer runs through LibTorch, whatever `backend` says), a tensor is
  // missing or misshapen, or a value is not finite. `backend` picks the kernels (see backend());
  // empty: the fastest this LibTorch has. Unavailable when the one named cannot run here.
  static absl::StatusOr<std::unique_ptr<InferencePolicy>> FromWeights(
      const schemas::PolicyWeights& weights, absl::string_view backend = {});
  // Which checkpoint FromCheckpoint loaded, and the newer ones it could not read (path, why).
  struct CheckpointChoice {
    std::string loaded;
    std::vector<std::pair<std::string, std::string>> skipped;
  };
  // Loads the actor of the newest readable checkpoint in `dir` (or of the file `dir` names):
  // a truncated newest checkpoint (a crash while writing) falls back to the one before, and
  // `choice` says which was used and what was skipped. NotFound when there is none;
  // InvalidArgument (one sentence naming the file) when none can be read. `backend` picks the
  // kernels as FromWeights; Unavailable, with nothing skipped, when they cannot run here.
  static absl::StatusOr<std::unique_ptr<InferencePolicy>> FromCheckpoint(
      const std::string& dir, CheckpointChoice* choice = nullptr, absl::string_view backend = {});
  // A randomly initialised actor of the default architecture (before a learner has published),
  // on the kernels `backend` names (as FromWeights).
  static absl::StatusOr<std::unique_ptr<InferencePolicy>> Random(
      int obs_dim, const std::vector<float>& action_low, const std::vector<float>& action_high,
      const std::vector<int>& hidden_sizes, std::uint64_t seed, absl::string_view backend = {});
  // Whether the kernels `backend` names ("eigen", "xnnpack", "onednn", "libtorch") run in this
  // build on this CPU.
  static bool BackendRuns(absl::string_view backend);
  // The backend the setting actor.inference_backend names, as FromWeights takes it ("auto":
  // empty); InvalidArgument, one sentence naming the key, when those kernels cannot run here.
  static absl::StatusOr<std::string> PinnedBackend(absl::string_view setting);

  ~InferencePolicy();
  InferencePolicy(const InferencePolicy&) = delete;
  InferencePolicy& operator=(const InferencePolicy&) = delete;

  const schemas::Architecture& architecture() const;
  std::uint64_t version() const;
  // Which kernels run the forward pass: "eigen" (AVX2/FMA, the default on CPUs with AVX2 and
  // without AVX-512), "xnnpack" (prepacked; the default with AVX-512), "onednn", or
  // "libtorch" (dense tensors through the system BLAS) when neither of those can run.
  const char* backend() const;

  // Writes one action row per observation row into `actions` (rows * action_dim, physical
  // units). `noise_scale` multiplies the Gaussian's standard deviation: 0 gives the mean
  // (deterministic) action, 1 samples the SAC policy. `seed` makes the draw reproducible.
  // O(rows * network size); allocates the intermediate tensors. Safe to call from several
  // threads at once (XNNPACK's kernels give each concurrent call its own packed copy).
  void Act(absl::Span<const float> observations, int rows, absl::Span<const float> noise_scale,
           std::uint64_t seed, absl::Span<float> actions) const;

 private:
  struct Net;
  explicit InferencePolicy(std::unique_ptr<Net> net);
  std::unique_ptr<Net> net_;
};

// Sets how many threads LibTorch (and its OpenMP/oneDNN kernels) use for calls made from the
// calling thread. OpenMP settings are per thread: a thread that runs inference calls this first,
// or its kernels fan out over every core and their idle workers spin.
void SetInferenceThreads(int threads);

// envs::Policy over an InferencePolicy (deterministic unless noise is given): what `tarmac eval
// --policy DIR` runs. Not thread-safe.
class NetworkPolicy : public envs::Policy {
 public:
  explicit NetworkPolicy(std::shared_ptr<const InferencePolicy> net, float noise_scale = 0.0F);
  std::string Name() const override;
  std::uint64_t Version() const override;
  void Reset(const envs::Env& env) override;
  void Act(const envs::Env& env, absl::Span<const float> observation,
           absl::Span<float> action) override;

 private:
  std::shared_ptr<const InferencePolicy> net_;
  float noise_scale_;
  std::uint64_t draws_ = 0;
};

}  // namespace tarmac::learner

#endif  // TARMAC_LEARNER_NETWORK_POLICY_H_
