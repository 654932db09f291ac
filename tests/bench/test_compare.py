"""bench/compare on bench/run --json files written here: verdicts, exit codes, bad input."""

import json
import os
import subprocess
import sys

import pytest

COMPARE = os.path.join(os.environ["TARMAC_SOURCE_DIR"], "bench", "compare")
MACHINE = {"cpu": "AMD EPYC", "cores": 2, "kernel": "6.1", "pinned_to_core": 1}


def write_run(path, figures, machine=MACHINE, program="actor_bench", commit="a" * 40):
    path.write_text(json.dumps({
        "machine": machine, "commit": commit, "dirty": False,
        "programs": {program: {"context": {}, "benchmarks": [], "figures": figures}}}))
    return str(path)


def runs(tmp_path, prefix, values, **figure):
    """One file per value, each holding the figure `figure` with that value."""
    return [write_run(tmp_path / f"{prefix}{k}.json", [dict(figure, value=v)])
            for k, v in enumerate(values)]


def compare(*args):
    return subprocess.run([sys.executable, COMPARE, *args], capture_output=True, text=True,
                          timeout=60)


def row(out, name):
    lines = [line for line in out.splitlines() if line.startswith("|") and name in line]
    assert len(lines) == 1, out
    return [cell.strip() for cell in lines[0].strip("|").split("|")]


RATE = {"name": "actor process: transitions/s", "unit": "transitions/s", "better": "higher"}
LATENCY = {"name": "weight swap p50", "unit": "ms", "better": "lower"}


def test_apart_ranges_beyond_the_threshold_are_better_or_worse(tmp_path):
    before = runs(tmp_path, "b", [100, 104, 102], **RATE)
    after = runs(tmp_path, "a", [110, 112, 115], **RATE)
    r = compare(*before, "--", *after)
    assert r.returncode == 0, r.stderr
    cells = row(r.stdout, RATE["name"])
    assert cells[2] == "102 [100–104]"
    assert cells[3] == "112 [110–115]"
    assert cells[4] == "1.098"
    assert cells[5] == "better"
    assert "0 figure(s) worse" in r.stdout

    slower = runs(tmp_path, "s", [6.0, 6.2, 6.1], **LATENCY)
    faster = runs(tmp_path, "f", [5.0, 5.1, 5.2], **LATENCY)
    r = compare(*faster, "--", *slower)
    assert row(r.stdout, LATENCY["name"])[5] == "worse"
    assert r.returncode == 0  # worse is reported, not fatal, unless asked
    r = compare("--fail-if-worse", *faster, "--", *slower)
    assert r.returncode == 1
    assert "1 figure(s) worse, failing" in r.stdout


def test_overlapping_ranges_are_noise_even_when_the_medians_move(tmp_path):
    # Medians 100 -> 110, but one run before beat one after: the machine's noise covers it.
    before = runs(tmp_path, "b", [95, 100, 112], **RATE)
    after = runs(tmp_path, "a", [108, 110, 120], **RATE)
    r = compare(*before, "--", *after)
    assert row(r.stdout, RATE["name"])[5] == "~"


def test_the_threshold_decides_small_changes(tmp_path):
    before = runs(tmp_path, "b", [100, 100.5, 101], **RATE)
    after = runs(tmp_path, "a", [102, 102.5, 103], **RATE)
    assert row(compare(*before, "--", *after).stdout, RATE["name"])[5] == "~"
    r = compare("--threshold", "1", *before, "--", *after)
    assert row(r.stdout, RATE["name"])[5] == "better"


