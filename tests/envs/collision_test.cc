#include "tarmac/envs/collision.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <random>

#include "tarmac/envs/road.h"

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

TEST(CollisionTest, AgreesWithTheCornersProjectedOnEveryAxis) {
  // The reference: the separating-axis test written out on the boxes' corners, with none of
  // Overlap's early rejects. Random pairs of vehicles from a motorbike to a truck, at every
  // heading, near enough that about a quarter overlap; pairs within 1e-9 m of touching are left out
  // (the two ways of rounding may tell those apart).
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> where(-7.0, 7.0), heading(-M_PI, M_PI), length(0.5, 14.0),
      width(0.3, 2.6);
  int overlapping = 0, apart = 0;
  for (int k = 0; k < 20000; ++k) {
    const OrientedBox a{{where(rng), where(rng), heading(rng)}, length(rng), width(rng)};
    const OrientedBox b{{where(rng), where(rng), heading(rng)}, length(rng), width(rng)};
    const auto ca = BoxCorners(a.centre, a.length, a.width);
    const auto cb = BoxCorners(b.centre, b.length, b.width);
    double margin = std::numeric_limits<double>::infinity();  // < 0: a separating axis
    for (const double angle : {a.centre.heading, a.centre.heading + M_PI / 2, b.centre.heading,
                               b.centre.heading + M_PI / 2}) {
      const double ax = std::cos(angle), ay = std::sin(angle);
      const auto span = [&](const std::array<std::array<double, 2>, 4>& corners) {
        double low = INFINITY, high = -INFINITY;
        for (const auto& c : corners) {
          low = std::min(low, c[0] * ax + c[1] * ay);
          high = std::max(high, c[0] * ax + c[1] * ay);
        }
        return std::make_pair(low, high);
      };
      const auto [la, ha] = span(ca);
      const auto [lb, hb] = span(cb);
      margin = std::min(margin, std::min(ha, hb) - std::max(la, lb));
    }
    if (std::abs(margin) < 1e-9) continue;
    ASSERT_EQ(Overlap(a, b), margin > 0) << "pair " << k << ", margin " << margin;
    (margin > 0 ? overlapping : apart) += 1;
  }
  EXPECT_GT(overlapping, 4000);
  EXPECT_GT(apart, 10000);
}

}  // namespace
}  // namespace tarmac::envs
