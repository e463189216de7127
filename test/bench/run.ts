// `npm run bench`: runs every test/bench/*.bench.ts in turn (one at a time, so they do not compete for the
// two cores), prints a table of project vs baseline with the ratio, and writes bench-results.json.
// A single benchmark can be run with `npm run bench -- image`.
import { readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { advantage, type Benchmark, type BenchResult } from './harness.ts';

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2];
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => !filter || f.includes(filter))
  .sort();

const rows: Array<BenchResult & { benchmark: string; ratio: number; meetsTarget: boolean | null }> = [];
let failed = 0;
for (const file of files) {
  process.stdout.write(`running ${file} ...\n`);
  try {
    const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: Benchmark };
    for (const r of await mod.default()) {
      const ratio = advantage(r);
      rows.push({
        benchmark: file,
        ...r,
        ratio: Number(ratio.toFixed(3)),
        meetsTarget: r.target ? ratio >= r.target.ratio : null,
      });
    }
  } catch (err) {
    failed++;
    console.error(`${file} failed:`, err);
  }
}

const fmt = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : n.toPrecision(3));
console.log('\n| benchmark | unit | project | baseline | advantage | target | met |');
console.log('|---|---|---:|---:|---:|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.name} | ${r.unit} | ${fmt(r.project)} | ${fmt(r.baseline)} (${r.baselineLabel}) | ${r.ratio.toFixed(2)}× | ${
      r.target ? `≥ ${r.target.ratio}× ${r.target.description}` : '—'
    } | ${r.meetsTarget === null ? '—' : r.meetsTarget ? 'yes' : 'NO'} |`,
  );
  if (r.notes) console.log(`|  ↳ ${r.notes} | | | | | | |`);
}
writeFileSync('bench-results.json', `${JSON.stringify({ date: new Date().toISOString(), rows }, null, 2)}\n`);
console.log('\nwrote bench-results.json');
if (failed) process.exitCode = 1;