def test_one_file_a_side_needs_no_separator_and_says_its_ranges_are_points(tmp_path):
    before = runs(tmp_path, "b", [100], **RATE)
    after = runs(tmp_path, "a", [80], **RATE)
    # As a user runs it: the script itself, through its #! line.
    r = subprocess.run([COMPARE, before[0], after[0]], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert row(r.stdout, RATE["name"])[5] == "worse"
    assert "one run on a side" in r.stdout


def test_a_figure_that_does_not_say_which_way_is_better_gets_no_verdict(tmp_path):
    # Files from before figures carried "better": a ratio could go either way.
    ratio = {"name": "BM_A", "baseline": "BM_B", "unit": "ratio"}
    r = compare(*runs(tmp_path, "b", [1.0], **ratio), *runs(tmp_path, "a", [2.0], **ratio))
    assert row(r.stdout, "BM_A / BM_B")[5] == "?"
    # Units say it for older absolute figures: milliseconds are better lower.
    old = {"name": "weight swap p50", "unit": "ms"}
    r = compare(*runs(tmp_path, "c", [5.0], **old), *runs(tmp_path, "d", [9.0], **old))
    assert row(r.stdout, "weight swap p50")[5] == "worse"


def test_programs_and_figures_on_one_side_only_are_named(tmp_path):
    before = write_run(tmp_path / "b.json", [dict(RATE, value=1.0), dict(LATENCY, value=2.0)])
    after = write_run(tmp_path / "a.json", [dict(RATE, value=1.0)])
    other = write_run(tmp_path / "o.json", [dict(RATE, value=1.0)], program="env_bench")
    r = compare(before, "--", after, other)
    assert "only before: actor_bench: weight swap p50" in r.stdout
    assert "programs only after: env_bench" in r.stdout


def test_different_machines_are_warned_about(tmp_path):
    before = write_run(tmp_path / "b.json", [dict(RATE, value=1.0)])
    after = write_run(tmp_path / "a.json", [dict(RATE, value=1.0)],
                      machine=dict(MACHINE, pinned_to_core=0))
    r = compare(before, after)
    assert r.returncode == 0
    assert "different machines, pinning or learner devices" in r.stderr
    # Within one side too: a side's range would mix machines.
    assert "different machines" in compare(before, after, "--", before).stderr
    assert compare(before, before).stderr == ""


def test_a_learner_on_another_device_is_warned_about_and_cpu_is_the_default(tmp_path):
    before = write_run(tmp_path / "b.json", [dict(RATE, value=1.0)])  # no learner_device
    on_cpu = write_run(tmp_path / "c.json", [dict(RATE, value=1.0)],
                       machine=dict(MACHINE, learner_device="cpu"))
    on_cuda = write_run(tmp_path / "g.json", [dict(RATE, value=1.0)],
                        machine=dict(MACHINE, learner_device="cuda"))
    assert compare(before, on_cpu).stderr == ""
    assert "learner devices" in compare(on_cpu, on_cuda).stderr


@pytest.mark.parametrize("args, message", [
    (["{missing}", "{good}"], "cannot read {missing}: No such file or directory"),
    (["{text}", "{good}"], "{text} is not JSON"),
    (["{other_json}", "{good}"], "{other_json} has no 'programs'"),
    (["{good}", "{good}", "{good}"], "give the files before, '--', then the files after"),
    (["{good}", "--"], "each side needs at least one bench/run --json file"),
    (["--threshold", "-1", "{good}", "{good}"], "--threshold '-1' is not a percentage"),
    (["--threshold", "nan", "{good}", "{good}"], "--threshold 'nan' is not a percentage"),
    (["--fast", "{good}", "{good}"], "unknown option '--fast'"),
])
def test_bad_input_is_one_sentence_and_exit_code_2(tmp_path, args, message):
    paths = {"missing": str(tmp_path / "missing.json"),
             "good": write_run(tmp_path / "good.json", [dict(RATE, value=1.0)])}
    (tmp_path / "text.json").write_text("not json at all")
    (tmp_path / "other.json").write_text('{"benchmarks": []}')
    paths.update(text=str(tmp_path / "text.json"), other_json=str(tmp_path / "other.json"))
    r = compare(*[a.format(**paths) for a in args])
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("bench/compare: " + message.format(**paths)), r.stderr
