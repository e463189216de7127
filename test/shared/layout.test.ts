// The layout contract: the pipeline definitions are the single description both runtimes read, so they
// must pass validation and every entry must exist and export a handler; each pipeline folder is complete
// (definition, configuration schema, README) and handlers/ holds only the entry points the definitions
// name; every module says at its top what it is for. Expected names come from the definitions.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { $ZodObject } from 'zod/v4/core';
import { allFunctions, pipelines, underConstruction } from '../../pipelines/index.ts';
import { validateDefinitions } from '../../pipelines/validate.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

const pipelineDirs = readdirSync(join(root, 'pipelines')).filter((d) =>
  statSync(join(root, 'pipelines', d)).isDirectory(),
);

describe('pipeline definitions', () => {
  it('one pipeline per folder of pipelines/, each listed once in pipelines/index.ts', () => {
    expect([...pipelines.map((p) => p.name), ...underConstruction].sort()).toEqual([...pipelineDirs].sort());
    // Validation (test/pipelines/validate.test.ts) covers names, references and access; here: it accepts them.
    expect(() => validateDefinitions(pipelines)).not.toThrow();
  });

  it('each pipeline folder holds its definition, its configuration schema and its README', () => {
    for (const p of pipelines)
      for (const file of ['definition.ts', 'config.ts', 'README.md'])
        expect(existsSync(join(root, 'pipelines', p.name, file)), `pipelines/${p.name}/${file}`).toBe(true);
  });

  it('a pipeline under construction has its settings and a README that says so, and no definition yet', () => {
    for (const name of underConstruction) {
      expect(existsSync(join(root, 'pipelines', name, 'config.ts')), `pipelines/${name}/config.ts`).toBe(
        true,
      );
      expect(
        existsSync(join(root, 'pipelines', name, 'definition.ts')),
        `${name} has a definition: list it in pipelines`,
      ).toBe(false);
      const readme = readFileSync(join(root, 'pipelines', name, 'README.md'), 'utf8');
      expect(readme.split('\n')[0], `pipelines/${name}/README.md title`).toMatch(/\(in progress\)$/);
      expect(readme).toMatch(/\*\*Status\.\*\* .*Not yet built/s);
    }
  });

  it('handlers/ holds only the entry points the definitions name, and no configuration schema', () => {
    const entries = allFunctions().map((f) => f.entry);
    for (const entry of entries) expect(entry, 'entry outside handlers/').toMatch(/^handlers\/[^/]+\.ts$/);
    const handlerFiles = readdirSync(join(root, 'handlers')).map((f) => `handlers/${f}`);
    const building = (f: string) => underConstruction.some((name) => f.startsWith(`handlers/${name}-`));
    expect(handlerFiles.filter((f) => !building(f)).sort()).toEqual([...entries].sort());
    for (const f of handlerFiles)
      expect(
        readFileSync(join(root, f), 'utf8'),
        `${f} defines settings: they belong in its pipeline's config.ts`,
      ).not.toMatch(/from 'zod'|loadConfig\(/);
  });

  it('every variable a definition sets is a setting its pipeline’s config.ts reads (no typo is silently ignored)', async () => {
    for (const p of pipelines) {
      const config = (await import(join(root, 'pipelines', p.name, 'config.ts'))) as Record<string, unknown>;
      const read = new Set(
        Object.values(config).flatMap((v) => (v instanceof $ZodObject ? Object.keys(v._zod.def.shape) : [])),
      );
      expect(read.size, `pipelines/${p.name}/config.ts exports no settings schema`).toBeGreaterThan(0);
      for (const fn of p.functions)
        for (const name of Object.keys(fn.environment)) expect(read, `${fn.id}: ${name}`).toContain(name);
    }
  });

  for (const fn of allFunctions()) {
    it(`${fn.id}: entry exists and, given its definition's environment, exports a handler`, async () => {
      expect(existsSync(join(root, fn.entry)), fn.entry).toBe(true);
      // As a runtime would: literal settings as they are, resources by their logical names; a secret is
      // supplied through its local variable (see SecretSpec.localEnv), a generated one as 64 random-looking
      // characters; a cache as none (empty: code using a cache must work without one).
      for (const [name, value] of Object.entries(fn.environment)) {
        if (typeof value === 'string') process.env[name] = value;
        else if (value.kind === 'cache') process.env[name] = '';
        else if (value.kind !== 'secret') process.env[name] = value.name;
      }
      for (const s of pipelines.flatMap((p) => p.resources.secrets ?? [])) {
        process.env[s.localEnv] = s.generate ? 'k'.repeat(64) : 'http://127.0.0.1:9/unused';
      }
      const mod = (await import(join(root, fn.entry))) as { handler?: unknown };
      expect(typeof mod.handler).toBe('function');
    });
  }
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
    // sibling folder of the checkout, never part of it; absolute paths of this machine are not either.
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
