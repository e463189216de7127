// A tiny append-only JSON-lines file with an in-memory copy: what the dead-letter store and the webhook sink
// persist under the data directory, so that their contents survive a restart of the local cloud.
import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export class JsonlStore<T> {
  private items: T[] = [];
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly file: string) {}

  async load(): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    let text = '';
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    this.items = text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as T];
        } catch {
          return []; // a torn last line from a crash: skip it rather than refuse to start
        }
      });
  }

  all(): T[] {
    return [...this.items];
  }

  add(item: T): Promise<void> {
    this.items.push(item);
    const line = `${JSON.stringify(item)}\n`;
    this.writes = this.writes.then(() => appendFile(this.file, line));
    return this.writes;
  }

  clear(): Promise<void> {
    this.items = [];
    this.writes = this.writes.then(() => writeFile(this.file, ''));
    return this.writes;
  }

  /** Replaces one item (by identity) with `next`, or removes it; the file is rewritten (temp file, rename). */
  replace(item: T, next: T | undefined): Promise<void> {
    const i = this.items.indexOf(item);
    if (i < 0) return this.writes;
    if (next === undefined) this.items.splice(i, 1);
    else this.items[i] = next;
    const text = this.items.map((x) => `${JSON.stringify(x)}\n`).join('');
    const tmp = `${this.file}.tmp`;
    this.writes = this.writes.then(async () => {
      await writeFile(tmp, text);
      await rename(tmp, this.file);
    });
    return this.writes;
  }

  flush(): Promise<void> {
    return this.writes;
  }
}
