// One local cloud per data directory: `<dataDir>/local-cloud.lock` holds the owner's pid, its process
// start time (Linux: /proc/<pid>/stat, so that a recycled pid is not mistaken for the owner) and its
// endpoint. A second start on the same directory is refused with a message naming the running one; a
// lock left by a process that no longer exists (killed, crashed, power loss) is taken over. Hand-written:
// proper-lockfile and the like judge staleness by mtime, which would take over the lock of a live cloud
// that simply ran long, or wait seconds after a crash.
import { readFileSync } from 'node:fs';
import { open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface LockHolder {
  pid: number;
  /** Process start time (Linux clock ticks since boot), when known. */
  startTime?: string;
  /** Set once the edge is listening. */
  endpoint?: string;
  since: string;
}

export class DataDirInUse extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
  ) {
    super(
      `The data directory ${dataDir} is in use by another local cloud (pid ${holder.pid}, ` +
        `${holder.endpoint ? `endpoint ${holder.endpoint}` : 'still starting'}). Stop that one first ` +
        `(Ctrl-C in its terminal, or kill ${holder.pid}), or give this one another LOCAL_DATA_DIR.`,
    );
    this.name = 'DataDirInUse';
  }
}

export interface DataDirLock {
  /** Records the endpoint, for the message another start would print. */
  setEndpoint(endpoint: string): Promise<void>;
  release(): Promise<void>;
  /** Set when a stale lock (its process gone) was taken over. */
  tookOverFrom?: LockHolder;
}

const FILE = 'local-cloud.lock';

/** Takes the data directory's lock, or throws DataDirInUse naming the live owner. */
export async function acquireLock(dataDir: string): Promise<DataDirLock> {
  const file = path.join(dataDir, FILE);
  const me: LockHolder = {
    pid: process.pid,
    startTime: startTime(process.pid),
    since: new Date().toISOString(),
  };
  let tookOverFrom: LockHolder | undefined;
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      const fh = await open(file, 'wx');
      await fh.writeFile(JSON.stringify(me));
      await fh.close();
      return lockHandle(file, me, tookOverFrom);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = await readHolder(file);
    if (!holder) {
      // Created but not yet written (another start is writing it right now), or emptied by a crash.
      await new Promise((r) => setTimeout(r, 50));
      if (attempt < 10) continue;
      await rm(file, { force: true });
      continue;
    }
    if (isAlive(holder)) throw new DataDirInUse(dataDir, holder);
    tookOverFrom = holder;
    await rm(file, { force: true });
  }
  throw new Error(`could not take the lock ${file}`);
}

/** The live cloud holding the data directory, if any (`npm run demo` finds its endpoint here). */
export async function runningCloud(dataDir: string): Promise<LockHolder | undefined> {
  const holder = await readHolder(path.join(dataDir, FILE));
  return holder && isAlive(holder) ? holder : undefined;
}

function lockHandle(file: string, me: LockHolder, tookOverFrom: LockHolder | undefined): DataDirLock {
  let released = false;
  return {
    tookOverFrom,
    async setEndpoint(endpoint) {
      me.endpoint = endpoint;
      await writeFile(`${file}.${process.pid}.tmp`, JSON.stringify(me));
      await rename(`${file}.${process.pid}.tmp`, file);
    },
    async release() {
      if (released) return;
      released = true;
      const holder = await readHolder(file);
      if (holder?.pid === me.pid && holder.since === me.since) await rm(file, { force: true });
    },
  };
}

async function readHolder(file: string): Promise<LockHolder | undefined> {
  try {
    const v = JSON.parse(await readFile(file, 'utf8')) as Partial<LockHolder>;
    return typeof v.pid === 'number' ? (v as LockHolder) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the lock's owner still runs: the pid exists and, where known, started when the lock says. */
function isAlive(holder: LockHolder): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const fields = procStat(holder.pid);
  if (fields?.[0] === 'Z') return false; // killed, not yet reaped by its parent
  const now = fields?.[19];
  return holder.startTime === undefined || now === undefined || now === holder.startTime;
}

function startTime(pid: number): string | undefined {
  return procStat(pid)?.[19];
}

/** /proc/<pid>/stat from field 3 (state) on; field 22, the start time after boot, is [19]. Linux only. */
function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}
