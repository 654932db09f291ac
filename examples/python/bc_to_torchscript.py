"""Behaviour cloning in PyTorch on the expert's driving, exported to TorchScript, scored by tarmac.

    PYTHONPATH=build/dev/python /usr/bin/python3 examples/python/bc_to_torchscript.py \
        [--replay unix:///path/redis.sock --table demos] [--steps 100000] [--out model.pt]

Where the demonstrations come from: with --replay, the `demos` table of a run's Redis (what
`tarmac train` or `tarmac actor --policy expert --table demos` filled); without, the script
drives tarmac.VectorEnv with the expert itself. The network is any torch.nn.Module whose
forward(obs) returns (mean, log_std) in the space of tarmac's actor (the action is
low + (tanh(mean) + 1) / 2 * (high - low)); it is saved with torch.jit.script, and
`tarmac eval --policy model.pt --suite default` (or tarmac.evaluate below) scores it.
Needs Debian's python3-torch (1.13, the LibTorch tarmac links).
"""

import argparse

import numpy as np
import torch

import tarmac


class Policy(torch.nn.Module):
    """An MLP over raw observations, with the normalisation inside (saved with the module)."""

    def __init__(self, obs_dim: int, action_dim: int, mean: np.ndarray, std: np.ndarray):
        super().__init__()
        self.register_buffer("obs_mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("obs_std", torch.as_tensor(std, dtype=torch.float32))
        self.net = torch.nn.Sequential(
            torch.nn.Linear(obs_dim, 256), torch.nn.ReLU(),
            torch.nn.Linear(256, 256), torch.nn.ReLU(),
            torch.nn.Linear(256, 2 * action_dim))
        self.action_dim = action_dim

    def forward(self, obs: torch.Tensor):
        z = (obs - self.obs_mean) / self.obs_std
        out = self.net(z.clamp(-10.0, 10.0))
        mean, log_std = out[:, :self.action_dim], out[:, self.action_dim:]
        return mean, log_std.clamp(-5.0, 2.0)


def expert_demos(steps: int, seed: int):
    """(obs, expert action) pairs from num_envs envs over steps / num_envs steps. The envs are
    driven by the expert's action plus noise (DART, as tarmac's own demos), so that the data
    holds the states a slightly wrong policy reaches and how the expert recovers from them."""
    env = tarmac.VectorEnv("driving-v0", num_envs=16, seed=seed)
    rng = np.random.default_rng(seed)
    noise = np.array([0.5, 0.03], dtype=np.float32)  # m/s^2, rad
    obs, _ = env.reset()
    xs, ys = [], []
    for _ in range(max(1, steps // env.num_envs)):
        action = env.expert_actions()
        xs.append(obs)
        ys.append(action)
        driven = action + noise * rng.standard_normal(action.shape).astype(np.float32)
        obs, _, _, _, _ = env.step(driven)
    return np.concatenate(xs), np.concatenate(ys), env


def replay_demos(url: str, table: str, steps: int):
    replay = tarmac.Replay(url)
    batch = replay.sample(table, steps, beta=0.0)
    return batch["obs"], batch["action"]


def to_pre_tanh(action: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """The actor's mean that gives `action` (physical units), the inverse of the squashing."""
    unit = np.clip(2.0 * (action - low) / (high - low) - 1.0, -0.999, 0.999)
    return np.arctanh(unit).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replay", default="", help="replay URL(s) holding the demonstrations")
    parser.add_argument("--table", default="demos")
    parser.add_argument("--steps", type=int, default=100000, help="demonstration steps")
    parser.add_argument("--updates", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default="model.pt")
    parser.add_argument("--suite", default="default", help="suite to score the model on ('' none)")
    args = parser.parse_args()
    torch.manual_seed(args.seed)

    probe = tarmac.VectorEnv("driving-v0", num_envs=1)
    low, high = np.array(probe.action_low), np.array(probe.action_high)
    if args.replay:
        obs, action = replay_demos(args.replay, args.table, args.steps)
    else:
        obs, action, _ = expert_demos(args.steps, args.seed)
    target = torch.as_tensor(to_pre_tanh(action, low, high))
    x = torch.as_tensor(obs)
    # Features the demonstrations never vary (a slot with no vehicle, a lane that never ends)
    # keep their scale: dividing by a tiny spread would blow up the first value that differs.
    std = obs.std(0)
    std = np.where(std < 1e-2, 1.0, std)
    policy = Policy(obs.shape[1], action.shape[1], obs.mean(0), std)
    optimiser = torch.optim.Adam(policy.parameters(), lr=1e-3)
    for update in range(args.updates):
        rows = torch.randint(0, x.shape[0], (256,))
        mean, _ = policy(x[rows])
        loss = torch.nn.functional.mse_loss(torch.tanh(mean), torch.tanh(target[rows]))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        if update % 1000 == 0 or update == args.updates - 1:
            print(f"bc: update {update}: loss {loss.item():.5f}", flush=True)

    torch.jit.script(policy).save(args.out)
    print(f"bc: wrote {args.out}")
    if args.suite:
        report = tarmac.evaluate(args.out, suite=args.suite)
        overall = report["overall"]
        print(f"bc: suite {args.suite}: mean score {overall['policy']['mean_score']:.3f}, "
              f"expert {overall['expert']['mean_score']:.3f}, "
              f"at-fault {overall['policy']['at_fault_collision_rate']:.1%}")


if __name__ == "__main__":
    main()
