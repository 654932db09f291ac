#include "episode_sources.h"

#include <algorithm>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tarmac/schemas/episode_log.h"

namespace tarmac::cli {
namespace {

namespace fs = std::filesystem;

// The *.episode.zst files directly in `dir`.
std::vector<std::string> LogsIn(const fs::path& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file(ec) && absl::EndsWith(name, schemas::kEpisodeLogSuffix)) {
      files.push_back(entry.path().string());
    }
  }
  return files;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> EpisodeLogFiles(const std::vector<std::string>& sources) {
  std::vector<std::string> files;
  for (const std::string& source : sources) {
    std::error_code ec;
    if (!fs::exists(source, ec)) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, " does not exist; give episode logs (*", schemas::kEpisodeLogSuffix,
                       ") or a directory written by `tarmac eval --log-episodes`"));
    }
    if (!fs::is_directory(source, ec)) {
      files.push_back(source);
      continue;
    }
    std::vector<std::string> found = LogsIn(source);
    if (found.empty()) found = LogsIn(fs::path(source) / "episodes");
    if (found.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the directory ", source, " holds no episode logs (*", schemas::kEpisodeLogSuffix,
          ", here or in episodes/); write them with `tarmac eval --log-episodes`"));
    }
    files.insert(files.end(), found.begin(), found.end());
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  return files;
}

}  // namespace tarmac::cli
