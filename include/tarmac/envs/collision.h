#ifndef TARMAC_ENVS_COLLISION_H_
#define TARMAC_ENVS_COLLISION_H_

#include "tarmac/envs/road.h"

namespace tarmac::envs {

// An oriented rectangle: centre pose, length along the heading, width across it.
struct OrientedBox {
  Pose centre;
  double length = 0.0;
  double width = 0.0;
};

// Exact overlap test of two oriented rectangles by the separating-axis theorem (four axes).
// Touching edges count as overlap. O(1); pure.
bool Overlap(const OrientedBox& a, const OrientedBox& b);

}  // namespace tarmac::envs

#endif  // TARMAC_ENVS_COLLISION_H_
