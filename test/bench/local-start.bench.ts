// Local cloud start-up (`npm run bench -- local-start`): wall time from spawning `npm start` (as a
// terminal would: its own process group, a fresh data directory, a free port) to the first 200 from
// /_local/health, against the floor of any TypeScript process started the same way: `node --import tsx`
// running a file that only serves that health answer, polled identically (every 50 ms). Alternating
// rounds, medians; target: the local cloud within 4× the floor.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ChildCloud, repoRoot, spawnCloud } from '../support/child-cloud.ts';
import { type Benchmark, median } from './harness.ts';

const ROUNDS = 5;

async function stop(c: ChildCloud, group: boolean): Promise<void> {
  const pid = c.child.pid!;
  try {
    process.kill(group ? -pid : pid, 'SIGTERM');
  } catch {
    // already gone
  }
  await c.exited;
}

const bench: Benchmark = async () => {
  mkdirSync(join(repoRoot, '.local'), { recursive: true });
  const dir = mkdtempSync(join(repoRoot, '.local', 'local-start-'));
  // The floor: a TypeScript file that answers the health check and does nothing else.
  const floorFile = join(dir, 'health-only.ts');
  writeFileSync(
    floorFile,
    "import { createServer } from 'node:http';\n" +
      "const server = createServer((_req, res) => res.end('ok'));\n" +
      "server.listen(Number(process.env.LOCAL_PORT), '127.0.0.1');\n" +
      "process.on('SIGTERM', () => server.close());\n",
  );
  const cloudMs: number[] = [];
  const floorMs: number[] = [];
  try {
    for (let i = 0; i <= ROUNDS; i++) {
      const dataDir = mkdtempSync(join(dir, 'data-'));
      let t = performance.now();
      const cloud = await spawnCloud({ dataDir, npm: true });
      await cloud.waitHealthy(60_000);
      const cloudTime = performance.now() - t;
      await stop(cloud, true);

      t = performance.now();
      const floor = await spawnCloud({ dataDir, entry: floorFile });
      await floor.waitHealthy(60_000);
      const floorTime = performance.now() - t;
      await stop(floor, false);
      if (i > 0) {
        // round 0 warms the file cache and tsx's compile cache
        cloudMs.push(cloudTime);
        floorMs.push(floorTime);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return [
    {
      name: '`npm start` to a healthy /_local/health (fresh data directory)',
      unit: 'ms',
      project: median(cloudMs),
      baseline: median(floorMs),
      baselineLabel: '`node --import tsx` serving only the health answer',
      higherIsBetter: false,
      target: { ratio: 0.25, description: '(within 4× the floor)' },
      notes: `runs: npm start ${cloudMs.map((m) => m.toFixed(0)).join('/')} ms, floor ${floorMs
        .map((m) => m.toFixed(0))
        .join('/')} ms`,
    },
  ];
};

export default bench;
