#ifndef TARMAC_BENCH_DRIVING_TRAINERS_H_
#define TARMAC_BENCH_DRIVING_TRAINERS_H_

#include <memory>

#include "tarmac/envs/env_batch.h"
#include "tarmac/learner/sac_trainer.h"

namespace tarmac::bench {

// A one-thread CPU trainer of the driving env's shape with these options: its exported actor is
// what the benchmarks run and publish. `tokens`: the observation's token layout, which only
// token-reading actors (the transformer) use.
inline std::unique_ptr<learner::SacTrainer> DrivingTrainer(learner::SacOptions sac,
                                                           bool tokens = true) {
  sac.device = "cpu";
  sac.threads = 1;
  auto spec = envs::EnvBatch::Create("driving-v0", 1, 1).value()->spec();
  return learner::SacTrainer::Create(
             sac, {spec.observation_size, spec.action_size, spec.action_low, spec.action_high,
                   tokens ? spec.tokens : decltype(spec.tokens){}})
      .value();
}

// The scene transformer at its default sizes: 64 wide, 2 layers, 4 heads, a 2 x 256 head.
inline learner::SacOptions TransformerOptions() {
  learner::SacOptions sac;
  sac.arch = learner::ActorArch::kTransformer;
  return sac;
}

// A trainer whose exported actor (76-512-512-4, float32) is a ~1.2 MB weights blob.
inline std::unique_ptr<learner::SacTrainer> LargeTrainer() {
  learner::SacOptions sac;
  sac.hidden_sizes = {512, 512};
  return DrivingTrainer(sac, /*tokens=*/false);
}

}  // namespace tarmac::bench

#endif  // TARMAC_BENCH_DRIVING_TRAINERS_H_
