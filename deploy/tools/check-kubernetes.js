#!/usr/bin/env node
// Checks Facet's Kubernetes objects offline, as `kubectl apply` and a
// reviewer would, with no cluster:
//
//  1. schema: every object validates against the Kubernetes 1.33 OpenAPI
//     schemas of npm `kubernetes-models` (and `@kubernetes-models/
//     prometheus-operator` for ServiceMonitor and PodMonitor); Kubeflow's
//     PyTorchJob against the schema vendored in schemas/ (written from the
//     training-operator's kubeflow.org/v1 API), its pod templates against
//     kubernetes-models' PodTemplateSpec; a kind with no schema fails.
//  2. unknown fields: the schemas accept fields they do not define (the API
//     server would drop or refuse them). The generated validators carry no
//     schema to walk, so each field is asked of the validator itself: its
//     value is replaced by one of the wrong type (a string for an object or
//     array, an array for a scalar); a field the schema defines then fails
//     at its own path, an unknown field does not and is reported.
//  3. policy (Facet's rules, listed in policy() below).
//
// Inputs are sets of objects, each marked cpu or gpu (GPUs only in gpu):
//   --overlay cpu:DIR   rendered with `kubectl kustomize DIR`
//   --file gpu:FILE     a YAML file as is (the suite's broken fixtures)
// Optional cross-checks:
//   --server-main server/server_flags.cc   FACET_* keys must name facet-server flags
//   --adapter FILE                 prometheus-adapter Helm values: the HPA's
//                                  metric must be one of its rules, and each
//                                  rule's query valid PromQL (promtool)
// Exit status 1 on any problem (each printed with its object); 77 (CTest's
// skip) when an overlay is given and kubectl is not installed.
'use strict';

const childProcess = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const YAML = require('yaml');

const MODELS = {
  'v1': 'kubernetes-models/v1/',
  'apps/v1': 'kubernetes-models/apps/v1/',
  'batch/v1': 'kubernetes-models/batch/v1/',
  'policy/v1': 'kubernetes-models/policy/v1/',
  'autoscaling/v2': 'kubernetes-models/autoscaling/v2/',
  'networking.k8s.io/v1': 'kubernetes-models/networking.k8s.io/v1/',
  'monitoring.coreos.com/v1': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/',
};

// Custom resources: a vendored JSON schema (ajv) for the envelope, and the
// pod templates at `templates(obj)` checked as core/v1 PodTemplateSpecs.
const CRDS = {
  'kubeflow.org/v1 PyTorchJob': {
    schema: 'schemas/kubeflow.org_v1_PyTorchJob.json',
    templates: (o) => Object.entries(((o.spec || {}).pytorchReplicaSpecs) || {})
      .filter(([, r]) => r && typeof r === 'object' && r.template && typeof r.template === 'object')
      .map(([k, r]) => [`/spec/pytorchReplicaSpecs/${k}/template`, r.template]),
  },
};

function crdClass(crd) {
  const Ajv = require('ajv');
  const validateEnvelope = new Ajv({ allErrors: true, strict: false })
    .compile(JSON.parse(fs.readFileSync(path.join(__dirname, crd.schema), 'utf8')));
  const { PodTemplateSpec } = require('kubernetes-models/v1/PodTemplateSpec');
  return class {
    constructor(obj) { this.obj = obj; }
    validate() {
      const errors = [];
      if (!validateEnvelope(this.obj)) {
        errors.push(...validateEnvelope.errors.map((e) => (e.keyword === 'additionalProperties'
          ? { ...e, message: `${e.message} (${e.params.additionalProperty})` } : e)));
      }
      else {
        for (const [at, template] of crd.templates(this.obj)) {
          for (const e of schemaErrors(PodTemplateSpec, template)) {
            errors.push({ ...e, instancePath: at + e.instancePath });
          }
        }
      }
      if (errors.length) throw Object.assign(new Error('schema'), { errors });
    }
  };
}

function modelClass(obj) {
  const crd = CRDS[`${obj.apiVersion} ${obj.kind}`];
  if (crd) return crdClass(crd);
  const prefix = MODELS[obj.apiVersion];
  if (!prefix || !/^[A-Za-z]+$/.test(obj.kind || '')) return null;
  try {
    return require(prefix + obj.kind)[obj.kind] || null;
  } catch (e) {
    return null;
  }
}

