// ONNX Runtime peer of Facet's forward benchmark: the network exported by
// export_onnx.py, run by onnxruntime-node (CPU execution provider, its own
// native library) on one face, batch 1, with --threads intra-op threads.
//
//   node ort_forward.mjs --model FILE.onnx --input FACE.rgb --input_size 512
//        [--threads CORES] [--runs N] [--modules DIR]
//
// FACE.rgb is input_size x input_size x 3 uint8 RGB. After loading and one
// warm-up run it prints one JSON line {"ready": true, ...}. With --runs N it
// then times N runs and prints {"seconds": [...]}; without, it serves the
// peer protocol of run_benchmarks.py on stdin, one command a line:
//   run          time one forward + argmax; prints {"seconds": S}
//   labels PATH  writes the last argmax (uint8, HxW) to PATH
// and exits at end of input.
//
// onnxruntime-node is looked up under --modules (or $FACET_ORT_MODULES), the
// folder where `npm ci` installed bench/package-lock.json; the build puts it
// in <build>/bench/ort. Exit code 3 when it cannot be loaded there.
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

function parseArgs(argv) {
  const args = {
    threads: cpus().length, runs: 0, input_size: 512,
    modules: process.env.FACET_ORT_MODULES ||
        path.dirname(fileURLToPath(import.meta.url)),
  };
  for (let i = 0; i < argv.length; ++i) {
    const m = /^--([a-z_]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new Error(`unexpected argument ${argv[i]}`);
    args[m[1]] = m[2] !== undefined ? m[2] : argv[++i];
  }
  for (const k of ['threads', 'runs', 'input_size']) args[k] = Number(args[k]);
  if (!args.model || !args.input) {
    throw new Error('usage: ort_forward.mjs --model FILE.onnx --input FACE.rgb ' +
                    '[--input_size 512] [--threads N] [--runs N] [--modules DIR]');
  }
  return args;
}

function loadOrt(modulesDir) {
  const require = createRequire(path.join(path.resolve(modulesDir), 'package.json'));
  try {
    return require('onnxruntime-node');
  } catch (e) {
    console.error(`ort_forward.mjs: cannot load onnxruntime-node from ${modulesDir}/node_modules ` +
                  `(run npm ci --ignore-scripts there): ${e.message}`);
    process.exit(3);
  }
}

const say = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const ort = loadOrt(args.modules);
  const s = args.input_size;
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(args.model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: args.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  // HxWx3 uint8 -> 1x3xHxW float in [-1, 1], as the other peers feed it.
  const rgb = readFileSync(args.input);
  if (rgb.length !== s * s * 3) throw new Error(`${args.input}: expected ${s}x${s}x3 bytes`);
  const x = new Float32Array(3 * s * s);
  for (let i = 0; i < s * s; ++i) {
    for (let c = 0; c < 3; ++c) x[c * s * s + i] = rgb[i * 3 + c] / 255 * 2 - 1;
  }
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', x, [1, 3, s, s]) };
  const loadSeconds = (performance.now() - t0) / 1000;
  let labels = new Uint8Array(0);

  async function forward() {
    const t = performance.now();
    const out = await session.run(feeds);
    const logits = out[session.outputNames[0]];
    const [, classes, h, w] = logits.dims;
    const d = logits.data;
    const plane = h * w;
    labels = new Uint8Array(plane);
    const best = d.slice(0, plane);
    for (let c = 1; c < classes; ++c) {
      const off = c * plane;
      for (let i = 0; i < plane; ++i) {
        if (d[off + i] > best[i]) { best[i] = d[off + i]; labels[i] = c; }
      }
    }
    for (const t of Object.values(out)) t.dispose?.();
    return (performance.now() - t) / 1000;
  }

  const warmup = await forward();
  say({ ready: true, peer: 'onnxruntime', version: ort.env.versions.node,
        threads: args.threads, load_seconds: loadSeconds, warmup_seconds: warmup });
  if (args.runs > 0) {
    const seconds = [];
    for (let r = 0; r < args.runs; ++r) seconds.push(await forward());
    say({ seconds });
    return;
  }
  const rl = readline.createInterface({ input: process.stdin, terminal: false });
  for await (const line of rl) {
    const cmd = line.trim().split(/\s+/);
    if (cmd.length === 1 && cmd[0] === 'run') {
      say({ seconds: await forward() });
    } else if (cmd.length === 2 && cmd[0] === 'labels') {
      writeFileSync(cmd[1], labels);
      say({ labels: cmd[1] });
    } else if (cmd[0]) {
      say({ error: `unknown command ${line.trim()}` });
    }
  }
}

main().catch((e) => { console.error(`ort_forward.mjs: ${e.stack || e}`); process.exit(1); });
