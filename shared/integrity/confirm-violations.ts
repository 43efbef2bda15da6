import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PARTITION_KEY } from '../customers/table.js';
import { relatedPk, ViolationFinder, type Violation } from './find-violations.js';

/** The items a confirmed violation rests on, as re-read: `null` for an item that does not exist. */
export type Evidence = Record<string, Record<string, unknown> | null>;

export interface ConfirmedViolation extends Violation {
  evidence: Evidence;
}

export interface ConfirmOptions {
  /** GetItem requests in flight at once. */
  concurrency?: number;
  /** Called after each suspected violation has been re-checked. */
  onProgress?: (checked: number, total: number) => void;
}

export interface ConfirmResult {
  /** Violations that still hold on a strongly consistent re-read, described as the table is now. */
  confirmed: ConfirmedViolation[];
  /** Suspected violations that the re-read did not show: a write moved the items while the scan ran. */
  dismissed: Violation[];
}

/**
 * Stops following links after this many items; a longer chain of items that name each other is itself a sign of
 * damage, so the suspected violation is then kept as the scan saw it.
 */
const MAX_ITEMS_PER_CHECK = 50;

/**
 * Re-reads the items of one suspected violation with strongly consistent GetItem, then the items those point at
 * (a customer's uniqueness item, a uniqueness item's customer), and so on until nothing new is named.
 */
const readClosure = async (client: DynamoDBDocumentClient, tableName: string, pks: string[]): Promise<{ evidence: Evidence; complete: boolean }> => {
  const evidence: Evidence = {};
  let pending = [...new Set(pks)];
  while (pending.length > 0) {
    if (Object.keys(evidence).length + pending.length > MAX_ITEMS_PER_CHECK) return { evidence, complete: false };
    const read = await Promise.all(
      pending.map(async (pk) => {
        const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: { [PARTITION_KEY]: pk }, ConsistentRead: true }));
        return [pk, Item ?? null] as const;
      }),
    );
    const next = new Set<string>();
    for (const [pk, item] of read) {
      evidence[pk] = item;
      const related = item === null ? undefined : relatedPk(item);
      if (related !== undefined && !(related in evidence)) next.add(related);
    }
    pending = [...next].filter((pk) => !(pk in evidence));
  }
  return { evidence, complete: true };
};

const sameKey = (violation: Violation) => `${violation.kind}\u0000${[...violation.items].sort().join('\u0000')}`;

/**
 * A scan of a live table is not a snapshot: a rename that commits while the scan runs can show the scan a customer
 * before and its uniqueness items after (or the reverse), which looks like a violation. Each suspected violation is
 * therefore re-checked: its items and the items they point at are re-read with strongly consistent GetItem, the
 * same rules run over what came back, and the violation is kept only if the same kind of violation still involves
 * at least one of the same items. What is kept is described as re-read, with those items as evidence.
 */
export const confirmViolations = async (
  client: DynamoDBDocumentClient,
  tableName: string,
  suspected: Violation[],
  { concurrency = 8, onProgress }: ConfirmOptions = {},
): Promise<ConfirmResult> => {
  const outcomes: (ConfirmedViolation[] | undefined)[] = new Array(suspected.length);
  let nextIndex = 0;
  let checked = 0;

  const check = async (suspect: Violation): Promise<ConfirmedViolation[] | undefined> => {
    const { evidence, complete } = await readClosure(client, tableName, suspect.items);
    if (!complete) return [{ ...suspect, evidence }];
    const finder = new ViolationFinder();
    for (const item of Object.values(evidence)) if (item !== null) finder.add(item);
    const involved = new Set(suspect.items);
    const still = finder
      .finish()
      .filter((fresh) => fresh.kind === suspect.kind && fresh.items.some((pk) => involved.has(pk)))
      .map((fresh) => ({ ...fresh, evidence }));
    return still.length > 0 ? still : undefined;
  };

  const worker = async () => {
    while (nextIndex < suspected.length) {
      const index = nextIndex++;
      outcomes[index] = await check(suspected[index]!);
      checked += 1;
      onProgress?.(checked, suspected.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, suspected.length)) }, worker));

  const confirmed: ConfirmedViolation[] = [];
  const dismissed: Violation[] = [];
  const seen = new Set<string>();
  suspected.forEach((suspect, index) => {
    const still = outcomes[index];
    if (still === undefined) {
      dismissed.push(suspect);
      return;
    }
    for (const violation of still) {
      const key = sameKey(violation);
      if (seen.has(key)) continue;
      seen.add(key);
      confirmed.push(violation);
    }
  });
  return { confirmed, dismissed };
};
