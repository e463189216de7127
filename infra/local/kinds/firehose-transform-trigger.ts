// The `firehose-transform` trigger kind on the local cloud: the function becomes its stream's data
// transformation, invoked synchronously by the stream's deliveries (firehose/delivery.ts). The demo puts
// the sample's lines as records with PutRecordBatch (within Firehose's limits, resending what failed); the
// stream's deliveries and its destination bucket show the results.
import { PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { sleep } from '../../../shared/retry.ts';
import { LIMITS } from '../firehose/api.ts';
import { quote } from './s3-trigger.ts';
import type { LocalTriggerKind } from './types.ts';

export const firehoseTransformTrigger: LocalTriggerKind<'firehose-transform'> = {
  async wire(fn, t, ctx) {
    ctx.services.firehose.setProcessor(t.stream, fn.id);
  },
  wired: (fn, t, services) => services.firehose.processorOf(t.stream) === fn.id,
  describe: (t) => `firehose ${t.stream} (transform)`,
  summarise(event) {
    const e = event as { records?: unknown[]; deliveryStreamArn?: string };
    return `firehose ${e.records?.length ?? 0} record(s) from ${e.deliveryStreamArn?.split('/').pop() ?? '?'}`;
  },
  tryCommands(t, sample) {
    const line = firstLine(sample.content?.() ?? '');
    if (!line) return [];
    return [
      `aws firehose put-record --delivery-stream-name ${t.stream} --cli-binary-format raw-in-base64-out --record ${quote(JSON.stringify({ Data: `${line}\n` }))}`,
    ];
  },
  async send(t, sample, content, demo) {
    const lines = content.toString('utf8').split('\n').filter(Boolean);
    const count = sample.records ?? lines.length;
    let pending: Buffer[] = Array.from({ length: count }, (_, i) =>
      Buffer.from(`${lines[i % lines.length]}\n`),
    );
    let attempts = 0;
    while (pending.length > 0 && attempts++ < 10) {
      const failed: Buffer[] = [];
      for (const batch of batches(pending)) {
        const out = await demo.firehose.send(
          new PutRecordBatchCommand({
            DeliveryStreamName: t.stream,
            Records: batch.map((Data) => ({ Data })),
          }),
        );
        out.RequestResponses?.forEach((r, i) => {
          if (r.ErrorCode) failed.push(batch[i]!);
        });
      }
      pending = failed;
      if (pending.length) await sleep(200 * attempts);
    }
    const sent = count - pending.length;
    return `put ${sent} records (${sample.name}${count > lines.length ? `: ${lines.length} lines, cycled` : ''}) to Firehose stream ${t.stream}${pending.length ? `; ${pending.length} refused` : ''}`;
  },
  results: (t, catalog) => {
    const spec = catalog.resources.stream.find((s) => s.name === t.stream);
    return [
      { resource: { kind: 'stream', name: t.stream }, mode: 'write' },
      ...(spec
        ? [{ resource: { kind: 'bucket', name: spec.destination.bucket }, mode: 'write' } as const]
        : []),
    ];
  },
};

function firstLine(text: string): string | undefined {
  return text.split('\n').find((l) => l.trim());
}

/** Records in PutRecordBatch calls within Firehose's limits (500 records, 4 MiB). */
function batches(records: Buffer[]): Buffer[][] {
  const out: Buffer[][] = [];
  let cur: Buffer[] = [];
  let bytes = 0;
  for (const r of records) {
    if (
      cur.length === LIMITS.recordsPerBatch ||
      (cur.length > 0 && bytes + r.length > LIMITS.bytesPerBatch)
    ) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(r);
    bytes += r.length;
  }
  if (cur.length) out.push(cur);
  return out;
}
