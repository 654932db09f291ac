#include "tarmac/schemas/transition.h"

#include <capnp/any.h>
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/string_view.h"
#include "nested_test.capnp.h"
#include "tarmac/schemas/episode_summary.h"

namespace tarmac::schemas {
namespace {

using ::testing::HasSubstr;

// Floats compared by bit pattern, so NaN payloads and -0.0 count.
bool SameBits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

bool SameBits(float a, float b) { return std::memcmp(&a, &b, sizeof(float)) == 0; }

float NanWithPayload(std::uint32_t payload) {
  const std::uint32_t bits = 0x7fc00000U | (payload & 0x003fffffU);
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

Transition FullTransition() {
  Transition t;
  t.obs = {1.0F, -0.0F, NanWithPayload(0x1234), std::numeric_limits<float>::infinity(),
           std::numeric_limits<float>::denorm_min()};
  t.action = {-7.5F, 0.25F};
  t.reward = 1.75F;
  t.discount = 0.970299F;
  t.next_obs = {2.0F, 3.0F, NanWithPayload(0x2a), -1.0F, 0.5F};
  t.done = false;
  t.truncated = true;
  t.reward_terms = {{"progress", 1.5}, {"comfort", -0.125}, {"ttc", std::nan("")}};
  t.events = EventBit(Event::kHardBrake) | EventBit(Event::kCutIn);
  t.policy_version = 42;
  t.actor_id = "actor-7f3a";
  t.env_id = 3;
  t.episode_id = 0xfeedfacecafeULL;
  t.step = 117;
  t.n_steps = 3;
  t.scenario = "cut_in";
  return t;
}

void ExpectSame(const Transition& a, const Transition& b) {
  EXPECT_TRUE(SameBits(a.obs, b.obs));
  EXPECT_TRUE(SameBits(a.action, b.action));
  EXPECT_TRUE(SameBits(a.reward, b.reward));
  EXPECT_TRUE(SameBits(a.discount, b.discount));
  EXPECT_TRUE(SameBits(a.next_obs, b.next_obs));
  EXPECT_EQ(a.done, b.done);
  EXPECT_EQ(a.truncated, b.truncated);
  ASSERT_EQ(a.reward_terms.size(), b.reward_terms.size());
  for (std::size_t i = 0; i < a.reward_terms.size(); ++i) {
    EXPECT_EQ(a.reward_terms[i].name, b.reward_terms[i].name);
    EXPECT_EQ(std::memcmp(&a.reward_terms[i].value, &b.reward_terms[i].value, sizeof(double)), 0);
  }
  EXPECT_EQ(a.events, b.events);
  EXPECT_EQ(a.policy_version, b.policy_version);
  EXPECT_EQ(a.actor_id, b.actor_id);
  EXPECT_EQ(a.env_id, b.env_id);
  EXPECT_EQ(a.episode_id, b.episode_id);
  EXPECT_EQ(a.step, b.step);
  EXPECT_EQ(a.n_steps, b.n_steps);
  EXPECT_EQ(a.scenario, b.scenario);
}

TEST(TransitionTest, RoundTripKeepsEveryFieldBitExact) {
  const Transition t = FullTransition();
  const std::string bytes = EncodeTransition(t);
  EXPECT_EQ(bytes.size() % 8, 0U);
  absl::StatusOr<Transition> decoded = DecodeTransition(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ExpectSame(t, *decoded);
  EXPECT_TRUE(std::isnan(decoded->obs[2]));
}

// What Cap'n Proto's element-by-element setters lay down for `t`: EncodeTransition copies the
// float lists in one piece and must give these bytes exactly.
std::string EncodeElementByElement(const Transition& t) {
  capnp::MallocMessageBuilder builder;
  auto out = builder.initRoot<wire::Transition>();
  out.setSchemaId(capnp::typeId<wire::Transition>());
  const auto fill = [](auto list, const std::vector<float>& values) {
    for (unsigned i = 0; i < values.size(); ++i) list.set(i, values[i]);
  };
  fill(out.initObs(static_cast<unsigned>(t.obs.size())), t.obs);
  fill(out.initAction(static_cast<unsigned>(t.action.size())), t.action);
  out.setReward(t.reward);
  out.setDiscount(t.discount);
  fill(out.initNextObs(static_cast<unsigned>(t.next_obs.size())), t.next_obs);
  out.setDone(t.done);
  out.setTruncated(t.truncated);
  auto terms = out.initRewardTerms(static_cast<unsigned>(t.reward_terms.size()));
  for (unsigned i = 0; i < t.reward_terms.size(); ++i) {
    terms[i].setName(t.reward_terms[i].name.c_str());
    terms[i].setValue(t.reward_terms[i].value);
  }
  out.setEvents(t.events);
  out.setPolicyVersion(t.policy_version);
  out.setActorId(t.actor_id.c_str());
  out.setEnvId(t.env_id);
  out.setEpisodeId(t.episode_id);
  out.setStep(t.step);
  out.setNSteps(t.n_steps);
  out.setScenario(t.scenario.c_str());
  kj::Array<capnp::word> words = capnp::messageToFlatArray(builder);
  return std::string(reinterpret_cast<const char*>(words.begin()), words.size() * 8);
}

TEST(TransitionTest, EncodesTheBytesElementByElementSettersGive) {
  Transition t = FullTransition();
  EXPECT_EQ(EncodeTransition(t), EncodeElementByElement(t));
  t.obs.assign(97, 0.5F);  // an odd count: the list ends mid-word
  t.next_obs.assign(97, -0.25F);
  t.action = {1.0F};
  EXPECT_EQ(EncodeTransition(t), EncodeElementByElement(t));
  EXPECT_EQ(EncodeTransition(Transition{}), EncodeElementByElement(Transition{}));
}

// Another encoder may write a List(Float32) as a list of structs whose first field is the float,
// with or without pointers after it (Cap'n Proto reads one as the other); the one-piece copy must
// neither take those bytes for floats nor ask Cap'n Proto for the bytes of a list with pointers,
// which it refuses by throwing (the fuzzer found that: regressions/transition/crash-c354ee0b...).
TEST(TransitionTest, ReadsFloatListsWrittenAsListsOfStructs) {
  const std::vector<float> obs = {1.5F, -2.0F, 3.25F}, next_obs = {4.0F, 5.0F, 6.0F};
  for (const std::uint16_t pointers : {0, 1}) {
    SCOPED_TRACE(pointers);
    capnp::MallocMessageBuilder builder;
    auto root = builder.initRoot<wire::Transition>();
    root.setSchemaId(capnp::typeId<wire::Transition>());
    auto next = root.initNextObs(3);
    for (unsigned i = 0; i < 3; ++i) next.set(i, next_obs[i]);
    // obs is the struct's first pointer: three structs of one data word, each holding a float.
    auto wide = capnp::toAny(root).getPointerSection()[0].initAsListOfAnyStruct(1, pointers, 3);
    for (unsigned i = 0; i < 3; ++i) {
      std::memcpy(wide[i].getDataSection().begin(), &obs[i], sizeof(float));
    }
    kj::Array<capnp::word> words = capnp::messageToFlatArray(builder);
    const std::string bytes(reinterpret_cast<const char*>(words.begin()), words.size() * 8);

    absl::StatusOr<Transition> decoded = DecodeTransition(bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_TRUE(SameBits(decoded->obs, obs));
    EXPECT_TRUE(SameBits(decoded->next_obs, next_obs));
    absl::StatusOr<TransitionView> view = TransitionView::Parse(bytes);
    ASSERT_TRUE(view.ok()) << view.status();
    std::vector<float> copied(3);
    ASSERT_TRUE(view->CopyObs(absl::MakeSpan(copied)).ok());
    EXPECT_TRUE(SameBits(copied, obs));
  }
}

TEST(TransitionTest, RoundTripOfEmptyListsAndDefaults) {
  const Transition t;
  absl::StatusOr<Transition> decoded = DecodeTransition(EncodeTransition(t));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ExpectSame(t, *decoded);
  EXPECT_TRUE(decoded->obs.empty());
  EXPECT_TRUE(decoded->reward_terms.empty());
}

// EncodeTransition reuses its thread's first segment: after a message that outgrew it (two
// segments) and one that filled it, a small message still encodes to the bytes a thread that
// never encoded anything gives, in one segment.
TEST(TransitionTest, EncodingAfterLargerMessagesGivesAFreshThreadsBytes) {
  Transition big = FullTransition();
  big.obs.assign(3000, 0.5F);  // 12 KB each way: past the 8 KiB first segment
  big.next_obs.assign(3000, -0.5F);
  Transition filling = FullTransition();
  filling.obs.assign(900, 1.5F);  // most of the first segment
  filling.next_obs.assign(900, 2.5F);
  Transition small = FullTransition();
  small.reward_terms.clear();
  small.scenario.clear();
  std::string fresh;
  std::thread([&] { fresh = EncodeTransition(small); }).join();

  const std::string big_bytes = EncodeTransition(big);
  std::uint32_t segments_less_one;
  std::memcpy(&segments_less_one, big_bytes.data(), sizeof(segments_less_one));
  EXPECT_GE(segments_less_one, 1U);
  absl::StatusOr<Transition> decoded = DecodeTransition(big_bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ExpectSame(*decoded, big);
  EncodeTransition(filling);

  const std::string again = EncodeTransition(small);
  std::memcpy(&segments_less_one, again.data(), sizeof(segments_less_one));
  EXPECT_EQ(segments_less_one, 0U);
  EXPECT_EQ(again, fresh);
}

TEST(TransitionTest, MessageAtTheSizeLimitDecodesAndOneWordLessIsRefused) {
  Transition t = FullTransition();
  t.obs.assign(100000, 0.5F);
  t.next_obs.assign(100000, -0.5F);
  const std::string bytes = EncodeTransition(t);
  ASSERT_LE(bytes.size(), kMaxTransitionBytes);

  DecodeLimits exact = DecodeLimits::ForMaxBytes(bytes.size());
  absl::StatusOr<Transition> decoded = DecodeTransition(bytes, exact);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ExpectSame(t, *decoded);

  DecodeLimits smaller = DecodeLimits::ForMaxBytes(bytes.size() - 8);
  absl::StatusOr<Transition> refused = DecodeTransition(bytes, smaller);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("over the limit"));
}

TEST(TransitionTest, DefaultLimitRefusesMessagesOverOneMebibyte) {
  Transition t;
  t.obs.assign(140000, 1.0F);
  t.next_obs.assign(140000, 1.0F);
  const std::string bytes = EncodeTransition(t);
  ASSERT_GT(bytes.size(), kMaxTransitionBytes);
  absl::StatusOr<Transition> refused = DecodeTransition(bytes);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("Transition message is"));
}

TEST(TransitionTest, DecodesUnalignedBytes) {
  const std::string bytes = EncodeTransition(FullTransition());
  for (std::size_t offset = 1; offset < 8; ++offset) {
    std::string shifted(offset, 'x');
    shifted += bytes;
    absl::string_view unaligned(shifted.data() + offset, bytes.size());
    absl::StatusOr<Transition> decoded = DecodeTransition(unaligned);
    ASSERT_TRUE(decoded.ok()) << "offset " << offset << ": " << decoded.status();
    ExpectSame(FullTransition(), *decoded);
  }
}

TEST(TransitionTest, EveryTruncationIsRefusedWithAMessage) {
  const std::string bytes = EncodeTransition(FullTransition());
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    absl::StatusOr<Transition> decoded = DecodeTransition(absl::string_view(bytes.data(), length));
    ASSERT_FALSE(decoded.ok()) << "length " << length;
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(decoded.status().message(), HasSubstr("Transition message"));
  }
}

TEST(TransitionTest, RefusesEmptyInput) {
  absl::StatusOr<Transition> decoded = DecodeTransition("");
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().message(), "Transition message is empty");
}

TEST(TransitionTest, RefusesTrailingBytes) {
  std::string bytes = EncodeTransition(FullTransition());
  bytes.append(16, '\0');
  absl::StatusOr<Transition> decoded = DecodeTransition(bytes);
  ASSERT_FALSE(decoded.ok());
  EXPECT_THAT(decoded.status().message(), HasSubstr("16 trailing bytes"));
}

TEST(TransitionTest, RandomGarbageNeverDecodes) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 2000; ++trial) {
    std::string bytes(8 * (1 + rng() % 64), '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    if (trial % 2 == 0) {
      // A plausible segment table (one segment of the right size) gets past the first check.
      const std::uint32_t words = static_cast<std::uint32_t>(bytes.size() / 8 - 1);
      std::memset(bytes.data(), 0, 4);
      std::memcpy(bytes.data() + 4, &words, 4);
    }
    absl::StatusOr<Transition> decoded = DecodeTransition(bytes);
    EXPECT_FALSE(decoded.ok()) << "trial " << trial;
  }
}

