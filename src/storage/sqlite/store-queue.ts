/**
 * The store's job queue. `DatabaseSync` is one synchronous connection shared by every request, so jobs run one
 * at a time: a transaction that awaits between its writes never interleaves with other requests.
 *
 * Group commit: single writes that are waiting together run in one SQLite transaction (each inside its own
 * savepoint, so one failing write undoes only itself) and are acknowledged together after the one COMMIT.
 * Under concurrent load that turns N fsyncs into one, without weakening anything: no write is acknowledged
 * before it is durable, and if the COMMIT fails every write of the group is rejected.
 *
 * A write may hand its group work to run after every write of the group and before the COMMIT, outside the
 * writes' savepoints (`defer`): a write's AuditEvent goes there (sqlite-store.ts), so it commits with the write,
 * but the appends of a group run together on the trail's hot last pages, and those pages are not copied into
 * each write's savepoint journal again. If deferred work fails, the whole group is rolled back and rejected, so
 * no write commits without it.
 *
 * A group forms before it begins (`formGroup`): for a few event-loop turns, the reads waiting are served (before
 * the writes queued ahead of them) and the group takes the writes queued behind reads. An issuance reads its
 * records, then writes its Provenance: at concurrency the queue alternates reads and writes, and a group that took
 * only the writes at the head of the queue committed ~3 writes at concurrency 8, against ~6.7 now (ADR 0085).
 * Reads and writes only trade places while both wait, neither acknowledged: for concurrent requests either order
 * is one they could have had, and a read never sees a write that is not committed (the group has not begun). A
 * caller that reads after its own write awaits the write, as every caller does. Writes keep their order among
 * themselves, and nothing passes an exclusive job (a transaction, close), nor does an exclusive job pass anything.
 * https://www.sqlite.org/lang_transaction.html
 */
import type { DatabaseSync } from 'node:sqlite';

/** Hands the group work to run just before its COMMIT (only if this write succeeds). */
export type Defer = (work: () => void) => void;

export interface StoreQueue {
  /** Runs a job alone (transactions, close): nothing queued after it runs before it. */
  exclusive<T>(job: () => T | Promise<T>): Promise<T>;
  /**
   * Runs a read alone. Reads and writes that wait together may trade places (a read served while a group forms,
   * a write joining a group past a read): a caller that must see its own write awaits it first.
   */
  read<T>(job: () => T | Promise<T>): Promise<T>;
  /** Runs a synchronous write; writes queued together share one commit. */
  write<T>(job: (defer: Defer) => T): Promise<T>;
}

