#ifndef TARMAC_TESTS_CLI_RUN_TARMAC_H_
#define TARMAC_TESTS_CLI_RUN_TARMAC_H_

#include <sstream>
#include <string>
#include <vector>

#include "app.h"

namespace tarmac::cli {

// What `tarmac ARGS...` returned and printed, run in this process through RunApp.
struct Result {
  int code;
  std::string out;
  std::string err;
};

inline Result RunTarmac(std::vector<std::string> args) {
  args.insert(args.begin(), "tarmac");
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  const int code = RunApp(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

}  // namespace tarmac::cli

#endif  // TARMAC_TESTS_CLI_RUN_TARMAC_H_
