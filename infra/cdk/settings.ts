// Deployment settings of the CDK app, read from CDK context (`cdk.json` or `-c key=value`). Context, not
// CfnParameters: every value is known at synth time, so the template stays plain and `npm run synth` works
// offline. Values given on the command line arrive as strings, so JSON values are parsed here.
import type { Node } from 'constructs';
import { z } from 'zod';

export interface DeploySettings {
  /** CloudFormation stack name. */
  stackName: string;
  /** Days to keep function, Firehose and access logs. */
  logRetentionDays: number;
  /**
   * Apply each FunctionSpec's reservedConcurrency. Off by default: Lambda refuses a reservation that leaves
   * fewer than min(quota, 100) executions unreserved, so a new account (quota 10) can reserve nothing.
   */
  reservedConcurrency: boolean;
  /** Logical name of the topic that operational alarms publish to (the alarm pipeline's topic). */
  alarmTopic: string;
  /** Extra environment per function id, merged over the definition's environment (variants, drop types …). */
  functionEnv: Record<string, Record<string, string>>;
  /** Existing Secrets Manager secret ARNs by SecretSpec name, used instead of creating the secret. */
  secretArns: Record<string, string>;
  /** Custom domains per CDN bucket: an ACM certificate in us-east-1 and its names (enables TLS 1.2 minimum). */
  cdnDomains: Record<string, { certificateArn: string; domainNames: string[] }>;
  /**
   * Deploy the caches (ElastiCache Serverless, and the VPC their clients run in). Off (`-c cache=false`): no
   * cache, no VPC, no endpoints; a cache reference resolves to '' and functions run uncached.
   */
  cache: boolean;
}

export const DEFAULT_SETTINGS: DeploySettings = {
  stackName: 'EventPipelines',
  logRetentionDays: 30,
  reservedConcurrency: false,
  alarmTopic: 'alarms',
  functionEnv: {},
  secretArns: {},
  cdnDomains: {},
  cache: true,
};

const jsonOr = <T extends z.ZodType>(inner: T) =>
  z.preprocess((value, ctx) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value) as unknown;
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `is not valid JSON (${(err as Error).message})` });
      return z.NEVER;
    }
  }, inner);

const boolish = z
  .union([z.boolean(), z.enum(['true', 'false', 'on', 'off'])])
  .transform((v) => v === true || v === 'true' || v === 'on');

const settingsSchema = z.object({
  stackName: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'must be a valid CloudFormation stack name')
    .optional(),
  logRetentionDays: z.coerce.number().int().positive().optional(),
  reservedConcurrency: boolish.optional(),
  alarmTopic: z.string().min(1).optional(),
  functionEnv: jsonOr(z.record(z.string(), z.record(z.string(), z.string()))).optional(),
  secretArns: jsonOr(z.record(z.string(), z.string().startsWith('arn:'))).optional(),
  cdnDomains: jsonOr(
    z.record(
      z.string(),
      z.object({
        certificateArn: z
          .string()
          .startsWith('arn:aws:acm:us-east-1:', 'must be an ACM certificate in us-east-1'),
        domainNames: z.array(z.string().min(1)).min(1),
      }),
    ),
  ).optional(),
  cache: boolish.optional(),
});

/** Every context key this app reads; anything else in context is CDK's own (feature flags). */
export const SETTING_KEYS = Object.keys(settingsSchema.shape) as Array<keyof DeploySettings>;

/** Reads the settings from a construct node's context, with a clear error naming any bad key. */
export function readSettings(node: Node): DeploySettings {
  const raw: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) {
    const value: unknown = node.tryGetContext(key);
    if (value !== undefined) raw[key] = value;
  }
  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `context "${i.path.join('.')}": ${i.message}`);
    throw new Error(`Invalid CDK context:\n  ${issues.join('\n  ')}`);
  }
  const settings: DeploySettings = { ...DEFAULT_SETTINGS };
  for (const [key, value] of Object.entries(parsed.data)) {
    if (value !== undefined) Object.assign(settings, { [key]: value });
  }
  return settings;
}
