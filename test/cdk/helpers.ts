// Helpers for the CDK tests: build the app into a temporary cloud assembly, look up resources by the
// constructs the stack exposes, and walk IAM policy documents.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { App, CfnResource } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { IConstruct } from 'constructs';
import { beforeAll } from 'vitest';
import { type BuildOptions, buildApp } from '../../infra/cdk/build.ts';
import { triggerKindOf } from '../../infra/cdk/kinds/index.ts';
import type { EventPipelinesStack } from '../../infra/cdk/stack.ts';
import { allFunctions, pipelines } from '../../pipelines/index.ts';
import type { FunctionSpec, ResourceRef, TriggerKind, TriggerOf } from '../../pipelines/types.ts';
import { validateDefinitions } from '../../pipelines/validate.ts';

export interface Synthesized {
  app: App;
  stack: EventPipelinesStack;
  assembly: CloudAssembly;
  template: Template;
  /** The raw template JSON. */
  json: CfnTemplate;
}

export interface CfnTemplate {
  Resources: Record<
    string,
    { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }
  >;
}

/**
 * Synthesizes once. `bundle: false` skips asset bundling (CDK's `aws:cdk:bundling-stacks` context), which
 * keeps tests of settings and wiring fast; the asset tests bundle for real.
 */
const outdirs: string[] = [];

/** Removes every cloud assembly the tests of this file wrote (call in afterAll). */
export function removeSynthOutput(): void {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function synth(opts: BuildOptions & { bundle?: boolean } = {}): Synthesized {
  const { bundle = true, context = {}, ...rest } = opts;
  const outdir = mkdtempSync(path.join(tmpdir(), 'cdk-test-'));
  outdirs.push(outdir);
  const { app, stack } = buildApp({
    ...rest,
    outdir,
    context: { ...context, ...(bundle ? {} : { 'aws:cdk:bundling-stacks': [] }) },
  });
  const assembly = app.synth();
  const json = assembly.getStackArtifact(stack.artifactId).template as CfnTemplate;
  return { app, stack, assembly, template: Template.fromJSON(json), json };
}

export const idOf = (s: Synthesized, c: IConstruct): string =>
  s.stack.getLogicalId((c.node.defaultChild ?? c) as CfnResource);

/** Every declared resource by kind, as the stack sees them (pipelines/validate.ts). */
export const catalog = validateDefinitions(pipelines);

/** The construct created for a reference, whatever its kind. */
export const created = (s: Synthesized, r: ResourceRef): IConstruct =>
  (s.stack.resources[r.kind] as Map<string, IConstruct>).get(r.name)!;

/** Logical id of the resource created for a reference. */
export const refId = (s: Synthesized, r: ResourceRef): string => idOf(s, created(s, r));

/** The functions whose trigger is of kind K. */
export const triggeredBy = <K extends TriggerKind>(kind: K) =>
  allFunctions().filter((f): f is FunctionSpec & { trigger: TriggerOf<K> } => f.trigger.kind === kind);

/** Ids of the functions their trigger's CDK plug-in says are invoked asynchronously (retries, then a DLQ). */
export const asyncFunctionIds = (): string[] =>
  allFunctions()
    .filter((f) => triggerKindOf(f.trigger).invocation.asynchronous)
    .map((f) => f.id);

/** The customer-managed key of the stack's topics (one key, shared by every topic; infra/cdk/kinds/topic.ts). */
export function topicKey(s: Synthesized): IConstruct {
  const keys = new Set([...s.stack.resources.topic.values()].map((t) => t.masterKey));
  const [key] = keys;
  if (keys.size !== 1 || !key) throw new Error(`expected one key for all topics, found ${keys.size}`);
  return key;
}

export const ofType = (s: Synthesized, type: string) =>
  Object.entries(s.json.Resources).filter(([, r]) => r.Type === type);

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
  Principal?: unknown;
  Condition?: unknown;
}

export const asArray = <T>(v: T | T[] | undefined): T[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

/** Logical ids referenced (Ref / Fn::GetAtt) anywhere inside a value. */
export function referencedIds(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) referencedIds(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'Ref' && typeof v === 'string' && !v.startsWith('AWS::')) out.add(v);
      else if (k === 'Fn::GetAtt' && Array.isArray(v)) out.add(String(v[0]));
      else referencedIds(v, out);
    }
  }
  return out;
}

/** Statements of every AWS::IAM::Policy attached to the role with logical id `roleId`. */
export function roleStatements(s: Synthesized, roleId: string): Statement[] {
  return ofType(s, 'AWS::IAM::Policy')
    .filter(([, p]) => referencedIds(p.Properties?.Roles).has(roleId))
    .flatMap(([, p]) => (p.Properties!.PolicyDocument as { Statement: Statement[] }).Statement);
}

/** A resource's Properties, by logical id. */
export const propsOf = (s: Synthesized, logicalId: string): Record<string, unknown> =>
  s.json.Resources[logicalId]!.Properties as Record<string, unknown>;

/** The IAM actions the role of function `fnId` is granted on the resource whose logical id is `resourceId`. */
export const actionsOn = (s: Synthesized, fnId: string, resourceId: string) =>
  roleStatements(s, idOf(s, s.stack.resources.functions.get(fnId)!.role))
    .filter((st) => referencedIds(st.Resource).has(resourceId))
    .flatMap((st) => asArray(st.Action));

/** The project's synthesis shared by every test file of this process (see synthesizedProject). */
let shared: Synthesized | undefined;

/**
 * The project's definitions synthesized (no bundling) once per test process, before the calling file's
 * tests: the CDK test files run one after another in one process without isolation (vitest.config.ts,
 * project `cdk`), so they share this synthesis instead of making the same one each; the assembly is removed
 * when the process exits. Tests only read it. The returned object reads through to the synthesis (a proxy),
 * so a file writes `const s = synthesizedProject();` at its top and uses `s` as a plain Synthesized.
 */
export function synthesizedProject(timeoutMs = 120_000): Synthesized {
  beforeAll(() => {
    if (shared) return;
    shared = synth({ bundle: false });
    const outdir = outdirs.pop()!; // not this file's to remove: the next file reads it too
    process.once('exit', () => rmSync(outdir, { recursive: true, force: true }));
  }, timeoutMs);
  return new Proxy({} as Synthesized, {
    get(_target, key) {
      if (!shared) throw new Error('the project is synthesized in beforeAll: read it inside a test');
      return Reflect.get(shared, key);
    },
  });
}
