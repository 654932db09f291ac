// `_tarmac`, the native part of the `tarmac` Python package: the envs as a Gymnasium-style vector
// env and the evaluation on a suite. Errors arrive as ValueError with tarmac's one-sentence
// messages.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "compare_report.h"
#include "episode_sources.h"
#include "evaluation_run.h"
#include "mine_report.h"
#include "policy_comparison.h"
#include "replay.h"
#include "report.h"
#include "tarmac/analysis/behaviours.h"
#include "tarmac/analysis/comparison.h"
#include "tarmac/analysis/mining.h"
#include "tarmac/cli/config_schema.h"
#include "tarmac/cli/env_settings.h"
#include "tarmac/envs/registry.h"
#include "tarmac/schemas/episode_log.h"
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

// The policy `policy` names: a string as --policy takes it, or a Python callable; its name in
// `name`. ValueError (one sentence) otherwise.
std::unique_ptr<envs::Policy> MakePolicy(const py::object& policy, const cli::Config& config,
                                         const envs::Suite& suite, std::string* name) {
  if (py::isinstance<py::str>(policy)) {
    *name = policy.cast<std::string>();
    auto loaded = cli::LoadEvaluationPolicy(*name, config);
    if (!loaded.ok()) Raise(loaded.status());
    if (absl::Status s = cli::CheckLoggedEgos(*name, suite); !s.ok()) Raise(s);
    return *std::move(loaded);
  }
  if (PyCallable_Check(policy.ptr()) != 0) {
    *name = py::hasattr(policy, "__name__") ? policy.attr("__name__").cast<std::string>()
                                            : std::string("python");
    return std::make_unique<CallablePolicy>(policy, *name);
  }
  throw py::value_error(
      "policy must be \"expert\", a checkpoint (file or directory) or a callable taking an "
      "observation and returning an action");
}

py::object ParseJson(const std::string& text) {
  return py::module_::import("json").attr("loads")(text);
}

// tarmac.compare: `tarmac compare --a A --b B --suite S [--gate G]`'s compare.json as a dict.
py::object Compare(const py::object& a, const py::object& b, const std::string& suite_name,
                   const std::string& behaviours_file, const std::string& gate_file, int resamples,
                   const std::string& config_file, const py::dict& overrides) {
  if (resamples < 2000 || resamples > 1000000) {
    throw py::value_error("resamples must be from 2000 to 1000000");
  }
  const cli::Config config = MakeConfig(config_file, overrides);
  const envs::EnvConfig env = EnvConfigOf(config);
  auto behaviours = analysis::BehavioursFrom(behaviours_file);
  if (!behaviours.ok()) Raise(behaviours.status());
  std::vector<std::string> names;
  for (const analysis::Behaviour& behaviour : *behaviours) names.push_back(behaviour.name);
  std::vector<analysis::Gate> gates;
  if (!gate_file.empty()) {
    auto loaded = analysis::LoadGates(gate_file, analysis::ComparedQuantities(), names);
    if (!loaded.ok()) Raise(loaded.status());
    gates = *std::move(loaded);
  }
  auto suite = cli::LoadRunSuite(suite_name, env);
  if (!suite.ok()) Raise(suite.status());
  for (const envs::SuiteEntry& entry : suite->entries) {
    if (!entry.env.empty()) {
      throw py::value_error(absl::StrCat("the suite ", suite_name, " has an entry of env ",
                                         entry.env, "; compare drives the driving families only"));
    }
  }
  std::string a_name, b_name;
  std::unique_ptr<envs::Policy> pa = MakePolicy(a, config, *suite, &a_name);
  std::unique_ptr<envs::Policy> pb = MakePolicy(b, config, *suite, &b_name);
  std::string json;
  {
    py::gil_scoped_release release;
    std::ostringstream progress;
    const cli::CompareResult result = cli::ComparePolicies(
        *pa, a_name, *pb, b_name, *suite, suite->name.empty() ? suite_name : suite->name, env,
        *behaviours, gates, resamples, progress);
    cli::ReportIdentity identity;
    identity.command = "tarmac.compare";
    identity.sources = {a_name, b_name};
    identity.behaviours = behaviours_file.empty() ? std::string("built-in") : behaviours_file;
    identity.policies = {{a_name, pa->Version()}, {b_name, pb->Version()}};
    identity.suite = suite_name;
    json = cli::CompareJson(result, identity).dump();
  }
  return ParseJson(json);
}

// tarmac.mine: `tarmac mine SOURCE...`'s mine.json as a dict.
py::object Mine(const std::vector<std::string>& sources, const std::string& behaviours_file,
                std::size_t worst) {
  if (sources.empty()) {
    throw py::value_error(
        "mine needs episode logs or directories of them (tarmac eval "
        "--log-episodes --out DIR writes them)");
  }
  auto behaviours = analysis::BehavioursFrom(behaviours_file);
  if (!behaviours.ok()) Raise(behaviours.status());
  auto files = cli::EpisodeLogFiles(sources);
  if (!files.ok()) Raise(files.status());
  std::string json;
  absl::Status failed;
  {
    py::gil_scoped_release release;
    std::vector<analysis::MinedEpisode> mined;
    for (const std::string& file : *files) {
      absl::StatusOr<schemas::EpisodeLog> log = schemas::ReadEpisodeLogFile(file);
      if (!log.ok()) {
        failed = log.status();
        break;
      }
      mined.push_back(analysis::MineEpisode(*log, *behaviours, file));
    }
    if (failed.ok()) {
      const analysis::MineResult result = analysis::Summarise(std::move(mined), *behaviours, worst);
      cli::ReportIdentity identity;
      identity.command = "tarmac.mine";
      identity.sources = sources;
      identity.behaviours = behaviours_file.empty() ? std::string("built-in") : behaviours_file;
      json = cli::MineJson(result, identity).dump();
    }
  }
  if (!failed.ok()) Raise(failed);
  return ParseJson(json);
}

// tarmac.evaluate: `policy` (and the expert) on every seed of `suite`; the report as
// report.json has it, parsed by Python's json module.
py::object Evaluate(const py::object& policy, const std::string& suite_name,
                    const std::string& config_file, const py::dict& overrides) {
  const cli::Config config = MakeConfig(config_file, overrides);
  const envs::EnvConfig env = EnvConfigOf(config);
  auto suite = cli::LoadRunSuite(suite_name, env);
  if (!suite.ok()) Raise(suite.status());
  std::string name;
  std::unique_ptr<envs::Policy> driver = MakePolicy(policy, config, *suite, &name);
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
  return ParseJson(json);
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
  m.def("compare", &tarmac::python::Compare, py::arg("a"), py::arg("b"),
        py::arg("suite") = "default", py::arg("behaviours") = "", py::arg("gate") = "",
        py::arg("resamples") = 2000, py::arg("config_file") = "", py::arg("config") = py::dict());
  m.def("mine", &tarmac::python::Mine, py::arg("sources"), py::arg("behaviours") = "",
        py::arg("worst") = 10);
  m.def("envs", [] { return tarmac::envs::EnvRegistry::Global().Names(); });
}
