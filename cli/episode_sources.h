#ifndef TARMAC_CLI_EPISODE_SOURCES_H_
#define TARMAC_CLI_EPISODE_SOURCES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tarmac::cli {

// The episode log files `sources` name, sorted and without repeats: a file as it is; a
// directory's *.episode.zst files, or those of its episodes/ folder (an eval directory written
// with --log-episodes). InvalidArgument in one sentence naming the source when it does not
// exist, or is a directory without logs. Reads directory listings only.
absl::StatusOr<std::vector<std::string>> EpisodeLogFiles(const std::vector<std::string>& sources);

}  // namespace tarmac::cli

#endif  // TARMAC_CLI_EPISODE_SOURCES_H_
