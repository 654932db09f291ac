#ifndef TARMAC_ENVS_TRAFFIC_H_
#define TARMAC_ENVS_TRAFFIC_H_

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include "tarmac/envs/collision.h"
#include "tarmac/envs/idm.h"
#include "tarmac/envs/road.h"

namespace tarmac::envs {

// One sample of a logged trajectory, in the road's Frenet frame.
struct TrackPoint {
  double t = 0.0;      // s from the episode's start
  double s = 0.0;      // m, centre along the road
  double d = 0.0;      // m, centre across the road
  double speed = 0.0;  // m/s along the road
};

// The state at `t` of samples at strictly increasing times, linearly interpolated; the first or
// last sample outside them. O(log n).
TrackPoint Interpolate(const std::vector<TrackPoint>& points, double t);

// A logged vehicle's trajectory, sampled at strictly increasing times. Non-reactive, the vehicle
// follows it to its end and then leaves; reactive, it follows it until keeping to it would bring
// it closer to the ego ahead than IDM's safe gap (or the log ends), and from then on IDM/MOBIL
// drive it from where it is.
struct LoggedTrack {
  std::vector<TrackPoint> points;
  bool reactive = false;

  TrackPoint At(double t) const { return Interpolate(points, t); }
};

// A traffic vehicle, driven by IDM along its lane and MOBIL across lanes, in Frenet coordinates
// of the road (fast and exact for lane keeping; the ego uses the full bicycle model).
struct TrafficVehicle {
  int id = 0;
  double s = 0.0;              // m, centre along the road
  double d = 0.0;              // m, centre across the road
  double speed = 0.0;          // m/s along the road
  double accel = 0.0;          // m/s^2, last applied
  double lateral_speed = 0.0;  // m/s across the road (lane changes)
  int lane = 0;                // lane it drives in (the target lane while changing)
  double length = 4.8;
  double width = 1.9;
  IdmParams idm;
  MobilParams mobil;
  double reaction = 0.0;               // s: first-order lag on the acceleration IDM asks for
  int profile = 0;                     // index of its driver profile in the population
  bool lane_changes = true;            // scripted vehicles may hold their lane
  std::optional<double> forced_accel;  // scripted braking etc.: replaces IDM while set
  bool active = true;                  // false once it left the road
  // Index into the tracks Traffic was reset with: the vehicle follows that log (see
  // LoggedTrack) and makes no lane-change decisions of its own; -1: IDM/MOBIL drive it.
  int track = -1;
};

// The ego as traffic sees it (a leader or follower, never moved by Traffic).
struct EgoView {
  double s = 0.0;
  double d = 0.0;
  double speed = 0.0;
  double length = 4.8;
  double width = 1.9;
};

struct TrafficParams {
  double lane_change_duration = 3.0;   // s to move one lane width
  double decision_interval = 1.0;      // s between MOBIL decisions of one vehicle
  double comfort_lateral_accel = 2.0;  // m/s^2: desired speed is capped on curves
};

// The vehicles on one road: IDM following with leaders found in per-lane sorted order, MOBIL
// lane changes (a changing vehicle occupies both lanes), curve speed, vehicles leaving at the
// end of the road, and a broad phase (same or adjacent lane, sorted by s) before exact box tests.
// Deterministic; not thread-safe. Step is O(n log n) for n vehicles.
class Traffic {
 public:
  Traffic(const Road* road, TrafficParams params = {});

  // Adds a vehicle; its id is returned (kept across steps).
  int Add(TrafficVehicle vehicle);
  // Starts over on `road` with no vehicles, as if newly constructed, keeping the memory it has
  // (an env resets every episode). `tracks` (kept by the caller, unchanged until the next
  // Reset) are the logs vehicles with a `track` index follow.
  void Reset(const Road* road, const std::vector<LoggedTrack>* tracks = nullptr);
  // Room for `vehicles` in total without reallocating during an episode.
  void Reserve(std::size_t vehicles);
  // The rearmost vehicle in `lane` (index and s), if any: where an entering vehicle queues.
  std::optional<std::pair<int, double>> Rearmost(int lane) const;

  // Advances every active vehicle by dt (semi-implicit Euler on s, speed >= 0).
  void Step(double dt, const std::optional<EgoView>& ego);

  // Seconds simulated since the last Reset.
  double time() const { return time_; }

  const std::vector<TrafficVehicle>& vehicles() const { return vehicles_; }
  // For changes from outside (scripts): the next Step re-indexes the lanes in full.
  std::vector<TrafficVehicle>& mutable_vehicles() {
    index_current_ = false;
    return vehicles_;
  }

  // World box of a vehicle (heading follows the road plus its lateral motion).
  OrientedBox Box(const TrafficVehicle& v) const;

