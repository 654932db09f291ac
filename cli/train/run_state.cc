#include "run_state.h"

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "absl/strings/str_cat.h"
#include "tarmac/util/atomic_file.h"

namespace tarmac::cli::train {
namespace {

constexpr Phase kPhases[] = {Phase::kDemos, Phase::kSft,  Phase::kDagger,
                             Phase::kRl,    Phase::kEval, Phase::kDone};

}  // namespace

absl::string_view PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kDemos:
      return "demos";
    case Phase::kSft:
      return "sft";
    case Phase::kDagger:
      return "dagger";
    case Phase::kRl:
      return "rl";
    case Phase::kEval:
      return "eval";
    case Phase::kDone:
      return "done";
  }
  return "demos";
}

absl::StatusOr<RunState> RunState::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, " does not exist"));
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    RunState s;
    s.run_id = j.at("run_id").get<std::string>();
    const std::string phase = j.at("phase").get<std::string>();
    bool known = false;
    for (Phase p : kPhases) {
      if (PhaseName(p) == phase) {
        s.phase = p;
        known = true;
      }
    }
    if (!known) throw std::invalid_argument("unknown phase '" + phase + "'");
    s.elapsed_seconds = j.at("elapsed_seconds").get<double>();
    s.sft_step = j.at("sft_step").get<std::uint64_t>();
    s.dagger_rounds = j.value("dagger_rounds", 0);  // absent in runs from before DAgger
    if (j.contains("rl_sources")) {
      s.rl_sources = j.at("rl_sources").get<std::map<std::string, std::uint64_t>>();
    }
    return s;
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not the state of a tarmac train run (", e.what(), ")"));
  }
}

absl::Status RunState::Save(const std::string& path) const {
  const nlohmann::json j = {{"run_id", run_id},
                            {"phase", std::string(PhaseName(phase))},
                            {"elapsed_seconds", elapsed_seconds},
                            {"sft_step", sft_step},
                            {"dagger_rounds", dagger_rounds},
                            {"rl_sources", rl_sources}};
  return util::WriteFileAtomically(path, j.dump(2) + "\n");
}

std::string NewRunId() {
  std::random_device rd;
  char id[16];
  std::snprintf(id, sizeof(id), "%08x", rd());
  return id;
}

}  // namespace tarmac::cli::train
