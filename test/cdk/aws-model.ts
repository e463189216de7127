// Small, documented models of what AWS does with a synthesized template, so CDK tests can assert the behaviour
// (may CloudWatch publish? does the alarm stay in ALARM? will Lambda accept the reservations?) rather than the
// presence of a property. Hand-written because no library evaluates IAM policies or CloudWatch alarm states
// offline; each model implements only what this stack's template uses and throws on anything else, so a
// template change it cannot judge fails loudly instead of being judged wrongly. Sources are cited per model.

// --- CloudFormation intrinsics ------------------------------------------------------------------------------

export interface IntrinsicEnv {
  accountId: string;
  region: string;
  partition: string;
  /** Value of `Ref` per logical id (for an AWS::SNS::Topic, Ref is the topic ARN). */
  refs?: Record<string, string>;
  /** Value of `Fn::GetAtt` per "LogicalId.Attribute". */
  attrs?: Record<string, string>;
}

/** Resolves Ref (pseudo parameters and given logical ids), Fn::Join and Fn::GetAtt to strings. */
export function resolve(value: unknown, env: IntrinsicEnv): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(v, env));
  if (!value || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'))) {
    const [key] = keys as [string];
    const arg = obj[key];
    if (key === 'Ref') {
      const pseudo: Record<string, string> = {
        'AWS::AccountId': env.accountId,
        'AWS::Region': env.region,
        'AWS::Partition': env.partition,
        'AWS::URLSuffix': 'amazonaws.com',
      };
      const v = pseudo[String(arg)] ?? env.refs?.[String(arg)];
      if (v === undefined) throw new Error(`resolve: no value for Ref ${String(arg)}`);
      return v;
    }
    if (key === 'Fn::Join') {
      const [sep, parts] = arg as [string, unknown[]];
      return (resolve(parts, env) as unknown[]).map(String).join(sep);
    }
    if (key === 'Fn::GetAtt') {
      const [id, attr] = arg as [string, string];
      const v = env.attrs?.[`${id}.${attr}`];
      if (v === undefined) throw new Error(`resolve: no value for Fn::GetAtt ${id}.${attr}`);
      return v;
    }
    throw new Error(`resolve: intrinsic ${key} is not modelled`);
  }
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, resolve(v, env)]));
}

// --- IAM policy evaluation ----------------------------------------------------------------------------------
// Source: IAM User Guide, "Policy evaluation logic" (an explicit Deny in any statement wins; otherwise an
// Allow is needed; otherwise the request is implicitly denied), "IAM JSON policy elements: Condition
// operators" and "Creating a condition with multiple keys or values" (operators AND, keys AND, values OR;
// for negated operators a request value must match none; a key absent from the request context does not
// match, except for negated operators and ...IfExists, which then evaluate to true), "Principal" (a service
// principal is matched by `{"Service": ...}` or by `"*"`), and action names being case-insensitive while
// resource ARNs are case-sensitive. Only one request is judged, with single-valued context keys.

export type Principal = { service: string } | { aws: string };

export interface PolicyRequest {
  principal: Principal;
  action: string;
  resource: string;
  /** Request context keys (e.g. aws:SourceAccount, aws:SourceArn, aws:SecureTransport = 'true' | 'false'). */
  context: Record<string, string>;
}

export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  Action?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[] | boolean | number>>;
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** `*` any run, `?` one character (IAM's wildcards in actions, resources, *Like operators). */
function glob(pattern: string, value: string, ignoreCase: boolean): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, ignoreCase ? 'is' : 's').test(value);
}

/** ArnLike/ArnEquals: each of the six colon-separated components is matched separately (IAM docs). */
function arnMatch(pattern: string, value: string, like: boolean): boolean {
  const split = (arn: string) => {
    const parts = arn.split(':');
    return parts.length < 6 ? undefined : [...parts.slice(0, 5), parts.slice(5).join(':')];
  };
  const p = split(pattern);
  const v = split(value);
  if (!p || !v) return false;
  return p.every((seg, i) => (like ? glob(seg, v[i]!, false) : seg === v[i]));
}

