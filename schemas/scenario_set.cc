#include "tarmac/schemas/scenario_set.h"

#include <capnp/message.h>

#include "message_bytes.h"
#include "tarmac/wire/scenario_set.capnp.h"

namespace tarmac::schemas {
namespace {

constexpr absl::string_view kScenarioSet = "ScenarioSet";

void SetAgent(const ScenarioAgent& a, wire::Agent::Builder b) {
  b.setS(a.s);
  b.setD(a.d);
  b.setLane(a.lane);
  b.setSpeed(a.speed);
  b.setLength(a.length);
  b.setWidth(a.width);
  b.setDesiredSpeed(a.desired_speed);
  b.setTimeHeadway(a.time_headway);
  b.setMinGap(a.min_gap);
  b.setMaxAccel(a.max_accel);
  b.setComfortDecel(a.comfort_decel);
  b.setExponent(a.exponent);
  b.setPoliteness(a.politeness);
  b.setThreshold(a.threshold);
  b.setMaxSafeDecel(a.max_safe_decel);
  b.setReaction(a.reaction);
  b.setLaneChanges(a.lane_changes);
  b.setHasConstantAccel(a.has_constant_accel);
  b.setConstantAccel(a.constant_accel);
  b.setProfile(a.profile);
  b.setTrack(a.track);
}

ScenarioAgent GetAgent(wire::Agent::Reader r) {
  ScenarioAgent a;
  a.s = r.getS();
  a.d = r.getD();
  a.lane = r.getLane();
  a.speed = r.getSpeed();
  a.length = r.getLength();
  a.width = r.getWidth();
  a.desired_speed = r.getDesiredSpeed();
  a.time_headway = r.getTimeHeadway();
  a.min_gap = r.getMinGap();
  a.max_accel = r.getMaxAccel();
  a.comfort_decel = r.getComfortDecel();
  a.exponent = r.getExponent();
  a.politeness = r.getPoliteness();
  a.threshold = r.getThreshold();
  a.max_safe_decel = r.getMaxSafeDecel();
  a.reaction = r.getReaction();
  a.lane_changes = r.getLaneChanges();
  a.has_constant_accel = r.getHasConstantAccel();
  a.constant_accel = r.getConstantAccel();
  a.profile = r.getProfile();
  a.track = r.getTrack();
  return a;
}

template <typename T>
void SetDoubles(const std::vector<double>& values, T list) {
  for (unsigned i = 0; i < values.size(); ++i) list.set(i, values[i]);
}

template <typename T>
std::vector<double> GetDoubles(T list) {
  std::vector<double> out;
  out.reserve(list.size());
  for (double v : list) out.push_back(v);
  return out;
}

void SetTrack(const ScenarioTrack& t, wire::Track::Builder b) {
  b.setReactive(t.reactive);
  SetDoubles(t.t, b.initT(static_cast<unsigned>(t.t.size())));
  SetDoubles(t.s, b.initS(static_cast<unsigned>(t.s.size())));
  SetDoubles(t.d, b.initD(static_cast<unsigned>(t.d.size())));
  SetDoubles(t.speed, b.initSpeed(static_cast<unsigned>(t.speed.size())));
}

// The track `r` holds; false when its columns differ in length.
bool GetTrack(wire::Track::Reader r, ScenarioTrack* track) {
  track->reactive = r.getReactive();
  track->t = GetDoubles(r.getT());
  track->s = GetDoubles(r.getS());
  track->d = GetDoubles(r.getD());
  track->speed = GetDoubles(r.getSpeed());
  const std::size_t n = track->t.size();
  return track->s.size() == n && track->d.size() == n && track->speed.size() == n;
}

void SetScenario(const ScenarioRecord& sc, wire::Scenario::Builder b) {
  b.setName(sc.name);
  b.setFamily(sc.family);
  b.setSeed(sc.seed);
  b.setDt(sc.dt);
  b.setSteps(sc.steps);
  b.setSpeedLimit(sc.speed_limit);
  auto parameters = b.initParameters(static_cast<unsigned>(sc.parameters.size()));
  for (unsigned i = 0; i < sc.parameters.size(); ++i) {
    parameters[i].setName(sc.parameters[i].name);
    parameters[i].setValue(sc.parameters[i].value);
  }
  b.setLaneWidth(sc.lane_width);
  b.setStartX(sc.start_x);
  b.setStartY(sc.start_y);
  b.setStartHeading(sc.start_heading);
  auto segments = b.initSegments(static_cast<unsigned>(sc.segments.size()));
  for (unsigned i = 0; i < sc.segments.size(); ++i) {
    segments[i].setLength(sc.segments[i][0]);
    segments[i].setCurvature(sc.segments[i][1]);
  }
  auto lanes = b.initLanes(static_cast<unsigned>(sc.lanes.size()));
  for (unsigned i = 0; i < sc.lanes.size(); ++i) {
    lanes[i].setIndex(sc.lanes[i].index);
    lanes[i].setFrom(sc.lanes[i].from);
    lanes[i].setTo(sc.lanes[i].to);
  }
  b.setEgoX(sc.ego_x);
  b.setEgoY(sc.ego_y);
  b.setEgoHeading(sc.ego_heading);
  b.setEgoSpeed(sc.ego_speed);
  b.setEgoS(sc.ego_s);
  b.setEgoLane(sc.ego_lane);
  b.setEntryRate(sc.entry_rate);
  b.setEntrySpeedMin(sc.entry_speed_min);
  b.setEntrySpeedMax(sc.entry_speed_max);
  auto entry = b.initEntryLanes(static_cast<unsigned>(sc.entry_lanes.size()));
  for (unsigned i = 0; i < sc.entry_lanes.size(); ++i) entry.set(i, sc.entry_lanes[i]);
  auto agents = b.initAgents(static_cast<unsigned>(sc.agents.size()));
  for (unsigned i = 0; i < sc.agents.size(); ++i) SetAgent(sc.agents[i], agents[i]);
  auto logged = b.initLogged(static_cast<unsigned>(sc.logged.size()));
  for (unsigned i = 0; i < sc.logged.size(); ++i) SetAgent(sc.logged[i], logged[i]);
  auto manoeuvres = b.initManoeuvres(static_cast<unsigned>(sc.manoeuvres.size()));
  for (unsigned i = 0; i < sc.manoeuvres.size(); ++i) {
    const ScenarioManoeuvre& m = sc.manoeuvres[i];
    manoeuvres[i].setKind(m.kind);
    manoeuvres[i].setAgent(m.agent);
    manoeuvres[i].setStartTime(m.start_time);
    manoeuvres[i].setDecel(m.decel);
    manoeuvres[i].setTriggerGap(m.trigger_gap);
    manoeuvres[i].setTargetLane(m.target_lane);
  }
  auto tracks = b.initTracks(static_cast<unsigned>(sc.tracks.size()));
  for (unsigned i = 0; i < sc.tracks.size(); ++i) SetTrack(sc.tracks[i], tracks[i]);
  if (!sc.ego_track.t.empty()) SetTrack(sc.ego_track, b.initEgoTrack());
}

absl::StatusOr<ScenarioRecord> GetScenario(wire::Scenario::Reader r, std::size_t index) {
  ScenarioRecord sc;
  sc.name = r.getName().cStr();
  sc.family = r.getFamily().cStr();
  sc.seed = r.getSeed();
  sc.dt = r.getDt();
  sc.steps = r.getSteps();
  sc.speed_limit = r.getSpeedLimit();
  for (auto p : r.getParameters()) sc.parameters.push_back({p.getName().cStr(), p.getValue()});
  sc.lane_width = r.getLaneWidth();
  sc.start_x = r.getStartX();
  sc.start_y = r.getStartY();
  sc.start_heading = r.getStartHeading();
  for (auto s : r.getSegments()) sc.segments.push_back({s.getLength(), s.getCurvature()});
  for (auto l : r.getLanes()) sc.lanes.push_back({l.getIndex(), l.getFrom(), l.getTo()});
  sc.ego_x = r.getEgoX();
  sc.ego_y = r.getEgoY();
  sc.ego_heading = r.getEgoHeading();
  sc.ego_speed = r.getEgoSpeed();
  sc.ego_s = r.getEgoS();
  sc.ego_lane = r.getEgoLane();
  sc.entry_rate = r.getEntryRate();
  sc.entry_speed_min = r.getEntrySpeedMin();
  sc.entry_speed_max = r.getEntrySpeedMax();
  for (std::int32_t lane : r.getEntryLanes()) sc.entry_lanes.push_back(lane);
  for (auto a : r.getAgents()) sc.agents.push_back(GetAgent(a));
  for (auto a : r.getLogged()) sc.logged.push_back(GetAgent(a));
  for (auto m : r.getManoeuvres()) {
    sc.manoeuvres.push_back({m.getKind(), m.getAgent(), m.getStartTime(), m.getDecel(),
                             m.getTriggerGap(), m.getTargetLane()});
  }
  const auto ragged = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("scenario ", index, " (", sc.name,
                     ") has a track whose t, s, d and speed columns differ in length"));
  };
  for (auto t : r.getTracks()) {
    ScenarioTrack track;
    if (!GetTrack(t, &track)) return ragged();
    sc.tracks.push_back(std::move(track));
  }
  if (r.hasEgoTrack() && !GetTrack(r.getEgoTrack(), &sc.ego_track)) return ragged();
  return sc;
}

}  // namespace

