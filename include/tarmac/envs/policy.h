#ifndef TARMAC_ENVS_POLICY_H_
#define TARMAC_ENVS_POLICY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "tarmac/envs/env.h"
#include "tarmac/envs/expert_planner.h"

namespace tarmac::envs {

// Something that drives any Env: an env's expert (which may read the simulator's state), or a
// learned network (which reads only the observation; the learner's export implements this).
// Used by `tarmac eval`, the actors' demo mode and reports. Not thread-safe: one per env.
class Policy {
 public:
  virtual ~Policy() = default;
  virtual std::string Name() const = 0;
  // Which weights act: a learned policy's published version, 0 for experts and rules.
  virtual std::uint64_t Version() const { return 0; }
  // At every episode start, after env.Reset.
  virtual void Reset(const Env& env) = 0;
  // Writes the action for the env's current state, whose observation is `observation`, into
  // `action` (spec().action_size floats, physical units). O(policy); allocates nothing.
  virtual void Act(const Env& env, absl::Span<const float> observation,
                   absl::Span<float> action) = 0;
};

// The driving envs' expert (IDM + pure pursuit + MOBIL on the ego); what DrivingEnv::MakeExpert
// returns. Reads the driving simulator's state: Reset and Act on any other env throw
// std::invalid_argument.
class ExpertPolicy : public Policy {
 public:
  std::string Name() const override { return "expert"; }
  void Reset(const Env& env) override;
  void Act(const Env& env, absl::Span<const float> observation, absl::Span<float> action) override;

 private:
  ExpertPlanner planner_;
};

// The expert of whichever env it drives (Env::MakeExpert), made at the first Reset: what
// `--policy expert` means for any env. Reset throws std::invalid_argument when the env offers
// no expert (callers check Env::MakeExpert first to report it as an error).
class EnvExpert : public Policy {
 public:
  std::string Name() const override { return "expert"; }
  void Reset(const Env& env) override;
  void Act(const Env& env, absl::Span<const float> observation, absl::Span<float> action) override;

 private:
  std::unique_ptr<Policy> expert_;
  std::string env_name_;  // whose expert expert_ is
};

// A driver who reacts late: acts as `inner` did `delay_steps` steps earlier, holding its first
// action of the episode until then. What `--policy expert+delay=SECONDS` runs: a known
// regression to check that compare and mine find one. Allocates at Reset only.
class DelayedPolicy : public Policy {
 public:
  DelayedPolicy(std::unique_ptr<Policy> inner, int delay_steps);
  std::string Name() const override;
  std::uint64_t Version() const override { return inner_->Version(); }
  void Reset(const Env& env) override;
  void Act(const Env& env, absl::Span<const float> observation, absl::Span<float> action) override;

 private:
  std::unique_ptr<Policy> inner_;
  int delay_steps_;
  std::vector<float> ring_;  // (delay_steps + 1) actions, the newest at `next_ - 1`
  std::size_t next_ = 0;
  std::size_t filled_ = 0;
};

// A driver blind to close cut-ins: while its leader is a vehicle still changing into its lane
// within `gap` m, it keeps the acceleration it had instead of `inner`'s (it does not brake for
// the cutter until the cutter has settled). What `--policy expert+blind_cut_in=METRES` runs: a
// planted weakness to check that `tarmac search` finds what a policy gets wrong. Driving envs
// only (any other env: `inner` unchanged).
class CutInBlindPolicy : public Policy {
 public:
  CutInBlindPolicy(std::unique_ptr<Policy> inner, double gap);
  std::string Name() const override;
  std::uint64_t Version() const override { return inner_->Version(); }
  void Reset(const Env& env) override;
  void Act(const Env& env, absl::Span<const float> observation, absl::Span<float> action) override;

 private:
  std::unique_ptr<Policy> inner_;
  double gap_;
  float held_accel_ = 0.0F;
};

// The logged ego of a scenario (Scenario::ego_track) as a policy: a human demonstration. Each
// step it asks for the acceleration that closes on the log's speed 0.3 s ahead (and on the
// log's position), and steers by pure pursuit towards where the log is 0.7 s ahead. What
// `--policy log` runs. Reset throws std::invalid_argument for an env that is not a driving env
// or a scenario without a logged ego (callers check HasLoggedEgo first).
class LogPolicy : public Policy {
 public:
  std::string Name() const override { return "log"; }
  // Also checks the log against the ego's vehicle model (CheckFeasibility at the env's step).
  void Reset(const Env& env) override;
  void Act(const Env& env, absl::Span<const float> observation, absl::Span<float> action) override;
  // True when the log, at env step `step` of the episode since Reset, violates a limit of the
  // vehicle model (a demonstration to trust less: tarmac actor tags it). O(1).
  bool InfeasibleAt(std::size_t step) const {
    return step < infeasible_.size() && infeasible_[step];
  }

 private:
  std::vector<bool> infeasible_;
};

// True when `scenario` has a logged ego for LogPolicy to drive.
inline bool HasLoggedEgo(const Scenario& scenario) { return scenario.ego_track.size() >= 2; }

}  // namespace tarmac::envs

#endif  // TARMAC_ENVS_POLICY_H_