  // Ids of active vehicles whose boxes overlap `box` (centred at Frenet `at`): broad phase on
  // lanes and s, then the exact test. The second form reuses `ids` (no allocation).
  std::vector<int> Overlapping(const OrientedBox& box, Frenet at) const;
  void Overlapping(const OrientedBox& box, Frenet at, std::vector<int>* ids) const;

  // Nearest vehicle ahead of `s` in `lane` (gap bumper to bumper, its speed), ignoring `self`
  // (an index into vehicles(), or -1 for the ego); the int is the index, -1 for the ego.
  std::optional<std::pair<Leader, int>> LeaderOf(int lane, double s, double length,
                                                 int self = -1) const;
  // Nearest entry behind `s` in `lane`, ignoring `self`: (index or -1 for the ego, its s).
  std::optional<std::pair<int, double>> FollowerOf(int lane, double s, int self) const;

 private:
  // The lanes rebuilt from the vehicles as they are, with the ego's entries (ego_lanes_).
  void Index();
  // The lanes after a step in which no vehicle left, changed the lanes it occupies or was
  // changed from outside: the same entries at their new s, and the ego's moved to ego_.
  void Reindex();
  // The lanes when only the ego moved: its entries moved to ego_, the others left as they are.
  void MoveEgo();
  // Puts the ego's entries into the lanes it occupies (after its old ones are gone).
  void PlaceEgo();
  // The lanes ego_ occupies, lowest and highest (every lane its box reaches across, within the
  // road's); none (low > high) without an ego.
  std::pair<int, int> EgoLanes() const;
  // The order of order_: by s, then by index.
  bool Before(int a, int b) const;
  // Puts (s, index or -1) into `lane`'s entries where a full sort would (none off the road).
  void InsertEntry(int lane, std::pair<double, int> entry);
  // IDM acceleration of vehicle `index` if it drove in `lane` (its leader found there).
  double Accel(int index, int lane) const;
  // IDM acceleration of vehicle `index` behind `leader` (none: free road), curves and physical
  // bounds applied.
  double AccelBehind(int index, const std::optional<Leader>& leader) const;
  // AccelBehind of a vehicle not forced, on a road with curves: the desired speed capped where
  // a curve binds, and the braking to reach a curve ahead at its speed.
  double AccelOnCurves(int index, const std::optional<Leader>& leader) const;
  // IDM acceleration of a follower (index, or -1 for the ego) behind a given leader.
  double FollowerAccel(int follower, const std::optional<Leader>& leader) const;
  bool DecideLaneChange(int index);  // true when the vehicle changed its lane
  // Around vehicle `self` at `s` in `lane` (where its entry, if any, is (s, self)), from one
  // search: what LeaderOf(lane, s, length, self) and FollowerOf(lane, s, self) answer, and the
  // follower's own leader there (LeaderOf from the follower's entry).
  struct Neighbours {
    std::optional<std::pair<Leader, int>> leader;
    std::optional<std::pair<int, double>> follower;
    std::optional<Leader> follower_leader;
  };
  Neighbours NeighboursOf(int lane, double s, double length, int self) const;
  // Moves a vehicle that follows a log to its logged state at time_ + dt; false when it stops
  // following it (a reactive vehicle yielding to the ego, or the log's end) and IDM moves it.
  bool FollowLog(int index, double dt);
  // The lanes a vehicle occupies: its own, and the one under it while changing.
  struct Lanes {
    int lane[2] = {0, 0};
    int count = 0;
    const int* begin() const { return lane; }
    const int* end() const { return lane + count; }
  };
  Lanes LanesOf(const TrafficVehicle& v) const;
  double Length(int index) const;
  double Speed(int index) const;

  const Road* road_ = nullptr;
  const std::vector<LoggedTrack>* tracks_ = nullptr;
  TrafficParams params_;
  std::vector<TrafficVehicle> vehicles_;
  std::vector<double> next_decision_;  // per vehicle, s of simulated time
  std::vector<double> accel_;          // per vehicle, this step (kept to avoid allocation)
  std::vector<int> due_;               // this step's vehicles due to decide (the same)
  std::vector<double> idm_scale_;      // per vehicle, IdmBrakingScale of its IDM parameters
  std::vector<int> order_;             // active vehicles; by (s, index) after Index
  double time_ = 0.0;
  int next_id_ = 1;
  std::optional<EgoView> ego_;            // as this Step sees it
  std::pair<int, int> ego_lanes_{0, -1};  // EgoLanes() of ego_
  // Per lane: (s, index into vehicles_, or -1 for the ego), sorted by s.
  std::vector<std::vector<std::pair<double, int>>> lanes_;
  // lanes_ hold vehicles_ as they are (the ego aside): set by Index and Reindex, cleared by any
  // change from outside. Add keeps them current.
  bool index_current_ = false;
};

}  // namespace tarmac::envs

#endif  // TARMAC_ENVS_TRAFFIC_H_
