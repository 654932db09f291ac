"""A TorchScript actor scripted here with python3-torch trains in `tarmac learner` (its BC loss
falls), is published, an actor drives it, its checkpoint resumes and is evaluated; a module whose
output does not fit the action size, or a file that is not TorchScript, is refused in one
sentence. Against a real redis-server with the module (conftest.server)."""

import os
import re
import subprocess
from typing import Tuple

import pytest
import torch

import tarmac

BINARY = os.environ.get("TARMAC_BINARY", "")


class Actor(torch.nn.Module):
    """A small MLP with the actor's contract: forward(normalised obs) -> (mean, log_std)."""

    def __init__(self, obs_size: int, action_size: int):
        super().__init__()
        self.action_size = action_size
        self.body = torch.nn.Sequential(torch.nn.Linear(obs_size, 64), torch.nn.ReLU(),
                                        torch.nn.Linear(64, 2 * action_size))

    def forward(self, obs: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        out = self.body(obs)
        return out[:, :self.action_size], out[:, self.action_size:]


def run(*args, timeout=240):
    if not BINARY:
        pytest.skip("run by ctest, which builds the tarmac binary")
    return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=timeout)


def learner(url, model, checkpoints, updates, *extra):
    return run("learner", "--redis", url, "--algo", "bc", "--metrics-port", "0",
               "--set", f"learner.model={model}", "--set", f"learner.max_updates={updates}",
               "--set", "learner.batch_size=128", "--set", "learner.min_replay=500",
               "--set", "learner.publish_every=100", "--set", "learner.hidden_units=64",
               "--set", f"learner.checkpoint_dir={checkpoints}", *extra)


def bc_losses(stderr):
    found = re.search(r"BC loss ([0-9.e+-]+) -> ([0-9.e+-]+)", stderr)
    assert found, stderr
    return float(found.group(1)), float(found.group(2))


def test_a_scripted_actor_trains_is_published_driven_resumed_and_evaluated(server, tmp_path):
    env = tarmac.VectorEnv("driving-v0", 1, 0)
    model = tmp_path / "actor.pt"
    torch.manual_seed(0)
    torch.jit.script(Actor(env.observation_size, env.action_size)).save(str(model))

    demos = run("actor", "--redis", server, "--policy", "expert", "--table", "demos",
                "--actors", "1", "--envs-per-actor", "8", "--max-env-steps", "4000",
                "--metrics-port", "0")
    assert demos.returncode == 0, demos.stderr

    checkpoints = tmp_path / "checkpoints"
    trained = learner(server, model, checkpoints, 400)
    assert trained.returncode == 0, trained.stderr
    first, last = bc_losses(trained.stderr)
    assert last < first - 1.0, (first, last)  # stated margin: one nat of likelihood at least

    # The published module drives: the actor's transitions carry the learner's version.
    rollout = run("actor", "--redis", server, "--actors", "1", "--envs-per-actor", "8",
                  "--max-env-steps", "1000", "--metrics-port", "0")
    assert rollout.returncode == 0, rollout.stderr
    batch = tarmac.Replay(server).sample("rl", 64, seed=1)
    assert batch["policy_version"].min() > 0, "the actor drove the published module"

    # Resumed from its checkpoint, the loss goes on from where it was, not from the start.
    resumed = learner(server, model, checkpoints, 100, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert re.search(r"step 500\b", resumed.stderr), resumed.stderr
    resumed_first, _ = bc_losses(resumed.stderr)
    assert resumed_first < first - 1.0, (first, resumed_first)

    # The checkpoint keeps the module: tarmac eval runs it without the .pt file.
    model.unlink()
    suite = tmp_path / "suite.yaml"
    suite.write_text("name: small\nfamilies:\n  - {family: curve, count: 2, seed: 7000}\n")
    report = tarmac.evaluate(str(checkpoints), suite=str(suite))
    assert len(report["episodes"]) == 2
    assert all(0.0 <= e["policy"]["metrics"]["score"] <= 1.0 for e in report["episodes"])


def test_modules_that_do_not_fit_are_refused_in_one_sentence(server, tmp_path):
    env = tarmac.VectorEnv("driving-v0", 1, 0)
    wrong = tmp_path / "three_actions.pt"
    torch.jit.script(Actor(env.observation_size, 3)).save(str(wrong))
    text = tmp_path / "text.pt"
    text.write_text("not a module")
    for path, words in ((wrong, "shape (1, 2)"), (text, "is not a TorchScript module")):
        refused = learner(server, path, tmp_path / "none", 10)
        assert refused.returncode == 2, refused.stderr
        lines = refused.stderr.strip().splitlines()
        assert len(lines) == 1 and str(path) in lines[0] and words in lines[0], refused.stderr
