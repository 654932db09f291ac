#ifndef TARMAC_PYTHON_VECTOR_ENV_H_
#define TARMAC_PYTHON_VECTOR_ENV_H_

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tarmac/envs/env_batch.h"
#include "tarmac/envs/env_config.h"
#include "tarmac/envs/policy.h"

namespace tarmac::python {

// `tarmac.VectorEnv`: an EnvBatch under the Gymnasium vector-env conventions. reset() ->
// (obs, info); step(actions) -> (obs, reward, terminated, truncated, info), with same-step
// autoreset: a finished env's row of obs is already its next episode's first observation, the
// last one of the finished episode is in info["final_observation"] (rows where
// info["_final_observation"] is true), and its summary in info["episodes"]. Each call copies
// the batch's arrays once into fresh numpy arrays; stepping runs with the GIL released. Not
// thread-safe (one Python thread at a time, as Gymnasium's).
class VectorEnv {
 public:
  // ValueError (one sentence) for an unknown env, a size out of range or a bad config.
  VectorEnv(std::string name, int num_envs, std::uint64_t seed, envs::EnvConfig config);

  // Starts every env afresh: from `seed` when given, else from the seed of the last reset.
  pybind11::tuple Reset(std::optional<std::uint64_t> seed);
  // `actions`: (num_envs, action_size) floats in physical units (clipped by the envs).
  pybind11::tuple Step(const pybind11::array_t<float, pybind11::array::c_style |
                                                          pybind11::array::forcecast>& actions);
  // The expert's action for each env's current state, (num_envs, action_size); ValueError when
  // the env offers no expert.
  pybind11::array_t<float> ExpertActions();

  const envs::EnvSpec& spec() const { return batch_->spec(); }
  int num_envs() const { return batch_->size(); }

 private:
  pybind11::array_t<float> Observations() const;
  pybind11::dict Info(bool stepped);

  std::string name_;
  envs::EnvConfig config_;
  std::uint64_t seed_;
  std::unique_ptr<envs::EnvBatch> batch_;
  std::vector<std::unique_ptr<envs::Policy>> experts_;  // per env, made on first use
  std::vector<std::uint64_t> expert_episode_;           // the episode each expert was reset for
};

}  // namespace tarmac::python

#endif  // TARMAC_PYTHON_VECTOR_ENV_H_
