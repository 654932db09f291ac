"""tarmac from Python: the driving envs as a vector env, and evaluation on a scenario suite.

Build with the README's build (`cmake --build --preset dev`), then
`PYTHONPATH=build/dev/python /usr/bin/python3` (Debian's Python, which has numpy).

    import tarmac
    env = tarmac.VectorEnv("driving-v0", num_envs=8, seed=1)
    obs, info = env.reset()
    obs, reward, terminated, truncated, info = env.step(env.expert_actions())
    report = tarmac.evaluate("expert", suite="default")
    replay = tarmac.Replay("redis://127.0.0.1:6379")   # a server with the tarmac_replay module
    batch = replay.sample("rl", 256, beta=0.4)          # numpy columns, decoded in C++

Errors are ValueError with the same one-sentence messages as the `tarmac` command.
"""

from ._tarmac import Replay, VectorEnv, compare, envs, evaluate, mine

__all__ = ["Replay", "VectorEnv", "compare", "envs", "evaluate", "mine"]