interface Job {
  kind: 'write' | 'read' | 'exclusive';
  run: (defer: Defer) => unknown;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

/**
 * Largest number of writes sharing one commit: bounds the work lost to one failed commit and how long one group
 * holds the event loop (its writes run back to back); 64 already spreads one fsync over 64 acknowledgements.
 */
const MAX_GROUP = 64;

/** Commits of single-write groups, the writes they carried and the largest group, since the process started. */
const groupTotals = { commits: 0, writes: 0, largest: 0 };

/** Group-commit totals (all stores of the process) for benches and tests: `writes / commits` is the mean group. */
export function groupCommitTotals(): { commits: number; writes: number; largest: number } {
  return { ...groupTotals };
}

const notGrouped: Defer = () => {
  throw new Error('Only a group-committed write can defer work to its COMMIT');
};

/**
 * Event-loop turns a group waits at most for more writes. Each turn costs a request in the group about one other
 * request's step of CPU work in latency; the commit it shares saves each write its own BEGIN, COMMIT and fsync.
 */
const FORM_TURNS = 4;

const yieldToIo = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A group's writes run in savepoints (each write's own, and atomically()'s step inside it), so SQLite copies every
 * page they touch to a sub-journal. One Immunization or Provenance touches ~23 pages, past the 64 KiB SQLite keeps
 * in memory, and the sub-journal became a temp file created, written and unlinked per write: ~9 syscalls and
 * ~125 µs of kernel time per durable write (ADR 0083). SQLite decides where the sub-journal lives when the
 * transaction begins, from `temp_store`; so a group begins with it in memory (at most 64 writes' pages), and the
 * setting goes back to files afterwards, where searches' sorts spill to disk past the page cache instead of growing
 * in memory with the size of the store. We create no temp tables, so switching drops nothing.
 */
function runGroup(db: DatabaseSync, pending: Job[], onRollback: () => void): void {
  // Where the sub-journal lives changes the cost, never the outcome: a refused switch must not stall the queue.
  setTempStore(db, 'MEMORY');
  try {
    groupInTransaction(db, pending, onRollback);
  } finally {
    setTempStore(db, 'DEFAULT');
  }
}

function setTempStore(db: DatabaseSync, where: 'MEMORY' | 'DEFAULT'): void {
  try {
    db.exec(`PRAGMA temp_store = ${where}`);
  } catch {
    // SQLite refuses only inside a transaction holding temp tables, which this store never creates.
  }
}

function groupInTransaction(db: DatabaseSync, pending: Job[], onRollback: () => void): void {
  const done: Array<{ job: Job; ok: boolean; value: unknown }> = [];
  try {
    db.exec('BEGIN IMMEDIATE');
  } catch (err) {
    (pending.shift() as Job).reject(err); // e.g. SQLITE_BUSY from another process: fail one write, not the queue
    return;
  }
  const beforeCommit: Array<() => void> = [];
  // Writes join in queue order, past waiting reads, up to the first exclusive job.
  for (let at = 0; at < pending.length && done.length < MAX_GROUP; ) {
    const kind = (pending[at] as Job).kind;
    if (kind === 'read') {
      at++;
      continue;
    }
    if (kind === 'exclusive') break;
    const job = pending.splice(at, 1)[0] as Job;
    const deferred: Array<() => void> = [];
    db.exec('SAVEPOINT job');
    try {
      const value = job.run((work) => deferred.push(work));
      db.exec('RELEASE job');
      done.push({ job, ok: true, value });
      beforeCommit.push(...deferred);
    } catch (err) {
      db.exec('ROLLBACK TO job');
      db.exec('RELEASE job');
      onRollback();
      done.push({ job, ok: false, value: err });
    }
  }
  try {
    for (const work of beforeCommit) work();
    db.exec('COMMIT');
  } catch (err) {
    if (db.isTransaction) db.exec('ROLLBACK');
    onRollback();
    for (const { job } of done) job.reject(err);
    return;
  }
  groupTotals.commits++;
  groupTotals.writes += done.length;
  groupTotals.largest = Math.max(groupTotals.largest, done.length);
  for (const { job, ok, value } of done) (ok ? job.resolve : job.reject)(value);
}

/**
 * Creates the queue of one store. `onRollback` is told when a write was undone (caches may be stale).
 */
export function createStoreQueue(db: DatabaseSync, onRollback: () => void): StoreQueue {
  const pending: Job[] = [];
  let running = false;

  async function pump(): Promise<void> {
    while (pending.length > 0) {
      const head = pending[0] as Job;
      if (head.kind === 'write') {
        await formGroup();
        runGroup(db, pending, onRollback);
        continue;
      }
      pending.shift();
      await runAlone(head);
    }
    running = false;
  }

  async function runAlone(job: Job): Promise<void> {
    try {
      job.resolve(await job.run(notGrouped));
    } catch (err) {
      job.reject(err);
    }
  }

  /**
   * Lets the writes of requests in flight join the group before it begins: each turn yields to I/O, then serves the
   * reads waiting (their requests go on to their writes), until a turn brings nothing new or FORM_TURNS have passed.
   */
  async function formGroup(): Promise<void> {
    for (let turn = 0; turn < FORM_TURNS; turn++) {
      const queued = pending.length;
      await yieldToIo();
      let served = 0;
      let writes = 0;
      for (let at = 0; at < pending.length; ) {
        const job = pending[at] as Job;
        if (job.kind === 'exclusive') break;
        if (job.kind === 'write') {
          writes++;
          at++;
          continue;
        }
        pending.splice(at, 1);
        served++;
        await runAlone(job);
      }
      if (writes >= MAX_GROUP || (served === 0 && pending.length === queued)) return;
    }
  }

  function enqueue<T>(kind: Job['kind'], run: Job['run']): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      pending.push({ kind, run, resolve: resolve as (v: unknown) => void, reject });
      if (!running) {
        running = true;
        void pump();
      }
    });
  }

  return {
    exclusive: (job) => enqueue('exclusive', job),
    read: (job) => enqueue('read', job),
    write: (job) => enqueue('write', job),
  };
}
