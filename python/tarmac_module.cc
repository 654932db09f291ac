// `_tarmac`, the native part of the `tarmac` Python package: the envs as a Gymnasium-style vector
// env and the evaluation on a suite. Errors arrive as ValueError with tarmac's one-sentence
// messages.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "evaluation_run.h"
#include "replay.h"
#include "report.h"
#include "tarmac/cli/config_schema.h"
#include "tarmac/cli/env_settings.h"
#include "tarmac/envs/registry.h"
#include "train_command.h"
#include "vector_env.h"

namespace py = pybind11;

namespace tarmac::python {
namespace {

[[noreturn]] void Raise(const absl::Status& status) {
  throw py::value_error(std::string(status.message()));
}

// tarmac's configuration: the built-in defaults, then the YAML file `config_file` (when not
// empty), then `overrides` ({"env.reward.comfort": 2, ...}, each value as `--set` takes it).
cli::Config MakeConfig(const std::string& config_file, const py::dict& overrides) {
  auto config = cli::DefaultConfig();
  if (!config.ok()) Raise(config.status());
  if (!config_file.empty()) {
    if (absl::Status s = config->MergeYamlFile(config_file); !s.ok()) Raise(s);
  }
  for (const auto& [key, value] : overrides) {
    std::string text;
    if (py::isinstance<py::bool_>(value)) {
      text = value.cast<bool>() ? "true" : "false";
    } else if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value)) {
      std::vector<std::string> items;
      for (const auto& item : value) items.push_back(py::str(item).cast<std::string>());
      text = "[" + absl::StrJoin(items, ", ") + "]";
    } else {
      text = py::str(value).cast<std::string>();
    }
    const std::string name = py::str(key).cast<std::string>();
    if (absl::Status s = config->Set(name, text, "the config argument"); !s.ok()) Raise(s);
  }
  if (absl::Status s = cli::CheckConversions(*config); !s.ok()) Raise(s);
  return *std::move(config);
}

envs::EnvConfig EnvConfigOf(const cli::Config& config) {
  auto env = cli::EnvConfigFrom(config);
  if (!env.ok()) Raise(env.status());
  return *std::move(env);
}

// A Python callable as a policy: called with one observation (float32, observation_size) and
// returning the action (action_size numbers). Holds the GIL only while calling it.
class CallablePolicy : public envs::Policy {
 public:
  explicit CallablePolicy(py::object fn, std::string name)
      : fn_(std::move(fn)), name_(std::move(name)) {}
  std::string Name() const override { return name_; }
  void Reset(const envs::Env&) override {}
  void Act(const envs::Env&, absl::Span<const float> observation,
           absl::Span<float> action) override {
    py::gil_scoped_acquire gil;
    py::array_t<float> obs(static_cast<py::ssize_t>(observation.size()));
    std::copy(observation.begin(), observation.end(), obs.mutable_data());
    const auto result =
        py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(fn_(obs));
    if (!result || result.size() != static_cast<py::ssize_t>(action.size())) {
      throw py::value_error(absl::StrCat("the policy ", name_, " must return ", action.size(),
                                         " numbers (the action) for an observation"));
    }
    std::copy(result.data(), result.data() + action.size(), action.begin());
  }

 private:
  py::object fn_;
  std::string name_;
};

// tarmac.evaluate: `policy` (and the expert) on every seed of `suite`; the report as
// report.json has it, parsed by Python's json module.
py::object Evaluate(const py::object& policy, const std::string& suite_name,
                    const std::string& config_file, const py::dict& overrides) {
  const cli::Config config = MakeConfig(config_file, overrides);
  const envs::EnvConfig env = EnvConfigOf(config);
  auto suite = cli::LoadRunSuite(suite_name, env);
  if (!suite.ok()) Raise(suite.status());
  std::unique_ptr<envs::Policy> driver;
  std::string name;
  if (py::isinstance<py::str>(policy)) {
    name = policy.cast<std::string>();
    auto loaded = cli::LoadEvaluationPolicy(name, config);
    if (!loaded.ok()) Raise(loaded.status());
    if (absl::Status s = cli::CheckLoggedEgos(name, *suite); !s.ok()) Raise(s);
    driver = *std::move(loaded);
  } else if (PyCallable_Check(policy.ptr()) != 0) {
    name = py::hasattr(policy, "__name__") ? policy.attr("__name__").cast<std::string>()
                                           : std::string("python");
    driver = std::make_unique<CallablePolicy>(policy, name);
  } else {
    throw py::value_error(
        "policy must be \"expert\", a checkpoint (file or directory) or a callable taking an "
        "observation and returning an action");
  }
  std::string json;
  {
    py::gil_scoped_release release;  // a callable policy takes it back for each call
    auto report = cli::EvaluateOnSuite({{name, driver.get()}}, -1, *suite, env, nullptr);
    if (!report.ok()) {
      py::gil_scoped_acquire gil;
      Raise(report.status());
    }
    report->identity.command = "tarmac.evaluate";
    json = cli::ReportJsonText(*report);
  }
  return py::module_::import("json").attr("loads")(json);
}

}  // namespace

}  // namespace tarmac::python

