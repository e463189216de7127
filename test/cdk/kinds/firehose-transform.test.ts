// The firehose-transform trigger kind on AWS (infra/cdk/kinds/firehose-transform.ts), on the template
// synthesized from the real definitions (without bundling): each such function is its stream's processor
// and is invoked synchronously, so it has no on-failure queue, and its error alarm says Firehose retries.
import { describe, expect, it } from 'vitest';
import { wiringOf } from '../../../infra/cdk/kinds/index.ts';
import { idOf, ofType, referencedIds, synthesizedProject, triggeredBy } from '../helpers.ts';

const s = synthesizedProject();

describe('Firehose transforms', () => {
  it("each is its stream's processor, and the only function Firehose may invoke for that stream", () => {
    const fns = triggeredBy('firehose-transform');
    expect(fns.map((f) => f.id)).toContain('stream-transform');
    for (const f of fns) {
      const stream = s.stack.resources.stream.get(f.trigger.stream)!;
      expect(wiringOf(stream).processor).toBe(f.id);
      const d = (s.json.Resources[idOf(s, stream)]!.Properties as Record<string, unknown>)
        .ExtendedS3DestinationConfiguration as {
        ProcessingConfiguration: {
          Processors: Array<{ Parameters: Array<{ ParameterName: string; ParameterValue: unknown }> }>;
        };
      };
      const lambdas = d.ProcessingConfiguration.Processors.flatMap((p) =>
        p.Parameters.filter((x) => x.ParameterName === 'LambdaArn').flatMap((x) => [
          ...referencedIds(x.ParameterValue),
        ]),
      );
      expect(lambdas).toEqual([idOf(s, s.stack.resources.functions.get(f.id)!.fn)]);
    }
  });

  it('is invoked synchronously: no DLQ, no asynchronous invoke config; its error alarm says Firehose retries', () => {
    for (const f of triggeredBy('firehose-transform')) {
      const built = s.stack.resources.functions.get(f.id)!;
      expect(built.dlq, f.id).toBeUndefined();
      const fnId = idOf(s, built.fn);
      expect(
        ofType(s, 'AWS::Lambda::EventInvokeConfig').filter(([, c]) =>
          referencedIds(c.Properties!.FunctionName).has(fnId),
        ),
      ).toEqual([]);
      const [, errors] = ofType(s, 'AWS::CloudWatch::Alarm').find(
        ([, a]) => a.Properties!.AlarmName === `EventPipelines-${f.id}-errors`,
      )!;
      expect(String(errors.Properties!.AlarmDescription)).toContain('Firehose retries the batch.');
      expect(String(errors.Properties!.AlarmDescription)).not.toContain('DLQ');
    }
  });
});
