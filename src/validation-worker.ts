/**
 * Worker entry of the validation pool (validation-pool.ts): loads the same packages as the server (its own copy),
 * then validates the resources it is sent, one at a time, each under its own work budget. A `reload` message
 * re-reads the packages (after `$install-package`); messages are handled in order, so every resource sent after a
 * reload is judged with the new packages.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import type { Config } from './config/schema.ts';
import { createWorkBudget } from './fhir/work-budget.ts';
import { OutcomeError } from './fhir/outcome.ts';
import { createValidationService } from './services-validation.ts';

export type WorkerRequest =
  | { kind: 'validate'; id: number; resource: unknown; profile?: string; budgetMs: number }
  | { kind: 'reload' };
export type WorkerAnswer =
  | { kind: 'ready' }
  | { kind: 'done'; id: number; outcome: unknown }
  | { kind: 'failed'; id: number; error: { kind: OutcomeError['kind']; outcome: OutcomeError['outcome'] } | string };

const port = parentPort;
if (!port) throw new Error('validation-worker.ts runs as a worker thread');
const { config, dataDir } = workerData as { config: Config; dataDir: string };
const service = await createValidationService(config, pino({ level: 'silent' }), dataDir);
let chain: Promise<void> = Promise.resolve();
port.on('message', (m: WorkerRequest) => {
  chain = chain.then(async () => {
    if (m.kind === 'reload') {
      await service.reload();
      return;
    }
    try {
      const budget = createWorkBudget(m.budgetMs);
      const outcome = service
        .current()
        .validator.validate(m.resource, m.profile ? { profile: m.profile, budget } : { budget });
      port.postMessage({ kind: 'done', id: m.id, outcome } satisfies WorkerAnswer);
    } catch (err) {
      const error = err instanceof OutcomeError ? { kind: err.kind, outcome: err.outcome } : String(err);
      port.postMessage({ kind: 'failed', id: m.id, error } satisfies WorkerAnswer);
    }
  });
});
port.postMessage({ kind: 'ready' } satisfies WorkerAnswer);
