/**
 * Child process of sqlite-durability.test.ts: the app on a file-backed SQLite store (synchronous=FULL, the
 * default; audit on) at argv[2], on 127.0.0.1, with `HEAVY_CONCURRENCY` 2. It sends `{ port }` over IPC, answers
 * 'commits' with the store's group-commit totals, and is killed with SIGKILL by the test while creates are in flight.
 */
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { createApp } from '../../src/app.ts';
import { parseConfig } from '../../src/config/schema.ts';
import { createServices } from '../../src/services.ts';
import { groupCommitTotals } from '../../src/storage/sqlite/store-queue.ts';

const dataDir = process.argv[2] as string;
const services = await createServices(
  parseConfig(
    {},
    {
      dataDir,
      logLevel: 'silent',
      auth: false,
      audit: true,
      publicRateLimit: 0,
      validationWorkers: 0,
      validationMode: 'off',
      heavyConcurrency: 2,
      queueMax: 1000,
    },
  ),
  { log: pino({ level: 'silent' }) },
);
const server = createApp(services).listen(0, '127.0.0.1', () =>
  process.send?.({ port: (server.address() as AddressInfo).port }),
);
process.on('message', (m) => {
  if (m === 'commits') process.send?.({ commits: groupCommitTotals() });
});
