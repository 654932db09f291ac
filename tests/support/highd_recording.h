#ifndef TARMAC_TESTS_SUPPORT_HIGHD_RECORDING_H_
#define TARMAC_TESTS_SUPPORT_HIGHD_RECORDING_H_

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "tarmac/envs/traffic.h"
#include "tarmac/util/number_text.h"

// A small highD recording written by the tests (nothing is downloaded): five vehicles in both
// driving directions with a cut-in, a hard brake behind which another car brakes, and one
// planted 3 m sideways jump.
namespace tarmac::testing {

using envs::TrackPoint;

inline constexpr double kRate = 25.0;
inline constexpr double kWidth = 3.8;                               // lane width of both directions
inline const std::vector<double> kUpper = {8.5, 12.3, 16.1, 19.9};  // three lanes each way
inline const std::vector<double> kLower = {24.0, 27.8, 31.6, 35.4};

// A vehicle in its direction's road frame: s, d and speed along travel at time t.
struct Planted {
  int id;
  int direction;
  double length, width;
  std::function<TrackPoint(double)> at;
  std::function<double(double)> accel;  // along travel
};

// Writes a recording "01" in the highD layout from vehicles given in the road frame; x of the
// upper direction is mirrored about `mirror` (what the importer finds as the road's length).
inline void WriteRecording(const std::string& dir, const std::vector<Planted>& vehicles, int frames,
                           double mirror, const std::string& drop_column = "") {
  std::ofstream(dir + "/01_recordingMeta.csv")
      << "id,frameRate,locationId,speedLimit,month,weekDay,startTime,duration,"
         "upperLaneMarkings,lowerLaneMarkings\n"
      << "1,25,2,-1,09,Tue,08:38,20," << absl::StrJoin(kUpper, ";") << ","
      << absl::StrJoin(kLower, ";") << "\n";
  std::ofstream meta(dir + "/01_tracksMeta.csv");
  meta << "id,width,height,initialFrame,finalFrame,numFrames,class,drivingDirection\n";
  std::vector<std::string> columns = {"frame",
                                      "id",
                                      "x",
                                      "y",
                                      "width",
                                      "height",
                                      "xVelocity",
                                      "yVelocity",
                                      "xAcceleration",
                                      "yAcceleration",
                                      "laneId"};
  std::ofstream tracks(dir + "/01_tracks.csv");
  std::vector<std::string> header;
  for (const std::string& c : columns) {
    if (c != drop_column) header.push_back(c);
  }
  tracks << absl::StrJoin(header, ",") << "\n";
  for (const Planted& v : vehicles) {
    meta << v.id << "," << v.length << "," << v.width << ",1," << frames << "," << frames << ",Car,"
         << v.direction << "\n";
  }
  for (int f = 1; f <= frames; ++f) {
    const double t = (f - 1) / kRate;
    for (const Planted& v : vehicles) {
      const TrackPoint p = v.at(t);
      const TrackPoint q = v.at(t + 1e-4);
      const double d_dot = (q.d - p.d) / 1e-4;
      double xc, yc, vx, vy, ax;
      if (v.direction == 2) {
        xc = p.s;
        yc = 0.5 * (kLower[2] + kLower[3]) - p.d;
        vx = p.speed;
        vy = -d_dot;
        ax = v.accel(t);
      } else {
        xc = mirror - p.s;
        yc = 0.5 * (kUpper[0] + kUpper[1]) + p.d;
        vx = -p.speed;
        vy = d_dot;
        ax = -v.accel(t);
      }
      const std::map<std::string, double> row = {{"frame", f},
                                                 {"id", v.id},
                                                 {"x", xc - 0.5 * v.length},
                                                 {"y", yc - 0.5 * v.width},
                                                 {"width", v.length},
                                                 {"height", v.width},
                                                 {"xVelocity", vx},
                                                 {"yVelocity", vy},
                                                 {"xAcceleration", ax},
                                                 {"yAcceleration", 0},
                                                 {"laneId", 2}};
      std::vector<std::string> fields;
      for (const std::string& c : header) fields.push_back(util::ShortestText(row.at(c)));
      tracks << absl::StrJoin(fields, ",") << "\n";
    }
  }
}

inline double Constant(double) { return 0.0; }

// Speed `v0` until `t0`, then `a` for `duration`, then constant; s from s0.
inline TrackPoint Braking(double s0, double d, double v0, double t0, double a, double duration,
                          double t) {
  if (t <= t0) return {t, s0 + v0 * t, d, v0};
  const double tb = std::min(t - t0, duration);
  const double vb = v0 + a * tb;
  const double sb = s0 + v0 * t0 + v0 * tb + 0.5 * a * tb * tb;
  return {t, sb + vb * (t - t0 - tb), d, vb};
}

inline std::vector<Planted> Vehicles() {
  std::vector<Planted> v;
  // 1: lower direction, rightmost lane, 30 m/s: the car cut in on.
  v.push_back({1, 2, 4.6, 1.9,
               [](double t) {
                 return TrackPoint{t, 10 + 30 * t, 0.0, 30};
               },
               Constant});
  // 2: lower direction, from lane 1 into lane 0 between 4 and 7 s, 33 m/s, ahead of car 1.
  v.push_back({2, 2, 4.4, 1.8,
               [](double t) {
                 const double u = std::clamp((t - 4.0) / 3.0, 0.0, 1.0);
                 return TrackPoint{t, 18 + 33 * t, kWidth * 0.5 * (1 + std::cos(M_PI * u)), 33};
               },
               Constant});
  // 3: upper direction, lane 2, brakes at 5 m/s^2 for 2 s from t = 5 s.
  v.push_back({3, 1, 4.8, 1.9, [](double t) { return Braking(100, 2 * kWidth, 25, 5, -5, 2, t); },
               [](double t) { return t > 5 && t <= 7 ? -5.0 : 0.0; }});
  // 4: upper direction, lane 2, 30 m behind car 3, brakes half a second later.
  v.push_back({4, 1, 4.5, 1.8, [](double t) { return Braking(70, 2 * kWidth, 25, 5.5, -5, 2, t); },
               [](double t) { return t > 5.5 && t <= 7.5 ? -5.0 : 0.0; }});
  // 5: lower direction, lane 2, with a planted 3 m sideways jump at frame 201 (t = 8 s).
  v.push_back({5, 2, 4.7, 1.9,
               [](double t) {
                 const bool jump = std::abs(t - 8.0) < 1e-6;
                 return TrackPoint{t, 40 + 28 * t, 2 * kWidth + (jump ? 3.0 : 0.0), 28};
               },
               Constant});
  return v;
}

}  // namespace tarmac::testing

#endif  // TARMAC_TESTS_SUPPORT_HIGHD_RECORDING_H_
