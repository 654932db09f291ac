#include "tarmac/schemas/episode_log.h"

#include <capnp/message.h>
#include <zstd.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "message_bytes.h"
#include "tarmac/util/atomic_file.h"
#include "tarmac/wire/episode_log.capnp.h"

namespace tarmac::schemas {
namespace {

constexpr absl::string_view kEpisodeLog = "EpisodeLog";
// A fast level: logged floats compress poorly at any level (2.85x at 3, 2.57x at -3 on the
// default suite's logs), and the negative levels leave literals unencoded, which decompresses
// 1.6x and compresses 3.7x faster (zstd -b on this machine), what mining and the actors pay.
constexpr int kZstdLevel = -3;

void SetEgo(const LoggedEgo& e, wire::EgoState::Builder b) {
  b.setX(e.x);
  b.setY(e.y);
  b.setHeading(e.heading);
  b.setSpeed(e.speed);
  b.setAccel(e.accel);
  b.setSteer(e.steer);
  b.setLateralAccel(e.lateral_accel);
  b.setYawRate(e.yaw_rate);
  b.setS(e.s);
  b.setD(e.d);
  b.setLane(e.lane);
}

LoggedEgo GetEgo(wire::EgoState::Reader r) {
  return {r.getX(),     r.getY(),     r.getHeading(),      r.getSpeed(),
          r.getAccel(), r.getSteer(), r.getLateralAccel(), r.getYawRate(),
          r.getS(),     r.getD(),     r.getLane()};
}

void SetStep(const LoggedStep& step, wire::Step::Builder b) {
  SetEgo(step.ego, b.initEgo());
  auto action = b.initAction(static_cast<unsigned>(step.action.size()));
  for (unsigned i = 0; i < step.action.size(); ++i) action.set(i, step.action[i]);
  b.setReward(step.reward);
  auto terms = b.initRewardTerms(static_cast<unsigned>(step.reward_terms.size()));
  for (unsigned i = 0; i < step.reward_terms.size(); ++i) terms.set(i, step.reward_terms[i]);
  b.setEvents(step.events);
  b.setLeaderId(step.leader_id);
  b.setLeaderGap(step.leader_gap);
  b.setLeaderSpeed(step.leader_speed);
  b.setRoadCurvature(step.road_curvature);
  auto vehicles = b.initVehicles(static_cast<unsigned>(step.vehicles.size()));
  for (unsigned i = 0; i < step.vehicles.size(); ++i) {
    const LoggedVehicle& v = step.vehicles[i];
    auto out = vehicles[i];
    out.setId(v.id);
    out.setX(v.x);
    out.setY(v.y);
    out.setHeading(v.heading);
    out.setSpeed(v.speed);
    out.setS(v.s);
    out.setD(v.d);
    out.setLane(v.lane);
    out.setLength(v.length);
    out.setWidth(v.width);
  }
}

LoggedStep GetStep(wire::Step::Reader r) {
  LoggedStep step;
  step.ego = GetEgo(r.getEgo());
  const auto action = r.getAction();
  step.action.reserve(action.size());
  for (float a : action) step.action.push_back(a);
  step.reward = r.getReward();
  const auto terms = r.getRewardTerms();
  step.reward_terms.reserve(terms.size());
  for (float t : terms) step.reward_terms.push_back(t);
  step.events = r.getEvents();
  step.leader_id = r.getLeaderId();
  step.leader_gap = r.getLeaderGap();
  step.leader_speed = r.getLeaderSpeed();
  step.road_curvature = r.getRoadCurvature();
  const auto vehicles = r.getVehicles();
  step.vehicles.reserve(vehicles.size());
  for (auto v : vehicles) {
    step.vehicles.push_back({v.getId(), v.getX(), v.getY(), v.getHeading(), v.getSpeed(), v.getS(),
                             v.getD(), v.getLane(), v.getLength(), v.getWidth()});
  }
  return step;
}

// Enough words for the whole message in one segment, so a reader never looks segments up
// (which takes a lock per far pointer in Cap'n Proto's reader arena).
unsigned FirstSegmentWords(const EpisodeLog& log) {
  std::size_t words = 1024 + 16 * log.env_config.size();
  for (const LoggedStep& step : log.steps) {
    words += 32 + step.action.size() + step.reward_terms.size() + 6 * step.vehicles.size();
  }
  return static_cast<unsigned>(std::min<std::size_t>(words, std::size_t{1} << 28));
}

std::string MessageBytesOf(const EpisodeLog& log) {
  capnp::MallocMessageBuilder builder(FirstSegmentWords(log));
  auto root = builder.initRoot<wire::EpisodeLog>();
  root.setSchemaId(capnp::typeId<wire::EpisodeLog>());
  root.setEnvName(log.env_name);
  root.setScenario(log.scenario);
  root.setSeed(log.seed);
  auto config = root.initEnvConfig(static_cast<unsigned>(log.env_config.size()));
  for (unsigned i = 0; i < log.env_config.size(); ++i) {
    config[i].setKey(log.env_config[i].key);
    const auto& values = log.env_config[i].values;
    auto out = config[i].initValues(static_cast<unsigned>(values.size()));
    for (unsigned j = 0; j < values.size(); ++j) out.set(j, values[j]);
  }
  auto parameters = root.initParameters(static_cast<unsigned>(log.parameters.size()));
  for (unsigned i = 0; i < log.parameters.size(); ++i) {
    parameters[i].setName(log.parameters[i].name);
    parameters[i].setValue(log.parameters[i].value);
  }
  root.setPolicy(log.policy);
  root.setPolicyVersion(log.policy_version);
  root.setDt(log.dt);
  root.setSpeedLimit(log.speed_limit);
  auto terms = root.initRewardTerms(static_cast<unsigned>(log.reward_terms.size()));
  for (unsigned i = 0; i < log.reward_terms.size(); ++i) terms.set(i, log.reward_terms[i]);
  auto steps = root.initSteps(static_cast<unsigned>(log.steps.size()));
  for (unsigned i = 0; i < log.steps.size(); ++i) SetStep(log.steps[i], steps[i]);
  const std::string summary = EncodeEpisodeSummary(log.summary);
  root.setSummary(
      kj::arrayPtr(reinterpret_cast<const capnp::byte*>(summary.data()), summary.size()));
  return MessageToBytes(builder);
}

absl::StatusOr<EpisodeLog> ParseMessage(absl::string_view bytes, std::size_t max_bytes) {
  absl::StatusOr<std::unique_ptr<MessageBytes>> message =
      MessageBytes::Open(bytes, DecodeLimits::ForMaxBytes(max_bytes), kEpisodeLog);
  if (!message.ok()) return message.status();
  return GuardedRead(kEpisodeLog, [&]() -> absl::StatusOr<EpisodeLog> {
    auto root = (*message)->reader().getRoot<wire::EpisodeLog>();
    if (absl::Status s =
            CheckSchemaId(root.getSchemaId(), capnp::typeId<wire::EpisodeLog>(), kEpisodeLog);
        !s.ok()) {
      return s;
    }
    EpisodeLog log;
    log.env_name = root.getEnvName().cStr();
    log.scenario = root.getScenario().cStr();
    log.seed = root.getSeed();
    for (auto entry : root.getEnvConfig()) {
      ConfigEntry out{entry.getKey().cStr(), {}};
      for (auto value : entry.getValues()) out.values.emplace_back(value.cStr());
      log.env_config.push_back(std::move(out));
    }
    for (auto p : root.getParameters())
      log.parameters.push_back({p.getName().cStr(), p.getValue()});
    log.policy = root.getPolicy().cStr();
    log.policy_version = root.getPolicyVersion();
    log.dt = root.getDt();
    log.speed_limit = root.getSpeedLimit();
    for (auto term : root.getRewardTerms()) log.reward_terms.emplace_back(term.cStr());
    const auto steps = root.getSteps();
    log.steps.reserve(steps.size());
    for (auto step : steps) log.steps.push_back(GetStep(step));
    const auto summary = root.getSummary();
    absl::StatusOr<EpisodeSummary> decoded = DecodeEpisodeSummary(
        absl::string_view(reinterpret_cast<const char*>(summary.begin()), summary.size()));
    if (!decoded.ok()) return decoded.status();
    log.summary = *std::move(decoded);
    return log;
  });
}

}  // namespace

double ParameterOr(const EpisodeLog& log, absl::string_view name, double fallback) {
  for (const NamedValue& p : log.parameters) {
    if (p.name == name) return p.value;
  }
  return fallback;
}

std::string EncodeEpisodeLog(const EpisodeLog& log) {
  const std::string raw = MessageBytesOf(log);
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  // The frame carries a checksum of its content, so a flipped byte is refused on reading rather
  // than decoded into a different, plausible episode.
  ZSTD_CCtx* context = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, kZstdLevel);
  ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1);
  const std::size_t n = ZSTD_compress2(context, out.data(), out.size(), raw.data(), raw.size());
  ZSTD_freeCCtx(context);
  // Compressing into a buffer of ZSTD_compressBound bytes cannot fail.
  out.resize(ZSTD_isError(n) ? 0 : n);
  return out;
}

