# Scenario files in bulk: many concrete episodes in one message (`*.scenarios`), the same content
# as the YAML scenario files (README "Bringing your own scenarios"), every number exact.
# Field numbers are only ever added, never reused.
@0x994fedfaa63cd74d;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("tarmac::wire");

using Common = import "common.capnp";

struct RoadSegment {
  length @0 :Float64;     # m
  curvature @1 :Float64;  # 1/m, > 0 turns left
}

struct RoadLane {
  index @0 :Int32;  # 0 is the rightmost
  from @1 :Float64;  # m along the road
  to @2 :Float64;
}

# A traffic vehicle at the start (or, logged, when its track begins) and its driver.
struct Agent {
  s @0 :Float64;
  d @1 :Float64;
  lane @2 :Int32;
  speed @3 :Float64;
  length @4 :Float64;
  width @5 :Float64;
  desiredSpeed @6 :Float64;  # IDM v0, T, s0, a, b, delta
  timeHeadway @7 :Float64;
  minGap @8 :Float64;
  maxAccel @9 :Float64;
  comfortDecel @10 :Float64;
  exponent @11 :Float64;
  politeness @12 :Float64;  # MOBIL
  threshold @13 :Float64;
  maxSafeDecel @14 :Float64;
  reaction @15 :Float64;  # s
  laneChanges @16 :Bool;
  hasConstantAccel @17 :Bool;
  constantAccel @18 :Float64;
  profile @19 :Int32;
  track @20 :Int32;  # index into Scenario.tracks for a logged agent, -1 otherwise
}

struct Manoeuvre {
  kind @0 :UInt8;  # 0 brake, 1 cut in
  agent @1 :Int32;
  startTime @2 :Float64;
  decel @3 :Float64;
  triggerGap @4 :Float64;
  targetLane @5 :Int32;
}

# A logged track: samples at strictly increasing times, columns of equal length.
struct Track {
  reactive @0 :Bool;
  t @1 :List(Float64);
  s @2 :List(Float64);
  d @3 :List(Float64);
  speed @4 :List(Float64);
}

struct Scenario {
  name @0 :Text;
  family @1 :Text;
  seed @2 :UInt64;
  dt @3 :Float64;
  steps @4 :Int32;
  speedLimit @5 :Float64;
  parameters @6 :List(Common.NamedValue);
  laneWidth @7 :Float64;
  startX @8 :Float64;
  startY @9 :Float64;
  startHeading @10 :Float64;
  segments @11 :List(RoadSegment);
  lanes @12 :List(RoadLane);
  egoX @13 :Float64;
  egoY @14 :Float64;
  egoHeading @15 :Float64;
  egoSpeed @16 :Float64;
  egoS @17 :Float64;
  egoLane @18 :Int32;
  entryRate @19 :Float64;
  entrySpeedMin @20 :Float64;
  entrySpeedMax @21 :Float64;
  entryLanes @22 :List(Int32);
  agents @23 :List(Agent);
  logged @24 :List(Agent);
  manoeuvres @25 :List(Manoeuvre);
  tracks @26 :List(Track);
  egoTrack @27 :Track;  # the ego's own logged driving (empty columns: none)
}

struct ScenarioSet {
  schemaId @0 :UInt64;  # the type id of ScenarioSet: refuses other tarmac messages
  scenarios @1 :List(Scenario);
}
