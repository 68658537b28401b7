/**
 * Reads what a windowed pipeline keeps in its state table, through the public DynamoDB API (GetItem,
 * Scan), as an operator would: the pipeline watermark, the closed windows' results and the windows still
 * open. The item shapes are the processor's (lambdas/processor/windows/window-items.ts); only the
 * attributes an operator reads are used here.
 */
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { StateTable } from '../../lambdas/shared/tables';
import { scanByPrefix } from './stores';

/** The pipeline watermark's item key (`watermark#pipeline`). */
const PIPELINE_WATERMARK_PK = 'watermark#pipeline';

/** A window's final result (`result#<start>#<key>`): written once at close, `tooLate` counted on it before or after. */
export interface WindowResult {
  readonly key: string;
  readonly start: number;
  readonly end: number;
  /** Undefined while only too-late events are counted on it (the window is not closed yet). */
  readonly count?: number;
  readonly tooLate: number;
  readonly closedAt?: number;
  readonly spiked?: boolean;
  /** The key's baseline when the window closed (none for its first closed window). */
  readonly baselineBefore?: number;
}

/** A window still open (`window#<start>#<key>`): its running count. */
export interface OpenWindow {
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly count: number;
}

const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/** The pipeline watermark as the closer last published it (epoch ms), undefined before its first run. */
export async function readPipelineWatermark(client: DynamoDBDocumentClient, tableName: string): Promise<number | undefined> {
  const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: { [StateTable.partitionKey]: PIPELINE_WATERMARK_PK }, ConsistentRead: true }));
  return num(Item?.watermark);
}

/** Results and open windows whose key passes `ours` (the run's keys on a shared table). */
export async function readWindows(client: DynamoDBDocumentClient, tableName: string, ours: (key: string) => boolean): Promise<{ results: WindowResult[]; open: OpenWindow[] }> {
  const [resultItems, windowItems] = await Promise.all([scanByPrefix(client, tableName, 'result#'), scanByPrefix(client, tableName, 'window#')]);
  const results: WindowResult[] = [];
  for (const item of resultItems) {
    const key = item.windowKey;
    const start = num(item.windowStart);
    const end = num(item.windowEnd);
    if (typeof key !== 'string' || !ours(key) || start === undefined || end === undefined) continue;
    const closedAt = num(item.closedAt);
    const count = num(item.count);
    const baselineBefore = num(item.baselineBefore);
    results.push({
      key,
      start,
      end,
      tooLate: num(item.tooLate) ?? 0,
      ...(count !== undefined ? { count } : {}),
      ...(closedAt !== undefined ? { closedAt } : {}),
      ...(typeof item.spiked === 'boolean' ? { spiked: item.spiked } : {}),
      ...(baselineBefore !== undefined ? { baselineBefore } : {}),
    });
  }
  const open: OpenWindow[] = [];
  for (const item of windowItems) {
    const key = item.windowKey;
    const start = num(item.windowStart);
    const end = num(item.windowEnd);
    if (typeof key !== 'string' || !ours(key) || start === undefined || end === undefined || item.closed === true) continue;
    open.push({ key, start, end, count: num(item.count) ?? 0 });
  }
  return { results, open };
}
