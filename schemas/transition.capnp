# One n-step transition as stored in a replay item, and a batch of them.
# Field numbers are only ever added, never reused.
@0xc04815335af5fa2b;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("tarmac::wire");

using Common = import "common.capnp";

struct Transition {
  schemaId @0 :UInt64;      # always this struct's type id: tells a Transition from other bytes
  obs @1 :List(Float32);    # observation at step `step`
  action @2 :List(Float32); # physical units: acceleration m/s^2, steering rad
  reward @3 :Float32;       # n-step discounted sum r_t + g r_{t+1} + ... + g^(n-1) r_{t+n-1}
  discount @4 :Float32;     # g^n, or 0 when the episode terminated within the n steps
  nextObs @5 :List(Float32);# observation at step `step + nSteps`
  done @6 :Bool;            # terminated: the target does not bootstrap
  truncated @7 :Bool;       # cut by the time limit: the target bootstraps from nextObs
  rewardTerms @8 :List(Common.NamedValue); # per-term n-step sums (weighted), same discounting
  events @9 :UInt64;        # bit Common.Event ordinal: the event happened in the n steps
  policyVersion @10 :UInt64;# version of the behaviour policy that chose `action`
  actorId @11 :Text;
  envId @12 :UInt32;        # index of the env inside its actor
  episodeId @13 :UInt64;
  step @14 :UInt32;         # step index of `obs` within the episode
  nSteps @15 :UInt8;        # rewards summed in `reward` (fewer than n at an episode's end)
  scenario @16 :Text;       # scenario family, e.g. "cut_in"
}

struct TransitionBatch {
  schemaId @0 :UInt64;      # always this struct's type id
  transitions @1 :List(Transition);
}
