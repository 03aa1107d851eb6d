/**
 * A server process for the bulk resume test: opens the app's services on DATA_DIR (records already stored there),
 * starts a `$issue-hcert-bulk` job over every Immunization and prints `job <id> <items>`, then `done <n>` each time
 * the committed position moves. The test SIGKILLs it in the middle of the job: a crash, nothing closed or flushed.
 */
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { parseConfig } from '../../src/config/schema.ts';
import { bulkItems } from '../../src/http/operations/bulk-items.ts';
import { createServices } from '../../src/services.ts';
import { crashConfig } from './bulk-resume-config.ts';

const [dataDir, batch] = process.argv.slice(2) as [string, string];
const services = await createServices(parseConfig({}, crashConfig(dataDir)), {
  log: pino({ level: 'silent' }),
  bulkBatchSize: Number(batch),
});
const items = await bulkItems(services.store, undefined, []);
const job = await services.bulk.start({
  id: randomUUID(),
  owner: 'anonymous',
  items,
  validitySeconds: 30 * 86_400,
  requestedAt: new Date().toISOString(),
});
process.stdout.write(`job ${job.id} ${items.length}\n`);
let last = -1;
for (;;) {
  const now = await services.bulk.get(job.id);
  if (now && now.done !== last) {
    last = now.done;
    process.stdout.write(`done ${last}\n`);
  }
  await new Promise((r) => setTimeout(r, 5));
}
