#!/usr/bin/env python3
"""Writes the monitoring files derived from one source each (run it after editing them):

  monitoring/grafana/tarmac.json          the Grafana dashboard, from the panel list below
  deploy/k8s/base/grafana/tarmac.json     the same, where kustomize can read it
  deploy/k8s/base/prometheus-rules.yaml   monitoring/prometheus/rules.yml as a PrometheusRule

`generate.py --check` exits 1 when a file is not what this script would write (the tests run
it). Every expression uses only metric names tarmac exports (monitoring/metrics.cc) or the
recording rules in rules.yml; tests/monitoring evaluate each one against a real Prometheus.
"""
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent

ROWS = [
    ("Throughput", [
        ("Env steps / s", [("tarmac:env_steps:rate1m", "steps/s")], "ops"),
        ("Replay inserts and samples / s", [("tarmac:replay_inserts:rate1m", "inserted"),
                                            ("tarmac:replay_samples:rate1m", "sampled")], "ops"),
        ("Learner updates / s", [("tarmac:learner_updates:rate1m", "updates/s")], "ops"),
        ("Samples per insert", [("max(tarmac_learner_samples_per_insert)", "sampled/inserted")],
         "none"),
    ]),
    ("Reward and driving", [
        ("Reward by term (per step, last episodes)",
         [("avg by (term) (tarmac_reward_term)", "{{term}}")], "none"),
        ("Episode return by scenario", [("tarmac:episode_return:mean5m", "{{scenario}}")], "none"),
        ("Episode score by scenario", [("tarmac:episode_score:mean5m", "{{scenario}}")],
         "percentunit"),
        ("Driving events / s",
         [('tarmac:events:rate1m{event=~"collision|hard_brake|near_miss|cut_in"}', "{{event}}")],
         "ops"),
        ("Episodes / s by scenario", [("tarmac:episodes:rate1m", "{{scenario}}")], "ops"),
    ]),
    ("Behaviours (configs/behaviours.yaml, counted by the actors in every training episode)", [
        ("Behaviour occurrences / s",
         [("sum by (behaviour) (rate(tarmac_behaviour_total[1m]))", "{{behaviour}}")], "ops"),
        ("Behaviour occurrences per episode (5 m)",
         [("sum by (behaviour) (rate(tarmac_behaviour_total[5m])) / "
           "scalar(sum(rate(tarmac_episodes_total[5m])))", "{{behaviour}}")], "none"),
    ]),
    ("Policy", [
        ("Policy version", [("max(tarmac_policy_version)", "version")], "none"),
        ("Policy lag of sampled data (p90)", [("tarmac:policy_lag_versions:p90_5m", "versions")],
         "none"),
        ("Weight swap latency (p99)",
         [("histogram_quantile(0.99, sum by (le) (rate(tarmac_policy_swap_seconds_bucket[5m])))",
           "publish to acting")], "s"),
        ("Weights rejected", [("sum(tarmac_weights_rejected_total)", "rejected")], "none"),
    ]),
    ("Replay", [
        ("Replay size", [("max by (table) (tarmac_replay_size)", "{{table}}")], "short"),
        ("Replay memory", [("tarmac_replay_memory_bytes", "shard {{shard}}")], "bytes"),
        ("Insert / sample latency (p99)",
         [("tarmac:replay_insert_seconds:p99_5m", "insert"),
          ("tarmac:replay_sample_seconds:p99_5m", "sample")], "s"),
        ("Transitions held by writers", [("sum(tarmac_actor_queue_items)", "queued")], "short"),
        ("Replay write errors / s",
         [("sum by (reason) (rate(tarmac_replay_write_errors_total[1m]))", "{{reason}}")], "ops"),
    ]),
    ("Fleet and learner", [
        ("Actors alive", [("max(tarmac_actors_alive)", "processes")], "none"),
        ("Env actor restarts", [("sum(tarmac_actor_restarts_total)", "restarts")], "none"),
        ("Learner losses", [("tarmac_learner_loss", "{{kind}}")], "none"),
        ("Temperature, entropy and Q", [("max(tarmac_learner_temperature)", "alpha"),
                                        ("max(tarmac_learner_policy_entropy)", "policy entropy"),
                                        ("max(tarmac_learner_q_value)", "mean min Q")], "none"),
        ("Trainer time waiting for samples", [("tarmac:learner_sample_wait:ratio5m", "share")],
         "percentunit"),
    ]),
]


def dashboard():
    panels = []
    next_id = 1
    y = 0
    for title, row in ROWS:
        panels.append({"type": "row", "title": title, "id": next_id, "collapsed": False,
                       "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}, "panels": []})
        next_id += 1
        y += 1
        width = 24 // len(row)
        for i, (panel_title, targets, unit) in enumerate(row):
            panels.append({
                "type": "timeseries",
                "title": panel_title,
                "id": next_id,
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "gridPos": {"h": 8, "w": width, "x": i * width, "y": y},
                "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
                "options": {"legend": {"displayMode": "list", "placement": "bottom"}},
                "targets": [{"refId": chr(ord("A") + k), "expr": expr, "legendFormat": legend,
                             "datasource": {"type": "prometheus", "uid": "${datasource}"}}
                            for k, (expr, legend) in enumerate(targets)],
            })
            next_id += 1
        y += 8
    return json.dumps({
        "uid": "tarmac",
        "title": "tarmac: rollout, replay and learner",
        "tags": ["tarmac", "rl"],
        "timezone": "browser",
        "schemaVersion": 38,
        "version": 1,
        "refresh": "10s",
        "time": {"from": "now-1h", "to": "now"},
        "templating": {"list": [{
            "name": "datasource", "type": "datasource", "query": "prometheus",
            "label": "Prometheus", "current": {}}]},
        "panels": panels,
    }, indent=2) + "\n"


def prometheus_rule():
    rules = (ROOT / "monitoring/prometheus/rules.yml").read_text()
    body = "".join("  " + line if line.strip() else line
                   for line in rules.splitlines(keepends=True) if not line.startswith("#"))
    return ("# Generated by monitoring/generate.py from monitoring/prometheus/rules.yml.\n"
            "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n"
            "  name: tarmac\nspec:\n" + body)


def main():
    board = dashboard()
    outputs = {
        ROOT / "monitoring/grafana/tarmac.json": board,
        ROOT / "deploy/k8s/base/grafana/tarmac.json": board,
        ROOT / "deploy/k8s/base/prometheus-rules.yaml": prometheus_rule(),
    }
    check = "--check" in sys.argv[1:]
    stale = []
    for path, text in outputs.items():
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(str(path.relative_to(ROOT)))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    if stale:
        print("generate.py: out of date: " + ", ".join(stale) +
              "; run monitoring/generate.py", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
