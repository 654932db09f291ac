#include "run_dir.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tarmac/util/atomic_file.h"

namespace tarmac::cli::train {

std::string RunDir::Path(const char* name) const {
  return (std::filesystem::path(root_) / name).string();
}

std::vector<CurvePoint> LoadCurve(const std::string& path) {
  std::vector<CurvePoint> curve;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    try {
      curve.push_back(nlohmann::json::parse(line).get<CurvePoint>());
    } catch (const std::exception&) {
      // A line cut short by a kill: the points before it stand.
    }
  }
  return curve;
}

void WriteCurve(const std::vector<CurvePoint>& curve, const std::string& path) {
  std::string text;
  for (const CurvePoint& p : curve) text += nlohmann::json(p).dump() + "\n";
  (void)util::WriteFileAtomically(path, text);
}

}  // namespace tarmac::cli::train
