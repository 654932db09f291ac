#ifndef TARMAC_ENVS_HIGHD_H_
#define TARMAC_ENVS_HIGHD_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tarmac/envs/feasibility.h"
#include "tarmac/envs/scenario.h"

namespace tarmac::envs {

// Logged highway traffic in the highD dataset's published CSV layout (per recording NN:
// NN_recordingMeta.csv, NN_tracksMeta.csv, NN_tracks.csv; positions are the top-left corner of
// the bounding box in image-aligned metres, y pointing down; drivingDirection 1 drives towards
// -x on the upper lanes, 2 towards +x on the lower ones), turned into tarmac scenarios: one
// straight road per driving direction, lane 0 the rightmost, s along the direction of travel.

// One vehicle's samples, already in its direction's road frame.
struct HighdTrack {
  int id = 0;
  int direction = 0;               // 1 upper (towards -x), 2 lower (towards +x)
  double length = 0.0;             // m
  double width = 0.0;              // m
  std::vector<TrackPoint> points;  // t from the recording's first frame
  std::vector<double> accel;       // m/s^2 along the direction of travel, per sample
  std::vector<int> lane;           // tarmac lane index per sample
};

struct HighdRecording {
  std::string id;  // "01"
  double frame_rate = 25.0;
  double speed_limit = 0.0;  // m/s; the recording's, or 130 km/h where it has none
  // Per direction (index 0: direction 1, index 1: direction 2): lane count, lane width and road
  // length of the straight road its tracks are in.
  int lanes[2] = {0, 0};
  double lane_width[2] = {3.6, 3.6};
  double road_length = 0.0;
  std::vector<HighdTrack> tracks;
};

// Reads recording `id` from `dir`. InvalidArgument, one sentence naming the file and the column
// or row: a missing file or column, a value that is not a number, frames of one vehicle that do
// not increase, a vehicle without metadata, fewer than two lane markings in a direction.
// O(rows).
absl::StatusOr<HighdRecording> ReadHighdRecording(const std::string& dir, const std::string& id);
// The ids of the recordings in `dir` (from NN_recordingMeta.csv), sorted.
std::vector<std::string> HighdRecordingIds(const std::string& dir);

struct HighdCutOptions {
  int around_vehicle = -1;      // > 0: one episode, this vehicle as the ego, for as long as it
                                // is recorded (up to `after` + `before` s)
  double before = 4.0;          // s of an episode before its interaction
  double after = 10.0;          // s after it
  double min_seconds = 4.0;     // shorter episodes are skipped
  double hard_brake = -3.0;     // m/s^2: a vehicle braking harder is an interaction
  double cut_in_headway = 1.0;  // s: a lane change into a gap whose new follower is this close
  // The rightmost lane of each direction is an on-ramp's acceleration lane (highD locations with
  // one): it ends where the last vehicle left it, and a change out of it is a merge.
  bool merges = false;
  double merge_headway = 1.5;  // s: a merge ending this close ahead of its new follower
  bool reactive = true;        // logged agents yield to IDM when the ego brakes
  double dt = 0.1;             // s, the scenario's step
};

// One episode cut from a recording: the scenario (the ego starts as the logged vehicle did; the
// other vehicles of its direction are logged agents) and what it was cut around.
struct HighdEpisode {
  Scenario scenario;
  std::string kind;    // "vehicle", "cut_in", "merge" or "hard_brake"
  int ego_id = 0;      // the highD vehicle the ego replaces
  int other_id = 0;    // the vehicle cutting in or braking (0 for "vehicle")
  double start = 0.0;  // s into the recording
};

// Episodes around `options.around_vehicle`, or around every detected interaction: each hard
// brake (the braking vehicle's follower becomes the ego), each cut-in (a lane change ending
// closer than `cut_in_headway` to its new follower, which becomes the ego) and, with `merges`,
// each merge out of the acceleration lane (within `merge_headway`). Episodes that fail
// CheckScenario (e.g. boxes overlapping in noisy data) are left out. O(samples).
std::vector<HighdEpisode> CutHighdEpisodes(const HighdRecording& recording,
                                           const HighdCutOptions& options);

// A track resampled every `dt` s and checked against the vehicle model with the inverse model
// (CheckFeasibility): the steps, those that violate a limit, and the report. O(samples).
struct TrackFeasibility {
  int id = 0;
  int steps = 0;
  int infeasible_steps = 0;
  FeasibilityReport report;
};
TrackFeasibility CheckTrackFeasibility(const HighdTrack& track, double dt,
                                       const VehicleParams& vehicle);

}  // namespace tarmac::envs

#endif  // TARMAC_ENVS_HIGHD_H_
