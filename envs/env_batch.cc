#include "tarmac/envs/env_batch.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "tarmac/envs/driving_env.h"
#include "tarmac/envs/registry.h"
#include "tarmac/util/splitmix.h"

namespace tarmac::envs {
namespace {

constexpr auto Mix = util::SplitMix64;

}  // namespace

absl::StatusOr<std::unique_ptr<EnvBatch>> EnvBatch::Create(const std::string& env_name, int size,
                                                           std::uint64_t base_seed,
                                                           const EnvConfig& config) {
  if (size <= 0 || size > 4096) {
    return absl::InvalidArgumentError(
        absl::StrCat("an env batch holds 1 to 4096 envs, not ", size));
  }
  std::unique_ptr<EnvBatch> batch(new EnvBatch());
  batch->base_seed_ = base_seed;
  batch->config_ = config;
  for (int i = 0; i < size; ++i) {
    absl::StatusOr<std::unique_ptr<Env>> env = EnvRegistry::Global().Make(env_name, config);
    if (!env.ok()) return env.status();
    batch->envs_.push_back(*std::move(env));
  }
  const EnvSpec& spec = batch->spec();
  const std::size_t n = static_cast<std::size_t>(size);
  batch->observations_.assign(n * spec.observation_size, 0.0F);
  batch->final_observations_.assign(n * spec.observation_size, 0.0F);
  batch->rewards_.assign(n, 0.0F);
  batch->reward_terms_.assign(n * spec.reward_terms.size(), 0.0F);
  batch->terminated_.assign(n, 0);
  batch->truncated_.assign(n, 0);
  batch->events_.assign(n, 0);
  batch->episode_ids_.assign(n, 0);
  batch->steps_.assign(n, 0);
  batch->episodes_started_.assign(n, 0);
  batch->source_tags_.assign(n, 0);
  batch->recorders_.resize(n);
  batch->recorded_.assign(n, 0);
  for (int i = 0; i < size; ++i) batch->ResetEnv(i);
  return batch;
}

std::uint64_t EnvBatch::SeedFor(int env, std::uint64_t episode) const {
  return Mix(base_seed_ ^ Mix(static_cast<std::uint64_t>(env) ^ Mix(episode)));
}

const std::string& EnvBatch::source_name(std::size_t k) const {
  static const std::string kOwnDraw = "env";
  return mix_ != nullptr ? mix_->sources()[k].name : kOwnDraw;
}

absl::Status EnvBatch::SetScenarioMix(std::shared_ptr<const ScenarioMix> mix) {
  if (mix != nullptr && dynamic_cast<const DrivingEnv*>(envs_.front().get()) == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a scenario mix draws driving scenarios, but env ", spec().name, " is not a driving env"));
  }
  mix_ = std::move(mix);
  source_episodes_.assign(mix_ ? mix_->sources().size() : 1, 0);
  for (int i = 0; i < size(); ++i) {
    if (steps_[i] == 0) ResetEnv(i);
  }
  return absl::OkStatus();
}

void EnvBatch::ResetEnv(int i) {
  const int obs = spec().observation_size;
  const std::uint64_t episode = episodes_started_[i]++;
  std::uint64_t seed = SeedFor(i, episode);
  if (mix_ != nullptr) {
    const ScenarioDraw draw = mix_->Draw(seed);
    auto& driving = static_cast<DrivingEnv&>(*envs_[i]);
    driving.SetScenario(draw.family, draw.config);
    driving.SetFixedScenario(draw.scenario);
    seed = draw.seed;
    ++source_episodes_[static_cast<std::size_t>(draw.source)];
    source_tags_[static_cast<std::size_t>(i)] = mix_->sources()[draw.source].tags;
  } else {
    ++source_episodes_.front();
    source_tags_[static_cast<std::size_t>(i)] = 0;
  }
  envs_[i]->Reset(seed,
                  absl::MakeSpan(observations_).subspan(static_cast<std::size_t>(i) * obs, obs));
  episode_ids_[i] = (static_cast<std::uint64_t>(i) << 40) | episode;
  steps_[i] = 0;
  auto& recorder = recorders_[static_cast<std::size_t>(i)];
  const auto* driving = dynamic_cast<const DrivingEnv*>(envs_[i].get());
  if (record_policy_.empty() || driving == nullptr) {
    recorder.reset();
    return;
  }
  if (recorder == nullptr) recorder = std::make_unique<EpisodeRecorder>();
  // Offset by the env's index, so the complete ones are spread over time, not all at once.
  const bool complete = (recorded_[static_cast<std::size_t>(i)]++ + static_cast<std::uint64_t>(i)) %
                            static_cast<std::uint64_t>(complete_every_) ==
                        0;
  recorder->Begin(*driving, config_, record_policy_, policy_version_, complete);
}

void EnvBatch::RecordEpisodes(std::string policy, int complete_every) {
  record_policy_ = std::move(policy);
  complete_every_ = std::max(1, complete_every);
}

std::vector<EnvBatch::RecordedEpisode> EnvBatch::TakeFinishedLogs() {
  std::vector<RecordedEpisode> out;
  out.swap(finished_logs_);
  return out;
}

void EnvBatch::Step(absl::Span<const float> actions) {
  const EnvSpec& spec = this->spec();
  const std::size_t obs = spec.observation_size;
  const std::size_t act = spec.action_size;
  const std::size_t terms = spec.reward_terms.size();
  for (std::size_t i = 0; i < envs_.size(); ++i) {
    const StepResult r = envs_[i]->Step(actions.subspan(i * act, act),
                                        absl::MakeSpan(observations_).subspan(i * obs, obs),
                                        absl::MakeSpan(reward_terms_).subspan(i * terms, terms));
    rewards_[i] = r.reward;
    terminated_[i] = r.terminated ? 1 : 0;
    truncated_[i] = r.truncated ? 1 : 0;
    events_[i] = r.events;
    ++steps_[i];
    EpisodeRecorder* recorder = recorders_[i].get();
    if (recorder != nullptr) {
      recorder->Record(static_cast<const DrivingEnv&>(*envs_[i]), actions.subspan(i * act, act), r,
                       absl::MakeConstSpan(reward_terms_).subspan(i * terms, terms));
    }
    if (r.terminated || r.truncated) {
      std::copy_n(observations_.begin() + static_cast<std::ptrdiff_t>(i * obs), obs,
                  final_observations_.begin() + static_cast<std::ptrdiff_t>(i * obs));
      schemas::EpisodeSummary summary = envs_[i]->Summary();
      summary.episode_id = episode_ids_[i];
      if (recorder != nullptr) {
        const bool complete = recorder->vehicles();
        finished_logs_.push_back({recorder->Finish(summary), complete});
      }
      finished_.push_back(std::move(summary));
      ResetEnv(static_cast<int>(i));
    }
  }
}

std::vector<schemas::EpisodeSummary> EnvBatch::TakeFinishedEpisodes() {
  std::vector<schemas::EpisodeSummary> out;
  out.swap(finished_);
  return out;
}

}  // namespace tarmac::envs
