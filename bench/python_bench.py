#!/usr/bin/python3
"""The Python package against the C++ it wraps, in the same run: tarmac.VectorEnv.step at 64
envs against EnvBatch, and tarmac.Replay.sample (256 items decoded into numpy columns) against
the learner's sample-and-decode.

Usage (after the dev build): PYTHONPATH=build/dev/python /usr/bin/python3 bench/python_bench.py [RUNS]
- Env: build/dev/bench/env_bench's BM_EnvBatch64 (64 driving-v0 envs, a fixed zero action, one
  thread), then tarmac.VectorEnv("driving-v0", 64) stepped with the same action (each step
  returns fresh numpy arrays and the info dict); env steps/s, 64 per call.
- Replay: build/dev/bench/learner_bench's BM_SampleDecode256 (REPLAY.SAMPLE 256 from a table of
  20 000 Transitions of 76 observation floats on its own redis-server, decoded as the learner
  does), then tarmac.Replay.sample("rl", 256) on a redis-server this script starts with the
  module, filled the same way; items/s.
Each RUNS times (default 3), interleaved; prints the medians and their ratios.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager

import numpy as np

import tarmac

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "build", "dev", "bench")
MODULE = os.path.join(ROOT, "build", "dev", "buffer", "redis_module", "tarmac_replay.so")


def cpp_items_per_second(program, benchmark):
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run([os.path.join(BENCH, program), f"--benchmark_filter=^{benchmark}",
                        f"--benchmark_out={out.name}", "--benchmark_out_format=json"],
                       check=True, stdout=subprocess.DEVNULL)
        report = json.load(open(out.name))
    return report["benchmarks"][0]["items_per_second"]


@contextmanager
def redis_with_module():
    with tempfile.TemporaryDirectory() as tmp:
        sock = os.path.join(tmp, "redis.sock")
        proc = subprocess.Popen(
            ["redis-server", "--port", "0", "--unixsocket", sock, "--save", "", "--appendonly",
             "no", "--dir", tmp, "--loadmodule", MODULE],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(200):
                if os.path.exists(sock):
                    break
                time.sleep(0.05)
            yield f"unix://{sock}"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def python_sample_items_per_second(url, seconds=2.0):
    replay = tarmac.Replay(url)
    replay.create("rl", capacity=1000000, alpha=0.6)
    rng = np.random.default_rng(2)
    for _ in range(100):  # 20 000 items, as learner_bench's FillReplay
        n = 200
        replay.insert("rl", obs=rng.normal(size=(n, 76)).astype(np.float32),
                      action=rng.normal(size=(n, 2)).astype(np.float32),
                      reward=rng.normal(size=n).astype(np.float32),
                      discount=np.full(n, 0.97, dtype=np.float32),
                      next_obs=rng.normal(size=(n, 76)).astype(np.float32))
    for _ in range(5):
        replay.sample("rl", 256)
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        replay.sample("rl", 256)
        calls += 1
    return 256 * calls / (time.perf_counter() - start)


def python_steps_per_second(seconds=2.0):
    env = tarmac.VectorEnv("driving-v0", 64, 1)
    actions = np.zeros((64, env.action_size), dtype=np.float32)
    env.reset()
    for _ in range(20):  # warm up
        env.step(actions)
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        env.step(actions)
        calls += 1
    return 64 * calls / (time.perf_counter() - start)


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    figures = {"env_cpp": [], "env_py": [], "sample_cpp": [], "sample_py": []}
    for _ in range(runs):  # interleaved, so drift of the machine hits both alike
        figures["env_cpp"].append(cpp_items_per_second("env_bench", "BM_EnvBatch64"))
        figures["env_py"].append(python_steps_per_second())
        figures["sample_cpp"].append(cpp_items_per_second("learner_bench", "BM_SampleDecode256"))
        with redis_with_module() as url:
            figures["sample_py"].append(python_sample_items_per_second(url))
    m = {k: statistics.median(v) for k, v in figures.items()}
    print(f"EnvBatch (C++), 64 envs:           {m['env_cpp']:12.0f} env steps/s (median of {runs})")
    print(f"tarmac.VectorEnv.step, 64 envs:    {m['env_py']:12.0f} env steps/s")
    print(f"ratio VectorEnv / EnvBatch = {m['env_py'] / m['env_cpp']:.2f}")
    print(f"sample + decode 256 (C++):         {m['sample_cpp']:12.0f} items/s")
    print(f"tarmac.Replay.sample 256 (numpy):  {m['sample_py']:12.0f} items/s")
    print(f"ratio Replay.sample / C++ = {m['sample_py'] / m['sample_cpp']:.2f}")


if __name__ == "__main__":
    main()
