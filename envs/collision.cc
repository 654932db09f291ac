#include "tarmac/envs/collision.h"

#include <cmath>

namespace tarmac::envs {
namespace {

// Half-extent of box `b` projected on the unit axis (ax, ay).
double Radius(const OrientedBox& b, double ax, double ay) {
  const double c = std::cos(b.centre.heading);
  const double s = std::sin(b.centre.heading);
  return 0.5 * b.length * std::abs(c * ax + s * ay) + 0.5 * b.width * std::abs(-s * ax + c * ay);
}

}  // namespace

bool Overlap(const OrientedBox& a, const OrientedBox& b) {
  const double dx = b.centre.x - a.centre.x;
  const double dy = b.centre.y - a.centre.y;
  // Cheap rejects: circles of radius (length + width) / 2 apart, which hold the circumscribed
  // ones by a margin far above rounding for any vehicle (hypot(l, w) < l + w; the margin
  // 2lw / (l + w + hypot) is centimetres); then the circumscribed circles apart.
  const double reach = 0.5 * (a.length + a.width + b.length + b.width);
  if (dx * dx + dy * dy > reach * reach) return false;
  const double ra = 0.5 * std::hypot(a.length, a.width);
  const double rb = 0.5 * std::hypot(b.length, b.width);
  if (dx * dx + dy * dy > (ra + rb) * (ra + rb)) return false;
  for (const OrientedBox* box : {&a, &b}) {
    const double c = std::cos(box->centre.heading);
    const double s = std::sin(box->centre.heading);
    for (const auto& axis : {std::pair<double, double>{c, s}, std::pair<double, double>{-s, c}}) {
      const double distance = std::abs(dx * axis.first + dy * axis.second);
      if (distance > Radius(a, axis.first, axis.second) + Radius(b, axis.first, axis.second)) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace tarmac::envs
