#ifndef TARMAC_LEARNER_SAC_TRAINER_H_
#define TARMAC_LEARNER_SAC_TRAINER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tarmac/learner/checkpoint_files.h"
#include "tarmac/learner/sac_options.h"
#include "tarmac/learner/training_batch.h"
#include "tarmac/schemas/policy_weights.h"

namespace tarmac::learner {

// What one update did. Losses are the values before the gradient step.
struct UpdateStats {
  double critic_loss = 0.0;  // 0.5 * mean(w * (d1^2 + d2^2)); 0 for BC
  double actor_loss = 0.0;   // mean(alpha * log pi - min Q); with demos that divided by
                             // mean |min Q|, + bc_weight * bc_loss
  double alpha_loss = 0.0;
  double bc_loss = 0.0;  // mean negative log-likelihood of the demo actions
  // Mean KL(pi || pi_ref) of the RL batch's states, when an anchor is set (before the step).
  double anchor_kl = 0.0;
  double alpha = 0.0;    // temperature after the step
  double q_mean = 0.0;   // mean of min(Q1, Q2) on the batch
  double entropy = 0.0;  // mean -log pi of fresh actions
  // |TD| + epsilon per row of the RL batch, with |TD| = (|Q1 - y| + |Q2 - y|) / 2: the new
  // priorities for REPLAY.UPDATE.
  std::vector<double> priorities;
};

// The critic's view of a batch without changing anything (tests, diagnostics).
struct CriticEvaluation {
  std::vector<double> q1, q2, target;  // target y = r + discount * (min Q'(s', a') - alpha log pi)
};

// Soft actor-critic (tanh-Gaussian actor, twin critics with Polyak targets, learned temperature)
// with PER importance weights and an optional behaviour-cloning term, or pure behaviour cloning
// (SacOptions::algorithm). Observations are normalised by running statistics updated from every
// RL (or, for BC, demo) batch. Each update draws its noise from a generator seeded by
// (seed, step), so an update depends only on the state saved in a checkpoint.
// Runs on CUDA when available and asked for. Not thread-safe: one thread drives a trainer.
// Cost of Update: one forward/backward of actor and critics on the batch (~ms on CPU at 256).
class SacTrainer {
 public:
  // InvalidArgument for bad options or shape; Unavailable when CUDA is demanded but absent.
  static absl::StatusOr<std::unique_ptr<SacTrainer>> Create(const SacOptions& options,
                                                            const BatchShape& shape);
  ~SacTrainer();
  SacTrainer(const SacTrainer&) = delete;
  SacTrainer& operator=(const SacTrainer&) = delete;

  // One SAC step on `rl` (and the BC term on `demos` when bc_weight > 0 and demos is given).
  // With `train_actor` false only the critics learn (a warm-up after behaviour cloning, so a
  // random critic cannot pull a cloned actor away). InvalidArgument when a batch does not
  // match the shape; nothing is changed then.
  absl::StatusOr<UpdateStats> Update(const TrainingBatch& rl, const TrainingBatch* demos,
                                     bool train_actor = true);
  // One maximum-likelihood step of the actor on demonstrations (algorithm bc).
  absl::StatusOr<UpdateStats> BcUpdate(const TrainingBatch& demos);

  absl::StatusOr<CriticEvaluation> EvaluateCritic(const TrainingBatch& batch);

  // The baseline of bench/learner_bench: one forward and backward pass of the critic loss and of
  // the actor loss on `batch`, with nothing else (no target networks, optimiser steps,
  // normaliser, clipping, priorities or copies back). Changes no parameters.
  absl::Status BareForwardBackward(const TrainingBatch& batch);

  std::uint64_t step() const;
  // Whether the critics hold what SAC learned: the loaded checkpoint was written by SAC (one
  // written by behaviour cloning has untrained critics). False for fresh networks.
  bool critics_trained() const;
  double alpha() const;        // the temperature the next update uses (learned or fixed)
  std::string device() const;  // "cuda", "cpu" or "cpu (bfloat16 products)"
  const SacOptions& options() const;
  const BatchShape& shape() const;
  // The BC term's weight from now on (a schedule calls this between updates).
  void set_bc_weight(double weight);

  // Loads the actor and normaliser of the checkpoint at `path` as the frozen reference of the
  // KL anchor (options().anchor_weight); the trainer's own networks are unchanged. The same
  // refusals as LoadCheckpoint, nothing changed then.
  absl::Status SetAnchor(const std::string& path);
  bool has_anchor() const;
  // Mean KL(pi(.|s) || pi_ref(.|s)) over the rows of `obs` (rows x obs_dim floats, raw
  // observations); FailedPrecondition without an anchor.
  absl::StatusOr<double> AnchorDivergence(const std::vector<float>& obs, int rows);

  // The actor and normaliser as a PolicyWeights message (architecture "sac_mlp", or
  // "sac_transformer" with hidden sizes (dim, layers, heads, head...) and the int64 tensor
  // arch.tokens).
  schemas::PolicyWeights ExportPolicy(std::uint64_t version) const;
  // Flattened parameters of "actor", "critic" or "critic_target" (tests).
  std::vector<float> Parameters(const std::string& network) const;

  // Writes networks, optimisers, normaliser, step and options to `path` atomically (a
  // temporary file, then rename). Internal on I/O failure.
  absl::Status SaveCheckpoint(const std::string& path) const;
  // The same content as bytes (what the checkpoint actor writes off the trainer's thread).
  absl::StatusOr<std::string> SerializeCheckpoint() const;
  // Restores everything SaveCheckpoint wrote. InvalidArgument (one sentence, nothing changed)
  // for a truncated, corrupt or foreign file, or one made for another architecture.
  absl::Status LoadCheckpoint(const std::string& path);
  // Restores the element-wise mean of the checkpoints at `paths` (one run's, for the same
  // networks): actor, critics, target critics, observation normaliser and temperature averaged,
  // the optimisers, step and normaliser count of the first. A weight average of checkpoints
  // near each other in training is a flatter, steadier policy than any one of them.
  // LoadCheckpoint's refusals for any file, nothing changed then; InvalidArgument for an empty
  // list.
  absl::Status LoadAverage(const std::vector<std::string>& paths);

  // The networks, optimisers and normaliser (opaque outside sac_trainer.cc).
  struct State;

 private:
  explicit SacTrainer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// A checkpoint a learner can start from: the file and the learner step it holds.
struct InitCheckpoint {
  std::string path;
  std::uint64_t step = 0;
  bool critics_trained = false;  // written by SAC (behaviour cloning leaves the critics untrained)
};

// OK when the actor these options describe can be built for `shape` (on the CPU, then
// dropped; no critics, no global torch state touched): InvalidArgument in one sentence for
// tokens that do not cover the observation or a learner.model that is not a TorchScript policy
// of this shape. What a command checks before it starts its jobs. O(building the actor).
absl::Status CheckActor(const SacOptions& options, const BatchShape& shape);

// Whether a learner with `options` and `shape` can start from the checkpoint `path` names (a
// file, or the newest in a directory): the file and its step, or the one sentence that refuses
// it (NotFound, or LoadCheckpoint's InvalidArgument for a corrupt file or another architecture).
absl::StatusOr<InitCheckpoint> CheckInitCheckpoint(const std::string& path,
                                                   const SacOptions& options,
                                                   const BatchShape& shape);

}  // namespace tarmac::learner

#endif  // TARMAC_LEARNER_SAC_TRAINER_H_
