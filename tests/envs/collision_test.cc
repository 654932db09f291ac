#include "tarmac/envs/collision.h"

#include <gtest/gtest.h>

#include <cmath>

namespace tarmac::envs {
namespace {

OrientedBox Car(double x, double y, double heading) { return {{x, y, heading}, 4.0, 2.0}; }

TEST(CollisionTest, AlignedBoxes) {
  EXPECT_TRUE(Overlap(Car(0, 0, 0), Car(3.9, 0, 0)));
  EXPECT_TRUE(Overlap(Car(0, 0, 0), Car(4.0, 0, 0))) << "touching counts";
  EXPECT_FALSE(Overlap(Car(0, 0, 0), Car(4.01, 0, 0)));
  EXPECT_FALSE(Overlap(Car(0, 0, 0), Car(0, 2.01, 0)));
  EXPECT_TRUE(Overlap(Car(0, 0, 0), Car(0, 1.99, 0)));
}

TEST(CollisionTest, RotatedBoxesNearACorner) {
  // A box turned 45 degrees whose bounding boxes overlap the other's corner but whose body
  // does not: only the separating axes of the rotated box tell them apart.
  const OrientedBox a = Car(0, 0, 0);
  const double reach = 0.5 * (4.0 + 2.0) / std::sqrt(2.0);  // extent along the diagonal axes
  const OrientedBox apart = Car(2.0 + reach + 1.0 + 0.05, 1.0 + 0.05, M_PI / 4);
  EXPECT_FALSE(Overlap(a, apart));
  const OrientedBox touching = Car(3.5, 0.5, M_PI / 4);
  EXPECT_TRUE(Overlap(a, touching));
  EXPECT_TRUE(Overlap(touching, a)) << "symmetric";
}

TEST(CollisionTest, CrossingAtRightAngles) {
  EXPECT_TRUE(Overlap(Car(0, 0, 0), Car(0, 2.5, M_PI / 2)));
  EXPECT_FALSE(Overlap(Car(0, 0, 0), Car(0, 3.1, M_PI / 2)));
}

}  // namespace
}  // namespace tarmac::envs