function principalMatches(principal: unknown, who: Principal): boolean {
  if (principal === '*') return true;
  if (!principal || typeof principal !== 'object') throw new Error(`Principal ${JSON.stringify(principal)}`);
  for (const [kind, values] of Object.entries(principal as Record<string, unknown>)) {
    for (const v of list(values as string | string[])) {
      if (kind === 'AWS' && v === '*') return true;
      if (kind === 'Service' && 'service' in who && v === who.service) return true;
      if (kind === 'AWS' && 'aws' in who) {
        const account = /^\d{12}$/.test(v) ? v : /^arn:[^:]+:iam::(\d{12}):root$/.exec(v)?.[1];
        if (v === who.aws || (account !== undefined && who.aws.split(':')[4] === account)) return true;
      }
      if (kind !== 'AWS' && kind !== 'Service') throw new Error(`Principal type ${kind} is not modelled`);
    }
  }
  return false;
}

type Operator = (policyValue: string, requestValue: string) => boolean;
const OPERATORS: Record<string, { test: Operator; negated: boolean }> = {
  StringEquals: { test: (p, r) => p === r, negated: false },
  StringNotEquals: { test: (p, r) => p === r, negated: true },
  StringEqualsIgnoreCase: { test: (p, r) => p.toLowerCase() === r.toLowerCase(), negated: false },
  StringLike: { test: (p, r) => glob(p, r, false), negated: false },
  StringNotLike: { test: (p, r) => glob(p, r, false), negated: true },
  ArnEquals: { test: (p, r) => arnMatch(p, r, false), negated: false },
  ArnLike: { test: (p, r) => arnMatch(p, r, true), negated: false },
  ArnNotEquals: { test: (p, r) => arnMatch(p, r, false), negated: true },
  ArnNotLike: { test: (p, r) => arnMatch(p, r, true), negated: true },
  Bool: { test: (p, r) => p.toLowerCase() === r.toLowerCase(), negated: false },
  NumericLessThan: { test: (p, r) => Number(r) < Number(p), negated: false },
};

function conditionHolds(condition: PolicyStatement['Condition'], context: Record<string, string>): boolean {
  const ctx = new Map(Object.entries(context).map(([k, v]) => [k.toLowerCase(), v]));
  for (const [rawOp, keys] of Object.entries(condition ?? {})) {
    const ifExists = rawOp.endsWith('IfExists');
    const op = OPERATORS[ifExists ? rawOp.slice(0, -'IfExists'.length) : rawOp];
    if (!op) throw new Error(`condition operator ${rawOp} is not modelled`);
    for (const [key, values] of Object.entries(keys)) {
      const requestValue = ctx.get(key.toLowerCase()); // condition key names are case-insensitive
      if (requestValue === undefined) {
        if (ifExists || op.negated) continue;
        return false;
      }
      const hits = list(values as string | string[]).map((v) => op.test(String(v), requestValue));
      if (op.negated ? hits.some(Boolean) : !hits.some(Boolean)) return false;
    }
  }
  return true;
}

function statementApplies(st: PolicyStatement, req: PolicyRequest, resourcePolicy: boolean): boolean {
  for (const unsupported of ['NotPrincipal', 'NotAction', 'NotResource']) {
    if (unsupported in st) throw new Error(`${unsupported} is not modelled`);
  }
  if (resourcePolicy && !principalMatches(st.Principal, req.principal)) return false;
  if (!list(st.Action).some((a) => glob(a, req.action, true))) return false;
  if (!list(st.Resource).some((r) => glob(String(r), req.resource, false))) return false;
  return conditionHolds(st.Condition, req.context);
}

/**
 * Decision of one policy for one request: explicit Deny > Allow > implicit deny. `resourcePolicy` (default)
 * matches the Principal element; identity policies have none.
 */
export function evaluatePolicy(
  statements: readonly PolicyStatement[],
  req: PolicyRequest,
  { resourcePolicy = true }: { resourcePolicy?: boolean } = {},
): Decision {
  const applying = statements.filter((st) => statementApplies(st, req, resourcePolicy));
  if (applying.some((st) => st.Effect === 'Deny')) return 'ExplicitDeny';
  if (applying.some((st) => st.Effect === 'Allow')) return 'Allow';
  return 'ImplicitDeny';
}

