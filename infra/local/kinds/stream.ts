// The `stream` resource kind on the local cloud: a Firehose delivery stream (firehose/) to its S3
// destination, buffered as configured locally (LOCAL_FIREHOSE_BUFFER_*, not the definition's AWS
// minimums), its name in environments; the demo reports its deliveries (GET /_local/firehose).
import type { DeliveryReport } from '../firehose/api.ts';
import type { LocalResourceKind } from './types.ts';

export const stream: LocalResourceKind<'stream'> = {
  title: 'Firehose',
  health: 'streams',
  async create(spec, services) {
    services.firehose.addStream(spec);
  },
  id: (spec) => spec.name,
  describe: (spec, ctx) =>
    `${spec.name} → s3://${spec.destination.bucket}/${spec.destination.prefix}  (${spec.destination.compression}, buffer ${ctx.firehoseBuffer}, transform ${spec.processor})`,
  resolve: (spec, variable) => ({ [variable]: spec.name }),
  lookCommand: (spec, _mode, endpoint) => `curl -s ${endpoint}/_local/firehose  # deliveries of ${spec.name}`,
  watch: (spec, _mode, demo) => {
    const mine = async () =>
      (await demo.local<DeliveryReport[]>('firehose')).filter((r) => r.stream === spec.name);
    return {
      snapshot: async () => (await mine()).length,
      async changes(before) {
        const reports = (await mine()).slice(before as number);
        if (reports.length === 0) return [];
        const sum = (k: 'ok' | 'dropped' | 'failed') => reports.reduce((n, r) => n + r[k], 0);
        const objects = reports.reduce((n, r) => n + r.objects.length, 0);
        return [
          `Firehose ${spec.name}: ${sum('ok')} Ok, ${sum('dropped')} Dropped, ${sum('failed')} failed → ${objects} object(s) in s3://${spec.destination.bucket}/`,
        ];
      },
    };
  },
};