TEST(TransitionTest, RandomBitFlipsNeverCrash) {
  const std::string original = EncodeTransition(FullTransition());
  std::mt19937_64 rng(11);
  int refused = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::string bytes = original;
    const std::size_t bit = rng() % (bytes.size() * 8);
    bytes[bit / 8] = static_cast<char>(bytes[bit / 8] ^ (1 << (bit % 8)));
    absl::StatusOr<Transition> decoded = DecodeTransition(bytes);
    if (!decoded.ok()) {
      ++refused;
      EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
    }
  }
  // Flips in pointers, the segment table and the schema id are caught; flips in plain data are
  // indistinguishable from other valid data.
  EXPECT_GT(refused, 0);
}

TEST(TransitionTest, RefusesDeeplyNestedMessages) {
  capnp::MallocMessageBuilder builder;
  auto node = builder.initRoot<wire::test::Node>();
  for (int depth = 0; depth < 100; ++depth) node = node.initNext();
  kj::Array<capnp::word> words = capnp::messageToFlatArray(builder);
  const std::string bytes(reinterpret_cast<const char*>(words.begin()), words.size() * 8);
  absl::StatusOr<Transition> decoded = DecodeTransition(bytes);
  ASSERT_FALSE(decoded.ok());
  EXPECT_THAT(decoded.status().message(), HasSubstr("nested"));
}

