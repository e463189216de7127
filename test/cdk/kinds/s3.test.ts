// The s3 trigger kind on AWS (infra/cdk/kinds/s3.ts), on the template synthesized from the real definitions
// (without bundling): each S3-triggered function gets a notification from its bucket with its trigger's
// events and filter, and S3 may invoke it from that bucket only.
import { describe, expect, it } from 'vitest';
import { idOf, ofType, referencedIds, synthesizedProject, triggeredBy } from '../helpers.ts';

const s = synthesizedProject();

const fnLogicalId = (id: string) => idOf(s, s.stack.resources.functions.get(id)!.fn);
const bucketId = (name: string) => idOf(s, s.stack.resources.bucket.get(name)!);
const notifications = () =>
  ofType(s, 'Custom::S3BucketNotifications').map(([, r]) => ({
    bucket: [...referencedIds(r.Properties!.BucketName)][0],
    configs: (
      r.Properties!.NotificationConfiguration as {
        LambdaFunctionConfigurations: Array<{
          Events: string[];
          Filter?: unknown;
          LambdaFunctionArn: unknown;
        }>;
      }
    ).LambdaFunctionConfigurations,
  }));

describe('S3 notifications', () => {
  it("each S3-triggered function is notified by its bucket with its trigger's events and filter, and only those", () => {
    const fns = triggeredBy('s3');
    expect(fns.length).toBeGreaterThan(0);
    const buckets = new Set(fns.map((f) => f.trigger.bucket));
    // buckets no function listens to (display, written by the image function) notify nothing: no loop
    expect(
      notifications()
        .map((n) => n.bucket)
        .sort(),
    ).toEqual([...buckets].map(bucketId).sort());
    for (const bucket of buckets) {
      const n = notifications().find((x) => x.bucket === bucketId(bucket))!;
      const expected = fns
        .filter((f) => f.trigger.bucket === bucket)
        .flatMap((f) => {
          const rules = [
            ...(f.trigger.filter?.prefix ? [{ Name: 'prefix', Value: f.trigger.filter.prefix }] : []),
            ...(f.trigger.filter?.suffix ? [{ Name: 'suffix', Value: f.trigger.filter.suffix }] : []),
          ];
          return f.trigger.events.map((event) => ({
            Events: [event],
            ...(rules.length ? { Filter: { Key: { FilterRules: rules } } } : {}),
            LambdaFunctionArn: { 'Fn::GetAtt': [fnLogicalId(f.id), 'Arn'] },
          }));
        });
      const sortKey = (c: { Events: string[] }) => c.Events.join();
      expect(
        [...n.configs].sort((a, b) => sortKey(a).localeCompare(sortKey(b))),
        bucket,
      ).toEqual(expected.sort((a, b) => sortKey(a).localeCompare(sortKey(b))));
    }
  });

  it('uploads notify the image function on every create and remove, unfiltered', () => {
    const n = notifications().find((x) => x.bucket === bucketId('uploads'))!;
    expect(n.configs.flatMap((c) => c.Events).sort()).toEqual(['s3:ObjectCreated:*', 's3:ObjectRemoved:*']);
    for (const c of n.configs) {
      expect(c.Filter).toBeUndefined();
      expect(referencedIds(c.LambdaFunctionArn)).toEqual(new Set([fnLogicalId('image-resize')]));
    }
  });

  it('lake notifies the loader only on ObjectCreated under events/ (not on the error prefix)', () => {
    const n = notifications().find((x) => x.bucket === bucketId('lake'))!;
    expect(n.configs).toHaveLength(1);
    expect(n.configs[0]).toEqual({
      Events: ['s3:ObjectCreated:*'],
      Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'events/' }] } },
      LambdaFunctionArn: { 'Fn::GetAtt': [fnLogicalId('stream-loader'), 'Arn'] },
    });
  });

  it('S3 may invoke each S3-triggered function only from its own bucket', () => {
    const perms = ofType(s, 'AWS::Lambda::Permission')
      .map(([, p]) => p.Properties!)
      .filter((p) => p.Principal === 's3.amazonaws.com');
    const fns = triggeredBy('s3');
    expect(perms).toHaveLength(fns.length);
    for (const f of fns) {
      const p = perms.find((x) => referencedIds(x.FunctionName).has(fnLogicalId(f.id)))!;
      expect(p, f.id).toBeDefined();
      expect(referencedIds(p.SourceArn), f.id).toEqual(new Set([bucketId(f.trigger.bucket)]));
    }
  });
});
