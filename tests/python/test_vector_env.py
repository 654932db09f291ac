"""tarmac.VectorEnv against the C++ EnvBatch it wraps, its autoreset and its refusals."""

import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import tarmac

TRACE = os.environ.get("TARMAC_ENV_BATCH_TRACE", "")


def cpp_trace(tmp_path, num_envs, seed, steps, actions, obs_size, action_size):
    """What the C++ EnvBatch returned, step by step (env_batch_trace's records)."""
    out = tmp_path / "trace.bin"
    if isinstance(actions, str):
        source = actions
    else:
        source = str(tmp_path / "actions.bin")
        actions.astype(np.float32).tofile(source)
    subprocess.run([TRACE, "driving-v0", str(num_envs), str(seed), str(steps), source, str(out)],
                   check=True, timeout=120)
    data = np.fromfile(out, dtype=np.float32)
    first, data = data[:num_envs * obs_size], data[num_envs * obs_size:]
    per_step = num_envs * (2 * obs_size + 3 + action_size)
    assert data.size == steps * per_step
    records = []
    for t in range(steps):
        r = data[t * per_step:(t + 1) * per_step]
        sizes = [num_envs * obs_size, num_envs, num_envs, num_envs, num_envs * obs_size,
                 num_envs * action_size]
        parts = np.split(r, np.cumsum(sizes)[:-1])
        records.append({
            "obs": parts[0].reshape(num_envs, obs_size),
            "reward": parts[1],
            "terminated": parts[2] != 0,
            "truncated": parts[3] != 0,
            "final_obs": parts[4].reshape(num_envs, obs_size),
            "actions": parts[5].reshape(num_envs, action_size),
        })
    return first.reshape(num_envs, obs_size), records


def assert_same_as_cpp(env, first, records, actions=None):
    obs, info = env.reset()
    np.testing.assert_array_equal(obs, first)
    finished = 0
    for t, rec in enumerate(records):
        a = env.expert_actions() if actions is None else actions[t]
        np.testing.assert_array_equal(a, rec["actions"], err_msg=f"actions at step {t}")
        obs, reward, terminated, truncated, info = env.step(a)
        np.testing.assert_array_equal(obs, rec["obs"], err_msg=f"step {t}")
        np.testing.assert_array_equal(reward, rec["reward"], err_msg=f"step {t}")
        np.testing.assert_array_equal(terminated, rec["terminated"], err_msg=f"step {t}")
        np.testing.assert_array_equal(truncated, rec["truncated"], err_msg=f"step {t}")
        done = terminated | truncated
        if done.any():
            finished += int(done.sum())
            np.testing.assert_array_equal(info["_final_observation"], done)
            np.testing.assert_array_equal(info["final_observation"][done],
                                          rec["final_obs"][done], err_msg=f"step {t}")
    return finished


@pytest.mark.skipif(not TRACE, reason="run by ctest, which builds env_batch_trace")
def test_random_actions_step_for_step_equal_the_cpp_env_batch(tmp_path):
    env = tarmac.VectorEnv("driving-v0", num_envs=4, seed=7)
    steps = 420  # past the 300-step time limit: every env resets at least once
    rng = np.random.default_rng(3)
    low, high = np.array(env.action_low), np.array(env.action_high)
    actions = rng.uniform(low, high, size=(steps, 4, env.action_size)).astype(np.float32)
    first, records = cpp_trace(tmp_path, 4, 7, steps, actions, env.observation_size,
                               env.action_size)
    assert assert_same_as_cpp(env, first, records, actions) >= 4


@pytest.mark.skipif(not TRACE, reason="run by ctest, which builds env_batch_trace")
def test_expert_actions_are_the_experts_and_drive_the_same_episodes(tmp_path):
    env = tarmac.VectorEnv("driving-v0", num_envs=3, seed=11)
    first, records = cpp_trace(tmp_path, 3, 11, 320, "expert", env.observation_size,
                               env.action_size)
    assert assert_same_as_cpp(env, first, records) >= 3