TEST(TransitionTest, TraversalLimitBoundsTheWordsRead) {
  const std::string bytes = EncodeTransition(FullTransition());
  DecodeLimits limits = TransitionLimits();
  limits.traversal_limit_words = 4;
  absl::StatusOr<Transition> decoded = DecodeTransition(bytes, limits);
  ASSERT_FALSE(decoded.ok());
  EXPECT_THAT(decoded.status().message(), HasSubstr("malformed"));
}

TEST(TransitionTest, RefusesAnotherMessageTypeByName) {
  EpisodeSummary summary;
  summary.scenario = "merge";
  absl::StatusOr<Transition> decoded = DecodeTransition(EncodeEpisodeSummary(summary));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().message(),
            "expected a message of type Transition but the bytes hold type EpisodeSummary");
}

TEST(TransitionTest, RefusesForeignCapnProtoMessage) {
  capnp::MallocMessageBuilder builder;
  builder.initRoot<wire::test::Node>().setSchemaId(99);
  kj::Array<capnp::word> words = capnp::messageToFlatArray(builder);
  const std::string bytes(reinterpret_cast<const char*>(words.begin()), words.size() * 8);
  absl::StatusOr<Transition> decoded = DecodeTransition(bytes);
  ASSERT_FALSE(decoded.ok());
  EXPECT_THAT(decoded.status().message(), HasSubstr("not a tarmac message"));
}

