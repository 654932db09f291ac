#!/usr/bin/env python3
"""Writes tarmac.json, the Grafana dashboard, from the panel list below (run it after editing).

Every expression uses only metric names tarmac exports (monitoring/metrics.cc) or the recording
rules in monitoring/prometheus/rules.yml; tests/monitoring/dashboard_test evaluates each one
against a real Prometheus scraping a local run.
"""
import json
import pathlib

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
    ]),
    ("Fleet and learner", [
        ("Actors alive", [("max(tarmac_actors_alive)", "processes")], "none"),
        ("Env actor restarts", [("sum(tarmac_actor_restarts_total)", "restarts")], "none"),
        ("Learner losses", [("tarmac_learner_loss", "{{kind}}")], "none"),
        ("Temperature and Q", [("max(tarmac_learner_temperature)", "alpha"),
                               ("max(tarmac_learner_q_value)", "mean min Q")], "none"),
        ("Trainer time waiting for samples", [("tarmac:learner_sample_wait:ratio5m", "share")],
         "percentunit"),
    ]),
]


def main():
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
    dashboard = {
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
    }
    out = pathlib.Path(__file__).with_name("tarmac.json")
    out.write_text(json.dumps(dashboard, indent=2) + "\n")


if __name__ == "__main__":
    main()
