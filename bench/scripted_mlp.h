#ifndef TARMAC_BENCH_SCRIPTED_MLP_H_
#define TARMAC_BENCH_SCRIPTED_MLP_H_

#include <torch/script.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace tarmac::bench {

// Saves to `path` a TorchScript module as torch.jit.script would write it: the built-in actor's
// shape (obs -> hidden... -> 2 * actions, ReLU) with forward(obs) -> (mean, log_std), so a
// benchmark can compare learner.model with the built-in network on the same work.
inline void SaveScriptedMlp(const std::string& path, int obs, const std::vector<int>& hidden,
                            int actions) {
  torch::jit::Module m("ScriptedMlp");
  std::string body = "def forward(self, obs):\n    x = obs\n";
  int width = obs;
  for (std::size_t l = 0; l <= hidden.size(); ++l) {
    const int out = l < hidden.size() ? hidden[l] : 2 * actions;
    m.register_parameter(absl::StrCat("w", l), torch::randn({out, width}) * std::sqrt(2.0 / width),
                         false);
    m.register_parameter(absl::StrCat("b", l), torch::zeros({out}), false);
    absl::StrAppend(&body, "    x = torch.addmm(self.b", l, ", x, self.w", l, ".t())\n");
    if (l < hidden.size()) absl::StrAppend(&body, "    x = torch.relu(x)\n");
    width = out;
  }
  absl::StrAppend(&body, "    return x[:, :", actions, "], x[:, ", actions, ":]\n");
  m.define(body);
  m.save(path);
}

}  // namespace tarmac::bench

#endif  // TARMAC_BENCH_SCRIPTED_MLP_H_