TEST(TransitionTest, RefusesObsAndNextObsOfDifferentSizes) {
  Transition t = FullTransition();
  t.next_obs.pop_back();
  absl::StatusOr<Transition> decoded = DecodeTransition(EncodeTransition(t));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().message(), "Transition has obs of size 5 but next_obs of size 4");
}

TEST(TransitionViewTest, CopiesListsIntoCallerMemory) {
  const Transition t = FullTransition();
  const std::string bytes = EncodeTransition(t);
  absl::StatusOr<TransitionView> view = TransitionView::Parse(bytes);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->obs_size(), t.obs.size());
  EXPECT_EQ(view->action_size(), t.action.size());
  EXPECT_FLOAT_EQ(view->reward(), t.reward);
  EXPECT_EQ(view->events(), t.events);
  EXPECT_EQ(view->policy_version(), 42U);

  std::vector<float> obs(t.obs.size()), next_obs(t.next_obs.size()), action(t.action.size());
  ASSERT_TRUE(view->CopyObs(absl::MakeSpan(obs)).ok());
  ASSERT_TRUE(view->CopyNextObs(absl::MakeSpan(next_obs)).ok());
  ASSERT_TRUE(view->CopyAction(absl::MakeSpan(action)).ok());
  EXPECT_TRUE(SameBits(obs, t.obs));
  EXPECT_TRUE(SameBits(next_obs, t.next_obs));
  EXPECT_TRUE(SameBits(action, t.action));

  std::vector<float> wrong(3);
  absl::Status status = view->CopyObs(absl::MakeSpan(wrong));
  EXPECT_EQ(status.message(), "Transition obs has 5 values but the destination holds 3");
}