function schemaErrors(Cls, obj) {
  try {
    new Cls(obj).validate();
    return [];
  } catch (e) {
    if (!e.errors) throw e;
    return e.errors;
  }
}

const pointerToPath = (p) => p.split('/').slice(1)
  .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
  .map((s) => (/^[0-9]+$/.test(s) ? `[${s}]` : `.${s}`)).join('').replace(/^\./, '');

// Fields of obj the schema does not define, as JSON pointers.
function unknownFields(Cls, obj) {
  const root = JSON.parse(JSON.stringify(obj));
  const unknown = [];
  const walk = (node, pointer) => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, `${pointer}/${i}`));
      return;
    }
    if (node === null || typeof node !== 'object') return;
    for (const key of Object.keys(node)) {
      const saved = node[key];
      const here = `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      node[key] = saved !== null && typeof saved === 'object' ? '\u0000probe' : [];
      const errors = schemaErrors(Cls, root);
      node[key] = saved;
      if (!errors.some((e) => e.instancePath === here || e.instancePath.startsWith(`${here}/`))) {
        unknown.push(here);
      } else {
        walk(saved, here);
      }
    }
  };
  walk(root, '');
  return unknown;
}

// ---------------------------------------------------------------- policy

const podSpecOf = (o) => {
  if (o.kind === 'Deployment' || o.kind === 'Job' || o.kind === 'PyTorchJobReplica') return o.spec && o.spec.template && o.spec.template.spec;
  if (o.kind === 'CronJob') return o.spec && o.spec.jobTemplate && o.spec.jobTemplate.spec.template.spec;
  return null;
};
const podLabelsOf = (o) => {
  if (o.kind === 'CronJob') return ((o.spec.jobTemplate.spec.template.metadata || {}).labels) || {};
  return ((o.spec.template.metadata || {}).labels) || {};
};
// A CPU quantity ("4", "2.5", "500m") in cores; NaN if absent.
const cpuCores = (q) => (typeof q === 'string' && q.endsWith('m') ? Number(q.slice(0, -1)) / 1000 : Number(q));
const matches = (selector, labels) => Object.entries(selector || {}).every(([k, v]) => labels[k] === v);
const flagValue = (args, flag) => {
  for (const a of args || []) if (a.startsWith(`--${flag}=`)) return a.slice(flag.length + 3);
  return null;
};

// Facet's rules (each message says which); `gpu`: the set is the GPU overlay.
function policy(objects, gpu, ctx) {
  const problems = [];
  const say = (o, msg) => problems.push(`${o.kind}/${(o.metadata || {}).name}: ${msg}`);
  problems.push(...distributedPolicy(objects));
  // Each PyTorchJob replica's pod is a trainer pod like the Job's (its
  // restartPolicy is the replica's).
  objects = objects.flatMap((o) => (o.kind !== 'PyTorchJob' ? [o]
    : Object.entries(o.spec.pytorchReplicaSpecs || {}).map(([type, r]) => ({
      kind: 'PyTorchJobReplica',
      metadata: { name: `${o.metadata.name}/${type}` },
      spec: { template: { ...r.template, spec: { ...r.template.spec, restartPolicy: r.restartPolicy } } },
    }))));
  const workloads = objects.filter((o) => podSpecOf(o));
  const configMaps = new Map(objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, o]));
  const claims = objects.filter((o) => o.kind === 'PersistentVolumeClaim');

  for (const o of objects) {
    if (o.kind !== 'Namespace' && !(o.metadata || {}).namespace && ctx.rendered) {
      say(o, 'no namespace (the overlays set one)');
    }
  }
  for (const c of claims) {
    if (!(c.spec.accessModes || []).includes('ReadWriteMany')) {
      say(c, 'the model repository must be ReadWriteMany (one trainer writes, many servers read)');
    }
  }
  for (const w of workloads) {
    const pod = podSpecOf(w);
    const isServer = w.kind === 'Deployment';
    const podSec = pod.securityContext || {};
    if (podSec.runAsNonRoot !== true) say(w, 'pod securityContext.runAsNonRoot must be true');
    if (pod.automountServiceAccountToken !== false) say(w, 'automountServiceAccountToken must be false (Facet calls no API)');
    const grace = pod.terminationGracePeriodSeconds;
    for (const c of pod.containers || []) {
      const sec = c.securityContext || {};
      const uid = sec.runAsUser !== undefined ? sec.runAsUser : podSec.runAsUser;
      if (!(uid > 0)) say(w, `container ${c.name}: runAsUser must be a non-zero uid`);
      if (sec.readOnlyRootFilesystem !== true) say(w, `container ${c.name}: readOnlyRootFilesystem must be true`);
      if (sec.allowPrivilegeEscalation !== false) say(w, `container ${c.name}: allowPrivilegeEscalation must be false`);
      if (!((sec.capabilities || {}).drop || []).includes('ALL')) say(w, `container ${c.name}: capabilities.drop must include ALL`);
      const image = c.image || '';
      const tagged = /@sha256:[0-9a-f]{64}$/.test(image) || /:[^/:@]+$/.test(image);
      if (!tagged || /:latest$/.test(image)) say(w, `container ${c.name}: image ${image} is not pinned to a tag (not latest) or digest`);
      const res = c.resources || {};
      const req = res.requests || {};
      const lim = res.limits || {};
      if (!req.cpu || !req.memory || !lim.memory) say(w, `container ${c.name}: resources need requests.cpu, requests.memory and limits.memory`);
      const gpus = Number(lim['nvidia.com/gpu'] || 0) + Number(req['nvidia.com/gpu'] || 0);
      if (gpu && gpus < 1) say(w, `container ${c.name}: the gpu overlay must request nvidia.com/gpu`);
      if (!gpu && gpus > 0) say(w, `container ${c.name}: nvidia.com/gpu outside the gpu overlay`);

      const mounts = new Map((c.volumeMounts || []).map((m) => [m.name, m]));
      for (const v of pod.volumes || []) {
        if (!v.persistentVolumeClaim) continue;
        const m = mounts.get(v.name);
        if (!m) continue;
        const ro = m.readOnly === true;
        if (isServer && (!ro || v.persistentVolumeClaim.readOnly !== true)) {
          say(w, `container ${c.name}: servers mount the model repository read-only (volume and mount)`);
        }
        if (!isServer && ro) say(w, `container ${c.name}: the trainer mounts the model repository read-write`);
        if (!claims.some((cl) => cl.metadata.name === v.persistentVolumeClaim.claimName) && ctx.rendered) {
          say(w, `volume ${v.name}: claim ${v.persistentVolumeClaim.claimName} is not defined`);
        }
      }
      const portNamed = (n) => (c.ports || []).find((p) => p.name === n);

      if (isServer) {
        const env = {};
        for (const ref of c.envFrom || []) {
          const cm = ref.configMapRef && configMaps.get(ref.configMapRef.name);
          if (ref.configMapRef && !cm && ctx.rendered) say(w, `envFrom: ConfigMap ${ref.configMapRef.name} is not defined`);
          if (cm) Object.assign(env, cm.data || {});
        }
        for (const e of c.env || []) if (e.value !== undefined) env[e.name] = e.value;
        if (ctx.serverFlags) {
          for (const key of Object.keys(env)) {
            const flag = key.replace(/^FACET_/, '').toLowerCase();
            if (!key.startsWith('FACET_') || !ctx.serverFlags.has(flag)) {
              say(w, `environment ${key} is not FACET_<flag> of a facet-server flag (server/main.cc)`);
            }
          }
        }
        // hardware_concurrency() counts the node's cores, not the pod's.
        const io = Number(env.FACET_IO_THREADS || 0);
        const intra = Number(env.FACET_INTRA_OP_THREADS || 0);
        if (!(io > 0 && intra > 0)) {
          say(w, 'set FACET_IO_THREADS and FACET_INTRA_OP_THREADS (the server counts the node\'s cores otherwise)');
        } else if (io + intra > cpuCores(req.cpu)) {
          say(w, `FACET_IO_THREADS + FACET_INTRA_OP_THREADS = ${io + intra} exceed the CPU request ${req.cpu}`);
        }
        const grpc = portNamed('grpc');
        const metrics = portNamed('metrics');
        if (!grpc || !metrics) say(w, 'server ports must be named grpc and metrics');
        if (grpc && env.FACET_PORT && Number(env.FACET_PORT) !== grpc.containerPort) say(w, `FACET_PORT=${env.FACET_PORT} but the grpc port is ${grpc.containerPort}`);
        if (metrics && env.FACET_METRICS_PORT && Number(env.FACET_METRICS_PORT) !== metrics.containerPort) say(w, `FACET_METRICS_PORT=${env.FACET_METRICS_PORT} but the metrics port is ${metrics.containerPort}`);
        for (const kind of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
          const p = c[kind];
          if (!p) { say(w, `container ${c.name}: no ${kind}`); continue; }
          if (!p.grpc) { say(w, `container ${c.name}: ${kind} must be a native gRPC probe on the health service`); continue; }
          if (grpc && p.grpc.port !== grpc.containerPort) say(w, `container ${c.name}: ${kind} probes port ${p.grpc.port}, not the grpc port`);
        }
        if (c.startupProbe) {
          const budget = (c.startupProbe.periodSeconds || 10) * (c.startupProbe.failureThreshold || 3);
          if (budget < 120) say(w, `startupProbe allows ${budget} s; loading and warming up a version needs >= 120 s`);
        }
        // Shutdown: preStop sleep, then the server's drain (server/main.cc
        // defaults: --drain_delay_ms 0, --drain_grace_ms 10000).
        const pre = (((c.lifecycle || {}).preStop || {}).exec || {}).command || [];
        const preSleep = pre[0] === 'sleep' ? Number(pre[1]) : (((c.lifecycle || {}).preStop || {}).sleep || {}).seconds || 0;
        if (!c.lifecycle || !c.lifecycle.preStop) say(w, 'no preStop hook (endpoints must drop the pod before SIGTERM)');
        const drain = (Number(env.FACET_DRAIN_DELAY_MS || 0) + Number(env.FACET_DRAIN_GRACE_MS || 10000)) / 1000;
        const need = preSleep + drain;
        if (!(grace >= need)) say(w, `terminationGracePeriodSeconds ${grace} < preStop ${preSleep} s + drain delay and grace ${drain} s`);
        else if (grace > need + 30) say(w, `terminationGracePeriodSeconds ${grace} is far above preStop + drain (${need} s); keep them matched`);
      } else {
        const args = c.args || [];
        if (!args.includes('--resume')) say(w, `container ${c.name}: the trainer must run with --resume (it continues after SIGTERM)`);
        const threads = Number(flagValue(args, 'threads') || 0);
        const loaders = Number(flagValue(args, 'loader_threads') || 0);
        if (!(threads > 0 && loaders > 0)) {
          say(w, `container ${c.name}: set --threads and --loader_threads (the trainer counts the node's cores otherwise)`);
        } else if (threads + loaders > cpuCores(req.cpu)) {
          say(w, `container ${c.name}: --threads + --loader_threads = ${threads + loaders} exceed the CPU request ${req.cpu}`);
        }
        const mp = flagValue(args, 'metrics_port');
        const metrics = portNamed('metrics');
        if (!mp || !metrics || Number(mp) !== metrics.containerPort) say(w, `container ${c.name}: --metrics_port must equal the port named metrics`);
        if (pod.restartPolicy !== 'OnFailure') say(w, 'the trainer restarts OnFailure (a saved state resumes)');
        if (!(grace >= 60)) say(w, `terminationGracePeriodSeconds ${grace} is too short to finish a step and save`);
      }
    }
  }
  // Selectors must reach the pods they are meant for.
  const selects = (sel) => workloads.filter((w) => matches(sel, podLabelsOf(w)));
  for (const o of objects) {
    let sel = null;
    if (o.kind === 'Service' || o.kind === 'PodDisruptionBudget' || o.kind === 'PodMonitor' || o.kind === 'NetworkPolicy') {
      sel = o.kind === 'Service' ? o.spec.selector : o.kind === 'NetworkPolicy' ? o.spec.podSelector.matchLabels : o.spec.selector.matchLabels;
      if (ctx.rendered && selects(sel).length === 0) say(o, 'its selector matches no pod template');
    }
    if (o.kind === 'ServiceMonitor' && ctx.rendered) {
      const svcs = objects.filter((s) => s.kind === 'Service' && matches(o.spec.selector.matchLabels, s.metadata.labels || {}));
      if (svcs.length !== 1) say(o, `selects ${svcs.length} Services; exactly one avoids scraping twice`);
      for (const ep of o.spec.endpoints || []) {
        if (!svcs.every((s) => s.spec.ports.some((p) => p.name === ep.port))) say(o, `Service has no port ${ep.port}`);
      }
    }
    if (o.kind === 'Service' && o.spec.clusterIP === 'None' && ctx.rendered) {
      if (!objects.some((s) => s.kind === 'Service' && s.spec.clusterIP !== 'None')) say(o, 'a headless Service goes with a ClusterIP one');
    }
    if (o.kind === 'NetworkPolicy') {
      for (const rule of o.spec.ingress || []) {
        for (const p of rule.ports || []) {
          if (p.port !== 'grpc' && p.port !== 'metrics') say(o, `opens port ${p.port}; only grpc and metrics`);
          if (p.port === 'metrics') {
            const from = rule.from || [];
            const onlyMonitoring = from.length > 0 && from.every((f) => !f.ipBlock && !f.podSelector &&
              f.namespaceSelector && (f.namespaceSelector.matchLabels || {})['kubernetes.io/metadata.name'] === 'monitoring');
            if (!onlyMonitoring) say(o, 'metrics must be reachable only from the monitoring namespace');
          }
        }
        // Data-parallel ranks talk to each other on ephemeral ports (Gloo):
        // a rule from the policy's own pods only may open every port.
        const peersOnly = (rule.from || []).length > 0 && rule.from.every((f) => f.podSelector && !f.namespaceSelector &&
          JSON.stringify(f.podSelector.matchLabels || {}) === JSON.stringify(o.spec.podSelector.matchLabels || {}));
        if (!rule.ports && !peersOnly) say(o, 'an ingress rule without ports opens every port');
      }
    }
    if (o.kind === 'HorizontalPodAutoscaler') {
      const t = o.spec.scaleTargetRef;
      if (ctx.rendered && !objects.some((d) => d.kind === t.kind && d.metadata.name === t.name)) say(o, `scales ${t.kind}/${t.name}, which is not defined`);
      for (const m of o.spec.metrics || []) {
        const name = m.pods ? m.pods.metric.name : m.object ? m.object.metric.name : null;
        if (!name) { say(o, 'scales on a metric that is neither Pods nor Object (queue depth or in-flight)'); continue; }
        if (!/^facet_(inflight_requests|queue_depth)/.test(name)) say(o, `scales on ${name}; expected facet_inflight_requests or facet_queue_depth`);
        if (ctx.adapterMetrics && !ctx.adapterMetrics.has(name)) say(o, `metric ${name} is served by no prometheus-adapter rule`);
      }
    }
  }
  const kinds = new Set(objects.map((o) => o.kind));
  if (ctx.rendered) {
    for (const k of ['Deployment', 'Service', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'PersistentVolumeClaim',
      'Job', 'CronJob', 'ConfigMap', 'ServiceMonitor', 'NetworkPolicy']) {
      if (!kinds.has(k)) problems.push(`no ${k} in the rendered overlay`);
    }
    if (objects.filter((o) => o.kind === 'Service').length < 2 ||
        !objects.some((o) => o.kind === 'Service' && o.spec.clusterIP === 'None')) {
      problems.push('needs a ClusterIP Service and a headless Service');
    }
    for (const cj of objects.filter((o) => o.kind === 'CronJob')) {
      if (cj.spec.concurrencyPolicy !== 'Forbid') say(cj, 'concurrencyPolicy must be Forbid (one trainer per training state)');
      if (objects.some((o) => o.kind === 'Job') && cj.spec.suspend !== true) say(cj, 'must ship suspended next to the Job (they share one training state)');
    }
  }
  return problems;
}

