// Events of the stream pipeline's schema for the events API's tests: `makeEvent(source, i)` is the i-th
// event of a source, one minute apart from T0 (every third an `alert`, the rest `reading`), normalised as
// the transform normalises it; `writeEvents` puts them in a table as the loader does (loader.ts toItem).
import { BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import { toItem } from '../../pipelines/stream-etl/loader.ts';
import { type NormalisedEvent, parseEventRecord } from '../../pipelines/stream-etl/schema.ts';
import type { TestDynamo } from './stream-dynalite.ts';

export const T0 = Date.parse('2026-11-30T22:00:00.000Z');

export function makeEvent(source: string, i: number, type = i % 3 ? 'reading' : 'alert'): NormalisedEvent {
  const r = parseEventRecord({ source, type, time: T0 + i * 60_000, data: { i } });
  if (!r.ok) throw new Error(r.reason);
  return r.event;
}

export async function writeEvents(dynamo: TestDynamo, events: NormalisedEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += 25) {
    await dynamo.client.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [dynamo.tableName]: events.slice(i, i + 25).map((e) => ({ PutRequest: { Item: toItem(e) } })),
        },
      }),
    );
  }
}
