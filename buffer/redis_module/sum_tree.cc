#include "sum_tree.h"

#include <algorithm>
#include <limits>

namespace tarmac::replay {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::size_t PowerOfTwoAtLeast(std::size_t n) {
  std::size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

}  // namespace

SumTree::SumTree(std::size_t capacity, bool track_min_priority)
    : capacity_(capacity),
      leaves_(PowerOfTwoAtLeast(std::max<std::size_t>(capacity, 1))),
      sum_(2 * leaves_, 0.0),
      min_mass_(2 * leaves_, kInf) {
  if (track_min_priority) min_priority_.assign(2 * leaves_, kInf);
}

void SumTree::Set(std::size_t slot, double mass, double priority) {
  const std::size_t i = leaves_ + slot;
  sum_[i] = mass;
  min_mass_[i] = mass > 0.0 ? mass : kInf;
  if (!min_priority_.empty()) min_priority_[i] = priority;
  Recompute(i);
}

void SumTree::Clear(std::size_t slot) {
  const std::size_t i = leaves_ + slot;
  sum_[i] = 0.0;
  min_mass_[i] = kInf;
  if (!min_priority_.empty()) min_priority_[i] = kInf;
  Recompute(i);
}

void SumTree::Recompute(std::size_t i) {
  for (i >>= 1; i >= 1; i >>= 1) {
    const std::size_t l = 2 * i;
    const std::size_t r = l + 1;
    sum_[i] = sum_[l] + sum_[r];
    min_mass_[i] = std::min(min_mass_[l], min_mass_[r]);
    if (!min_priority_.empty()) min_priority_[i] = std::min(min_priority_[l], min_priority_[r]);
  }
}

std::size_t SumTree::Find(double u) const {
  std::size_t i = 1;
  while (i < leaves_) {
    const std::size_t l = 2 * i;
    const std::size_t r = l + 1;
    // Go right only when u lies beyond the left mass and the right side has mass; rounding can
    // leave u a hair past the true end, which then lands on the last slot with mass.
    if (u >= sum_[l] && sum_[r] > 0.0) {
      u -= sum_[l];
      i = r;
    } else if (sum_[l] > 0.0) {
      i = l;
    } else {
      i = r;
    }
  }
  return i - leaves_;
}

std::size_t SumTree::ArgMinPriority() const {
  std::size_t i = 1;
  while (i < leaves_) {
    const std::size_t l = 2 * i;
    i = min_priority_[l] <= min_priority_[l + 1] ? l : l + 1;
  }
  return i - leaves_;
}

std::size_t SumTree::MemoryBytes() const {
  return (sum_.capacity() + min_mass_.capacity() + min_priority_.capacity()) * sizeof(double);
}

}  // namespace tarmac::replay
