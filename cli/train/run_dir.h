#ifndef TARMAC_CLI_TRAIN_RUN_DIR_H_
#define TARMAC_CLI_TRAIN_RUN_DIR_H_

#include <string>
#include <vector>

#include "../report.h"

namespace tarmac::cli::train {

// The paths of one run's directory (`--out`, or the `--resume` one). Plain strings; nothing is
// created until a caller writes.
class RunDir {
 public:
  explicit RunDir(std::string root) : root_(std::move(root)) {}

  const std::string& root() const { return root_; }
  std::string state() const { return Path("state.json"); }
  std::string checkpoints() const { return Path("checkpoints"); }
  std::string sft() const { return Path("sft"); }  // the checkpoint that ended SFT
  // The report on train.validation_suite (the main one is report.html at the root).
  std::string validation() const { return Path("validation"); }
  // The report of every RL checkpoint on train.selection_suite, which chose the learned one.
  std::string selection() const { return Path("selection"); }
  // The learned policy when it is a weight average of checkpoints (train.selection_average).
  std::string learned() const { return Path("learned"); }
  std::string curve() const { return Path("curve.jsonl"); }
  std::string config() const { return Path("config.yaml"); }
  std::string log() const { return Path("train.log"); }
  std::string redis_log() const { return Path("redis.log"); }
  std::string replay() const { return Path("replay"); }  // the embedded Redis's AOF and RDB
  // Episode logs of the RL phase's training episodes (one in actor.log_every), for mine.
  std::string episodes() const { return Path("episodes"); }

 private:
  std::string Path(const char* name) const;
  std::string root_;
};

// The learning curve, one JSON point a line: a line cut short by a kill is skipped.
std::vector<CurvePoint> LoadCurve(const std::string& path);
// Rewrites the whole curve atomically (errors ignored: the curve is informative).
void WriteCurve(const std::vector<CurvePoint>& curve, const std::string& path);

}  // namespace tarmac::cli::train

#endif  // TARMAC_CLI_TRAIN_RUN_DIR_H_
