# Versioned policy weights as the learner publishes them at tarmac:weights:<version>.
# Field numbers are only ever added, never reused.
@0xc153c365f98a99d7;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("tarmac::wire");

enum DType {
  float32 @0;
  float64 @1;
  float16 @2;
  bfloat16 @3;
  int64 @4;
  int32 @5;
  uint8 @6;
}

# Enough to rebuild the network the tensors belong to; actors refuse weights whose
# architecture differs from the policy they run.
struct Architecture {
  kind @0 :Text;                # e.g. "sac_mlp"
  obsDim @1 :UInt32;
  actionDim @2 :UInt32;
  hiddenSizes @3 :List(UInt32);
  activation @4 :Text;          # e.g. "relu"
}

struct Tensor {
  name @0 :Text;                # e.g. "actor.layers.0.weight"
  shape @1 :List(Int64);
  dtype @2 :DType;
  data @3 :Data;                # little-endian, row-major, product(shape) * size(dtype) bytes
}

struct PolicyWeights {
  schemaId @0 :UInt64;          # always this struct's type id
  version @1 :UInt64;
  learnerStep @2 :UInt64;
  architecture @3 :Architecture;
  tensors @4 :List(Tensor);
  checksum @5 :UInt64;          # XXH3-64 of everything above, see schemas/policy_weights.cc
  createdUnixMs @6 :Int64;
  signature @7 :Data;           # HMAC-SHA-256 of what the checksum covers, keyed by
                                # TARMAC_WEIGHTS_KEY; empty when the learner had no key
}
