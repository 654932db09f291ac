"""tarmac.Replay against a real redis-server with the tarmac_replay module."""

import numpy as np
import pytest

import tarmac


def transitions(n, obs_dim=5, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "obs": rng.normal(size=(n, obs_dim)).astype(np.float32),
        "action": rng.uniform(-1, 1, size=(n, 2)).astype(np.float32),
        "reward": rng.normal(size=n).astype(np.float32),
        "discount": np.full(n, 0.99, dtype=np.float32),
        "next_obs": rng.normal(size=(n, obs_dim)).astype(np.float32),
        "done": rng.uniform(size=n) < 0.1,
    }


def test_what_is_inserted_is_sampled_back_column_by_column(server):
    replay = tarmac.Replay(server)
    replay.create("rl", capacity=1000)
    data = transitions(200)
    tags = np.arange(200, dtype=np.uint64) % 4
    keys = replay.insert("rl", version=7, tags=tags, **data)
    assert keys["id"].shape == (200,) and len(set(keys["id"].tolist())) == 200
    row_of = {int(i): r for r, i in enumerate(keys["id"])}
    batch = replay.sample("rl", 128, beta=0.4, seed=3)
    assert batch["obs"].shape == (128, 5) and batch["obs"].dtype == np.float32
    assert batch["table_size"] == 200
    for k in range(128):
        r = row_of[int(batch["id"][k])]
        np.testing.assert_array_equal(batch["obs"][k], data["obs"][r])
        np.testing.assert_array_equal(batch["next_obs"][k], data["next_obs"][r])
        np.testing.assert_array_equal(batch["action"][k], data["action"][r])
        assert batch["reward"][k] == data["reward"][r]
        assert batch["discount"][k] == data["discount"][r]
        assert batch["done"][k] == data["done"][r]
        assert batch["tags"][k] == tags[r]
    assert (batch["policy_version"] == 7).all()
    # Equal priorities: every probability 1/200 and every importance weight 1.
    np.testing.assert_allclose(batch["probability"], 1 / 200, rtol=1e-9)
    np.testing.assert_allclose(batch["weight"], 1.0, rtol=1e-9)
    # The same seed draws the same items.
    again = replay.sample("rl", 128, beta=0.4, seed=3)
    np.testing.assert_array_equal(again["id"], batch["id"])


def test_updated_priorities_steer_the_sampling_and_tags_filter_it(server):
    replay = tarmac.Replay(server)
    replay.create("rl", capacity=1000, alpha=1.0)
    keys = replay.insert("rl", tags=np.array([1] * 50 + [2] * 50, dtype=np.uint64),
                         **transitions(100))
    only_tag_two = replay.sample("rl", 50, tags=2, seed=2)
    assert (only_tag_two["tags"] == 2).all()
    priority = np.full(100, 1e-6, dtype=np.float32)
    priority[42] = 1.0
    result = replay.update("rl", keys["shard"], keys["id"], priority)
    assert result == {"applied": 100, "stale": 0}
    batch = replay.sample("rl", 200, seed=1)
    favourite = int(keys["id"][42])
    assert (batch["id"] == favourite).mean() > 0.99
    info = replay.info("rl")
    assert len(info) == 1 and info[0]["size"] == 100


def test_bad_input_is_one_sentence_and_inserts_nothing(server):
    with pytest.raises(ValueError, match="ftp://nowhere"):
        tarmac.Replay("ftp://nowhere")
    replay = tarmac.Replay(server)
    replay.create("rl", capacity=100)
    data = transitions(10)
    bad = dict(data, reward=data["reward"][:9])
    with pytest.raises(ValueError, match="same number of rows"):
        replay.insert("rl", **bad)
    priority = np.ones(10, dtype=np.float32)
    priority[3] = np.nan
    with pytest.raises(ValueError) as error:
        replay.insert("rl", priority=priority, **data)
    assert "\n" not in str(error.value)
    with pytest.raises(ValueError):
        replay.sample("rl", 4)  # nothing got in: the table is still empty
    assert replay.info("rl")[0]["size"] == 0
    with pytest.raises(ValueError, match="no_such_table"):
        replay.sample("no_such_table", 4)