// Data-parallel training (docs/distributed.md): the rendezvous variables
// facet-trainer reads (MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK) must
// be right for the kind of job.
function distributedPolicy(objects) {
  const problems = [];
  const say = (o, msg) => problems.push(`${o.kind}/${(o.metadata || {}).name}: ${msg}`);
  const envOf = (c) => new Map((c.env || []).map((e) => [e.name, e]));
  const needsTimeout = (o, c) => {
    if (!flagValue(c.args, 'collective_timeout')) say(o, `container ${c.name}: set --collective_timeout (a dead rank must end the others)`);
  };
  for (const job of objects.filter((o) => o.kind === 'Job' && o.spec.completionMode === 'Indexed')) {
    const pod = job.spec.template.spec;
    const name = job.metadata.name;
    if (job.spec.parallelism !== job.spec.completions) say(job, `parallelism ${job.spec.parallelism} must equal completions ${job.spec.completions} (every rank runs at once)`);
    const svc = objects.find((s) => s.kind === 'Service' && s.metadata.name === pod.subdomain);
    if (!pod.subdomain) say(job, 'an Indexed Job of ranks needs spec.template.spec.subdomain (the headless Service that gives rank 0 a DNS name)');
    else if (!svc || svc.spec.clusterIP !== 'None') say(job, `subdomain ${pod.subdomain} must name a headless Service (clusterIP: None) in the same set`);
    else if (!matches(svc.spec.selector, (job.spec.template.metadata || {}).labels || {})) say(svc, `its selector does not match the pods of Job/${name}`);
    for (const c of pod.containers || []) {
      const env = envOf(c);
      const value = (k) => (env.get(k) || {}).value;
      if (value('MASTER_ADDR') !== `${name}-0.${pod.subdomain}`) say(job, `container ${c.name}: MASTER_ADDR must be ${name}-0.${pod.subdomain} (rank 0's pod), not ${value('MASTER_ADDR')}`);
      if (String(value('WORLD_SIZE')) !== String(job.spec.completions)) say(job, `container ${c.name}: WORLD_SIZE ${value('WORLD_SIZE')} must equal completions ${job.spec.completions}`);
      const rank = ((env.get('RANK') || {}).valueFrom || {}).fieldRef || {};
      if (rank.fieldPath !== "metadata.annotations['batch.kubernetes.io/job-completion-index']") say(job, `container ${c.name}: RANK must come from the job-completion-index annotation`);
      const port = Number(value('MASTER_PORT'));
      if (!(port > 0) || !(c.ports || []).some((p) => p.containerPort === port)) say(job, `container ${c.name}: MASTER_PORT ${value('MASTER_PORT')} must be one of its container ports`);
      if (svc && !(svc.spec.ports || []).some((p) => p.port === port)) say(svc, `no port ${port} (MASTER_PORT)`);
      needsTimeout(job, c);
    }
  }
  for (const job of objects.filter((o) => o.kind === 'PyTorchJob')) {
    const specs = job.spec.pytorchReplicaSpecs || {};
    if (!specs.Master || specs.Master.replicas !== 1) say(job, 'exactly one Master replica (rank 0: it serves the rendezvous store)');
    for (const [type, r] of Object.entries(specs)) {
      const containers = ((r.template || {}).spec || {}).containers || [];
      if (!containers.some((c) => c.name === 'pytorch')) say(job, `${type}: the training container must be named pytorch (the operator sets MASTER_ADDR, MASTER_PORT, WORLD_SIZE and RANK in it)`);
      for (const c of containers) {
        for (const k of ['MASTER_ADDR', 'MASTER_PORT', 'WORLD_SIZE', 'RANK']) {
          if (envOf(c).has(k)) say(job, `${type}: container ${c.name} sets ${k}, which the operator sets`);
        }
        if (type === 'Master' && c.name === 'pytorch' && !(c.ports || []).some((p) => p.name === 'pytorchjob-port')) say(job, 'Master: the pytorch container needs the port named pytorchjob-port (MASTER_PORT)');
        needsTimeout(job, c);
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------- inputs

function render(dir) {
  const r = childProcess.spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error && r.error.code === 'ENOENT') {
    console.log('SKIP: kubectl not found (it comes with the machine image; Debian\'s kubernetes-client is too old)');
    process.exit(77);
  }
  if (r.error) throw new Error(`kubectl kustomize ${dir}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${r.stderr}`);
  return r.stdout;
}

function parseDocuments(text, where, problems) {
  const objects = [];
  for (const doc of YAML.parseAllDocuments(text)) {
    if (doc.errors.length) {
      problems.push(`${where}: YAML: ${doc.errors[0].message}`);
      continue;
    }
    const o = doc.toJS();
    if (o !== null) objects.push(o);
  }
  return objects;
}

function serverFlags(mainPath) {
  const text = fs.readFileSync(mainPath, 'utf8');
  return new Set([...text.matchAll(/ABSL_FLAG\(\s*[\w:]+\s*,\s*(\w+)\s*,/g)].map((m) => m[1]));
}

// The adapter rules' metric names; each metricsQuery, templated as
// prometheus-adapter does, goes through `promtool check rules`.
function adapterMetrics(file, problems) {
  const values = YAML.parse(fs.readFileSync(file, 'utf8'));
  const rules = ((values.rules || {}).custom) || [];
  const names = new Set();
  const recording = [];
  rules.forEach((r, i) => {
    const series = (r.seriesQuery.match(/^[a-zA-Z_:][a-zA-Z0-9_:]*/) || [])[0];
    const as = (r.name || {}).as || series;
    if (!series) problems.push(`${file}: rule ${i}: seriesQuery names no series`);
    names.add(as);
    const query = r.metricsQuery
      .replace(/<<\.Series>>/g, series)
      .replace(/<<\.LabelMatchers>>/g, 'namespace="facet",pod=~"facet-server-.*"')
      .replace(/<<\.GroupBy>>/g, 'pod');
    if (/<<.*>>/.test(query)) problems.push(`${file}: rule ${i}: unknown template in ${r.metricsQuery}`);
    recording.push({ record: `adapter:rule_${i}`, expr: query });
  });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'facet-adapter-'));
  const rulesFile = path.join(tmp, 'rules.yml');
  fs.writeFileSync(rulesFile, YAML.stringify({ groups: [{ name: 'adapter', rules: recording }] }));
  const r = childProcess.spawnSync('promtool', ['check', 'rules', rulesFile], { encoding: 'utf8' });
  fs.rmSync(tmp, { recursive: true, force: true });
  if (r.error) problems.push(`${file}: promtool: ${r.error.message}`);
  else if (r.status !== 0) problems.push(`${file}: a metricsQuery is not valid PromQL: ${r.stdout}${r.stderr}`);
  return names;
}

function main(argv) {
  const sets = [];
  const ctx = {};
  const problems = [];
  for (let i = 0; i < argv.length; i += 2) {
    const [opt, val] = [argv[i], argv[i + 1]];
    if (val === undefined) { console.error(`missing value after ${opt}`); return 2; }
    if (opt === '--overlay' || opt === '--file') {
      const [kind, where] = val.split(/:(.*)/s);
      if (kind !== 'cpu' && kind !== 'gpu') { console.error(`${opt} ${val}: expected cpu:PATH or gpu:PATH`); return 2; }
      sets.push({ gpu: kind === 'gpu', where, rendered: opt === '--overlay' });
    } else if (opt === '--server-main') {
      ctx.serverFlags = serverFlags(val);
    } else if (opt === '--adapter') {
      ctx.adapterFile = val;
    } else {
      console.error(`unknown option ${opt}`);
      return 2;
    }
  }
  if (sets.length === 0) {
    console.error('usage: check-kubernetes.js (--overlay cpu|gpu:DIR | --file cpu|gpu:FILE)... [--server-main F] [--adapter F]');
    return 2;
  }
  if (ctx.adapterFile) ctx.adapterMetrics = adapterMetrics(ctx.adapterFile, problems);
  let count = 0;
  for (const set of sets) {
    let text;
    try {
      text = set.rendered ? render(set.where) : fs.readFileSync(set.where, 'utf8');
    } catch (e) {
      problems.push(e.message);
      continue;
    }
    const objects = parseDocuments(text, set.where, problems);
    count += objects.length;
    for (const o of objects) {
      const name = `${set.where}: ${o.kind}/${(o.metadata || {}).name}`;
      const Cls = modelClass(o);
      if (!Cls) {
        problems.push(`${name}: no schema for apiVersion ${o.apiVersion} kind ${o.kind}`);
        continue;
      }
      const errors = schemaErrors(Cls, o);
      for (const e of errors) problems.push(`${name}: schema: ${pointerToPath(e.instancePath) || '(object)'} ${e.message}`);
      if (errors.length) continue;
      for (const p of unknownFields(Cls, o)) problems.push(`${name}: unknown field ${pointerToPath(p)}`);
    }
    for (const p of policy(objects, set.gpu, { ...ctx, rendered: set.rendered })) problems.push(`${set.where}: policy: ${p}`);
  }
  for (const p of problems) console.log(`FAIL: ${p}`);
  console.log(`${count} object(s) in ${sets.length} set(s), ${problems.length} problem(s)`);
  return problems.length ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
