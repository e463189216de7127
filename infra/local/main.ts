// `npm start` (`node --import tsx infra/local/main.ts`: no wrapper process that could kill it mid-flush
// or hand the prompt back early): runs the local cloud on 127.0.0.1:4566 (LOCAL_PORT), prints the start
// screen, and on SIGINT/SIGTERM delivers what is buffered for up to LOCAL_STOP_GRACE_MS, then exits; what
// is left is in the journal and delivered at the next start, so no accepted record is lost. A second
// signal stops at once (still losing nothing). A data directory already in use is refused with a
// message naming the running cloud. LOCAL_PIPELINES_MODULE (a module exporting `pipelines`) replaces
// pipelines/index.ts, e.g. for tests.
import './quiet-warnings.ts';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PipelineDefinition } from '../../pipelines/types.ts';
import { type LocalCloud, startLocalCloud } from './cloud.ts';
import { DEFAULTS, REPO_ROOT, readLocalEnv } from './config.ts';
import { DataDirInUse } from './lock.ts';
import { startScreen, writeSamples } from './start-screen.ts';

async function loadPipelines(): Promise<readonly PipelineDefinition[] | undefined> {
  const mod = process.env.LOCAL_PIPELINES_MODULE;
  if (!mod) return undefined;
  const loaded = (await import(pathToFileURL(path.resolve(REPO_ROOT, mod)).href)) as {
    pipelines?: PipelineDefinition[];
  };
  if (!Array.isArray(loaded.pipelines))
    throw new Error(`LOCAL_PIPELINES_MODULE=${mod} does not export \`pipelines\``);
  return loaded.pipelines;
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024
    ? `${(n / 1024 / 1024).toFixed(n % (1024 * 1024) ? 1 : 0)} MiB`
    : `${Math.round(n / 1024)} KiB`;
}

async function main(): Promise<void> {
  let env: ReturnType<typeof readLocalEnv>;
  try {
    env = readLocalEnv();
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  let cloud: LocalCloud;
  try {
    cloud = await startLocalCloud({ pipelines: await loadPipelines(), stopGraceMs: env.LOCAL_STOP_GRACE_MS });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (err instanceof DataDirInUse) {
      console.error(err.message);
    } else if (e.code === 'EADDRINUSE') {
      const port = env.LOCAL_PORT ?? DEFAULTS.port;
      console.error(
        `Port ${port} is already in use: is another local cloud (or LocalStack) running?\n` +
          `Stop it, or start on another port: LOCAL_PORT=4567 npm start`,
      );
    } else {
      console.error(`The local cloud could not start: ${e.message}`);
    }
    process.exit(1);
  }
  // The cache servers start in the background; give them a moment so the screen says how they are.
  await Promise.race([cloud.services.caches.ready(), new Promise((r) => setTimeout(r, 2_000))]);
  const samples = await writeSamples(cloud.resources, cloud.dataDir);
  const buffer = `${formatBytes(env.LOCAL_FIREHOSE_BUFFER_BYTES ?? DEFAULTS.firehoseBufferBytes)} / ${(env.LOCAL_FIREHOSE_BUFFER_INTERVAL_MS ?? DEFAULTS.firehoseIntervalMs) / 1000} s`;
  console.log(startScreen(cloud, samples, buffer));

  // Ctrl-C reaches every process of the terminal's foreground group, and npm forwards it once more: one
  // keypress can arrive twice, so a repeat within a second counts as the same request.
  let signals = 0;
  let firstSignalAt = 0;
  const shutdown = (signal: string) => {
    if (signals > 0 && Date.now() - firstSignalAt < 1_000) return;
    signals++;
    if (signals > 1) {
      if (signals > 2) process.exit(130);
      console.error(
        `\n${signal} again: stopping now. Whatever is not delivered yet stays in the journal and is delivered at the next start.`,
      );
      void cloud.stop({ hurry: true });
      return;
    }
    firstSignalAt = Date.now();
    console.log(
      `\n${signal}: flushing Firehose buffers and waiting for running functions (Ctrl-C again to stop at once; nothing is lost)…`,
    );
    cloud.stop().then(
      () => {
        console.log('Local cloud stopped. Data kept in', cloud.dataDir);
        process.exit(0);
      },
      (err: unknown) => {
        console.error('Error while stopping:', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

await main();
