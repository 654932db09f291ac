#include "tarmac/envs/highd.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tarmac::envs {
namespace {

constexpr double kNoLimit = 130.0 / 3.6;  // m/s: German advisory speed where highD has no limit

// Streams a CSV file: `columns` are looked up in its header; `row` gets each line's values of
// those columns, in that order, and the line number. Errors name the file and the column.
absl::Status ReadCsv(
    const std::string& path, const std::vector<std::string>& columns,
    const std::function<absl::Status(const std::vector<absl::string_view>&, int)>& row) {
  std::ifstream file(path);
  if (!file) return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
  std::string line;
  if (!std::getline(file, line)) return absl::InvalidArgumentError(path + " is empty");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  std::vector<std::string> header = absl::StrSplit(line, ',');
  std::vector<std::size_t> index;
  for (const std::string& c : columns) {
    const auto it = std::find(header.begin(), header.end(), c);
    if (it == header.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, " lacks the column '", c, "' of the highD layout"));
    }
    index.push_back(static_cast<std::size_t>(it - header.begin()));
  }
  std::vector<absl::string_view> values(columns.size());
  for (int number = 2; std::getline(file, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<absl::string_view> fields = absl::StrSplit(line, ',');
    if (fields.size() != header.size()) {
      return absl::InvalidArgumentError(absl::StrCat(path, " line ", number, " has ", fields.size(),
                                                     " fields where the header has ",
                                                     header.size()));
    }
    for (std::size_t c = 0; c < columns.size(); ++c) values[c] = fields[index[c]];
    if (absl::Status s = row(values, number); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// The numbers of one row, in the order of `columns`.
absl::Status Numbers(const std::vector<absl::string_view>& values,
                     const std::vector<std::string>& columns, const std::string& path, int line,
                     std::vector<double>* out) {
  out->resize(values.size());
  for (std::size_t c = 0; c < values.size(); ++c) {
    if (!absl::SimpleAtod(values[c], &(*out)[c]) || !std::isfinite((*out)[c])) {
      return absl::InvalidArgumentError(absl::StrCat(path, " line ", line, " column '", columns[c],
                                                     "' is not a number: '", values[c], "'"));
    }
  }
  return absl::OkStatus();
}

// Lane marking y values ("12.5;16.3;20.1"), ascending.
absl::StatusOr<std::vector<double>> Markings(absl::string_view text, const std::string& where) {
  std::vector<double> out;
  for (absl::string_view part : absl::StrSplit(text, ';', absl::SkipEmpty())) {
    double y = 0;
    if (!absl::SimpleAtod(part, &y)) {
      return absl::InvalidArgumentError(absl::StrCat(where,
                                                     " has a lane marking that is not a "
                                                     "number: '",
                                                     part, "'"));
    }
    out.push_back(y);
  }
  if (out.size() < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, " needs at least two lane markings (one lane)"));
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct Meta {
  double length = 0, width = 0;
  int direction = 0;
};

// Index into a direction's arrays (0: direction 1, 1: direction 2).
int Side(int direction) { return direction == 1 ? 0 : 1; }

}  // namespace

std::vector<std::string> HighdRecordingIds(const std::string& dir) {
  std::vector<std::string> ids;
  std::error_code error;
  const std::string suffix = "_recordingMeta.csv";
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      ids.push_back(name.substr(0, name.size() - suffix.size()));
    }
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

absl::StatusOr<HighdRecording> ReadHighdRecording(const std::string& dir, const std::string& id) {
  HighdRecording rec;
  rec.id = id;
  const std::string base = (std::filesystem::path(dir) / id).string();
  std::vector<double> markings[2];
  const std::string meta_path = base + "_recordingMeta.csv";
  const std::vector<std::string> meta_columns = {"frameRate", "speedLimit"};
  int meta_rows = 0;
  absl::Status s =
      ReadCsv(meta_path, {"frameRate", "speedLimit", "upperLaneMarkings", "lowerLaneMarkings"},
              [&](const std::vector<absl::string_view>& v, int line) -> absl::Status {
                std::vector<double> n;
                const std::vector<absl::string_view> numbers = {v[0], v[1]};
                if (absl::Status e = Numbers(numbers, meta_columns, meta_path, line, &n); !e.ok())
                  return e;
                rec.frame_rate = n[0];
                rec.speed_limit = n[1] > 0 ? n[1] : kNoLimit;
                for (int side = 0; side < 2; ++side) {
                  auto m = Markings(v[2 + side],
                                    absl::StrCat(meta_path, " line ", line, " column '",
                                                 side == 0 ? "upper" : "lower", "LaneMarkings'"));
                  if (!m.ok()) return m.status();
                  markings[side] = *std::move(m);
                }
                ++meta_rows;
                return absl::OkStatus();
              });
  if (!s.ok()) return s;
  if (meta_rows != 1 || !(rec.frame_rate > 0 && rec.frame_rate <= 1000)) {
    return absl::InvalidArgumentError(
        absl::StrCat(meta_path, " must hold one recording with a positive frameRate"));
  }
  for (int side = 0; side < 2; ++side) {
    const std::vector<double>& m = markings[side];
    rec.lanes[side] = static_cast<int>(m.size()) - 1;
    rec.lane_width[side] = (m.back() - m.front()) / rec.lanes[side];
  }

  std::map<int, Meta> metas;
  const std::string tracks_meta_path = base + "_tracksMeta.csv";
  const std::vector<std::string> tm_columns = {"id", "width", "height", "drivingDirection"};
  s = ReadCsv(tracks_meta_path, tm_columns,
              [&](const std::vector<absl::string_view>& v, int line) -> absl::Status {
                std::vector<double> n;
                if (absl::Status e = Numbers(v, tm_columns, tracks_meta_path, line, &n); !e.ok()) {
                  return e;
                }
                if (n[3] != 1 && n[3] != 2) {
                  return absl::InvalidArgumentError(
                      absl::StrCat(tracks_meta_path, " line ", line, " has drivingDirection ", n[3],
                                   "; highD has 1 (upper lanes) and 2 (lower lanes)"));
                }
                metas[static_cast<int>(n[0])] = {n[1], n[2], static_cast<int>(n[3])};
                return absl::OkStatus();
              });
  if (!s.ok()) return s;

  // Rows in the image frame, per vehicle, in file order.
  struct Row {
    double frame, x, y, vx, vy, ax;
  };
  std::map<int, std::vector<Row>> rows;
  const std::string tracks_path = base + "_tracks.csv";
  const std::vector<std::string> columns = {"frame",     "id",           "x", "y", "xVelocity",
                                            "yVelocity", "xAcceleration"};
  double max_x = 0.0;
  s = ReadCsv(
      tracks_path, columns, [&](const std::vector<absl::string_view>& v, int line) -> absl::Status {
        std::vector<double> n;
        if (absl::Status e = Numbers(v, columns, tracks_path, line, &n); !e.ok()) return e;
        const int vehicle = static_cast<int>(n[1]);
        const auto meta = metas.find(vehicle);
        if (meta == metas.end()) {
          return absl::InvalidArgumentError(absl::StrCat(tracks_path, " line ", line,
                                                         " has vehicle ", vehicle, ", which ",
                                                         tracks_meta_path, " does not list"));
        }
        std::vector<Row>& track = rows[vehicle];
        if (!track.empty() && !(n[0] > track.back().frame)) {
          return absl::InvalidArgumentError(
              absl::StrCat(tracks_path, " line ", line, ": the frames of vehicle ", vehicle,
                           " do not increase (", n[0], " after ", track.back().frame, ")"));
        }
        track.push_back({n[0], n[2], n[3], n[4], n[5], n[6]});
        max_x = std::max(max_x, n[2] + meta->second.length);
        return absl::OkStatus();
      });
  if (!s.ok()) return s;
  rec.road_length = std::ceil(max_x) + 1.0;

  // Into each direction's road frame: s along travel from where its lanes begin, d to the left
  // of the rightmost lane's centre (image y points down: the lower lanes' right is +y).
  for (auto& [vehicle, samples] : rows) {
    const Meta& meta = metas.at(vehicle);
    const int side = Side(meta.direction);
    const std::vector<double>& m = markings[side];
    HighdTrack track;
    track.id = vehicle;
    track.direction = meta.direction;
    track.length = meta.length;
    track.width = meta.width;
    for (const Row& r : samples) {
      const double xc = r.x + 0.5 * meta.length;
      const double yc = r.y + 0.5 * meta.width;
      TrackPoint p;
      p.t = (r.frame - 1.0) / rec.frame_rate;
      if (meta.direction == 2) {
        p.s = xc;
        p.d = 0.5 * (m[m.size() - 2] + m.back()) - yc;
        p.speed = r.vx;
        track.accel.push_back(r.ax);
      } else {
        p.s = rec.road_length - xc;
        p.d = yc - 0.5 * (m[0] + m[1]);
        p.speed = -r.vx;
        track.accel.push_back(-r.ax);
      }
      p.speed = std::max(p.speed, 0.0);
      track.points.push_back(p);
      track.lane.push_back(
          std::clamp(RoundToInt(p.d / rec.lane_width[side]), 0, rec.lanes[side] - 1));
    }
    rec.tracks.push_back(std::move(track));
  }
  return rec;
}

namespace {

// The sample of `track` at or after time `t`, or -1.
int SampleAt(const HighdTrack& track, double t) {
  const auto it = std::lower_bound(track.points.begin(), track.points.end(), t - 1e-9,
                                   [](const TrackPoint& p, double time) { return p.t < time; });
  return it == track.points.end() ? -1 : static_cast<int>(it - track.points.begin());
}

// The nearest vehicle of the same direction behind `s` in `lane` at time `t` (index into
// recording.tracks) and its gap, or -1.
std::pair<int, double> FollowerAt(const HighdRecording& rec, int direction, int lane, double s,
                                  double t, int self) {
  int best = -1;
  double best_gap = 1e9;
  for (std::size_t i = 0; i < rec.tracks.size(); ++i) {
    const HighdTrack& o = rec.tracks[i];
    if (o.direction != direction || o.id == self) continue;
    const int k = SampleAt(o, t);
    if (k < 0 || o.points[k].t > t + 0.5 / 25.0 || o.lane[k] != lane) continue;
    const double gap = s - o.points[k].s;
    if (gap > 0 && gap < best_gap) {
      best_gap = gap;
      best = static_cast<int>(i);
    }
  }
  return {best, best_gap};
}

// The episode with `ego` (index into tracks) from `t0` to `t1`, or none when it is too short or
// fails CheckScenario.
std::optional<HighdEpisode> Cut(const HighdRecording& rec, const HighdCutOptions& options, int ego,
                                double t0, double t1) {
  const HighdTrack& e = rec.tracks[static_cast<std::size_t>(ego)];
  t0 = std::max(t0, e.points.front().t);
  t1 = std::min(t1, e.points.back().t);
  if (t1 - t0 < options.min_seconds) return std::nullopt;
  const int side = Side(e.direction);
  HighdEpisode episode;
  episode.ego_id = e.id;
  episode.start = t0;
  Scenario& sc = episode.scenario;
  sc.dt = options.dt;
  sc.max_steps = static_cast<int>(std::floor((t1 - t0) / options.dt + 1e-9));
  sc.speed_limit = rec.speed_limit;
  std::vector<Lane> lanes;
  for (int lane = 0; lane < rec.lanes[side]; ++lane) lanes.push_back({lane, 0.0, rec.road_length});
  if (options.merges) {
    // The rightmost lane is an acceleration lane: it ends where the last vehicle left it.
    double end = 0.0;
    for (const HighdTrack& o : rec.tracks) {
      if (o.direction != e.direction) continue;
      for (std::size_t k = 0; k < o.points.size(); ++k) {
        if (o.lane[k] == 0) end = std::max(end, o.points[k].s);
      }
    }
    lanes[0].s_end = std::min(rec.road_length, end + 10.0);
  }
  sc.road = *Road::Build({}, {{rec.road_length, 0.0}}, lanes, rec.lane_width[side]);
  const TrackPoint start = Interpolate(e.points, t0);
  sc.ego_s = start.s;
  sc.ego_lane = std::clamp(RoundToInt(start.d / rec.lane_width[side]), 0, rec.lanes[side] - 1);
  const Pose pose = sc.road.ToWorld({start.s, start.d});
  sc.ego.x = pose.x;
  sc.ego.y = pose.y;
  sc.ego.heading = pose.heading;
  sc.ego.speed = start.speed;
  sc.entry_rate = 0.0;
  for (const TrackPoint& p : e.points) {  // the human's own driving: a demonstration
    if (p.t >= t0 - 1e-9 && p.t <= t1 + 1e-9) sc.ego_track.push_back({p.t - t0, p.s, p.d, p.speed});
  }
  for (const HighdTrack& o : rec.tracks) {
    if (o.direction != e.direction || o.id == e.id) continue;
    if (o.points.back().t < t0 || o.points.front().t > t1) continue;
    LoggedTrack track;
    track.reactive = options.reactive;
    for (const TrackPoint& p : o.points) {
      if (p.t < t0 - 1e-9 || p.t > t1 + 1e-9) continue;
      track.points.push_back({p.t - t0, p.s, p.d, p.speed});
    }
    if (track.points.size() < 2) continue;
    TrafficVehicle v;
    v.length = o.length;
    v.width = o.width;
    v.s = track.points.front().s;
    v.d = track.points.front().d;
    v.speed = track.points.front().speed;
    v.lane = std::clamp(RoundToInt(v.d / rec.lane_width[side]), 0, rec.lanes[side] - 1);
    v.idm.desired_speed = std::max(1.0, o.points.back().speed);
    v.track = static_cast<int>(sc.tracks.size());
    sc.tracks.push_back(std::move(track));
    sc.logged.push_back(v);
  }
  if (!CheckScenario(sc).ok()) return std::nullopt;
  return episode;
}

}  // namespace

std::vector<HighdEpisode> CutHighdEpisodes(const HighdRecording& rec,
                                           const HighdCutOptions& options) {
  std::vector<HighdEpisode> episodes;
  auto add = [&](int ego, double t, const std::string& kind, int other, const std::string& name) {
    auto episode = Cut(rec, options, ego, t - options.before, t + options.after);
    if (!episode) return;
    episode->kind = kind;
    episode->other_id = other;
    episode->scenario.name = name;
    episode->scenario.seed = static_cast<std::uint64_t>(rec.tracks[ego].id);
    episodes.push_back(*std::move(episode));
  };
  if (options.around_vehicle > 0) {
    for (std::size_t i = 0; i < rec.tracks.size(); ++i) {
      if (rec.tracks[i].id != options.around_vehicle) continue;
      add(static_cast<int>(i), rec.tracks[i].points.front().t + options.before, "vehicle", 0,
          absl::StrCat("highd_", rec.id, "_vehicle_", options.around_vehicle));
    }
    return episodes;
  }
  for (std::size_t i = 0; i < rec.tracks.size(); ++i) {
    const HighdTrack& v = rec.tracks[i];
    double last_event = -1e9;
    for (std::size_t k = 1; k < v.points.size(); ++k) {
      const TrackPoint& p = v.points[k];
      if (p.t - last_event < options.before + options.after) continue;
      std::string kind;
      if (v.accel[k] < options.hard_brake && v.accel[k - 1] >= options.hard_brake) {
        kind = "hard_brake";
      } else if (v.lane[k] != v.lane[k - 1]) {
        kind = options.merges && v.lane[k - 1] == 0 ? "merge" : "cut_in";
      } else {
        continue;
      }
      const auto [follower, gap] = FollowerAt(rec, v.direction, v.lane[k], p.s, p.t, v.id);
      if (follower < 0) continue;
      const TrackPoint f = Interpolate(rec.tracks[follower].points, p.t);
      const double headway =
          (gap - 0.5 * (v.length + rec.tracks[follower].length)) / std::max(f.speed, 0.1);
      if (kind == "cut_in" && headway > options.cut_in_headway) continue;
      if (kind == "merge" && headway > options.merge_headway) continue;
      if (kind == "hard_brake" && headway > 3.0) continue;  // nobody close behind to react
      last_event = p.t;
      add(follower, p.t, kind, v.id,
          absl::StrCat("highd_", rec.id, "_", kind, "_", v.id, "_", rec.tracks[follower].id));
    }
  }
  return episodes;
}

TrackFeasibility CheckTrackFeasibility(const HighdTrack& track, double dt,
                                       const VehicleParams& vehicle) {
  TrackFeasibility out;
  out.id = track.id;
  // Resampled at the simulation's step: what the ego's model would have to drive.
  std::vector<TrackPoint> samples;
  for (double t = track.points.front().t; t <= track.points.back().t + 1e-9; t += dt) {
    samples.push_back(Interpolate(track.points, t));
  }
  std::vector<Pose> poses;
  for (std::size_t k = 0; k < samples.size(); ++k) {
    // Heading from the motion between neighbouring samples (central where there are two).
    const TrackPoint& a = samples[k == 0 ? 0 : k - 1];
    const TrackPoint& b = samples[std::min(k + 1, samples.size() - 1)];
    const double heading = std::atan2(b.d - a.d, std::max(b.s - a.s, 1e-6));
    poses.push_back({samples[k].s, samples[k].d, heading});
  }
  out.report = CheckFeasibility(poses, dt, vehicle);
  out.steps = static_cast<int>(poses.size());
  out.infeasible_steps = static_cast<int>(out.report.violations.size());
  return out;
}

}  // namespace tarmac::envs
