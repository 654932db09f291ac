"""tarmac.evaluate against `tarmac eval` on the same suite, with policies named and callable."""

import itertools
import json
import os
import subprocess

import numpy as np
import pytest

import tarmac

BINARY = os.environ.get("TARMAC_BINARY", "")

SUITE = """name: small
families:
  - {family: highway,    count: 2, seed: 1000}
  - {family: lead_brake, count: 2, seed: 5000}
"""


@pytest.fixture
def suite(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(SUITE)
    return str(path)


@pytest.mark.skipif(not BINARY, reason="run by ctest, which builds tarmac")
def test_the_report_is_the_one_tarmac_eval_writes(tmp_path, suite):
    report = tarmac.evaluate("expert+delay=0.5", suite=suite)
    out = tmp_path / "eval"
    subprocess.run([BINARY, "eval", "--policy", "expert+delay=0.5", "--suite", suite, "--out",
                    str(out)], check=True, timeout=120, capture_output=True)
    expected = json.loads((out / "report.json").read_text())
    assert len(report["episodes"]) == 4
    assert report["overall"]["policy"] == expected["overall"]["policy"]
    assert report["families"] == expected["families"]
    scores = [e["policy"]["metrics"]["score"] for e in report["episodes"]]
    assert scores == [e["policy"]["metrics"]["score"] for e in expected["episodes"]]


def test_a_python_callable_drives_every_step(suite):
    calls = [0]

    def hold(obs):
        assert obs.dtype == np.float32 and obs.ndim == 1
        calls[0] += 1
        return np.zeros(2, dtype=np.float32)

    report = tarmac.evaluate(hold, suite=suite)
    steps = sorted(e["policy"]["steps"] for e in report["episodes"])
    # Every step of every episode, then up to three of the worst seeds once more for the
    # report's scenes.
    assert sum(steps) > 0
    again = calls[0] - sum(steps)
    assert any(sum(c) == again for k in range(4) for c in itertools.combinations(steps, k)), again


def test_bad_input_is_one_sentence(suite, tmp_path):
    with pytest.raises(ValueError) as error:
        tarmac.evaluate(str(tmp_path / "no-such-checkpoint"), suite=suite)
    assert "no-such-checkpoint" in str(error.value) and "\n" not in str(error.value)
    with pytest.raises(ValueError, match="no-such-suite"):
        tarmac.evaluate("expert", suite=str(tmp_path / "no-such-suite.yaml"))
    with pytest.raises(ValueError, match="must return 2 numbers"):
        tarmac.evaluate(lambda obs: [0.0], suite=suite)
    with pytest.raises(ValueError, match="policy must be"):
        tarmac.evaluate(42, suite=suite)


@pytest.mark.skipif(not BINARY, reason="run by ctest, which builds tarmac")
def test_compare_finds_a_planted_regression_as_tarmac_compare_does(tmp_path, suite):
    result = tarmac.compare("expert", "expert+delay=0.5", suite=suite)
    out = tmp_path / "compare"
    subprocess.run([BINARY, "compare", "--a", "expert", "--b", "expert+delay=0.5", "--suite",
                    suite, "--out", str(out)], check=True, timeout=300, capture_output=True)
    expected = json.loads((out / "compare.json").read_text())
    drop = {k: v for k, v in expected.items() if k != "identity"}
    assert {k: v for k, v in result.items() if k != "identity"} == drop
    assert result["identity"]["policies"][1]["name"] == "expert+delay=0.5"


@pytest.mark.skipif(not BINARY, reason="run by ctest, which builds tarmac")
def test_mine_reads_the_logs_tarmac_eval_writes(tmp_path, suite):
    out = tmp_path / "eval"
    subprocess.run([BINARY, "eval", "--policy", "expert+delay=0.5", "--suite", suite,
                    "--log-episodes", "--out", str(out)], check=True, timeout=120,
                   capture_output=True)
    result = tarmac.mine([str(out / "episodes")])
    mined = tmp_path / "mine"
    subprocess.run([BINARY, "mine", str(out / "episodes"), "--out", str(mined)], check=True,
                   timeout=120, capture_output=True)
    expected = json.loads((mined / "mine.json").read_text())
    assert {k: v for k, v in result.items() if k != "identity"} == \
        {k: v for k, v in expected.items() if k != "identity"}
    assert result["episodes"] == 4
    assert {b["name"] for b in result["behaviours"]} >= {"late_brake_after_cut_in"}
    with pytest.raises(ValueError, match="no-such-dir"):
        tarmac.mine([str(tmp_path / "no-such-dir")])
