#include "sum_tree.h"

#include <algorithm>
#include <limits>

namespace tarmac::replay {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double PositiveOrInf(double mass) { return mass > 0.0 ? mass : kInf; }

}  // namespace

SumTree::SumTree(std::size_t capacity, bool track_min_priority, const LeafSource* leaves)
    : n_(std::max<std::size_t>(capacity, 2)),
      stored_((n_ + 1) / 2),
      leaves_(leaves),
      sum_(stored_, 0.0),
      min_mass_(stored_, kInf) {
  if (track_min_priority) min_priority_.assign(stored_, kInf);
}

SumTree::Node SumTree::At(std::size_t i, double* leaves) const {
  if (i >= n_) {
    const double mass = leaves_->LeafMass(i - n_);
    return {mass, PositiveOrInf(mass)};
  }
  if (i < stored_) return {sum_[i], min_mass_[i]};
  // Both children are leaves (2i >= n).
  const double left = leaves_->LeafMass(2 * i - n_);
  const double right = leaves_->LeafMass(2 * i + 1 - n_);
  if (leaves != nullptr) {
    leaves[0] = left;
    leaves[1] = right;
  }
  return {left + right, std::min(PositiveOrInf(left), PositiveOrInf(right))};
}

double SumTree::MinPriority(std::size_t i) const {
  if (i >= n_) return leaves_->LeafPriority(i - n_);
  if (i < stored_) return min_priority_[i];
  return std::min(leaves_->LeafPriority(2 * i - n_), leaves_->LeafPriority(2 * i + 1 - n_));
}

void SumTree::Recompute(std::size_t i) {
  const std::size_t a = 2 * i;
  const Node left = At(a);
  const Node right = At(a + 1);
  sum_[i] = left.sum + right.sum;
  min_mass_[i] = std::min(left.min_mass, right.min_mass);
  if (!min_priority_.empty()) min_priority_[i] = std::min(MinPriority(a), MinPriority(a + 1));
}

void SumTree::Update(std::size_t slot) {
  // Only stored nodes change; the lowest level is read from the leaves.
  std::size_t i = (slot + n_) >> 1;
  while (i >= stored_) i >>= 1;
  for (; i >= 1; i >>= 1) Recompute(i);
}

void SumTree::Rebuild() {
  for (std::size_t i = stored_ - 1; i >= 1; --i) Recompute(i);
}

std::size_t SumTree::Find(double u) const {
  std::size_t i = 1;
  // The masses of i's two leaf children, once the step into i has read them.
  double below[2] = {0.0, 0.0};
  bool known = false;
  while (i < n_) {
    const std::size_t l = 2 * i;
    const std::size_t r = l + 1;
    double left_leaves[2];
    double right_leaves[2];
    const double left = known ? below[0] : Sum(l, left_leaves);
    bool right_read = false;
    double right = 0.0;
    const auto read_right = [&] {
      if (!right_read) right = known ? below[1] : Sum(r, right_leaves);
      right_read = true;
      return right;
    };
    // Go right only when u lies beyond the left mass and the right side has mass; rounding can
    // leave u a hair past the true end, which then lands on the last slot with mass.
    std::size_t next = r;
    if (u >= left && read_right() > 0.0) {
      u -= left;
    } else if (left > 0.0) {
      next = l;
    } else {
      read_right();
    }
    // Stepping into a node whose children are leaves: its leaf masses were just read.
    known = next < n_ && next >= stored_ && !known;
    if (known) std::copy_n(next == l ? left_leaves : right_leaves, 2, below);
    i = next;
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

std::size_t SumTree::BytesFor(std::size_t capacity, bool track_min_priority) {
  const std::size_t n = std::max<std::size_t>(capacity, 2);
  return (track_min_priority ? 3 : 2) * ((n + 1) / 2) * sizeof(double);
}

std::size_t SumTree::MemoryBytes() const {
  return (sum_.capacity() + min_mass_.capacity() + min_priority_.capacity()) * sizeof(double);
}

}  // namespace tarmac::replay
