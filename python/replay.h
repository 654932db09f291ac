#ifndef TARMAC_PYTHON_REPLAY_H_
#define TARMAC_PYTHON_REPLAY_H_

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <optional>
#include <string>

#include "tarmac/buffer/replay_client.h"

namespace tarmac::python {

using FloatArray = pybind11::array_t<float, pybind11::array::c_style | pybind11::array::forcecast>;

// `tarmac.Replay`: the replay tables of the tarmac_replay module over one or more shards, with
// numpy columns in and out. Transitions are encoded and decoded in C++ (the Transition payload
// actors write and the learner reads); network calls run with the GIL released. Not
// thread-safe (one client per thread, as buffer::ReplayClient).
class Replay {
 public:
  // `urls`: comma-separated redis://host:port or unix:///path URLs, one per shard. ValueError
  // for a malformed URL or a shard that cannot be reached.
  explicit Replay(const std::string& urls);

  void Create(const std::string& table, std::uint64_t capacity, double alpha,
              const std::string& eviction, double samples_per_insert, std::uint64_t min_size,
              double tolerance, std::uint32_t max_times_sampled);
  // Rows of obs (n, obs_dim), action (n, action_dim), reward (n), discount (n), next_obs, and
  // optionally done (n, bool), priority (n; empty: the table's maximum), tags and events (n,
  // uint64), inserted as one atomic batch of policy `version`. Returns {"shard", "id"} arrays.
  pybind11::dict Insert(const std::string& table, const FloatArray& obs, const FloatArray& action,
                        const FloatArray& reward, const FloatArray& discount,
                        const FloatArray& next_obs, const pybind11::object& done,
                        std::uint64_t version, const pybind11::object& priority,
                        const pybind11::object& tags, const pybind11::object& events);
  // n items drawn by priority; `tags`: None (all), a mask, or [(mask, weight), ...]. The columns
  // as numpy arrays: obs, action, reward, discount, next_obs, done, weight, probability,
  // priority, shard, id, events, policy_version, tags, times_sampled.
  pybind11::dict Sample(const std::string& table, std::size_t n, double beta,
                        const pybind11::object& tags, std::optional<std::uint64_t> seed);
  // New priorities for the items (shard, id); {"applied", "stale"}.
  pybind11::dict Update(const std::string& table, const pybind11::array_t<std::uint32_t>& shard,
                        const pybind11::array_t<std::uint64_t>& id, const FloatArray& priority);
  // REPLAY.INFO of every shard, numbers as numbers.
  pybind11::list Info(const std::string& table);

 private:
  std::unique_ptr<buffer::ReplayClient> client_;
};

}  // namespace tarmac::python

#endif  // TARMAC_PYTHON_REPLAY_H_
