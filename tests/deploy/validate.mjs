// Validates every object of rendered kustomize output against its Kubernetes (or CRD) schema,
// offline, with kubernetes-models; then checks tarmac's own invariants on the objects:
// container args are flags the tarmac binary accepts, probes and metrics ports agree, Secrets
// are referenced (never inlined), every pod runs as non-root with no privilege escalation and a
// read-only root filesystem.
//   node validate.mjs RENDERED.yaml FLAGS.json
// FLAGS.json: {"<subcommand>": ["--flag", ...]} from `tarmac <subcommand> --help`.
import fs from "node:fs";
import YAML from "yaml";
import * as k8s from "kubernetes-models";
import * as keda from "@kubernetes-models/keda";
import * as prom from "@kubernetes-models/prometheus-operator";

const [rendered, flagsPath] = process.argv.slice(2);
const docs = YAML.parseAllDocuments(fs.readFileSync(rendered, "utf8")).map((d) => d.toJS());
const flags = JSON.parse(fs.readFileSync(flagsPath, "utf8"));
const errors = [];
const fail = (obj, message) => errors.push(`${obj.kind}/${obj.metadata?.name}: ${message}`);

const containersOf = (pod) => [...(pod.initContainers ?? []), ...pod.containers];

function modelFor(obj) {
  const [group, version] = obj.apiVersion.includes("/")
    ? obj.apiVersion.split("/")
    : ["", obj.apiVersion];
  // Packages export groups camel-cased: networking.k8s.io -> networkingK8sIo.
  const key = group.replace(/\.([a-z0-9])/g, (_, c) => c.toUpperCase());
  const source = group === "keda.sh" ? keda : group === "monitoring.coreos.com" ? prom : k8s;
  const ns = group ? source[key]?.[version] : source[version];
  return ns?.[obj.kind] ?? null;
}

for (const obj of docs) {
  const Model = modelFor(obj);
  if (!Model) {
    fail(obj, `no schema for ${obj.apiVersion} ${obj.kind}`);
    continue;
  }
  try {
    new Model(obj).validate();
  } catch (e) {
    fail(obj, `schema: ${e.message}`);
  }
  if (obj.kind === "Secret") fail(obj, "a Secret is inlined in the manifests");
  const pod = obj.spec?.template?.spec;
  if (!pod) continue;
  const podContext = pod.securityContext ?? {};
  for (const c of containersOf(pod)) {
    const sc = c.securityContext ?? {};
    if (!(sc.runAsNonRoot ?? podContext.runAsNonRoot)) fail(obj, `${c.name} may run as root`);
    if ((sc.runAsUser ?? podContext.runAsUser ?? 0) === 0) fail(obj, `${c.name} runs as uid 0`);
    if (sc.allowPrivilegeEscalation !== false) fail(obj, `${c.name} may escalate privileges`);
    if (sc.readOnlyRootFilesystem !== true) fail(obj, `${c.name} has a writable root fs`);
    for (const e of c.env ?? []) {
      if (/PASSWORD|TOKEN|SECRET/.test(e.name) && e.value !== undefined) {
        fail(obj, `${c.name} env ${e.name} is inlined, not a secretKeyRef`);
      }
    }
    // Probes and the metrics port agree, by name or number.
    const ports = new Map((c.ports ?? []).map((p) => [p.name, p.containerPort]));
    for (const probe of [c.readinessProbe, c.livenessProbe].filter(Boolean)) {
      const port = probe.httpGet?.port ?? probe.tcpSocket?.port;
      const number = typeof port === "string" ? ports.get(port) : port;
      if (number === undefined) fail(obj, `${c.name} probe port ${port} is not a container port`);
    }
    // Args of the tarmac entrypoint: a subcommand, then only flags it accepts.
    if (c.command) continue;  // a shell (replicas run redis-server directly)
    const [sub, ...rest] = c.args ?? [];
    const accepted = flags[sub];
    if (!accepted) {
      fail(obj, `${c.name}: '${sub}' is not a tarmac subcommand`);
      continue;
    }
    for (const arg of rest.filter((a) => a.startsWith("--"))) {
      if (!accepted.includes(arg.split("=")[0])) fail(obj, `${c.name}: tarmac ${sub} has no ${arg}`);
    }
    const metrics = rest.indexOf("--metrics-port");
    if (metrics >= 0 && Number(rest[metrics + 1]) !== ports.get("metrics")) {
      fail(obj, `${c.name}: --metrics-port ${rest[metrics + 1]} is not the metrics port`);
    }
    if (metrics >= 0 && !rest.includes("metrics.bind=0.0.0.0")) {
      fail(obj, `${c.name}: metrics bound to loopback cannot be scraped`);
    }
  }
}
// Least privilege: the replay server runs with --acl, and each role connects with its own
// credential; learner and actors share the key that signs weights.
const secretOf = (c, name) => (c.env ?? []).find((e) => e.name === name)?.valueFrom?.secretKeyRef?.name;
const valueOf = (c, name) => (c.env ?? []).find((e) => e.name === name)?.value;
for (const obj of docs.filter((d) => d.spec?.template?.spec)) {
  for (const c of containersOf(obj.spec.template.spec)) {
    const sub = c.command ? null : (c.args ?? [])[0];
    if (sub === "replay-server" && !(c.args ?? []).includes("--acl")) fail(obj, `${c.name} runs without --acl`);
    const role = sub === "actor" ? "actor" : sub === "learner" ? "learner" : null;
    if (!role) continue;
    if (valueOf(c, "TARMAC_REDIS_USER") !== role) fail(obj, `${c.name} does not connect as the ${role} user`);
    if (secretOf(c, "TARMAC_REDIS_PASSWORD") !== `tarmac-redis-${role}`) {
      fail(obj, `${c.name} takes its Redis password from ${secretOf(c, "TARMAC_REDIS_PASSWORD")}, not tarmac-redis-${role}`);
    }
    if (secretOf(c, "TARMAC_WEIGHTS_KEY") !== "tarmac-weights-key") fail(obj, `${c.name} has no TARMAC_WEIGHTS_KEY`);
  }
}
// A learner with a behaviour-cloning term waits for demonstrations: something must fill them.
const argsOf = (d) => containersOf(d.spec.template.spec).flatMap((c) => (c.command ? [] : [c.args ?? []]));
const workloads = docs.filter((d) => d.spec?.template?.spec);
const bcLearner = workloads.some((d) => argsOf(d).some((a) =>
  a[0] === "learner" && a.includes("--bc-weight") && Number(a[a.indexOf("--bc-weight") + 1]) > 0));