TEST(TransitionViewTest, MovedViewStillReads) {
  std::string bytes = "x" + EncodeTransition(FullTransition());
  absl::StatusOr<TransitionView> view = TransitionView::Parse(absl::string_view(bytes).substr(1));
  ASSERT_TRUE(view.ok()) << view.status();
  TransitionView moved = *std::move(view);
  ExpectSame(moved.ToTransition(), FullTransition());
}

TEST(TransitionViewTest, AccessorsOfAValidatedViewNeverRunOutOfBudget) {
  const std::string bytes = EncodeTransition(FullTransition());
  absl::StatusOr<TransitionView> view = TransitionView::Parse(bytes);
  ASSERT_TRUE(view.ok()) << view.status();
  // Far more reads than the validation budget of four times the message's words.
  for (int i = 0; i < 50; ++i) ExpectSame(view->ToTransition(), FullTransition());
}

TEST(TransitionBatchTest, RoundTripsManyAndNone) {
  std::vector<Transition> batch(5, FullTransition());
  for (std::size_t i = 0; i < batch.size(); ++i) batch[i].step = static_cast<std::uint32_t>(i);
  absl::StatusOr<std::vector<Transition>> decoded =
      DecodeTransitionBatch(EncodeTransitionBatch(batch));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_EQ(decoded->size(), batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) ExpectSame(batch[i], (*decoded)[i]);

  absl::StatusOr<std::vector<Transition>> empty = DecodeTransitionBatch(EncodeTransitionBatch({}));
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(empty->empty());
}

TEST(TransitionBatchTest, NamesTheBadItem) {
  std::vector<Transition> batch(3, FullTransition());
  batch[2].next_obs.clear();
  absl::StatusOr<std::vector<Transition>> decoded =
      DecodeTransitionBatch(EncodeTransitionBatch(batch));
  ASSERT_FALSE(decoded.ok());
  EXPECT_THAT(decoded.status().message(), HasSubstr("TransitionBatch item 2 has obs of size 5"));
}

TEST(TransitionBatchTest, SingleTransitionIsNotABatch) {
  absl::StatusOr<std::vector<Transition>> decoded =
      DecodeTransitionBatch(EncodeTransition(FullTransition()));
  ASSERT_FALSE(decoded.ok());
  EXPECT_THAT(decoded.status().message(), HasSubstr("hold type Transition"));
}

}  // namespace
}  // namespace tarmac::schemas
