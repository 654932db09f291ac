// tarmac train's checkpoint selection: every RL checkpoint on the selection suite, the best
// (or the weight average of the best few) becomes the learned policy.
#include "selection.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <vector>

#include "../evaluation_run.h"
#include "../report_figures.h"
#include "absl/strings/str_join.h"
#include "tarmac/learner/checkpoint_files.h"
#include "tarmac/learner/sac_trainer.h"

namespace tarmac::cli::train {
namespace fs = std::filesystem;

bool KeepAverage(double average_score, int average_crashes, double best_score, int best_crashes,
                 bool collisions_first) {
  return (!collisions_first || average_crashes <= best_crashes) &&
         average_score >= best_score - kAverageTolerance;
}

void AddRunIdentity(const TrainContext& ctx, const std::string& command,
                    const std::string& suite_name, EvaluationReport& report) {
  report.curve = *ctx.curve;
  report.sft_updates = ctx.state->sft_step;
  report.scenario_sources.assign(ctx.state->rl_sources.begin(), ctx.state->rl_sources.end());
  report.identity = {command,
                     {},
                     "",
                     fs::absolute(ctx.dir.root()).lexically_normal().string(),
                     report.policies,
                     suite_name,
                     ConfigDigest(*ctx.config)};
}

double MeanScore(const EvaluationReport& report, int policy) {
  double sum = 0;
  for (const auto& seed : report.seeds) {
    sum +=
        schemas::MetricOr(policy < 0 ? seed.expert.summary : seed.results[policy].summary, "score");
  }
  return sum / std::max<double>(1, static_cast<double>(report.seeds.size()));
}

namespace {

// Episodes of `policy` (-1: the expert) in `report` that ended in an at-fault collision.
int AtFaultCollisions(const EvaluationReport& report, int policy) {
  int n = 0;
  for (const auto& seed : report.seeds) {
    const auto& summary = policy < 0 ? seed.expert.summary : seed.results[policy].summary;
    n += schemas::MetricOr(summary, "at_fault_collision") > 0.0 ? 1 : 0;
  }
  return n;
}

// The weight average of the `count` first checkpoints of `files` in `order` (best first),
// written to learned/ under the best one's step, when on the selection suite it has no more
// at-fault collisions than the best one (`best_crashes`) and scores at most kAverageTolerance
// below it (`best_score`); else the best checkpoint itself. Both are logged.
absl::StatusOr<std::string> AverageBestCheckpoints(TrainContext& ctx,
                                                   const std::vector<std::string>& files,
                                                   const std::vector<std::size_t>& order,
                                                   std::size_t count, double best_score,
                                                   int best_crashes) {
  std::vector<std::string> chosen;
  for (std::size_t i = 0; i < count; ++i) chosen.push_back(files[order[i]]);
  learner::SacOptions options = ctx.learner.sac;
  options.device = "cpu";
  auto trainer = learner::SacTrainer::Create(options, ctx.learner.shape);
  if (!trainer.ok()) return trainer.status();
  if (absl::Status s = (*trainer)->LoadAverage(chosen); !s.ok()) return s;
  std::error_code ec;
  fs::create_directories(ctx.dir.learned(), ec);
  const std::string path = learner::CheckpointPath(ctx.dir.learned(), (*trainer)->step());
  if (absl::Status s = (*trainer)->SaveCheckpoint(path); !s.ok()) return s;
  auto policy = LoadEvaluationPolicy(path, *ctx.config);
  if (!policy.ok()) return policy.status();
  std::vector<NamedPolicy> averaged = {{"average", policy->get()}};
  auto report = EvaluateOnSuite(averaged, -1, *ctx.selection, ctx.env_config, nullptr);
  if (!report.ok()) return report.status();
  const double score = MeanScore(*report, 0);
  const int crashes = AtFaultCollisions(*report, 0);
  if (!KeepAverage(score, crashes, best_score, best_crashes,
                   ctx.settings->selection_collisions_first)) {
    spdlog::warn(
        "train: selection: the weight average of the {} best ({}) scored {:.3f} with {} at-fault "
        "collisions on suite {}, against {:.3f} and {} for the best: the learned policy is {}",
        count, absl::StrJoin(chosen, ", "), score, crashes, ctx.selection->name, best_score,
        best_crashes, files[order.front()]);
    return files[order.front()];
  }
  spdlog::info(
      "train: selection: the learned policy is {}, the weight average of the {} best ({}), "
      "mean score {:.3f} with {} at-fault collisions on suite {}",
      path, count, absl::StrJoin(chosen, ", "), score, crashes, ctx.selection->name);
  return path;
}

}  // namespace

absl::StatusOr<std::string> SelectLearnedCheckpoint(TrainContext& ctx) {
  auto newest = learner::NewestCheckpoint(ctx.dir.checkpoints());
  if (!newest.ok()) return newest.status();
  if (ctx.selection == nullptr) return *newest;
  auto all = learner::ListCheckpoints(ctx.dir.checkpoints());
  if (!all.ok()) return all.status();
  std::vector<std::string> files;
  std::vector<std::unique_ptr<envs::Policy>> loaded;
  std::vector<NamedPolicy> candidates;
  for (const std::string& file : *all) {  // newest first
    const auto step = learner::CheckpointStep(file);
    if (!step || *step <= ctx.state->sft_step) continue;
    auto policy = LoadEvaluationPolicy(file, *ctx.config);
    if (!policy.ok()) {
      spdlog::warn("train: selection: skipping {}: {}", file,
                   std::string(policy.status().message()));
      continue;
    }
    files.push_back(file);
    loaded.push_back(std::move(*policy));
    candidates.push_back({"step " + std::to_string(*step), loaded.back().get()});
  }
  if (candidates.size() < 2) return *newest;
  spdlog::info("train: selection: {} RL checkpoints on suite {}", candidates.size(),
               ctx.selection->name);
  auto report = EvaluateOnSuite(candidates, -1, *ctx.selection, ctx.env_config, nullptr);
  if (!report.ok()) return report.status();
  AddRunIdentity(ctx, "tarmac train (checkpoint selection)", ctx.selection->name, *report);
  if (absl::Status s = WriteReport(*report, ctx.dir.selection()); !s.ok()) return s;
  std::vector<std::size_t> order(candidates.size());
  std::vector<double> scores(candidates.size());
  std::vector<int> crashes(candidates.size());
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    order[i] = i;
    scores[i] = MeanScore(*report, static_cast<int>(i));
    crashes[i] = AtFaultCollisions(*report, static_cast<int>(i));
    spdlog::info("train: selection: {} mean score {:.3f}, {} at-fault collisions",
                 candidates[i].name, scores[i], crashes[i]);
  }
  // Best first: fewer at-fault collisions (train.selection_rank collisions), then the higher
  // score; stable, so the newest among equals stays first.
  const bool collisions_first = ctx.settings->selection_collisions_first;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (collisions_first && crashes[a] != crashes[b]) return crashes[a] < crashes[b];
    return scores[a] > scores[b];
  });
  const std::size_t best = order.front();
  const auto average = std::min<std::size_t>(
      static_cast<std::size_t>(ctx.settings->selection_average), order.size());
  spdlog::info("train: selection: the {} is {} ({:.3f}; expert {:.3f}); report {}",
               average < 2 ? "learned policy" : "best checkpoint", files[best], scores[best],
               MeanScore(*report, -1), ctx.dir.selection() + "/report.html");
  if (average < 2) return files[best];
  return AverageBestCheckpoints(ctx, files, order, average, scores[best], crashes[best]);
}

}  // namespace tarmac::cli::train