absl::StatusOr<EpisodeLog> DecodeEpisodeLog(absl::string_view compressed, std::size_t max_bytes) {
  const std::size_t frame = ZSTD_findFrameCompressedSize(compressed.data(), compressed.size());
  if (ZSTD_isError(frame) || frame != compressed.size()) {
    return absl::InvalidArgumentError(
        "the episode log is not one complete zstd frame (truncated or corrupt)");
  }
  const unsigned long long size = ZSTD_getFrameContentSize(compressed.data(), compressed.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
    return absl::InvalidArgumentError("the episode log's zstd frame does not state its size");
  }
  if (size > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("the episode log decompresses to ", size,
                                                   " bytes, more than the limit of ", max_bytes));
  }
  std::string raw(static_cast<std::size_t>(size), '\0');
  // One decompression context per thread, reused: making one per call costs more than
  // decompressing a typical episode.
  static thread_local const std::unique_ptr<ZSTD_DCtx, std::size_t (*)(ZSTD_DCtx*)> context(
      ZSTD_createDCtx(), &ZSTD_freeDCtx);
  const std::size_t n =
      ZSTD_decompressDCtx(context.get(), raw.data(), raw.size(), compressed.data(), frame);
  if (ZSTD_isError(n) || n != raw.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the episode log does not decompress: ",
                     ZSTD_isError(n) ? ZSTD_getErrorName(n) : "size differs from its frame"));
  }
  return ParseMessage(raw, max_bytes);
}

absl::Status WriteEpisodeLogFile(const EpisodeLog& log, const std::string& path) {
  return util::WriteFileAtomically(path, EncodeEpisodeLog(log));
}

absl::StatusOr<EpisodeLog> ReadEpisodeLogFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("episode log ", path, " does not exist"));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  absl::StatusOr<EpisodeLog> log = DecodeEpisodeLog(bytes.str());
  if (!log.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", log.status().message()));
  }
  return log;
}

}  // namespace tarmac::schemas
