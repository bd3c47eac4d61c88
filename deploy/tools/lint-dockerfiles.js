#!/usr/bin/env node
// Lints Dockerfiles: the dockerfile-utils linter (the validator of the VS Code
// Docker language server, every check raised to an error), then Facet's rules:
//
//   pinned-base      every external base image has a tag other than `latest`
//                    (or a digest)
//   build-with-facet a stage builds with `./facet build` (the commands CI uses)
//   slim-runtime     no shipped stage descends from a stage that compiles
//   non-root         every shipped stage runs as a numeric, non-zero USER
//                    (Kubernetes' runAsNonRoot can only verify a number)
//   exec-entrypoint  every shipped stage has an exec-form (JSON) ENTRYPOINT
//   stopsignal       every shipped stage has STOPSIGNAL SIGTERM
//   healthcheck      every shipped stage declares HEALTHCHECK (CMD or NONE);
//                    a stage running facet-server checks `facet-client health`
//
// "Shipped" stages are those no other stage uses (neither FROM nor COPY
// --from): the targets one builds and runs. Rules follow the FROM chain, as
// Docker does for inherited settings.
//
// Usage: lint-dockerfiles.js DOCKERFILE...   Exit status 1 on any finding.
'use strict';

const fs = require('fs');
const { DockerfileParser } = require('dockerfile-ast');
const utils = require('dockerfile-utils');

// Every dockerfile-utils setting at ERROR, so warnings fail too.
function strictSettings() {
  const settings = {};
  for (const key of [
    'deprecatedMaintainer', 'directiveCasing', 'emptyContinuationLine',
    'instructionCasing', 'instructionCmdMultiple', 'instructionEntrypointMultiple',
    'instructionHealthcheckMultiple', 'instructionJSONInSingleQuotes',
    'instructionWorkdirRelative',
  ]) {
    settings[key] = utils.ValidationSeverity.ERROR;
  }
  return settings;
}

// Splits a parsed Dockerfile into stages with the settings rules look at.
function stagesOf(dockerfile) {
  const stages = [];
  let stage = null;
  for (const ins of dockerfile.getInstructions()) {
    const keyword = ins.getKeyword();
    const line = ins.getRange().start.line + 1;
    const args = (ins.getRawArgumentsContent() || '').trim();
    if (keyword === 'FROM') {
      stage = {
        index: stages.length, name: ins.getBuildStage(), line,
        image: ins.getImageName(), tag: ins.getImageTag(), digest: ins.getImageDigest(),
        fullImage: ins.getImage(), copiesFrom: [], runs: [],
      };
      stages.push(stage);
      continue;
    }
    if (stage === null) continue;  // ARG before the first FROM
    if (keyword === 'USER') stage.user = { value: args, line };
    if (keyword === 'ENTRYPOINT') stage.entrypoint = { value: args, line };
    if (keyword === 'STOPSIGNAL') stage.stopsignal = { value: args, line };
    if (keyword === 'HEALTHCHECK') stage.healthcheck = { value: args, line };
    if (keyword === 'RUN') stage.runs.push(args);
    if (keyword === 'COPY' && ins.getFromFlag()) {
      stage.copiesFrom.push(ins.getFromFlag().getValue());
    }
  }
  return stages;
}

function lintRules(path, stages) {
  const problems = [];
  const byName = new Map();
  stages.forEach((s) => { if (s.name) byName.set(s.name.toLowerCase(), s); });
  const parentOf = (s) => byName.get((s.fullImage || '').toLowerCase()) || null;
  const chain = (s) => { const c = []; for (let t = s; t; t = parentOf(t)) c.push(t); return c; };
  const inherited = (s, key) => { for (const t of chain(s)) if (t[key]) return t[key]; return null; };
  const used = new Set();
  for (const s of stages) {
    if (parentOf(s)) used.add(parentOf(s));
    for (const from of s.copiesFrom) {
      const src = byName.get(from.toLowerCase()) || stages[Number(from)];
      if (src) used.add(src);
    }
  }
  const runsMatching = (re) => stages.filter((s) => s.runs.some((r) => re.test(r)));
  const facetBuilders = runsMatching(/(^|[\s;&])\.\/facet build\b/);
  const builders = runsMatching(/(^|[\s;&])(\.\/facet build|cmake --build|make)\b/);
  const label = (s) => `stage ${s.name || s.index} (line ${s.line})`;

  for (const s of stages) {
    if (parentOf(s)) continue;
    if (s.digest) continue;
    if (!s.tag || s.tag === 'latest') {
      problems.push(`${path}:${s.line}: pinned-base: FROM ${s.fullImage} needs a fixed tag (not latest) or a digest`);
    }
  }
  if (facetBuilders.length === 0) {
    problems.push(`${path}: build-with-facet: no stage builds with ./facet build (keep the image's build the same as CI's)`);
  }
  const shipped = stages.filter((s) => !used.has(s));
  for (const s of shipped) {
    for (const b of builders) {
      if (chain(s).includes(b)) {
        problems.push(`${path}: slim-runtime: ${label(s)} descends from the build ${label(b)}; ship a runtime stage on a slim base`);
      }
    }
    const user = inherited(s, 'user');
    if (!user) {
      problems.push(`${path}: non-root: ${label(s)} runs as root (no USER)`);
    } else if (!/^[1-9][0-9]*(:[0-9]+)?$/.test(user.value)) {
      problems.push(`${path}:${user.line}: non-root: ${label(s)} has USER ${user.value}; use a numeric non-zero uid`);
    }
    const entrypoint = inherited(s, 'entrypoint');
    if (!entrypoint) {
      problems.push(`${path}: exec-entrypoint: ${label(s)} has no ENTRYPOINT`);
    } else {
      let ok = false;
      try { ok = Array.isArray(JSON.parse(entrypoint.value)); } catch (e) { ok = false; }
      if (!ok) problems.push(`${path}:${entrypoint.line}: exec-entrypoint: ${label(s)}: ENTRYPOINT must be exec form (a JSON array), got ${entrypoint.value}`);
    }
    const stop = inherited(s, 'stopsignal');
    if (!stop || stop.value !== 'SIGTERM') {
      problems.push(`${path}: stopsignal: ${label(s)} needs STOPSIGNAL SIGTERM (the programs drain or save on it)`);
    }
    const health = inherited(s, 'healthcheck');
    if (!health) {
      problems.push(`${path}: healthcheck: ${label(s)} declares no HEALTHCHECK (CMD, or NONE where nothing serves)`);
    } else if (entrypoint && /facet-server/.test(entrypoint.value) &&
               !/CMD\s+\[\s*"facet-client",\s*"health"/.test(health.value)) {
      problems.push(`${path}:${health.line}: healthcheck: ${label(s)} runs facet-server; its HEALTHCHECK must be CMD ["facet-client", "health", ...]`);
    }
  }
  return problems;
}

function lint(path) {
  const content = fs.readFileSync(path, 'utf8');
  const problems = utils.validate(content, strictSettings()).map(
    (d) => `${path}:${d.range.start.line + 1}: dockerfile-utils: ${d.message}`);
  return problems.concat(lintRules(path, stagesOf(DockerfileParser.parse(content))));
}

function main(paths) {
  if (paths.length === 0) {
    console.error('usage: lint-dockerfiles.js DOCKERFILE...');
    return 2;
  }
  let problems = [];
  for (const p of paths) problems = problems.concat(lint(p));
  for (const p of problems) console.log(`FAIL: ${p}`);
  console.log(`${paths.length} Dockerfile(s), ${problems.length} problem(s)`);
  return problems.length ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
