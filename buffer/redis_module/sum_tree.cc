#include "sum_tree.h"

#include <algorithm>
#include <limits>

namespace tarmac::replay {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

}  // namespace

SumTree::SumTree(std::size_t capacity, bool track_min_priority, const LeafSource* leaves)
    : n_(std::max<std::size_t>(capacity, 2)), leaves_(leaves), sum_(n_, 0.0), min_mass_(n_, kInf) {
  if (track_min_priority) min_priority_.assign(n_, kInf);
}

double SumTree::MinMass(std::size_t i) const {
  if (i < n_) return min_mass_[i];
  const double mass = leaves_->LeafMass(i - n_);
  return mass > 0.0 ? mass : kInf;
}

void SumTree::Update(std::size_t slot) {
  // The parent of the leaf reads both leaves once (their mass costs a pow each).
  std::size_t i = (slot + n_) >> 1;
  const std::size_t l = 2 * i;
  const double left = Sum(l);
  const double right = Sum(l + 1);
  sum_[i] = left + right;
  // A child below n is internal (possible when n is not a power of two): use its own minimum.
  const double left_min = l >= n_ ? (left > 0.0 ? left : kInf) : min_mass_[l];
  const double right_min = l + 1 >= n_ ? (right > 0.0 ? right : kInf) : min_mass_[l + 1];
  min_mass_[i] = std::min(left_min, right_min);
  if (!min_priority_.empty()) min_priority_[i] = std::min(MinPriority(l), MinPriority(l + 1));
  for (i >>= 1; i >= 1; i >>= 1) {
    const std::size_t a = 2 * i;
    const std::size_t b = a + 1;
    sum_[i] = Sum(a) + Sum(b);
    min_mass_[i] = std::min(MinMass(a), MinMass(b));
    if (!min_priority_.empty()) min_priority_[i] = std::min(MinPriority(a), MinPriority(b));
  }
}

void SumTree::Rebuild() {
  for (std::size_t i = n_ - 1; i >= 1; --i) {
    const std::size_t a = 2 * i;
    const std::size_t b = a + 1;
    sum_[i] = Sum(a) + Sum(b);
    min_mass_[i] = std::min(MinMass(a), MinMass(b));
    if (!min_priority_.empty()) min_priority_[i] = std::min(MinPriority(a), MinPriority(b));
  }
}

std::size_t SumTree::Find(double u) const {
  std::size_t i = 1;
  while (i < n_) {
    const std::size_t l = 2 * i;
    const std::size_t r = l + 1;
    const double left = Sum(l);
    // Go right only when u lies beyond the left mass and the right side has mass; rounding can
    // leave u a hair past the true end, which then lands on the last slot with mass.
    if (u >= left && Sum(r) > 0.0) {
      u -= left;
      i = r;
    } else if (left > 0.0) {
      i = l;
    } else {
      i = r;
    }
  }
  return i - n_;
}

std::size_t SumTree::ArgMinPriority() const {
  std::size_t i = 1;
  while (i < n_) {
    const std::size_t l = 2 * i;
    i = MinPriority(l) <= MinPriority(l + 1) ? l : l + 1;
  }
  return i - n_;
}

std::size_t SumTree::MemoryBytes() const {
  return (sum_.capacity() + min_mass_.capacity() + min_priority_.capacity()) * sizeof(double);
}

}  // namespace tarmac::replay
