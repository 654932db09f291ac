# Types shared by every tarmac wire schema. Field numbers are only ever added, never reused.
@0x98d6afd9a4ab67c5;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("tarmac::wire");

# A named scalar: a reward term, a metric.
struct NamedValue {
  name @0 :Text;
  value @1 :Float64;
}

# Driving events, the tags of replay items. An event's ordinal is its bit in a tag mask
# (Transition.events, REPLAY.INSERT tags), so ordinals never change.
enum Event {
  collision @0;
  offRoad @1;
  hardBrake @2;       # longitudinal acceleration below -4.05 m/s^2
  nearMiss @3;        # time to collision below 0.95 s
  comfort @4;         # a nuPlan comfort bound exceeded
  laneDeparture @5;
  cutIn @6;           # a new lead vehicle entered the ego lane with a low TTC
}
