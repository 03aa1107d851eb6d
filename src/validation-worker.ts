/**
 * Worker entry of the validation pool (validation-pool.ts): loads the same packages as the server (its own copy),
 * then runs the jobs it is sent, one at a time, each under the request's remaining budget and its cancel flag:
 * `validate` ($validate of a large resource), `ingest` (write-time validation of a large resource: the verdict of
 * the ingest policy), `structure` (the R4 structural check of a large resource, e.g. a 10,000-entry Bundle without
 * its entries' resources) and `validate-body` (a large `$validate` body as bytes: decoded, parsed, checked and
 * validated here, so it never becomes an object on the main thread; its outcome goes back serialized, as bytes).
 * A `reload` message re-reads the packages (after `$install-package`); messages are handled in order, so every job
 * sent after a reload sees the new packages.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Resource } from '@medplum/fhirtypes';
import { pino } from 'pino';
import type { Config } from './config/schema.ts';
import { encodeOutcome, isEncodedOutcome } from './fhir/encoded-outcome.ts';
import { toPlainJson } from './fhir/json.ts';
import { assertResource } from './fhir/structure.ts';
import { createWorkBudget } from './fhir/work-budget.ts';
import { OutcomeError } from './fhir/outcome.ts';
import { jsonBodyOf } from './http/body.ts';
import { checkValidateTarget } from './http/operations/validate-target.ts';
import { checkRequestShape, type ShapeLimits } from './http/request-shape.ts';
import { createValidationService } from './services-validation.ts';

interface Job {
  id: number;
  /** Int32 flag, 1 once the client has gone. */
  cancel: SharedArrayBuffer;
  budgetMs: number;
}
/** A `$validate` body: its bytes, the target (type, id) and the `profile` of the URL. */
export interface BodyJob {
  bytes: Uint8Array;
  type: string;
  targetId?: string;
  profile?: string;
  limits: ShapeLimits;
}
export type WorkerRequest =
  | (Job & { kind: 'validate'; resource: unknown; profile?: string })
  | (Job & { kind: 'ingest'; resource: unknown })
  | (Job & { kind: 'structure'; resource: unknown; expectedType: string })
  | (Job & { kind: 'validate-body' } & BodyJob)
  | { kind: 'reload' };
export type WorkerAnswer =
  | { kind: 'ready' }
  | { kind: 'done'; id: number; value: unknown }
  | { kind: 'failed'; id: number; error: { kind: OutcomeError['kind']; outcome: OutcomeError['outcome'] } | string };

const port = parentPort;
if (!port) throw new Error('validation-worker.ts runs as a worker thread');
const { config, dataDir } = workerData as { config: Config; dataDir: string };
const service = await createValidationService(config, pino({ level: 'silent' }), dataDir);

/** The resource and profile of a body, or undefined for a Parameters the operation reads itself (mode, …). */
function bodyInput(value: unknown, profile: string | undefined): { resource: unknown; profile?: string } | undefined {
  const body = value as { resourceType?: unknown; parameter?: unknown };
  if (body?.resourceType !== 'Parameters') return { resource: value, ...(profile ? { profile } : {}) };
  const params = (Array.isArray(body.parameter) ? body.parameter : []) as Array<Record<string, unknown>>;
  const resources = params.filter((p) => p.name === 'resource');
  const profiles = params.filter((p) => p.name === 'profile');
  if (resources.length !== 1 || profiles.length > 1 || resources.length + profiles.length !== params.length) return;
  if (typeof resources[0].resource !== 'object' || resources[0].resource === null) return;
  const given = profiles[0]?.valueUri ?? profiles[0]?.valueCanonical ?? profiles[0]?.valueString;
  if (profiles.length === 1 && (typeof given !== 'string' || profile !== undefined)) return;
  const chosen = (given as string | undefined) ?? profile;
  return { resource: resources[0].resource, ...(chosen ? { profile: chosen } : {}) };
}

function run(m: Exclude<WorkerRequest, { kind: 'reload' }>): unknown {
  const flag = new Int32Array(m.cancel);
  const budget = createWorkBudget(m.budgetMs, {
    get aborted() {
      return Atomics.load(flag, 0) === 1;
    },
  });
  budget.check(); // a job whose client left while it waited is not started
  const { validator, policy } = service.current();
  if (m.kind === 'ingest') return policy.check(m.resource as { resourceType: string }, budget);
  if (m.kind === 'structure') {
    assertResource(m.resource, m.expectedType); // throws the OutcomeError inline checking would
    return true;
  }
  if (m.kind === 'validate')
    return validator.validate(m.resource, m.profile ? { profile: m.profile, budget } : { budget });
  const body = jsonBodyOf(m.bytes);
  if (body.kind !== 'json') return undefined;
  checkRequestShape(body.value, m.limits);
  const input = bodyInput(body.value, m.profile);
  if (!input) return undefined;
  checkValidateTarget(input.resource as Resource, m.type, m.targetId);
  const plain = toPlainJson(input.resource);
  // Serialized here: the main thread writes the bytes as they are (fhir/encoded-outcome.ts).
  return encodeOutcome(validator.validate(plain, input.profile ? { profile: input.profile, budget } : { budget }));
}

let chain: Promise<void> = Promise.resolve();
port.on('message', (m: WorkerRequest) => {
  chain = chain.then(async () => {
    if (m.kind === 'reload') {
      await service.reload();
      return;
    }
    try {
      const value = run(m);
      const transfer = isEncodedOutcome(value) ? [value.json.buffer as ArrayBuffer] : [];
      port.postMessage({ kind: 'done', id: m.id, value } satisfies WorkerAnswer, transfer);
    } catch (err) {
      const error = err instanceof OutcomeError ? { kind: err.kind, outcome: err.outcome } : String(err);
      port.postMessage({ kind: 'failed', id: m.id, error } satisfies WorkerAnswer);
    }
  });
});
port.postMessage({ kind: 'ready' } satisfies WorkerAnswer);
