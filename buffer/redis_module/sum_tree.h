#ifndef TARMAC_BUFFER_REDIS_MODULE_SUM_TREE_H_
#define TARMAC_BUFFER_REDIS_MODULE_SUM_TREE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "module_allocator.h"

namespace tarmac::replay {

// A complete binary tree over `capacity` slots holding, per slot, a sampling mass (p^alpha) and
// a priority. Internal nodes keep the sum of masses, the minimum positive mass (for the IS-weight
// maximum) and, when asked for, the minimum priority of occupied slots (min-priority eviction).
// Parents are recomputed from their children on every change, so sums never drift.
// Set is O(log n); Total/MinPositiveMass O(1); Find/ArgMinPriority O(log n). Not thread-safe.
class SumTree {
 public:
  SumTree(std::size_t capacity, bool track_min_priority);

  // Occupies `slot` with `mass` >= 0 and `priority` >= 0.
  void Set(std::size_t slot, double mass, double priority);
  // Empties `slot`.
  void Clear(std::size_t slot);

  double Total() const { return sum_[1]; }
  double Mass(std::size_t slot) const { return sum_[leaves_ + slot]; }
  // Smallest positive mass over all slots; +inf when there is none.
  double MinPositiveMass() const { return min_mass_[1]; }

  // The slot whose cumulative mass interval contains `u`, for u in [0, Total()). Only slots with
  // positive mass are returned; `u` outside the range is clamped. Total() must be positive.
  std::size_t Find(double u) const;

  // Occupied slot with the smallest priority, the lowest slot among equals; needs
  // track_min_priority and at least one occupied slot.
  std::size_t ArgMinPriority() const;

  std::size_t capacity() const { return capacity_; }
  std::size_t MemoryBytes() const;

 private:
  void Recompute(std::size_t leaf_index);

  std::size_t capacity_;
  std::size_t leaves_;  // power of two >= capacity
  std::vector<double, ModuleAllocator<double>> sum_;
  std::vector<double, ModuleAllocator<double>> min_mass_;
  std::vector<double, ModuleAllocator<double>> min_priority_;  // empty unless tracked
};

}  // namespace tarmac::replay

#endif  // TARMAC_BUFFER_REDIS_MODULE_SUM_TREE_H_
