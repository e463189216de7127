// The layout contract: the pipeline definitions are the single description both runtimes read, so they
// must be internally consistent (every reference resolves, every entry exists and exports a handler), and
// every module says at its top what it is for.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { allFunctions, pipelines } from '../../pipelines/index.ts';
import type { ResourceRef } from '../../pipelines/types.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

function declared(ref: ResourceRef): boolean {
  const r = pipelines.map((p) => p.resources);
  const names = (kind: ResourceRef['kind']) => {
    switch (kind) {
      case 'bucket':
        return r.flatMap((x) => x.buckets ?? []).map((b) => b.name);
      case 'table':
        return r.flatMap((x) => x.tables ?? []).map((t) => t.name);
      case 'topic':
        return r.flatMap((x) => x.topics ?? []).map((t) => t.name);
      case 'stream':
        return r.flatMap((x) => x.streams ?? []).map((s) => s.name);
      case 'secret':
        return r.flatMap((x) => x.secrets ?? []).map((s) => s.name);
      case 'cdn':
        return r
          .flatMap((x) => x.buckets ?? [])
          .filter((b) => b.cdn)
          .map((b) => b.name);
    }
  };
  return names(ref.kind).includes(ref.name);
}

describe('pipeline definitions', () => {
  it('lists the three pipelines with unique function ids', () => {
    expect(pipelines.map((p) => p.name)).toEqual(['image-resize', 'alarm-to-slack', 'stream-etl']);
    const ids = allFunctions().map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  for (const fn of allFunctions()) {
    it(`${fn.id}: entry exists and, given its definition's environment, exports a handler`, async () => {
      expect(existsSync(join(root, fn.entry)), fn.entry).toBe(true);
      // As a runtime would: literal settings as they are, resources by their logical names; a secret is
      // supplied through its local variable (see SecretSpec.localEnv).
      for (const [name, value] of Object.entries(fn.environment)) {
        if (typeof value === 'string') process.env[name] = value;
        else if (value.kind !== 'secret') process.env[name] = value.name;
      }
      for (const s of pipelines.flatMap((p) => p.resources.secrets ?? [])) {
        process.env[s.localEnv] = 'http://127.0.0.1:9/unused';
      }
      const mod = (await import(join(root, fn.entry))) as { handler?: unknown };
      expect(typeof mod.handler).toBe('function');
    });

    it(`${fn.id}: every resource it names is declared`, () => {
      const refs = [
        ...fn.access.map((a) => a.resource),
        ...Object.values(fn.environment).filter((v): v is ResourceRef => typeof v !== 'string'),
      ];
      for (const ref of refs) expect(declared(ref), `${ref.kind} ${ref.name}`).toBe(true);
      const t = fn.trigger;
      const triggerRef: ResourceRef =
        t.kind === 's3'
          ? { kind: 'bucket', name: t.bucket }
          : t.kind === 'sns'
            ? { kind: 'topic', name: t.topic }
            : { kind: 'stream', name: t.stream };
      expect(declared(triggerRef), `trigger ${triggerRef.kind} ${triggerRef.name}`).toBe(true);
    });
  }

  it('every delivery stream names a processor function of its pipeline and a declared bucket', () => {
    for (const p of pipelines) {
      for (const s of p.resources.streams ?? []) {
        expect(p.functions.map((f) => f.id)).toContain(s.processor);
        expect(declared({ kind: 'bucket', name: s.destination.bucket })).toBe(true);
        expect(s.destination.errorPrefix).toContain('!{firehose:error-output-type}');
      }
    }
  });

  it('each pipeline folder has its own README', () => {
    for (const p of pipelines)
      expect(existsSync(join(root, 'pipelines', p.name, 'README.md')), p.name).toBe(true);
  });
});

describe('modules', () => {
  const dirs = ['pipelines', 'handlers', 'infra', 'shared', 'test'];
  const files = dirs.flatMap((d) => walk(join(root, d))).filter((f) => f.endsWith('.ts'));

  it('each module opens with a comment saying what it is for', () => {
    const missing = files.filter((f) => !/^(#!.*\n)?\s*(\/\/|\/\*)/.test(readFileSync(f, 'utf8')));
    expect(missing.map((f) => relative(root, f))).toEqual([]);
  });

  it('nothing refers to a place outside the repository (it is self-contained)', () => {
    // Code, scripts and docs alike: a clone alone must test, start and demo. `../shared/` below is a
    // sibling folder of the checkout, never part of it; machine paths (/work/...) are not either.
    const outside = /\.\.\/shared\/(fixtures|hooks)|\/work\//;
    const texts = [
      ...dirs.flatMap((d) => walk(join(root, d))).filter((f) => /\.(ts|mjs|js|md|json|sh)$/.test(f)),
      ...['README.md', 'package.json', 'cdk.json', '.ci/run', '.ci/node-bins'].map((f) => join(root, f)),
    ].filter((f) => existsSync(f) && f !== fileURLToPath(import.meta.url));
    const hits = texts.flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .flatMap((line, i) => (outside.test(line) ? [`${relative(root, f)}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(hits).toEqual([]);
  });
});

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    if (name === 'node_modules' || name === 'cdk.out' || name.startsWith('.')) return [];
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}
