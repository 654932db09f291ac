# What happened in one episode, in the vocabulary of driving.
# Field numbers are only ever added, never reused.
@0xcf0f017cc5dde522;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("tarmac::wire");

using Common = import "common.capnp";

enum Outcome {
  timeLimit @0;     # ran to the episode's step limit
  completed @1;     # reached the end of the route
  collision @2;
  offRoad @3;
  aborted @4;       # stopped from outside (shutdown, env error)
}

struct EventOccurrence {
  event @0 :Common.Event;
  step @1 :UInt32;
  s @2 :Float32;    # Frenet arc length along the route, m
  x @3 :Float32;    # world position, m
  y @4 :Float32;
}

struct EpisodeSummary {
  schemaId @0 :UInt64;                      # always this struct's type id
  scenario @1 :Text;                        # family, e.g. "lead_brake"
  seed @2 :UInt64;
  envName @3 :Text;
  actorId @4 :Text;
  episodeId @5 :UInt64;
  policyVersion @6 :UInt64;
  steps @7 :UInt32;
  episodeReturn @8 :Float64;
  termReturns @9 :List(Common.NamedValue);  # undiscounted per-term returns
  events @10 :List(EventOccurrence);
  metrics @11 :List(Common.NamedValue);     # score, progress_ratio, max_abs_jerk, ...
  outcome @12 :Outcome;
  distanceM @13 :Float64;
}
