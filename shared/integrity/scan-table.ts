import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ViolationFinder, type Violation } from './find-violations.js';

export const DEFAULT_PAGE_SIZE = 500;
export const MAX_PAGE_SIZE = 1000;

export interface ScanProgress {
  itemsRead: number;
  pagesRead: number;
}

export interface ScanOptions {
  /** Items per page (1 to MAX_PAGE_SIZE): bounds each read and the memory one page takes. */
  pageSize?: number;
  /** Called after every page; the scan waits for it before it reads the next page. */
  onProgress?: (progress: ScanProgress) => void | Promise<void>;
}

export interface ScanResult extends ScanProgress {
  /** What the scan saw. A scan of a live table is no snapshot: confirm these before reporting them. */
  violations: Violation[];
}

export const checkPageSize = (pageSize: number): number => {
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new RangeError(`The page size must be a whole number from 1 to ${MAX_PAGE_SIZE}, not ${pageSize}.`);
  }
  return pageSize;
};

/**
 * Scans the whole table, one bounded page at a time (strongly consistent reads of at most `pageSize` items and
 * 1 MB), and reports every violation the items it saw show.
 */
export const findViolations = async (
  client: DynamoDBDocumentClient,
  tableName: string,
  { pageSize = DEFAULT_PAGE_SIZE, onProgress }: ScanOptions = {},
): Promise<ScanResult> => {
  const limit = checkPageSize(pageSize);
  const finder = new ViolationFinder();
  let pagesRead = 0;
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, Limit: limit, ConsistentRead: true, ExclusiveStartKey }));
    for (const item of page.Items ?? []) finder.add(item);
    pagesRead += 1;
    await onProgress?.({ itemsRead: finder.itemsSeen, pagesRead });
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return { itemsRead: finder.itemsSeen, pagesRead, violations: finder.finish() };
};
