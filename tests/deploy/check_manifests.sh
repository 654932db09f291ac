#!/usr/bin/env bash
# tests/deploy/check_manifests.sh TARMAC_BINARY WORK_DIR
# Renders every overlay of deploy/k8s with `kubectl kustomize`, validates each object offline
# against the Kubernetes and CRD schemas (npm kubernetes-models, installed into WORK_DIR on
# first use) and checks tarmac's invariants (validate.mjs). Also checks that the generated
# monitoring files are current and that the validator refuses a broken manifest.
set -euo pipefail
tarmac=$1
work=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$work"

if [[ ! -d $work/node_modules/kubernetes-models ]]; then
  (cd "$work" && npm install --silent --no-audit --no-fund --no-save \
     kubernetes-models@4.5.1 yaml@2 @kubernetes-models/keda@0.4.2 \
     @kubernetes-models/prometheus-operator@6.0.0 >/dev/null)
fi
cp "$root/tests/deploy/validate.mjs" "$work/validate.mjs"

# The flags each subcommand accepts, from the binary itself.
python3 - "$tarmac" > "$work/flags.json" <<'PY'
import json, re, subprocess, sys
binary = sys.argv[1]
common = subprocess.run([binary, "--help"], capture_output=True, text=True).stdout
flags = {}
for sub in ["actor", "learner", "replay-server", "train", "eval", "envs", "config", "version"]:
    text = subprocess.run([binary, sub, "--help"], capture_output=True, text=True).stdout
    flags[sub] = sorted(set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", text + common)))
json.dump(flags, sys.stdout)
PY

python3 "$root/monitoring/generate.py" --check

for overlay in "$root"/deploy/k8s/overlays/*/; do
  name=$(basename "$overlay")
  kubectl kustomize "$overlay" > "$work/$name.yaml"
  echo -n "$name: "
  node "$work/validate.mjs" "$work/$name.yaml" "$work/flags.json"
done

# The validator is not a rubber stamp: a wrong type, a flag tarmac lacks, an inlined password,
# an actor holding the learner's credential, a replay server without --acl, a learner whose
# demonstrations nothing fills, a learner whose --init no stage writes, an SFT stage that waits
# for more demonstrations than are written, a replica with less memory than its primary and a
# CUDA learner stage without a GPU are each refused.
sed -e '0,/replicas: 1/s//replicas: one/' "$work/dev.yaml" > "$work/broken-schema.yaml"
sed -e 's/--checkpoint-dir/--checkpoint-folder/' "$work/dev.yaml" > "$work/broken-flag.yaml"
python3 - "$work/dev.yaml" "$work" <<'PY'
import sys
text, work = open(sys.argv[1]).read(), sys.argv[2]
def broken(name, old, new):
    assert old in text, f"the dev overlay no longer holds {old!r}"
    open(f"{work}/{name}.yaml", "w").write(text.replace(old, new, 1))
broken("broken-secret", ("valueFrom:\n            secretKeyRef:\n              key: password\n"
                         "              name: tarmac-redis-actor"), "value: hunter2")
broken("broken-role", "name: tarmac-redis-actor", "name: tarmac-redis-learner")
broken("broken-acl", "\n        - --acl\n", "\n")
broken("broken-demos", "\n        - --table\n        - demos\n", "\n")
broken("broken-init", "\n        - --init\n        - /checkpoints/sft\n", "\n        - --init\n        - /checkpoints/cloned\n")
broken("broken-sft", "learner.min_replay=400000", "learner.min_replay=900000")
broken("broken-replica", "        - --maxmemory\n        - 1500mb\n", "        - --maxmemory\n        - 6gb\n")
PY
# The gpu overlay without the GPU for its SFT stage.
python3 - "$work/gpu.yaml" "$work" <<'PY'
import sys
text, work = open(sys.argv[1]).read(), sys.argv[2]
old = "          limits:\n            memory: 16Gi\n            nvidia.com/gpu: 1\n"
assert text.count(old) == 2, "the gpu overlay no longer gives both learner stages a GPU"
open(f"{work}/broken-gpu.yaml", "w").write(text.replace(old, "          limits:\n            memory: 16Gi\n", 1))
PY
for broken in broken-schema broken-flag broken-secret broken-role broken-acl broken-demos \
              broken-init broken-sft broken-replica broken-gpu; do
  if node "$work/validate.mjs" "$work/$broken.yaml" "$work/flags.json" 2>/dev/null; then
    echo "validate.mjs accepted $broken.yaml" >&2
    exit 1
  fi
done
echo "broken manifests refused"
