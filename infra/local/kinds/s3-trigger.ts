// The `s3` trigger kind on the local cloud: every committed change in the bucket that matches the
// trigger's events and key filter becomes an S3 event notification (shared/events/builders.ts), journaled
// before the S3 call is answered and invoked asynchronously (retries, DLQ), as S3 invokes Lambda.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { TriggerOf } from '../../../pipelines/types.ts';
import { buildS3Event } from '../../../shared/events/builders.ts';
import { REGION } from '../names.ts';
import { size } from './bucket.ts';
import type { LocalTriggerKind } from './types.ts';

type S3Trigger = TriggerOf<'s3'>;

/** The key a sample goes to: its `key` (default its name) under the filter's prefix. */
const sampleKey = (t: S3Trigger, sample: { key?: string; name: string }) =>
  `${t.filter?.prefix ?? ''}${sample.key ?? sample.name}`;

export const s3Trigger: LocalTriggerKind<'s3'> = {
  async wire(fn, t, ctx) {
    ctx.onS3Change(async (c) => {
      if (c.bucket !== t.bucket || !t.events.some((e) => matchesEvent(e, c.eventName))) return;
      if (t.filter?.prefix && !c.key.startsWith(t.filter.prefix)) return;
      if (t.filter?.suffix && !c.key.endsWith(t.filter.suffix)) return;
      await ctx.invokeDurably(
        fn,
        buildS3Event({
          bucket: c.bucket,
          key: c.key,
          eventName: c.eventName,
          size: c.size,
          eTag: c.eTag,
          ...(c.sequencer ? { sequencer: c.sequencer } : {}),
          region: REGION,
          configurationId: `${fn.id}-trigger`,
        }),
      );
    });
  },
  // A listener on the local S3 engine, in place from wire() on.
  wired: () => true,
  describe(t) {
    const filter = [
      t.filter?.prefix && `prefix ${t.filter.prefix}`,
      t.filter?.suffix && `suffix ${t.filter.suffix}`,
    ]
      .filter(Boolean)
      .join(', ');
    return `s3://${t.bucket} ${t.events.join(' ')}${filter ? ` (${filter})` : ''}`;
  },
  summarise(event) {
    const r = (
      event as {
        Records?: Array<{
          eventName?: string;
          s3?: { bucket?: { name?: string }; object?: { key?: string } };
        }>;
      }
    ).Records?.[0];
    const key = decodeURIComponent((r?.s3?.object?.key ?? '').replace(/\+/g, ' '));
    return `${r?.eventName ?? 's3 event'} s3://${r?.s3?.bucket?.name ?? '?'}/${key}`;
  },
  tryCommands: (t, sample) => [
    `aws s3 cp ${quote(sample.shown)} ${quote(`s3://${t.bucket}/${sampleKey(t, sample)}`)}`,
  ],
  async send(t, sample, content, demo) {
    // A fresh key each run, so that the results are new objects rather than overwritten ones.
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const key = sampleKey(t, { ...sample, key: `demo ${stamp}/${sample.key ?? sample.name}` });
    await demo.s3.send(new PutObjectCommand({ Bucket: t.bucket, Key: key, Body: content }));
    return `uploaded ${sample.name} (${size(content.length)}) to s3://${t.bucket}/${key}`;
  },
  results: () => [],
};

function matchesEvent(pattern: string, eventName: string): boolean {
  const p = pattern.replace(/^s3:/, '');
  return p.endsWith(':*') ? eventName.startsWith(p.slice(0, -1)) : p === eventName;
}

/** Quoted for a POSIX shell when it holds anything but safe characters. */
export function quote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
