"""The examples in examples/python run end to end (small settings)."""

import os
import subprocess
import sys

import pytest

SOURCE = os.environ.get("TARMAC_SOURCE_DIR", "")
BINARY = os.environ.get("TARMAC_BINARY", "")

SUITE = """name: small
families:
  - {family: highway,    count: 2, seed: 1000}
  - {family: lead_brake, count: 2, seed: 5000}
"""


def example(name):
    return os.path.join(SOURCE, "examples", "python", name)


@pytest.mark.skipif(not SOURCE, reason="run by ctest")
def test_behaviour_cloning_in_pytorch_is_scored_by_tarmac(tmp_path):
    pytest.importorskip("torch")
    suite = tmp_path / "small.yaml"
    suite.write_text(SUITE)
    model = tmp_path / "model.pt"
    run = subprocess.run([sys.executable, example("bc_to_torchscript.py"), "--steps", "4000",
                          "--updates", "300", "--out", str(model), "--suite", str(suite)],
                         capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    assert model.is_file()
    scored = [line for line in run.stdout.splitlines() if line.startswith("bc: suite ")]
    assert len(scored) == 1 and "mean score" in scored[0], run.stdout
    score = float(scored[0].split("mean score ")[1].split(",")[0])
    assert 0.0 <= score <= 1.0
    # The BC loss fell: the network learned something from the demonstrations.
    losses = [float(line.split("loss ")[1]) for line in run.stdout.splitlines()
              if line.startswith("bc: update")]
    assert losses[-1] < losses[0], losses


@pytest.mark.skipif(not (SOURCE and BINARY), reason="run by ctest")
def test_a_mined_behaviour_is_plotted(tmp_path):
    suite = tmp_path / "small.yaml"
    suite.write_text("name: cuts\nfamilies:\n  - {family: cut_in, count: 6, seed: 4000}\n")
    subprocess.run([BINARY, "eval", "--policy", "expert+delay=0.5", "--suite", str(suite),
                    "--log-episodes", "--out", str(tmp_path / "eval")], check=True,
                   capture_output=True, timeout=120)
    svg = tmp_path / "late.svg"
    run = subprocess.run([sys.executable, example("plot_behaviour.py"),
                          str(tmp_path / "eval" / "episodes"), "--out", str(svg)],
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    text = svg.read_text()
    assert text.startswith("<svg") and "cut_in" in text and "late_brake_after_cut_in" in text
    refused = subprocess.run([sys.executable, example("plot_behaviour.py"),
                              str(tmp_path / "eval" / "episodes"), "--behaviour", "nope"],
                             capture_output=True, text=True, timeout=120, check=False)
    assert refused.returncode != 0 and "no behaviour nope" in refused.stderr
