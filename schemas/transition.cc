#include "tarmac/schemas/transition.h"

#include <capnp/message.h>

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bulk_fields.h"
#include "message_bytes.h"

namespace tarmac::schemas {
namespace {

constexpr absl::string_view kTransition = "Transition";
constexpr absl::string_view kTransitionBatch = "TransitionBatch";

void Fill(const Transition& t, wire::Transition::Builder out) {
  out.setSchemaId(capnp::typeId<wire::Transition>());
  FillFloats(out.initObs(static_cast<unsigned>(t.obs.size())), t.obs);
  FillFloats(out.initAction(static_cast<unsigned>(t.action.size())), t.action);
  out.setReward(t.reward);
  out.setDiscount(t.discount);
  FillFloats(out.initNextObs(static_cast<unsigned>(t.next_obs.size())), t.next_obs);
  out.setDone(t.done);
  out.setTruncated(t.truncated);
  auto terms = out.initRewardTerms(static_cast<unsigned>(t.reward_terms.size()));
  for (unsigned i = 0; i < t.reward_terms.size(); ++i) {
    terms[i].setName(AsText(t.reward_terms[i].name));
    terms[i].setValue(t.reward_terms[i].value);
  }
  out.setEvents(t.events);
  out.setPolicyVersion(t.policy_version);
  out.setActorId(AsText(t.actor_id));
  out.setEnvId(t.env_id);
  out.setEpisodeId(t.episode_id);
  out.setStep(t.step);
  out.setNSteps(t.n_steps);
  out.setScenario(AsText(t.scenario));
}

// Reads every field once (Text NUL terminators, list sizes) and checks the invariants the
// schema cannot express. Throws kj::Exception on malformed pointers; run under GuardedRead.
absl::Status Check(wire::Transition::Reader t, absl::string_view type_name) {
  if (absl::Status s = CheckSchemaId(t.getSchemaId(), capnp::typeId<wire::Transition>(), type_name);
      !s.ok()) {
    return s;
  }
  const auto obs = t.getObs();
  const auto next_obs = t.getNextObs();
  (void)t.getAction();
  if (obs.size() != next_obs.size()) {
    return absl::InvalidArgumentError(absl::StrCat(type_name, " has obs of size ", obs.size(),
                                                   " but next_obs of size ", next_obs.size()));
  }
  for (auto term : t.getRewardTerms()) (void)term.getName();
  (void)t.getActorId();
  (void)t.getScenario();
  return absl::OkStatus();
}

std::vector<float> ToVector(capnp::List<float>::Reader list) {
  std::vector<float> out(list.size());
  CopyFloats(list, absl::MakeSpan(out));
  return out;
}

Transition ToStruct(wire::Transition::Reader t) {
  Transition out;
  out.obs = ToVector(t.getObs());
  out.action = ToVector(t.getAction());
  out.reward = t.getReward();
  out.discount = t.getDiscount();
  out.next_obs = ToVector(t.getNextObs());
  out.done = t.getDone();
  out.truncated = t.getTruncated();
  const auto terms = t.getRewardTerms();
  out.reward_terms.reserve(terms.size());
  for (auto term : terms) {
    out.reward_terms.push_back({std::string(term.getName().cStr()), term.getValue()});
  }
  out.events = t.getEvents();
  out.policy_version = t.getPolicyVersion();
  out.actor_id = t.getActorId().cStr();
  out.env_id = t.getEnvId();
  out.episode_id = t.getEpisodeId();
  out.step = t.getStep();
  out.n_steps = t.getNSteps();
  out.scenario = t.getScenario().cStr();
  return out;
}

absl::Status CopyList(capnp::List<float>::Reader list, absl::Span<float> out,
                      absl::string_view what) {
  if (list.size() != out.size()) {
    return absl::InvalidArgumentError(absl::StrCat("Transition ", what, " has ", list.size(),
                                                   " values but the destination holds ",
                                                   out.size()));
  }
  CopyFloats(list, out);
  return absl::OkStatus();
}

}  // namespace

std::string EncodeTransition(const Transition& transition) {
  // The builder's first segment is this thread's, zeroed, reused from one message to the next
  // (the builder zeroes what it used when it goes): a fresh one would calloc 8 KiB each time.
  // The same size as the default first segment, so a message lays out exactly as with it.
  thread_local std::vector<capnp::word> first_segment(capnp::SUGGESTED_FIRST_SEGMENT_WORDS);
  capnp::MallocMessageBuilder builder(kj::arrayPtr(first_segment.data(), first_segment.size()));
  Fill(transition, builder.initRoot<wire::Transition>());
  return MessageToBytes(builder);
}

absl::StatusOr<Transition> DecodeTransition(absl::string_view bytes, const DecodeLimits& limits) {
  absl::StatusOr<TransitionView> view = TransitionView::Parse(bytes, limits);
  if (!view.ok()) return view.status();
  return view->ToTransition();
}

TransitionView::TransitionView(std::unique_ptr<MessageBytes> message,
                               wire::Transition::Reader reader)
    : message_(std::move(message)), reader_(reader) {}
TransitionView::TransitionView(TransitionView&&) noexcept = default;
TransitionView& TransitionView::operator=(TransitionView&&) noexcept = default;
TransitionView::~TransitionView() = default;

absl::StatusOr<TransitionView> TransitionView::Parse(absl::string_view bytes,
                                                     const DecodeLimits& limits) {
  absl::StatusOr<std::unique_ptr<MessageBytes>> message =
      MessageBytes::Open(bytes, limits, kTransition);
  if (!message.ok()) return message.status();
  return GuardedRead(kTransition, [&]() -> absl::StatusOr<TransitionView> {
    if (absl::Status s = Check((*message)->reader().getRoot<wire::Transition>(), kTransition);
        !s.ok()) {
      return s;
    }
    (*message)->LiftTraversalLimit();
    wire::Transition::Reader root = (*message)->reader().getRoot<wire::Transition>();
    return TransitionView(*std::move(message), root);
  });
}

absl::Status TransitionView::CopyObs(absl::Span<float> out) const {
  return CopyList(reader_.getObs(), out, "obs");
}
absl::Status TransitionView::CopyNextObs(absl::Span<float> out) const {
  return CopyList(reader_.getNextObs(), out, "next_obs");
}
absl::Status TransitionView::CopyAction(absl::Span<float> out) const {
  return CopyList(reader_.getAction(), out, "action");
}

Transition TransitionView::ToTransition() const { return ToStruct(reader_); }

std::string EncodeTransitionBatch(absl::Span<const Transition> transitions) {
  capnp::MallocMessageBuilder builder;
  auto root = builder.initRoot<wire::TransitionBatch>();
  root.setSchemaId(capnp::typeId<wire::TransitionBatch>());
  auto list = root.initTransitions(static_cast<unsigned>(transitions.size()));
  for (unsigned i = 0; i < transitions.size(); ++i) Fill(transitions[i], list[i]);
  return MessageToBytes(builder);
}

absl::StatusOr<std::vector<Transition>> DecodeTransitionBatch(absl::string_view bytes,
                                                              const DecodeLimits& limits) {
  absl::StatusOr<std::unique_ptr<MessageBytes>> message =
      MessageBytes::Open(bytes, limits, kTransitionBatch);
  if (!message.ok()) return message.status();
  return GuardedRead(kTransitionBatch, [&]() -> absl::StatusOr<std::vector<Transition>> {
    auto root = (*message)->reader().getRoot<wire::TransitionBatch>();
    if (absl::Status s = CheckSchemaId(root.getSchemaId(), capnp::typeId<wire::TransitionBatch>(),
                                       kTransitionBatch);
        !s.ok()) {
      return s;
    }
    unsigned index = 0;
    for (auto t : root.getTransitions()) {
      if (absl::Status s = Check(t, absl::StrCat("TransitionBatch item ", index)); !s.ok()) {
        return s;
      }
      ++index;
    }
    (*message)->LiftTraversalLimit();
    const auto transitions = (*message)->reader().getRoot<wire::TransitionBatch>().getTransitions();
    std::vector<Transition> out;
    out.reserve(transitions.size());
    for (auto t : transitions) out.push_back(ToStruct(t));
    return out;
  });
}

}  // namespace tarmac::schemas