PYBIND11_MODULE(_tarmac, m) {
  m.doc() = "tarmac's envs and evaluation, native part (import tarmac instead)";

  py::class_<tarmac::python::VectorEnv>(m, "VectorEnv")
      .def(py::init([](const std::string& name, int num_envs, std::uint64_t seed,
                       const std::string& config_file, const py::dict& config) {
             return std::make_unique<tarmac::python::VectorEnv>(
                 name, num_envs, seed,
                 tarmac::python::EnvConfigOf(tarmac::python::MakeConfig(config_file, config)));
           }),
           py::arg("name") = "driving-v0", py::arg("num_envs") = 1, py::arg("seed") = 0,
           py::arg("config_file") = "", py::arg("config") = py::dict())
      .def("reset", &tarmac::python::VectorEnv::Reset, py::arg("seed") = py::none())
      .def("step", &tarmac::python::VectorEnv::Step, py::arg("actions"))
      .def("expert_actions", &tarmac::python::VectorEnv::ExpertActions)
      .def_property_readonly("num_envs", &tarmac::python::VectorEnv::num_envs)
      .def_property_readonly("name",
                             [](const tarmac::python::VectorEnv& e) { return e.spec().name; })
      .def_property_readonly(
          "observation_size",
          [](const tarmac::python::VectorEnv& e) { return e.spec().observation_size; })
      .def_property_readonly(
          "action_size", [](const tarmac::python::VectorEnv& e) { return e.spec().action_size; })
      .def_property_readonly("action_low",
                             [](const tarmac::python::VectorEnv& e) { return e.spec().action_low; })
      .def_property_readonly(
          "action_high", [](const tarmac::python::VectorEnv& e) { return e.spec().action_high; })
      .def_property_readonly(
          "reward_terms", [](const tarmac::python::VectorEnv& e) { return e.spec().reward_terms; })
      .def_property_readonly("dt", [](const tarmac::python::VectorEnv& e) { return e.spec().dt; })
      .def_property_readonly("max_steps",
                             [](const tarmac::python::VectorEnv& e) { return e.spec().max_steps; });

  using tarmac::python::Replay;
  py::class_<Replay>(m, "Replay")
      .def(py::init<const std::string&>(), py::arg("urls"))
      .def("create", &Replay::Create, py::arg("table"), py::arg("capacity") = 1000000,
           py::arg("alpha") = 0.6, py::arg("eviction") = "fifo",
           py::arg("samples_per_insert") = 0.0, py::arg("min_size") = 0, py::arg("tolerance") = 0.0,
           py::arg("max_times_sampled") = 0)
      .def("insert", &Replay::Insert, py::arg("table"), py::arg("obs"), py::arg("action"),
           py::arg("reward"), py::arg("discount"), py::arg("next_obs"),
           py::arg("done") = py::none(), py::arg("version") = 0, py::arg("priority") = py::none(),
           py::arg("tags") = py::none(), py::arg("events") = py::none())
      .def("sample", &Replay::Sample, py::arg("table"), py::arg("n"), py::arg("beta") = 0.4,
           py::arg("tags") = py::none(), py::arg("seed") = py::none())
      .def("update", &Replay::Update, py::arg("table"), py::arg("shard"), py::arg("id"),
           py::arg("priority"))
      .def("info", &Replay::Info, py::arg("table"));

  m.def("evaluate", &tarmac::python::Evaluate, py::arg("policy"), py::arg("suite") = "default",
        py::arg("config_file") = "", py::arg("config") = py::dict());
  m.def("envs", [] { return tarmac::envs::EnvRegistry::Global().Names(); });
}