def test_autoreset_hands_over_the_finished_episode():
    env = tarmac.VectorEnv("driving-v0", num_envs=2, seed=5)
    obs, info = env.reset()
    assert obs.shape == (2, env.observation_size) and obs.dtype == np.float32
    np.testing.assert_array_equal(info["step"], [0, 0])
    for t in range(400):
        obs, reward, terminated, truncated, info = env.step(env.expert_actions())
        done = terminated | truncated
        np.testing.assert_allclose(info["reward_terms"].sum(axis=1), reward, rtol=1e-5, atol=1e-5)
        assert info["reward_terms"].shape == (2, len(env.reward_terms))
        if not done.any():
            assert "final_observation" not in info
            continue
        i = int(np.flatnonzero(done)[0])
        # The row already holds the next episode's first observation; the last one is in info.
        assert info["step"][i] == 0
        assert not np.array_equal(info["final_observation"][i], obs[i])
        assert len(info["episodes"]) == int(done.sum())
        summary = info["episodes"][0]
        assert summary["steps"] == t + 1
        assert summary["outcome"] in ("time_limit", "completed", "collision", "off_road")
        assert "score" in summary["metrics"]
        return
    pytest.fail("no episode ended in 400 steps")


def test_reset_with_a_seed_replays_and_another_seed_differs():
    env = tarmac.VectorEnv("driving-v0", num_envs=2, seed=1)
    a, _ = env.reset(seed=9)
    b, _ = env.reset()
    c, _ = env.reset(seed=10)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_stepping_releases_the_gil():
    env = tarmac.VectorEnv("driving-v0", num_envs=1024, seed=2)
    env.reset()
    actions = np.zeros((1024, env.action_size), dtype=np.float32)
    ticks = []
    done = threading.Event()

    def tick():
        while not done.is_set():
            ticks.append(time.perf_counter())

    # A short switch interval: the ticking thread gets the GIL within microseconds whenever the
    # main thread lets go of it. Holding it through the C++ step would leave a gap in the ticks
    # as long as the step.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    thread = threading.Thread(target=tick)
    thread.start()
    try:
        shares = []
        for _ in range(5):
            start = time.perf_counter()
            env.step(actions)  # milliseconds of C++ for 1024 envs
            end = time.perf_counter()
            inside = [t for t in ticks if start <= t <= end]
            edges = [start] + inside + [end]
            gap = max(b - a for a, b in zip(edges, edges[1:]))
            shares.append(gap / (end - start))
    finally:
        done.set()
        thread.join()
        sys.setswitchinterval(interval)
    # The longest pause of the ticking thread, as a share of the step (the best of five: the
    # machine may deschedule it now and then).
    assert min(shares) < 0.5, shares


def test_bad_input_is_one_sentence_and_changes_nothing():
    with pytest.raises(ValueError, match="no-such-env"):
        tarmac.VectorEnv("no-such-env", num_envs=2)
    with pytest.raises(ValueError, match="num_envs"):
        tarmac.VectorEnv("driving-v0", num_envs=0)
    with pytest.raises(ValueError, match="env.reward.no_such_term"):
        tarmac.VectorEnv("driving-v0", num_envs=1, config={"env.reward.no_such_term": 1})
    env = tarmac.VectorEnv("driving-v0", num_envs=2, seed=3)
    obs, info = env.reset()
    with pytest.raises(ValueError) as error:
        env.step(np.zeros((3, env.action_size), dtype=np.float32))
    assert "(2, 2)" in str(error.value) and "\n" not in str(error.value)
    # Nothing stepped: the next step is the first of the episode.
    _, _, _, _, info = env.step(np.zeros((2, env.action_size), dtype=np.float32))
    np.testing.assert_array_equal(info["step"], [1, 1])


def test_config_reaches_the_env():
    one = tarmac.VectorEnv("driving-v0", num_envs=1, seed=4, config={"env.reward.speed": 1.0})
    three = tarmac.VectorEnv("driving-v0", num_envs=1, seed=4, config={"env.reward.speed": 3})
    assert one.reward_terms == three.reward_terms
    one.reset()
    three.reset()
    a = np.full((1, one.action_size), 0.5, dtype=np.float32)
    _, _, _, _, p = one.step(a)
    _, _, _, _, q = three.step(a)
    k = one.reward_terms.index("speed")
    assert p["reward_terms"][0, k] != 0.0
    assert q["reward_terms"][0, k] == pytest.approx(3.0 * p["reward_terms"][0, k], rel=1e-6)