// --- CloudWatch alarm state over missing data ---------------------------------------------------------------
// Source: CloudWatch User Guide, "Configuring how CloudWatch alarms treat missing data": notBreaching —
// missing datapoints are treated as within the threshold; breaching — as breaching; ignore — "the current
// alarm state is maintained"; missing — if all datapoints in the evaluation range are missing, the alarm
// goes to INSUFFICIENT_DATA (the default when TreatMissingData is unset). Modelled for 1-of-1 alarms only
// (every alarm in this stack), evaluated once per period.

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface AlarmProps {
  Threshold: number;
  ComparisonOperator: string;
  EvaluationPeriods: number;
  DatapointsToAlarm?: number;
  TreatMissingData?: string;
}

const COMPARE: Record<string, (v: number, t: number) => boolean> = {
  GreaterThanOrEqualToThreshold: (v, t) => v >= t,
  GreaterThanThreshold: (v, t) => v > t,
  LessThanThreshold: (v, t) => v < t,
  LessThanOrEqualToThreshold: (v, t) => v <= t,
};

/** Alarm state after each period, given one datapoint (or `undefined`: none published) per period. */
export function alarmStates(
  alarm: AlarmProps,
  datapoints: ReadonlyArray<number | undefined>,
  initial: AlarmState = 'INSUFFICIENT_DATA',
): AlarmState[] {
  if (alarm.EvaluationPeriods !== 1 || (alarm.DatapointsToAlarm ?? 1) !== 1)
    throw new Error('alarmStates models 1-of-1 alarms only');
  const compare = COMPARE[alarm.ComparisonOperator];
  if (!compare) throw new Error(`ComparisonOperator ${alarm.ComparisonOperator} is not modelled`);
  const treat = alarm.TreatMissingData ?? 'missing';
  let state = initial;
  return datapoints.map((v) => {
    if (v !== undefined) state = compare(v, alarm.Threshold) ? 'ALARM' : 'OK';
    else if (treat === 'breaching') state = 'ALARM';
    else if (treat === 'notBreaching') state = 'OK';
    else if (treat === 'missing') state = 'INSUFFICIENT_DATA';
    else if (treat !== 'ignore') throw new Error(`TreatMissingData ${treat} is not modelled`);
    return state;
  });
}

// --- SQS metric publication ---------------------------------------------------------------------------------
// Source: Amazon SQS Developer Guide, "Monitoring Amazon SQS queues using CloudWatch" / "Available CloudWatch
// metrics for Amazon SQS": metrics are published only for active queues, and "a queue is considered active
// by CloudWatch for up to six hours from the last activity (i.e., any API call) on the queue".

export interface QueueApiCall {
  /** Minutes since the start of the simulation. */
  atMinute: number;
  /** Visible messages right after the call (SendMessage raises it, DeleteMessage lowers it, …). */
  visibleAfter: number;
}

/** ApproximateNumberOfMessagesVisible datapoints per period; `undefined` while SQS publishes nothing. */
export function sqsVisibleDatapoints(
  calls: readonly QueueApiCall[],
  periods: number,
  periodMinutes = 5,
): Array<number | undefined> {
  const ACTIVE_MINUTES = 6 * 60;
  return Array.from({ length: periods }, (_, p) => {
    const end = (p + 1) * periodMinutes;
    const last = calls.filter((c) => c.atMinute < end).at(-1);
    if (!last || end - last.atMinute > ACTIVE_MINUTES) return undefined;
    return last.visibleAfter;
  });
}

// --- Lambda reserved concurrency ----------------------------------------------------------------------------
// Source: Lambda API Reference, PutFunctionConcurrency: "You can reserve concurrency for as many functions as
// you like, as long as you leave at least 100 simultaneous executions unreserved"; accounts whose quota is
// below 100 (new accounts start at 10) must keep all of it unreserved — Lambda answers
// InvalidParameterValueException "Specified ReservedConcurrentExecutions for function decreases account's
// UnreservedConcurrentExecution below its minimum value of [10]".

export function reservationError(accountQuota: number, reservations: readonly number[]): string | undefined {
  const minimum = Math.min(accountQuota, 100);
  const unreserved = accountQuota - reservations.reduce((a, b) => a + b, 0);
  return unreserved >= minimum
    ? undefined
    : "InvalidParameterValueException: Specified ReservedConcurrentExecutions for function decreases account's " +
        `UnreservedConcurrentExecution below its minimum value of [${minimum}].`;
}
