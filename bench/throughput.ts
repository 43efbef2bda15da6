import type { Server } from 'node:http';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createLocalServer } from '../local/server.js';
import { checkIntegrity } from '../shared/integrity/check-integrity.js';
import {
  benchCustomer,
  byExternalIdPath,
  byIdPath,
  httpClient,
  ms,
  msSince,
  renameBody,
  seedCustomers,
  summarize,
  type LambdaHandler,
  type Row,
  type SectionResult,
} from './support.js';

export interface ThroughputOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  byId: LambdaHandler;
  byExternalId: LambdaHandler;
  /** How long each level runs. */
  seconds: number;
  levels: readonly number[];
  fighters: number;
}

const TOKEN = 'bench-token';

/** A small deterministic generator, so a run's contention pattern can be replayed. */
const mulberry32 = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let value = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
  return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
};

/** Target 4: renames per second through the local server, then clients fighting over the same externalIds. */
export const measureThroughput = async ({ client, tableName, byId, byExternalId, seconds, levels, fighters }: ThroughputOptions): Promise<SectionResult> => {
  const server: Server = createLocalServer({ byId, byExternalId, token: TOKEN });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const rows: Row[] = [];
  const details: Record<string, unknown> = { seconds };
  const section = 'Throughput';
  try {
    for (const clients of levels) {
      // Each client renames its own customer, alternating the two addressing forms.
      const customers = Array.from({ length: clients }, () => benchCustomer(`tp${clients}`));
      await seedCustomers(client, tableName, customers);
      const connection = httpClient(port, clients);
      const latencies: number[] = [];
      const statuses = new Map<string, number>();
      let ok = 0;
      const deadline = Date.now() + seconds * 1000;
      const started = process.hrtime.bigint();
      await Promise.all(
        customers.map(async (customer, index) => {
          let current = customer.externalId;
          for (let turn = 0; Date.now() < deadline; turn += 1) {
            const next = `bench-tp${clients}-${index}-${turn}`;
            const path = turn % 2 === 0 ? byIdPath(customer.id) : byExternalIdPath(current);
            const start = process.hrtime.bigint();
            let status: string;
            try {
              status = String((await connection.put(path, renameBody(next), TOKEN)).status);
            } catch (error) {
              status = (error as Error).message;
            }
            latencies.push(msSince(start));
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
            if (status === '200') {
              ok += 1;
              current = next;
            } else {
              // The state is unknown now: go back to the form that does not depend on it.
              turn += turn % 2 === 0 ? 1 : 0;
            }
          }
        }),
      );
      const elapsedSeconds = msSince(started) / 1000;
      connection.close();
      const errors = [...statuses].filter(([status]) => status !== '200').reduce((sum, [, n]) => sum + n, 0);
      const latency = summarize(latencies);
      const perSecond = ok / elapsedSeconds;
      rows.push({
        section,
        measure: `${clients} client${clients === 1 ? '' : 's'}, distinct customers, ${seconds} s`,
        figure: `${perSecond.toFixed(0)} renames/s (median ${ms(latency.median, 1)}, p99 ${ms(latency.p99, 1)}); ${errors} errors`,
        target: '0 errors',
        pass: errors === 0 && ok > 0,
      });
      details[`clients${clients}`] = { clients, renames: ok, elapsedSeconds, renamesPerSecond: perSecond, statuses: Object.fromEntries(statuses), latencyMs: latency };
    }

    // Contention: the clients share a few customers (two clients each) and a small pool of values, so they take
    // values from one another and change the same customers at once. Every answer must be 200 or 409.
    const customers = Array.from({ length: Math.max(1, fighters / 2) }, () => benchCustomer('fight'));
    await seedCustomers(client, tableName, customers);
    const pool = Array.from({ length: customers.length + 2 }, (_, index) => `bench-fight-value-${index}`);
    const connection = httpClient(port, fighters);
    const statuses = new Map<string, number>();
    const deadline = Date.now() + seconds * 1000;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: fighters }, async (_, index) => {
        const random = mulberry32(index + 1);
        const customer = customers[index % customers.length]!;
        while (Date.now() < deadline) {
          const value = pool[Math.floor(random() * pool.length)]!;
          let status: string;
          try {
            status = String((await connection.put(byIdPath(customer.id), renameBody(value), TOKEN)).status);
          } catch (error) {
            status = (error as Error).message;
          }
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      }),
    );
    const elapsedSeconds = msSince(started) / 1000;
    connection.close();
    const answered = [...statuses].reduce((sum, [, n]) => sum + n, 0);
    const others = [...statuses].filter(([status]) => status !== '200' && status !== '409');
    const integrity = await checkIntegrity(client, tableName);
    rows.push({
      section,
      measure: `${fighters} clients fighting over ${pool.length} externalIds on ${customers.length} customers, ${seconds} s`,
      figure:
        `${(answered / elapsedSeconds).toFixed(0)} answers/s: ${statuses.get('200') ?? 0}×200, ${statuses.get('409') ?? 0}×409` +
        (others.length > 0 ? `, others: ${others.map(([status, n]) => `${n}×${status}`).join(', ')}` : ', no other'),
      target: 'every answer 200 or 409',
      pass: others.length === 0 && answered > 0,
    });
    rows.push({
      section,
      measure: 'integrity scan of the table afterwards',
      figure: `${integrity.violations.length} violations in ${integrity.itemsRead} items`,
      target: '0 violations',
      pass: integrity.violations.length === 0,
    });
    details['contention'] = {
      clients: fighters,
      customers: customers.length,
      values: pool.length,
      elapsedSeconds,
      statuses: Object.fromEntries(statuses),
      integrity: { itemsRead: integrity.itemsRead, violations: integrity.violations.length },
    };
    return { rows, details };
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
};
