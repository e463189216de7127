// The table kind on AWS (infra/cdk/kinds/table.ts), on the template synthesized from the real definitions
// (without bundling): one DynamoDB table per declared table, with the spec's keys and TTL, on demand, with
// point-in-time recovery and encryption; data grants that follow the access modes.
import { describe, expect, it } from 'vitest';
import { allFunctions } from '../../../pipelines/index.ts';
import { actionsOn as actionsOf, catalog, idOf, propsOf, refId, synthesizedProject } from '../helpers.ts';

const s = synthesizedProject();

const props = (logicalId: string) => propsOf(s, logicalId);
const actionsOn = (fnId: string, resourceId: string) => actionsOf(s, fnId, resourceId);

describe('tables', () => {
  it('creates every declared table', () => {
    const names = catalog.resources.table.map((t) => t.name);
    expect(names.length).toBeGreaterThan(0);
    s.template.resourceCountIs('AWS::DynamoDB::Table', names.length);
    expect([...s.stack.resources.table.keys()].sort()).toEqual([...names].sort());
  });

  it('each table is on demand with point-in-time recovery and encryption, keyed and expiring as its spec says', () => {
    for (const spec of catalog.resources.table) {
      const p = props(idOf(s, s.stack.resources.table.get(spec.name)!));
      expect(p.BillingMode, spec.name).toBe('PAY_PER_REQUEST');
      expect(p.PointInTimeRecoverySpecification, spec.name).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(p.SSESpecification, spec.name).toEqual({ SSEEnabled: true });
      expect(p.KeySchema, spec.name).toEqual([
        { AttributeName: spec.partitionKey.name, KeyType: 'HASH' },
        ...(spec.sortKey ? [{ AttributeName: spec.sortKey.name, KeyType: 'RANGE' }] : []),
      ]);
      expect(p.TimeToLiveSpecification, spec.name).toEqual(
        spec.ttlAttribute ? { AttributeName: spec.ttlAttribute, Enabled: true } : undefined,
      );
    }
  });

  it('the idempotency table expires on `expiration`; the events table is keyed by pk and sk', () => {
    expect(props(idOf(s, s.stack.resources.table.get('idempotency')!)).TimeToLiveSpecification).toEqual({
      AttributeName: 'expiration',
      Enabled: true,
    });
    expect(props(idOf(s, s.stack.resources.table.get('events')!)).KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
  });
});

describe('table grants', () => {
  const READS = ['GetItem', 'BatchGetItem', 'Query', 'Scan'];
  const WRITES = ['PutItem', 'BatchWriteItem', 'UpdateItem', 'DeleteItem'];
  it('each access mode grants what it says on that table: read never writes, write never reads', () => {
    const entries = allFunctions().flatMap((f) =>
      f.access.filter((a) => a.resource.kind === 'table').map((a) => ({ fn: f.id, ...a })),
    );
    expect(entries.length).toBeGreaterThan(0);
    for (const { fn, resource, mode } of entries) {
      const actions = actionsOn(fn, refId(s, resource));
      const reads = actions.some((a) => READS.some((r) => a === `dynamodb:${r}`));
      const writes = actions.some((a) => WRITES.some((w) => a === `dynamodb:${w}`));
      expect({ fn, table: resource.name, reads, writes }).toEqual({
        fn,
        table: resource.name,
        reads: mode !== 'write',
        writes: mode !== 'read',
      });
    }
  });

  it('the loader may batch-write the events table but not read it', () => {
    const events = actionsOn('stream-loader', idOf(s, s.stack.resources.table.get('events')!));
    expect(events).toContain('dynamodb:BatchWriteItem');
    expect(events.some((a) => a.includes('GetItem') || a.includes('Query') || a.includes('Scan'))).toBe(
      false,
    );
  });
});
