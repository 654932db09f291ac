# Test-only schema: a linked list of any depth, to check the decoders' nesting limit.
@0xa7e1b0f3c2d4e5f6;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("tarmac::wire::test");

struct Node {
  schemaId @0 :UInt64;
  next @1 :Node;
}