std::string EncodeScenarioSet(const std::vector<ScenarioRecord>& scenarios) {
  capnp::MallocMessageBuilder builder;
  auto root = builder.initRoot<wire::ScenarioSet>();
  root.setSchemaId(capnp::typeId<wire::ScenarioSet>());
  auto list = root.initScenarios(static_cast<unsigned>(scenarios.size()));
  for (unsigned i = 0; i < scenarios.size(); ++i) SetScenario(scenarios[i], list[i]);
  return MessageToBytes(builder);
}

absl::StatusOr<std::vector<ScenarioRecord>> DecodeScenarioSet(absl::string_view bytes,
                                                              std::size_t max_bytes) {
  absl::StatusOr<std::unique_ptr<MessageBytes>> message =
      MessageBytes::Open(bytes, DecodeLimits::ForMaxBytes(max_bytes), kScenarioSet);
  if (!message.ok()) return message.status();
  return GuardedRead(kScenarioSet, [&]() -> absl::StatusOr<std::vector<ScenarioRecord>> {
    auto root = (*message)->reader().getRoot<wire::ScenarioSet>();
    if (absl::Status s =
            CheckSchemaId(root.getSchemaId(), capnp::typeId<wire::ScenarioSet>(), kScenarioSet);
        !s.ok()) {
      return s;
    }
    std::vector<ScenarioRecord> out;
    const auto list = root.getScenarios();
    out.reserve(list.size());
    for (std::size_t i = 0; i < list.size(); ++i) {
      absl::StatusOr<ScenarioRecord> sc = GetScenario(list[static_cast<unsigned>(i)], i);
      if (!sc.ok()) return sc.status();
      out.push_back(*std::move(sc));
    }
    return out;
  });
}

}  // namespace tarmac::schemas
