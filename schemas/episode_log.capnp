# One episode, step by step: enough to replay it bit-identically and to compute any behaviour
# metric from it. Stored zstd-compressed, one file per episode (`*.episode.zst`).
# Field numbers are only ever added, never reused.
@0xb80c5db084013268;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("tarmac::wire");

using Common = import "common.capnp";

# One env.* configuration key and its value, exactly as the config holds it (a scalar is one
# text, a list several).
struct ConfigEntry {
  key @0 :Text;
  values @1 :List(Text);
}

# The ego's state, in world (x, y, heading) and road (s, d, lane) coordinates.
struct EgoState {
  x @0 :Float64;             # m
  y @1 :Float64;
  heading @2 :Float64;       # rad
  speed @3 :Float64;         # m/s
  accel @4 :Float64;         # m/s^2, longitudinal
  steer @5 :Float64;         # rad
  lateralAccel @6 :Float64;  # m/s^2
  yawRate @7 :Float64;       # rad/s
  s @8 :Float64;             # m along the road
  d @9 :Float64;             # m across the road
  lane @10 :Int32;           # nearest lane index
}

# A traffic vehicle near the ego.
struct Vehicle {
  id @0 :Int32;
  x @1 :Float32;
  y @2 :Float32;
  heading @3 :Float32;
  speed @4 :Float32;
  s @5 :Float32;
  d @6 :Float32;
  lane @7 :Int32;
  length @8 :Float32;
  width @9 :Float32;
}

struct Step {
  ego @0 :EgoState;                # after the step (step 0: after Reset)
  action @1 :List(Float32);        # the action that led here (empty for step 0)
  reward @2 :Float32;
  rewardTerms @3 :List(Float32);   # weighted, in EpisodeLog.rewardTerms order
  events @4 :UInt64;               # event bit mask
  leaderId @5 :Int32;              # the vehicle the ego follows in its lane; 0: none
  leaderGap @6 :Float32;           # m bumper to bumper
  leaderSpeed @7 :Float32;         # m/s
  vehicles @8 :List(Vehicle);      # active vehicles within 100 m along the road
  roadCurvature @9 :Float32;       # 1/m of the road at the ego
}

struct EpisodeLog {
  schemaId @0 :UInt64;                      # always this struct's type id
  envName @1 :Text;
  scenario @2 :Text;                        # family, e.g. "cut_in"
  seed @3 :UInt64;
  envConfig @4 :List(ConfigEntry);          # every env.* key the episode ran with
  parameters @5 :List(Common.NamedValue);   # the scenario's drawn parameters (cut_in_gap, ...)
  policy @6 :Text;                          # "expert", a checkpoint path, "latest"
  policyVersion @7 :UInt64;
  dt @8 :Float64;                           # s per step
  rewardTerms @9 :List(Text);
  steps @10 :List(Step);
  summary @11 :Data;                        # the episode's EpisodeSummary message
  speedLimit @12 :Float64;                  # m/s
}
