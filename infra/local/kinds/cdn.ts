// The `cdn` resource kind on the local cloud: the CloudFront distribution in front of a `cdn: true` bucket,
// under a fixed local id (cloudfront.ts), which environments get; viewers read the bucket itself, and
// invalidations are recorded (GET /_local/cloudfront/invalidations).
import { type InvalidationRecord, localDistributionId } from '../cloudfront.ts';
import type { LocalResourceKind } from './types.ts';

export const cdn: LocalResourceKind<'cdn'> = {
  title: 'CloudFront',
  health: 'distributions',
  async create(spec, services) {
    services.cloudfront.addDistribution(spec.name);
  },
  id: (spec) => localDistributionId(spec.name),
  describe: (spec) => `${localDistributionId(spec.name)} → s3://${spec.name} (invalidations only)`,
  resolve: (spec, variable) => ({ [variable]: localDistributionId(spec.name) }),
  lookCommand: (_spec, mode, endpoint) =>
    mode === 'invalidate' ? `curl -s ${endpoint}/_local/cloudfront/invalidations` : undefined,
  watch: (spec, mode, demo) => {
    if (mode !== 'invalidate') return undefined;
    const mine = async () =>
      (await demo.local<InvalidationRecord[]>('cloudfront/invalidations')).filter(
        (i) => i.bucket === spec.name,
      );
    return {
      snapshot: async () => (await mine()).length,
      changes: async (before) =>
        (await mine())
          .slice(before as number)
          .map((i) => `CloudFront ${i.distributionId} invalidation ${i.id}: ${i.paths.join(' ')}`),
    };
  },
};
