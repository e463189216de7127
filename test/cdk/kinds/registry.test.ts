// The CDK app's kind registries (infra/cdk/kinds/index.ts): every resource kind has a plug-in that grants each
// access mode pipelines/kinds.ts allows it, no code outside infra/cdk/kinds/ switches on a kind, and the
// order resources and functions are created in follows what they need (a cycle stops synthesis).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resourceKinds, triggerKinds } from '../../../infra/cdk/kinds/index.ts';
import { REPO_ROOT } from '../../../infra/cdk/native-modules.ts';
import { allFunctions, pipelines, streamEtl } from '../../../pipelines/index.ts';
import { ACCESS_MODES, RESOURCE_KINDS } from '../../../pipelines/kinds.ts';
import { type AccessMode, type PipelineDefinition, ref } from '../../../pipelines/types.ts';
import { removeSynthOutput, synth } from '../helpers.ts';

afterAll(removeSynthOutput);

describe('kind registries', () => {
  it('every resource kind has a CDK plug-in granting exactly the access modes the kind accepts', () => {
    expect(Object.keys(resourceKinds).sort()).toEqual([...RESOURCE_KINDS].sort());
    for (const kind of RESOURCE_KINDS) {
      const granted = Object.keys(resourceKinds[kind].grants) as AccessMode[];
      expect(granted.sort(), kind).toEqual([...ACCESS_MODES[kind]].sort());
    }
  });

  it('every resource kind with access modes says what that access needs from a VPC (vpcAccess)', () => {
    // A function placed in the VPC (a cache's client) still reaches everything it accesses, or synthesis
    // fails naming the kind: no kind can silently leave it without a way out (there is no NAT).
    for (const kind of RESOURCE_KINDS)
      if (ACCESS_MODES[kind].length > 0) expect(resourceKinds[kind].vpcAccess, kind).toBeTypeOf('function');
  });

  it('every trigger kind a definition uses has a CDK plug-in', () => {
    const used = new Set(allFunctions().map((f) => f.trigger.kind));
    for (const kind of used) expect(Object.keys(triggerKinds), kind).toContain(kind);
  });

  it('no module of infra/cdk outside kinds/ switches on a kind', () => {
    const dir = path.join(REPO_ROOT, 'infra/cdk');
    const modules = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter(
      (f) => f.endsWith('.ts') && !f.startsWith('kinds/') && !f.includes('node_modules'),
    );
    expect(modules).toContain('stack.ts');
    for (const file of modules) {
      const source = readFileSync(path.join(dir, file), 'utf8');
      expect(source.match(/kind\s*[!=]==|case\s+'/g), file).toBeNull();
    }
  });
});

describe('creation order', () => {
  it('a function naming the stream it transforms is a cycle, and synthesis says so', () => {
    const transform = streamEtl.functions.find((f) => f.trigger.kind === 'firehose-transform')!;
    const stream = (transform.trigger as { stream: string }).stream;
    const cyclic: PipelineDefinition = {
      ...streamEtl,
      functions: streamEtl.functions.map((f) =>
        f === transform ? { ...f, environment: { ...f.environment, OWN: ref.stream(stream) } } : f,
      ),
    };
    expect(() =>
      synth({ bundle: false, pipelines: pipelines.map((p) => (p === streamEtl ? cyclic : p)) }),
    ).toThrow(
      `definitions form a cycle: stream ${stream} needs function ${transform.id} needs stream ${stream}`,
    );
  });
});
