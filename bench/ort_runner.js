#!/usr/bin/env node
// Time an ONNX model in ONNX Runtime (onnxruntime-node, CPU EP); print one JSON object.
//
//   node bench/ort_runner.js --model bench/.cache/mobilevit_xxs_b1_s0.onnx --threads 2 [--input IN] [--output OUT]
//
// Needs `npm install --ignore-scripts` in bench/node (see bench/README.md).
// Session: intraOpNumThreads T, interOpNumThreads 1, graphOptimizationLevel
// 'all', sequential execution (the settings of anchors/perf.md).
// --input: safetensors file with F32 tensor `input` (else random N(0,1) of
// the model's input shape, needs static shapes). --output: also write the
// first output of one run on the input, as `logits`, to a safetensors file.
// --runs 0 --warmup 0 with --output: only the correctness run.
// Timed runs: --runs R, or until --min-time seconds and at least --min-runs.
// --serve 1 (compare.py): after the warmup print {"ready": true}, then per
// line of stdin with a run count K, K timed runs and one line
// {"latencies_ms": [...]}; at the end of stdin, the JSON object over all runs.
'use strict';
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const ort = createRequire(path.join(__dirname, 'node', 'package.json'))('onnxruntime-node');

function parseArgs(argv) {
  const args = { threads: 1, warmup: 3, runs: null, minTime: 1.0, minRuns: 10, model: null, input: null, output: null,
                 serve: 0 };
  const names = { '--model': 'model', '--threads': 'threads', '--warmup': 'warmup', '--runs': 'runs',
                  '--min-time': 'minTime', '--min-runs': 'minRuns', '--input': 'input', '--output': 'output',
                  '--serve': 'serve' };
  for (let i = 0; i < argv.length; i += 2) {
    const key = names[argv[i]];
    if (!key || i + 1 >= argv.length) throw new Error(`ort_runner: bad argument '${argv[i]}' (options: ${Object.keys(names).join(' ')})`);
    args[key] = ['model', 'input', 'output'].includes(key) ? argv[i + 1] : Number(argv[i + 1]);
  }
  if (!args.model) throw new Error('ort_runner: --model is required');
  return args;
}

function readSafetensors(file) {
  const blob = fs.readFileSync(file);
  const n = Number(blob.readBigUInt64LE(0));
  const header = JSON.parse(blob.subarray(8, 8 + n).toString('utf8'));
  delete header.__metadata__;
  const out = {};
  for (const [name, h] of Object.entries(header)) {
    const bytes = blob.subarray(8 + n + h.data_offsets[0], 8 + n + h.data_offsets[1]);
    out[name] = { dtype: h.dtype, shape: h.shape, bytes: Buffer.from(bytes) };   // copy: aligned for Float32Array
  }
  return out;
}

function writeSafetensors(file, name, tensor) {
  const data = Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  let text = JSON.stringify({ [name]: { dtype: 'F32', shape: tensor.dims, data_offsets: [0, data.length] } });
  text += ' '.repeat((8 - (text.length % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(text.length));
  fs.writeFileSync(file, Buffer.concat([len, Buffer.from(text), data]));
}

function randomNormal(count, seed) {   // Box-Muller on a small LCG: deterministic, no dependencies
  const out = new Float32Array(count);
  let s = seed >>> 0 || 1;
  const uniform = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return (s + 1) / 4294967297; };
  for (let i = 0; i < count; i += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform())), t = 2 * Math.PI * uniform();
    out[i] = r * Math.cos(t);
    if (i + 1 < count) out[i + 1] = r * Math.sin(t);
  }
  return out;
}

const msSince = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

// --serve: bursts of timed runs on request, one stdin line each (blank lines skipped).
async function serve(timedRun, times) {
  process.stdout.write(JSON.stringify({ ready: true }) + '\n');
  const lines = require('readline').createInterface({ input: process.stdin, crlfDelay: Infinity });
  let number = 0;
  for await (const line of lines) {
    ++number;
    if (!line.trim()) continue;
    const count = /^\s*\d+\s*$/.test(line) ? Number(line) : 0;
    if (count < 1 || count > 1000000) throw new Error(`stdin line ${number} is '${line}', not a run count (1 to 1000000)`);
    const first = times.length;
    for (let i = 0; i < count; ++i) await timedRun();
    process.stdout.write(JSON.stringify({ latencies_ms: times.slice(first) }) + '\n');
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  let t0 = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(args.model, {
    executionProviders: ['cpu'], intraOpNumThreads: args.threads, interOpNumThreads: 1,
    graphOptimizationLevel: 'all', executionMode: 'sequential',
  });
  const loadMs = msSince(t0);

  const inputName = session.inputNames[0];
  let input;
  if (args.input) {
    const t = readSafetensors(args.input).input;
    if (!t || t.dtype !== 'F32') throw new Error(`ort_runner: no F32 tensor 'input' in ${args.input}`);
    input = new ort.Tensor('float32', new Float32Array(t.bytes.buffer, t.bytes.byteOffset, t.bytes.length / 4), t.shape);
  } else {
    const meta = session.inputMetadata ? session.inputMetadata[0] : null;
    const shape = meta && meta.shape;
    if (!shape || shape.some((d) => typeof d !== 'number')) throw new Error('ort_runner: dynamic input shape, pass --input');
    input = new ort.Tensor('float32', randomNormal(shape.reduce((a, b) => a * b, 1), 1), shape);
  }
  const feeds = { [inputName]: input };

  for (let i = 0; i < args.warmup; ++i) await session.run(feeds);
  const times = [];
  const timedRun = async () => {
    t0 = process.hrtime.bigint();
    await session.run(feeds);
    times.push(msSince(t0));
  };
  if (args.serve) {
    await serve(timedRun, times);
  } else {
    const timedStart = process.hrtime.bigint();
    while (args.runs !== null ? times.length < args.runs
                              : times.length < args.minRuns || msSince(timedStart) < 1e3 * args.minTime) {
      await timedRun();
    }
  }
  if (args.output) {
    const outputs = await session.run(feeds);
    writeSafetensors(args.output, 'logits', outputs[session.outputNames[0]]);
  }

  const result = { engine: 'ort', model: args.model, batch: input.dims[0], threads: args.threads, ort: ort.env.versions.node,
                   input_shape: input.dims, warmup: args.warmup, runs: times.length, load_ms: loadMs,
                   peak_rss_mb: process.resourceUsage().maxRSS / 1024 };
  if (times.length) {
    const sorted = [...times].sort((a, b) => a - b), n = sorted.length;
    const median = n % 2 ? sorted[(n - 1) / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    Object.assign(result, { median_ms: median, min_ms: sorted[0], max_ms: sorted[n - 1],
                            mean_ms: times.reduce((a, b) => a + b, 0) / n, images_per_s: input.dims[0] / (median / 1e3),
                            latencies_ms: times });
  }
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((e) => { process.stderr.write(`ort_runner: ${e.message || e}\n`); process.exit(1); });
