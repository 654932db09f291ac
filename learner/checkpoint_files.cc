#include "tarmac/learner/checkpoint_files.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace tarmac::learner {
namespace {

constexpr char kPrefix[] = "ckpt-";
constexpr char kSuffix[] = ".pt";
constexpr std::size_t kDigits = 12;

}  // namespace

std::string CheckpointPath(const std::string& dir, std::uint64_t step) {
  char name[40];
  std::snprintf(name, sizeof(name), "ckpt-%012llu.pt", static_cast<unsigned long long>(step));
  return (std::filesystem::path(dir) / name).string();
}

std::optional<std::uint64_t> CheckpointStep(const std::string& path) {
  const std::string name = std::filesystem::path(path).filename().string();
  const std::size_t prefix = sizeof(kPrefix) - 1, suffix = sizeof(kSuffix) - 1;
  if (name.size() != prefix + kDigits + suffix || name.rfind(kPrefix, 0) != 0 ||
      name.compare(name.size() - suffix, suffix, kSuffix) != 0) {
    return std::nullopt;
  }
  const std::string digits = name.substr(prefix, kDigits);
  std::uint64_t step = 0;
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      !absl::SimpleAtoi(digits, &step)) {
    return std::nullopt;
  }
  return step;
}

absl::StatusOr<std::vector<std::string>> ListCheckpoints(const std::string& dir) {
  std::error_code error;
  std::vector<std::pair<std::uint64_t, std::string>> found;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    if (std::optional<std::uint64_t> step = CheckpointStep(entry.path().string())) {
      found.emplace_back(*step, entry.path().string());
    }
  }
  if (error) {
    return absl::NotFoundError(
        absl::StrCat("cannot read the checkpoint directory ", dir, ": ", error.message()));
  }
  if (found.empty()) return absl::NotFoundError(absl::StrCat("no checkpoint in ", dir));
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a > b; });
  std::vector<std::string> paths;
  paths.reserve(found.size());
  for (auto& [step, path] : found) paths.push_back(std::move(path));
  return paths;
}

absl::StatusOr<std::string> NewestCheckpoint(const std::string& dir) {
  absl::StatusOr<std::vector<std::string>> all = ListCheckpoints(dir);
  if (!all.ok()) return all.status();
  return all->front();
}

absl::StatusOr<std::string> ResolveCheckpoint(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_regular_file(path, error)) return path;
  if (std::filesystem::is_directory(path, error)) {
    absl::StatusOr<std::string> newest = NewestCheckpoint(path);
    if (newest.ok()) return newest;
    return absl::NotFoundError(
        absl::StrCat("the directory ", path,
                     " holds no checkpoint (ckpt-<step>.pt); give a checkpoint file "
                     "or a run's checkpoints directory"));
  }
  return absl::NotFoundError(absl::StrCat("there is no checkpoint at ", path,
                                          "; give a checkpoint file (ckpt-<step>.pt) or a "
                                          "directory holding one"));
}

std::uint64_t NewestCheckpointStep(const std::string& dir) {
  absl::StatusOr<std::string> newest = NewestCheckpoint(dir);
  return newest.ok() ? CheckpointStep(*newest).value_or(0) : 0;
}

void PruneCheckpoints(const std::string& dir, int keep) {
  absl::StatusOr<std::vector<std::string>> all = ListCheckpoints(dir);
  if (!all.ok()) return;
  std::error_code error;
  for (std::size_t i = static_cast<std::size_t>(std::max(keep, 0)); i < all->size(); ++i) {
    std::filesystem::remove((*all)[i], error);
  }
}

}  // namespace tarmac::learner
