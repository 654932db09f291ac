#include "vector_env.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "numpy_columns.h"
#include "tarmac/envs/registry.h"
#include "tarmac/schemas/event.h"

namespace py = pybind11;

namespace tarmac::python {
namespace {

// A fresh (rows, cols) float32 array holding `values` (rows * cols of them).
py::array_t<float> Matrix(absl::Span<const float> values, int rows, int cols) {
  py::array_t<float> out({rows, cols});
  std::memcpy(out.mutable_data(), values.data(), values.size() * sizeof(float));
  return out;
}

py::dict SummaryDict(const schemas::EpisodeSummary& s) {
  py::dict out;
  out["scenario"] = s.scenario;
  out["seed"] = s.seed;
  out["episode_id"] = s.episode_id;
  out["steps"] = s.steps;
  out["return"] = s.episode_return;
  out["outcome"] = std::string(schemas::OutcomeName(s.outcome));
  out["distance_m"] = s.distance_m;
  py::dict metrics, terms;
  for (const auto& m : s.metrics) metrics[py::str(m.name)] = m.value;
  for (const auto& t : s.term_returns) terms[py::str(t.name)] = t.value;
  out["metrics"] = metrics;
  out["term_returns"] = terms;
  py::list events;
  for (const auto& e : s.events) {
    py::dict event;
    event["event"] = std::string(schemas::EventName(e.event));
    event["step"] = e.step;
    event["s"] = e.s;
    event["x"] = e.x;
    event["y"] = e.y;
    events.append(event);
  }
  out["events"] = events;
  return out;
}

}  // namespace

VectorEnv::VectorEnv(std::string name, int num_envs, std::uint64_t seed, envs::EnvConfig config)
    : name_(std::move(name)), config_(std::move(config)), seed_(seed) {
  if (num_envs < 1 || num_envs > 65536) {
    throw py::value_error(absl::StrCat("num_envs must be from 1 to 65536, not ", num_envs));
  }
  auto batch = envs::EnvBatch::Create(name_, num_envs, seed_, config_);
  if (!batch.ok()) throw py::value_error(std::string(batch.status().message()));
  batch_ = *std::move(batch);
}

py::array_t<float> VectorEnv::Observations() const {
  return Matrix(batch_->observations(), num_envs(), spec().observation_size);
}

py::dict VectorEnv::Info(bool stepped) {
  const int n = num_envs();
  const int terms = static_cast<int>(spec().reward_terms.size());
  py::dict info;
  info["episode_id"] = Column<std::uint64_t>(batch_->episode_ids());
  info["step"] = Column<std::uint32_t>(batch_->steps());
  if (!stepped) return info;
  info["reward_terms"] = Matrix(batch_->reward_terms(), n, terms);
  info["events"] = Column<std::uint64_t>(batch_->events());
  py::array_t<bool> done(n);
  bool any = false;
  for (int i = 0; i < n; ++i) {
    const bool d = batch_->terminated()[i] != 0 || batch_->truncated()[i] != 0;
    done.mutable_data()[i] = d;
    any = any || d;
  }
  if (any) {
    info["final_observation"] = Matrix(batch_->final_observations(), n, spec().observation_size);
    info["_final_observation"] = done;
    py::list episodes;
    for (const schemas::EpisodeSummary& s : batch_->TakeFinishedEpisodes()) {
      episodes.append(SummaryDict(s));
    }
    info["episodes"] = episodes;
  }
  return info;
}

py::tuple VectorEnv::Reset(std::optional<std::uint64_t> seed) {
  if (seed) seed_ = *seed;
  auto batch = envs::EnvBatch::Create(name_, num_envs(), seed_, config_);
  if (!batch.ok()) throw py::value_error(std::string(batch.status().message()));
  batch_ = *std::move(batch);
  expert_episode_.assign(expert_episode_.size(), ~0ULL);
  return py::make_tuple(Observations(), Info(false));
}

py::tuple VectorEnv::Step(
    const py::array_t<float, py::array::c_style | py::array::forcecast>& actions) {
  const int n = num_envs();
  const int a = spec().action_size;
  if (actions.ndim() != 2 || actions.shape(0) != n || actions.shape(1) != a) {
    std::string shape;
    for (py::ssize_t d = 0; d < actions.ndim(); ++d) {
      absl::StrAppend(&shape, d == 0 ? "" : ", ", actions.shape(d));
    }
    throw py::value_error(absl::StrCat("actions must have the shape (", n, ", ", a,
                                       ") (num_envs, action_size), not (", shape, ")"));
  }
  const absl::Span<const float> span(actions.data(), static_cast<std::size_t>(n) * a);
  {
    py::gil_scoped_release release;
    batch_->Step(span);
  }
  py::array_t<float> rewards(n);
  std::copy(batch_->rewards().begin(), batch_->rewards().end(), rewards.mutable_data());
  py::array_t<bool> terminated(n), truncated(n);
  for (int i = 0; i < n; ++i) {
    terminated.mutable_data()[i] = batch_->terminated()[i] != 0;
    truncated.mutable_data()[i] = batch_->truncated()[i] != 0;
  }
  return py::make_tuple(Observations(), rewards, terminated, truncated, Info(true));
}

py::array_t<float> VectorEnv::ExpertActions() {
  const int n = num_envs();
  const int a = spec().action_size;
  if (experts_.empty()) {
    for (int i = 0; i < n; ++i) {
      std::unique_ptr<envs::Policy> expert = batch_->env(i).MakeExpert();
      if (expert == nullptr) {
        throw py::value_error(absl::StrCat("env ", name_, " offers no expert"));
      }
      experts_.push_back(std::move(expert));
    }
    expert_episode_.assign(static_cast<std::size_t>(n), ~0ULL);
  }
  py::array_t<float> out({n, a});
  const int obs = spec().observation_size;
  {
    py::gil_scoped_release release;
    for (int i = 0; i < n; ++i) {
      envs::Env& env = batch_->env(i);
      // The expert follows one episode at a time: a new one since its last action resets it.
      if (expert_episode_[i] != batch_->episode_ids()[i]) {
        experts_[i]->Reset(env);
        expert_episode_[i] = batch_->episode_ids()[i];
      }
      experts_[i]->Act(env, batch_->observations().subspan(static_cast<std::size_t>(i) * obs, obs),
                       absl::MakeSpan(out.mutable_data() + static_cast<std::ptrdiff_t>(i) * a,
                                      static_cast<std::size_t>(a)));
    }
  }
  return out;
}

}  // namespace tarmac::python
