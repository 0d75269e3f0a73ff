// Projection engine benchmark (docs/projection.md, issue 17): a queue of 10⁶ waiting entries,
// 1,000 runs × 365 days, timed in CPU and wall time; then how it scales with entries and runs.
// Not part of `npm test`. Usage: node test/bench/projection.mjs [--entries N] [--runs N]
// The engine is the TypeScript file the client and the edge function import, transpiled here
// with the project's own TypeScript (no other build step).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const source = readFileSync(path.join(root, 'client/lib/projection.ts'), 'utf8');
const out = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } });
const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'projection-bench-')), 'projection.mjs');
writeFileSync(file, out.outputText);
const engine = await import(pathToFileURL(file).href);

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};

// a deterministic queue: remaining 1.00–500.00 yuan per entry, one in ten not yet eligible
function queueOf(n) {
  const rng = engine.seededRng(123);
  const remainingFen = new Float64Array(n);
  const eligible = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    remainingFen[i] = 100 + Math.floor(rng.next() * 49900);
    eligible[i] = rng.next() < 0.9 ? 1 : 0;
  }
  return { remainingFen, eligible: Array.from(eligible, (v) => v === 1) };
}
// 90 days of history around 5,000 yuan a day with a weekly swing
const history = Array.from({ length: 90 }, (_, i) => 500000 + 150000 * Math.sin((i * 2 * Math.PI) / 7) + (i % 5) * 20000);

function time(fn) {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const result = fn();
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const c = process.cpuUsage(c0);
  return { result, wallMs: wall, cpuMs: (c.user + c.system) / 1000 };
}

function run(entries, runs, clearing = null) {
  const queue = queueOf(entries);
  // best of three, after one warm-up
  let best = null;
  for (let k = 0; k < 4; k++) {
    const sim = time(() => engine.simulateQueue(history, { paused: false, clearingInDays: clearing }, { seed: 7 + k, runs }));
    const proj = time(() => engine.projectEntries(sim.result, queue));
    const total = { sim, proj, cpuMs: sim.cpuMs + proj.cpuMs, wallMs: sim.wallMs + proj.wallMs };
    if (k > 0 && (!best || total.cpuMs < best.cpuMs)) best = total;
  }
  return best;
}

const fmt = (ms) => `${ms.toFixed(0)} ms`;
const main = { entries: arg('entries', 1_000_000), runs: arg('runs', 1000) };
console.log(`projection engine, node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} (${os.cpus().length} cpus), 365 days`);
const headline = run(main.entries, main.runs);
console.log(`${main.entries.toLocaleString('en')} entries × ${main.runs.toLocaleString('en')} runs × 365 days: ` +
  `${fmt(headline.cpuMs)} CPU (${fmt(headline.wallMs)} wall): simulation ${fmt(headline.sim.cpuMs)}, ` +
  `${main.entries.toLocaleString('en')} positions ${fmt(headline.proj.cpuMs)}`);
const withClearing = run(main.entries, main.runs, 30.5);
console.log(`the same with clearing in 30.5 days (probability per entry): ${fmt(withClearing.cpuMs)} CPU`);

if (!process.argv.includes('--quick')) {
  console.log('\nscaling (CPU, best of three):');
  console.log('entries     runs    simulation   positions   total');
  for (const [e, r] of [[1_000, 1000], [100_000, 1000], [1_000_000, 1000], [1_000_000, 100], [1_000_000, 10_000], [10_000_000, 1000]]) {
    const t = run(e, r);
    console.log(`${e.toLocaleString('en').padStart(10)}  ${r.toLocaleString('en').padStart(6)}  ${fmt(t.sim.cpuMs).padStart(11)}  ${fmt(t.proj.cpuMs).padStart(10)}  ${fmt(t.cpuMs).padStart(7)}`);
  }
}
