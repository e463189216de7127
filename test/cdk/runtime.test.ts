// The Lambda runtime is part of the definitions (pipelines/types.ts): the CDK app deploys each function on
// its spec's runtime (default nodejs24.x) and bundles for that Node major. A definition that pins another
// runtime changes both, and cdk-nag's "latest runtime" finding is acknowledged for that function only.
// Synthesized without bundling (fast); the bundling props are read from functions.ts's bundlingFor.
import { afterAll, describe, expect, it } from 'vitest';
import { DEPLOYED_BUNDLE } from '../../infra/cdk/bundle-options.ts';
import { bundlingFor } from '../../infra/cdk/functions.ts';
import { alarmToSlack, allFunctions, eventsApi, imageResize, streamEtl } from '../../pipelines/index.ts';
import { DEFAULT_RUNTIME, type PipelineDefinition, runtimeOf } from '../../pipelines/types.ts';
import { idOf, ofType, removeSynthOutput, synth } from './helpers.ts';

afterAll(removeSynthOutput);

const runtimes = (s: ReturnType<typeof synth>) =>
  Object.fromEntries(
    [...s.stack.resources.functions.entries()].map(([id, b]) => [
      id,
      ofType(s, 'AWS::Lambda::Function').find(([lid]) => lid === idOf(s, b.fn))![1].Properties!.Runtime,
    ]),
  );

describe('Lambda runtime from the definitions', () => {
  it('defaults to nodejs24.x, bundled for node24', () => {
    expect(DEFAULT_RUNTIME).toBe('nodejs24.x');
    expect(DEPLOYED_BUNDLE.target).toBe('node24');
    for (const spec of allFunctions()) {
      expect(runtimeOf(spec), spec.id).toBe('nodejs24.x');
      expect(bundlingFor(spec).target, spec.id).toBe('node24');
    }
  });

  it('a definition that pins nodejs22.x gets nodejs22.x and a node22 bundle; the others keep the default', () => {
    const pinned: PipelineDefinition = {
      ...imageResize,
      functions: imageResize.functions.map((f) => ({ ...f, runtime: 'nodejs22.x' as const })),
    };
    // Synthesis runs cdk-nag and fails on an unacknowledged finding: AwsSolutions-L1 (not the latest
    // runtime) must be acknowledged for the pinned function.
    const s = synth({ bundle: false, pipelines: [pinned, alarmToSlack, streamEtl, eventsApi] });
    expect(runtimes(s)).toEqual({
      'image-resize': 'nodejs22.x',
      'alarm-to-slack': 'nodejs24.x',
      'stream-transform': 'nodejs24.x',
      'stream-loader': 'nodejs24.x',
      'events-api-authorizer': 'nodejs24.x',
      'events-api-ingest': 'nodejs24.x',
      'events-api-query': 'nodejs24.x',
    });
    expect(bundlingFor(pinned.functions[0]!).target).toBe('node22');
  }, 120_000);
});
