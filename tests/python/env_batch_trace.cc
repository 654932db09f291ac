// The C++ side of tests/python/test_vector_env.py: drives an EnvBatch (tarmac's default config)
// and writes what it returned, so that the test can compare tarmac.VectorEnv with it exactly.
//
//   env_batch_trace ENV NUM_ENVS SEED STEPS ACTIONS OUT
//
// ACTIONS: STEPS * NUM_ENVS * action_size float32 (row-major), or "expert" for each env's expert
// (reset at each of its episodes' starts). OUT receives float32 records: the first
// observations, then per step the observations, rewards, terminated, truncated (as 0/1), the
// final observations, and the actions applied.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "tarmac/cli/config_schema.h"
#include "tarmac/cli/env_settings.h"
#include "tarmac/envs/env_batch.h"
#include "tarmac/envs/policy.h"

namespace {

void Write(std::ofstream& out, const float* data, std::size_t n) {
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(n * sizeof(float)));
}

template <class T>
void WriteAsFloat(std::ofstream& out, const std::vector<T>& values) {
  const std::vector<float> f(values.begin(), values.end());
  Write(out, f.data(), f.size());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) {
    std::cerr << "usage: env_batch_trace ENV NUM_ENVS SEED STEPS ACTIONS|expert OUT\n";
    return 2;
  }
  const std::string name = argv[1];
  const int n = std::atoi(argv[2]);
  const std::uint64_t seed = std::strtoull(argv[3], nullptr, 10);
  const int steps = std::atoi(argv[4]);
  const std::string actions_path = argv[5];
  auto config = tarmac::cli::DefaultConfig();
  if (!config.ok()) return 1;
  auto env_config = tarmac::cli::EnvConfigFrom(*config);
  if (!env_config.ok()) return 1;
  auto batch = tarmac::envs::EnvBatch::Create(name, n, seed, *env_config);
  if (!batch.ok()) {
    std::cerr << batch.status() << "\n";
    return 1;
  }
  tarmac::envs::EnvBatch& b = **batch;
  const int obs = b.spec().observation_size, a = b.spec().action_size;
  std::vector<float> actions(static_cast<std::size_t>(steps) * n * a);
  const bool expert = actions_path == "expert";
  std::vector<std::unique_ptr<tarmac::envs::Policy>> experts;
  std::vector<std::uint64_t> expert_episode(static_cast<std::size_t>(n), ~0ULL);
  if (expert) {
    for (int i = 0; i < n; ++i) experts.push_back(b.env(i).MakeExpert());
  } else {
    std::ifstream in(actions_path, std::ios::binary);
    in.read(reinterpret_cast<char*>(actions.data()),
            static_cast<std::streamsize>(actions.size() * sizeof(float)));
    if (!in) {
      std::cerr << "cannot read " << actions.size() << " floats from " << actions_path << "\n";
      return 1;
    }
  }
  std::ofstream out(argv[6], std::ios::binary);
  Write(out, b.observations().data(), b.observations().size());
  for (int t = 0; t < steps; ++t) {
    float* row = actions.data() + static_cast<std::size_t>(t) * n * a;
    if (expert) {
      for (int i = 0; i < n; ++i) {
        if (expert_episode[i] != b.episode_ids()[i]) {
          experts[i]->Reset(b.env(i));
          expert_episode[i] = b.episode_ids()[i];
        }
        experts[i]->Act(b.env(i), b.observations().subspan(static_cast<std::size_t>(i) * obs, obs),
                        absl::MakeSpan(row + static_cast<std::size_t>(i) * a, a));
      }
    }
    b.Step(absl::MakeConstSpan(row, static_cast<std::size_t>(n) * a));
    Write(out, b.observations().data(), b.observations().size());
    Write(out, b.rewards().data(), b.rewards().size());
    WriteAsFloat(out, b.terminated());
    WriteAsFloat(out, b.truncated());
    Write(out, b.final_observations().data(), b.final_observations().size());
    Write(out, row, static_cast<std::size_t>(n) * a);
  }
  return out ? 0 : 1;
}
