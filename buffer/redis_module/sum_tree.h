#ifndef TARMAC_BUFFER_REDIS_MODULE_SUM_TREE_H_
#define TARMAC_BUFFER_REDIS_MODULE_SUM_TREE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "module_allocator.h"

namespace tarmac::replay {

// Where a SumTree reads its leaves: the owner's items, so that leaves are not stored twice.
class LeafSource {
 public:
  virtual ~LeafSource() = default;
  // p^alpha of the item in `slot`; 0 for an empty slot.
  virtual double LeafMass(std::size_t slot) const = 0;
  // Priority of the item in `slot`; +inf for an empty slot.
  virtual double LeafPriority(std::size_t slot) const = 0;
};

// A binary tree over `capacity` slots (leaves at [n, 2n), internal nodes 1..n-1, any n), whose
// internal nodes keep the sum of the leaves' masses, their smallest positive mass (for the
// importance-weight maximum) and, when asked for, their smallest priority (min-priority
// eviction). Parents are recomputed from children on every change, so sums never drift.
//
// The lowest level is not stored but computed from the two leaves below when read, with the
// same additions in the same order, so every sum and minimum is bit-identical to a fully stored
// tree: internal nodes from the second level up (below ceil(n/2)) are stored.
// Memory: 8 bytes per slot (12 with min priority), against 16 (24) for every level. The price is
// leaf reads: Find and Update read up to 4 leaves where they read 2.
// Update O(log n); Total/MinPositiveMass O(1); Find/ArgMinPriority O(log n). Not thread-safe.
class SumTree {
 public:
  SumTree(std::size_t capacity, bool track_min_priority, const LeafSource* leaves);

  // Recomputes the ancestors of `slot` after its leaf changed.
  void Update(std::size_t slot);
  // Recomputes every internal node from the leaves. O(n).
  void Rebuild();

  double Total() const { return Sum(1); }
  // Smallest positive mass over all slots; +inf when there is none.
  double MinPositiveMass() const { return At(1).min_mass; }

  // The slot whose cumulative mass interval contains `u`, for u in [0, Total()). Only slots with
  // positive mass are returned; `u` outside the range is clamped. Total() must be positive.
  std::size_t Find(double u) const;

  // Occupied slot with the smallest priority (leftmost in tree order among equals); needs
  // track_min_priority and an occupied slot.
  std::size_t ArgMinPriority() const;

  std::size_t MemoryBytes() const;
  // What a tree over `capacity` slots holds.
  static std::size_t BytesFor(std::size_t capacity, bool track_min_priority);

 private:
  // What a node holds, stored or computed.
  struct Node {
    double sum;
    double min_mass;
  };
  // Node i; one at or past stored_ has two leaves as children, whose masses land in `leaves`
  // (when given) so that a descent need not read them again.
  Node At(std::size_t i, double* leaves = nullptr) const;
  double Sum(std::size_t i, double* leaves = nullptr) const { return At(i, leaves).sum; }
  double MinPriority(std::size_t i) const;
  // Recomputes stored node i from its children.
  void Recompute(std::size_t i);

  std::size_t n_;       // leaves (slots), at least 2
  std::size_t stored_;  // internal nodes [1, stored_) are stored
  const LeafSource* leaves_;
  std::vector<double, ModuleAllocator<double>> sum_;
  std::vector<double, ModuleAllocator<double>> min_mass_;
  std::vector<double, ModuleAllocator<double>> min_priority_;  // empty unless tracked
};

}  // namespace tarmac::replay

#endif  // TARMAC_BUFFER_REDIS_MODULE_SUM_TREE_H_