const demoFiller = workloads.some((d) => argsOf(d).some((a) => a[0] === "actor" &&
  a[a.indexOf("--policy") + 1] === "expert" && a[a.indexOf("--table") + 1] === "demos"));
if (bcLearner && !demoFiller) {
  errors.push("the learner uses --bc-weight but no workload fills the demos table " +
              "(tarmac actor --policy expert --table demos)");
}
// The SFT stage: a learner's --init names the checkpoint directory of a stage in its own pod
// (else it cannot start), and that stage waits for no more demonstrations than are written.
const flagOf = (a, flag) => (a.includes(flag) ? a[a.indexOf(flag) + 1] : undefined);
const setOf = (a, key) => a.find((v, i) => a[i - 1] === "--set" && v.startsWith(`${key}=`))?.split("=")[1];
const demoSteps = workloads.flatMap((d) => argsOf(d)).filter((a) => a[0] === "actor" &&
  flagOf(a, "--table") === "demos").map((a) => Number(flagOf(a, "--max-env-steps") ?? Infinity));
for (const obj of workloads) {
  const pod = obj.spec.template.spec;
  for (const c of containersOf(pod).filter((c) => !c.command && (c.args ?? [])[0] === "learner")) {
    const init = flagOf(c.args, "--init");
    const stages = (pod.initContainers ?? []).filter((s) => !s.command &&
      flagOf(s.args ?? [], "--checkpoint-dir") === init);
    if (init !== undefined && stages.length === 0) {
      fail(obj, `${c.name}: --init ${init} is the checkpoint directory of no init container in its pod`);
    }
    if (flagOf(c.args, "--algo") === "bc") {
      const needed = Number(setOf(c.args, "learner.min_replay") ?? 1000);
      const written = demoSteps.reduce((a, b) => a + b, 0);
      if (needed > written) {
        fail(obj, `${c.name} waits for ${needed} demonstrations; the demos workloads write ${written}`);
      }
      if (flagOf(c.args, "--until-step") === undefined) {
        fail(obj, `${c.name}: a behaviour-cloning stage without --until-step trains again on every pod start`);
      }
    }
  }
}
// A replica holds its primary's data and takes over its load when promoted: the same memory
// limit. A learner on CUDA has a GPU in its container's limits.
const serverArgs = (name) => workloads.filter((d) => d.metadata.name === name)
  .flatMap((d) => containersOf(d.spec.template.spec)).map((c) => c.args ?? []);
for (const [primary, replica] of [["replay", "replay-replica"]]) {
  for (const r of serverArgs(replica)) {
    for (const p of serverArgs(primary)) {
      if (flagOf(r, "--maxmemory") !== flagOf(p, "--maxmemory")) {
        errors.push(`${replica} has --maxmemory ${flagOf(r, "--maxmemory")}, its primary ${flagOf(p, "--maxmemory")}: a promoted replica would refuse the primary's load`);
      }
    }
  }
}
for (const obj of workloads) {
  for (const c of containersOf(obj.spec.template.spec).filter((c) => !c.command)) {
    if (flagOf(c.args ?? [], "--device") === "cuda" && !c.resources?.limits?.["nvidia.com/gpu"]) {
      fail(obj, `${c.name} runs on --device cuda without an nvidia.com/gpu limit`);
    }
  }
}
// Services send their ports to ports the selected pods have.
for (const svc of docs.filter((d) => d.kind === "Service")) {
  const pods = docs.filter((d) => d.spec?.template?.metadata?.labels &&
    Object.entries(svc.spec.selector ?? {}).every(([k, v]) => d.spec.template.metadata.labels[k] === v));
  if (pods.length === 0) fail(svc, "selects no workload");
  for (const p of svc.spec.ports) {
    const ok = pods.some((d) => d.spec.template.spec.containers.some((c) =>
      (c.ports ?? []).some((cp) => cp.name === p.targetPort || cp.containerPort === p.targetPort)));
    if (!ok) fail(svc, `targetPort ${p.targetPort} matches no container port`);
  }
}
if (errors.length) {
  console.error(errors.join("\n"));
  process.exit(1);
}
console.log(`${docs.length} objects valid`);
