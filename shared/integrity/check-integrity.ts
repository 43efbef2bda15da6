import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { confirmViolations, type ConfirmedViolation } from './confirm-violations.js';
import type { Violation } from './find-violations.js';
import { findViolations, type ScanProgress } from './scan-table.js';

export interface CheckOptions {
  pageSize?: number;
  onScanProgress?: (progress: ScanProgress) => void | Promise<void>;
  /** Called once before the re-checks start (with checked 0) and after each one. */
  onConfirmProgress?: (checked: number, total: number) => void;
}

export interface IntegrityReport extends ScanProgress {
  /** What the scan suspected. */
  suspected: number;
  /** Violations that a strongly consistent re-read confirmed. */
  violations: ConfirmedViolation[];
  /** Suspicions the re-read did not confirm (writes during the scan). */
  dismissed: Violation[];
}

/** The whole check: a paginated scan for suspected violations, then a consistent re-read of each. */
export const checkIntegrity = async (
  client: DynamoDBDocumentClient,
  tableName: string,
  { pageSize, onScanProgress, onConfirmProgress }: CheckOptions = {},
): Promise<IntegrityReport> => {
  const scan = await findViolations(client, tableName, { pageSize, onProgress: onScanProgress });
  if (scan.violations.length > 0) onConfirmProgress?.(0, scan.violations.length);
  const { confirmed, dismissed } = await confirmViolations(client, tableName, scan.violations, { onProgress: onConfirmProgress });
  return { itemsRead: scan.itemsRead, pagesRead: scan.pagesRead, suspected: scan.violations.length, violations: confirmed, dismissed };
};
