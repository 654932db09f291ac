#include "tarmac/schemas/episode_summary.h"

#include <capnp/message.h>

#include "absl/strings/str_cat.h"
#include "message_bytes.h"
#include "tarmac/wire/episode_summary.capnp.h"

namespace tarmac::schemas {
namespace {

constexpr absl::string_view kEpisodeSummary = "EpisodeSummary";
constexpr unsigned kNumOutcomes = 5;

static_assert(static_cast<int>(Outcome::kAborted) == static_cast<int>(wire::Outcome::ABORTED));

template <typename ListBuilder>
void SetNamedValues(const std::vector<NamedValue>& values, ListBuilder list) {
  for (unsigned i = 0; i < values.size(); ++i) {
    list[i].setName(values[i].name);
    list[i].setValue(values[i].value);
  }
}

template <typename ListReader>
std::vector<NamedValue> GetNamedValues(ListReader list) {
  std::vector<NamedValue> out;
  out.reserve(list.size());
  for (auto item : list) out.push_back({std::string(item.getName().cStr()), item.getValue()});
  return out;
}

}  // namespace

double MetricOr(const EpisodeSummary& summary, absl::string_view name, double fallback) {
  for (const NamedValue& metric : summary.metrics) {
    if (metric.name == name) return metric.value;
  }
  return fallback;
}

absl::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kTimeLimit:
      return "time_limit";
    case Outcome::kCompleted:
      return "completed";
    case Outcome::kCollision:
      return "collision";
    case Outcome::kOffRoad:
      return "off_road";
    case Outcome::kAborted:
      return "aborted";
  }
  return "unknown";
}

std::string EncodeEpisodeSummary(const EpisodeSummary& summary) {
  capnp::MallocMessageBuilder builder;
  auto root = builder.initRoot<wire::EpisodeSummary>();
  root.setSchemaId(capnp::typeId<wire::EpisodeSummary>());
  root.setScenario(summary.scenario);
  root.setSeed(summary.seed);
  root.setEnvName(summary.env_name);
  root.setActorId(summary.actor_id);
  root.setEpisodeId(summary.episode_id);
  root.setPolicyVersion(summary.policy_version);
  root.setSteps(summary.steps);
  root.setEpisodeReturn(summary.episode_return);
  SetNamedValues(summary.term_returns,
                 root.initTermReturns(static_cast<unsigned>(summary.term_returns.size())));
  auto events = root.initEvents(static_cast<unsigned>(summary.events.size()));
  for (unsigned i = 0; i < summary.events.size(); ++i) {
    const EventOccurrence& e = summary.events[i];
    events[i].setEvent(static_cast<wire::Event>(e.event));
    events[i].setStep(e.step);
    events[i].setS(e.s);
    events[i].setX(e.x);
    events[i].setY(e.y);
  }
  SetNamedValues(summary.metrics, root.initMetrics(static_cast<unsigned>(summary.metrics.size())));
  root.setOutcome(static_cast<wire::Outcome>(summary.outcome));
  root.setDistanceM(summary.distance_m);
  return MessageToBytes(builder);
}

absl::StatusOr<EpisodeSummary> DecodeEpisodeSummary(absl::string_view bytes,
                                                    const DecodeLimits& limits) {
  absl::StatusOr<std::unique_ptr<MessageBytes>> message =
      MessageBytes::Open(bytes, limits, kEpisodeSummary);
  if (!message.ok()) return message.status();
  return GuardedRead(kEpisodeSummary, [&]() -> absl::StatusOr<EpisodeSummary> {
    auto root = (*message)->reader().getRoot<wire::EpisodeSummary>();
    if (absl::Status s = CheckSchemaId(root.getSchemaId(), capnp::typeId<wire::EpisodeSummary>(),
                                       kEpisodeSummary);
        !s.ok()) {
      return s;
    }
    EpisodeSummary out;
    out.scenario = root.getScenario().cStr();
    out.seed = root.getSeed();
    out.env_name = root.getEnvName().cStr();
    out.actor_id = root.getActorId().cStr();
    out.episode_id = root.getEpisodeId();
    out.policy_version = root.getPolicyVersion();
    out.steps = root.getSteps();
    out.episode_return = root.getEpisodeReturn();
    out.term_returns = GetNamedValues(root.getTermReturns());
    // Each list getter is called once: every call counts the list against the traversal limit.
    const auto events = root.getEvents();
    out.events.reserve(events.size());
    for (auto e : events) {
      const auto ordinal = static_cast<unsigned>(e.getEvent());
      if (ordinal >= static_cast<unsigned>(kNumEvents)) {
        return absl::InvalidArgumentError(
            absl::StrCat("EpisodeSummary holds unknown event ", ordinal));
      }
      out.events.push_back(
          {static_cast<Event>(ordinal), e.getStep(), e.getS(), e.getX(), e.getY()});
    }
    out.metrics = GetNamedValues(root.getMetrics());
    const auto outcome = static_cast<unsigned>(root.getOutcome());
    if (outcome >= kNumOutcomes) {
      return absl::InvalidArgumentError(
          absl::StrCat("EpisodeSummary holds unknown outcome ", outcome));
    }
    out.outcome = static_cast<Outcome>(outcome);
    out.distance_m = root.getDistanceM();
    return out;
  });
}

}  // namespace tarmac::schemas
