/**
 * The SQLite store queue: jobs run one at a time, single writes waiting together share one COMMIT, and a
 * failed COMMIT or BEGIN rejects the writes it concerns. A fake connection records the statements.
 */
import { DatabaseSync } from 'node:sqlite';
import { createStoreQueue } from '../../src/storage/sqlite/store-queue.ts';

/** Statements in `log`; the temp_store switches around each group apart, in `pragmas`, with the transaction state. */
function fakeDb(failOn?: string): { db: DatabaseSync; log: string[]; pragmas: string[] } {
  const log: string[] = [];
  const pragmas: string[] = [];
  let open = false;
  const db = {
    exec(sql: string) {
      if (sql.startsWith('PRAGMA')) pragmas.push(`${sql} (${open ? 'in' : 'outside'} a transaction)`);
      else log.push(sql);
      if (sql === failOn) throw new Error(`${sql} failed`);
      if (sql.startsWith('BEGIN')) open = true;
      if (sql === 'COMMIT' || sql === 'ROLLBACK') open = false;
    },
    get isTransaction() {
      return open;
    },
  };
  return { db: db as unknown as DatabaseSync, log, pragmas };
}

describe('store queue', () => {
  test('when writes are queued together, then they share one transaction and each is acknowledged after COMMIT', async () => {
    const { db, log } = fakeDb();
    const queue = createStoreQueue(db, () => undefined);
    const results = await Promise.all([1, 2, 3].map((n) => queue.write(() => (log.push(`write ${n}`), n))));
    expect(results).toEqual([1, 2, 3]);
    expect(log.filter((s) => s.startsWith('BEGIN') || s === 'COMMIT')).toEqual(['BEGIN IMMEDIATE', 'COMMIT']);
  });

  test('when one write of a group throws, then only its savepoint is rolled back and the others commit', async () => {
    const { db, log } = fakeDb();
    let rollbacks = 0;
    const queue = createStoreQueue(db, () => rollbacks++);
    const results = await Promise.allSettled([
      queue.write(() => 'a'),
      queue.write(() => {
        throw new Error('bad write');
      }),
      queue.write(() => 'c'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(log).toContain('ROLLBACK TO job');
    expect(log[log.length - 1]).toBe('COMMIT');
    expect(rollbacks).toBe(1);
  });

  test('when the shared COMMIT fails, then every write of the group is rejected and the transaction rolled back', async () => {
    const { db, log } = fakeDb('COMMIT');
    const queue = createStoreQueue(db, () => undefined);
    const results = await Promise.allSettled([queue.write(() => 1), queue.write(() => 2)]);
    expect(results).toEqual([
      { status: 'rejected', reason: new Error('COMMIT failed') },
      { status: 'rejected', reason: new Error('COMMIT failed') },
    ]);
    expect(log[log.length - 1]).toBe('ROLLBACK');
  });

  test('when BEGIN fails, then the first write is rejected and the queue goes on', async () => {
    const { db } = fakeDb('BEGIN IMMEDIATE');
    const queue = createStoreQueue(db, () => undefined);
    await expect(queue.write(() => 1)).rejects.toThrow('BEGIN IMMEDIATE failed');
    await expect(queue.exclusive(() => 'still running')).resolves.toBe('still running');
  });

  test('when an exclusive job awaits, then jobs queued after it wait for it to finish', async () => {
    const { db } = fakeDb();
    const queue = createStoreQueue(db, () => undefined);
    const order: string[] = [];
    const slow = queue.exclusive(async () => {
      order.push('tx start');
      await new Promise((resolve) => setTimeout(resolve, 10));
      order.push('tx end');
    });
    const write = queue.write(() => order.push('write'));
    const read = queue.exclusive(() => order.push('read'));
    await Promise.all([slow, write, read]);
    expect(order).toEqual(['tx start', 'tx end', 'write', 'read']);
  });

  test('when reads wait between writes, then the reads are served while the group forms and the writes share one COMMIT', async () => {
    const { db, log } = fakeDb();
    const queue = createStoreQueue(db, () => undefined);
    const write = (n: number) => queue.write(() => (log.push(`write ${n}`), n));
    const read = (n: number) => queue.read(() => (log.push(`read ${n}`), -n));
    expect(await Promise.all([write(1), read(1), write(2), read(2), write(3)])).toEqual([1, -1, 2, -2, 3]);
    expect(log.filter((s) => !s.includes('job'))).toEqual([
      'read 1',
      'read 2',
      'BEGIN IMMEDIATE',
      'write 1',
      'write 2',
      'write 3',
      'COMMIT',
    ]);
  });

  test('when a read served during a group forming leads to a write, then that write joins the same group', async () => {
    const { db, log } = fakeDb();
    const queue = createStoreQueue(db, () => undefined);
    // A request that reads, then writes what it read: as an issuance reads its records, then writes its Provenance.
    const request = async (n: number) => {
      const seen = await queue.read(() => (log.push(`read ${n}`), n));
      return queue.write(() => (log.push(`write ${n}`), seen));
    };
    expect(await Promise.all([queue.write(() => (log.push('write 0'), 0)), request(1), request(2)])).toEqual([0, 1, 2]);
    expect(log.filter((s) => s === 'BEGIN IMMEDIATE' || s === 'COMMIT')).toEqual(['BEGIN IMMEDIATE', 'COMMIT']);
  });

  test('when a read waits behind a write, then it does not see that write until it is committed', async () => {
    const db = new DatabaseSync(':memory:');
    db.exec('CREATE TABLE t (v INTEGER)');
    const queue = createStoreQueue(db, () => undefined);
    const count = () => Number(db.prepare('SELECT COUNT(*) AS n FROM t').get()?.n);
    const [, seen] = await Promise.all([
      queue.write(() => db.prepare('INSERT INTO t (v) VALUES (1)').run()),
      queue.read(() => ({ count: count(), inTransaction: db.isTransaction })),
    ]);
    // Served before the group began: the write was not acknowledged yet, so either order was allowed.
    expect(seen).toEqual({ count: 0, inTransaction: false });
    expect(await queue.read(count)).toBe(1);
    db.close();
  });

  test('when an exclusive job waits between writes, then nothing passes it', async () => {
    const { db, log } = fakeDb();
    const queue = createStoreQueue(db, () => undefined);
    await Promise.all([
      queue.write(() => log.push('write 1')),
      queue.read(() => log.push('read 1')),
      queue.exclusive(() => log.push('transaction')),
      queue.read(() => log.push('read 2')),
      queue.write(() => log.push('write 2')),
    ]);
    expect(log.filter((s) => !s.includes('job'))).toEqual([
      'read 1',
      'BEGIN IMMEDIATE',
      'write 1',
      'COMMIT',
      'transaction',
      'read 2',
      'BEGIN IMMEDIATE',
      'write 2',
      'COMMIT',
    ]);
  });

  test('when a read is queued first, then it runs before the writes queued after it', async () => {
    const { db, log } = fakeDb();
    const queue = createStoreQueue(db, () => undefined);
    await Promise.all([queue.read(() => log.push('read')), queue.write(() => log.push('write'))]);
    expect(log.filter((s) => !s.includes('job'))).toEqual(['read', 'BEGIN IMMEDIATE', 'write', 'COMMIT']);
  });

  test('when writes of a group defer work, then it runs after every write, outside their savepoints, before the COMMIT', async () => {
    const { db, log } = fakeDb();
    const queue = createStoreQueue(db, () => undefined);
    const write = (n: number) =>
      queue.write((defer) => {
        log.push(`write ${n}`);
        defer(() => log.push(`deferred ${n}`));
        return n;
      });
    expect(await Promise.all([write(1), write(2)])).toEqual([1, 2]);
    expect(log).toEqual([
      'BEGIN IMMEDIATE',
      'SAVEPOINT job',
      'write 1',
      'RELEASE job',
      'SAVEPOINT job',
      'write 2',
      'RELEASE job',
      'deferred 1',
      'deferred 2',
      'COMMIT',
    ]);
  });

  test('when a write that deferred work then throws, then its deferred work is dropped with it and the others commit', async () => {
    const { db, log } = fakeDb();
    const queue = createStoreQueue(db, () => undefined);
    const results = await Promise.allSettled([
      queue.write((defer) => defer(() => log.push('deferred ok'))),
      queue.write((defer) => {
        defer(() => log.push('deferred by the failed write'));
        throw new Error('bad write');
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect(log).toContain('deferred ok');
    expect(log).not.toContain('deferred by the failed write');
    expect(log[log.length - 1]).toBe('COMMIT');
  });

  test('when deferred work throws, then the whole group is rolled back and every write of it rejected', async () => {
    const { db, log } = fakeDb();
    let rollbacks = 0;
    const queue = createStoreQueue(db, () => rollbacks++);
    const results = await Promise.allSettled([
      queue.write(() => 'plain write of the same group'),
      queue.write((defer) =>
        defer(() => {
          throw new Error('audit append failed');
        }),
      ),
    ]);
    expect(results).toEqual([
      { status: 'rejected', reason: new Error('audit append failed') },
      { status: 'rejected', reason: new Error('audit append failed') },
    ]);
    expect(log).not.toContain('COMMIT');
    expect(log[log.length - 1]).toBe('ROLLBACK');
    expect(rollbacks).toBe(1);
  });

  test('when a group runs, then its sub-journal is in memory and the setting is back to files after it, committed or not', async () => {
    for (const failOn of [undefined, 'COMMIT', 'BEGIN IMMEDIATE']) {
      const { db, pragmas } = fakeDb(failOn);
      const queue = createStoreQueue(db, () => undefined);
      await Promise.allSettled([queue.write(() => 1), queue.write(() => 2)]);
      await queue.exclusive(() => 'a read after the group');
      // One group, or one per write when BEGIN fails (each failure rejects one write and the next group begins).
      expect(pragmas.length).toBe(failOn === 'BEGIN IMMEDIATE' ? 4 : 2);
      pragmas.forEach((p, i) =>
        expect(p).toBe(`PRAGMA temp_store = ${i % 2 === 0 ? 'MEMORY' : 'DEFAULT'} (outside a transaction)`),
      );
    }
  });

  test('when a group runs on a real SQLite connection, then it writes with temp_store MEMORY and reads go on with the default', async () => {
    const db = new DatabaseSync(':memory:');
    db.exec('CREATE TABLE t (v INTEGER)');
    const queue = createStoreQueue(db, () => undefined);
    const tempStore = () => Number(db.prepare('PRAGMA temp_store').get()?.temp_store);
    const during = await queue.write(() => {
      db.prepare('INSERT INTO t (v) VALUES (1)').run();
      return tempStore();
    });
    expect(during).toBe(2); // MEMORY
    expect(await queue.exclusive(() => tempStore())).toBe(0); // DEFAULT: the build's choice, files
    expect(db.prepare('SELECT COUNT(*) AS n FROM t').get()?.n).toBe(1);
    db.close();
  });

  test('when SQLite refuses the temp_store switch, then the group still commits and the queue goes on', async () => {
    const { db, log } = fakeDb('PRAGMA temp_store = MEMORY');
    const queue = createStoreQueue(db, () => undefined);
    await expect(queue.write(() => 'written')).resolves.toBe('written');
    expect(log).toEqual(['BEGIN IMMEDIATE', 'SAVEPOINT job', 'RELEASE job', 'COMMIT']);
    await expect(queue.exclusive(() => 'still running')).resolves.toBe('still running');
  });

  test('when an exclusive job tries to defer work, then it is refused (only group-committed writes can)', async () => {
    const { db } = fakeDb();
    const queue = createStoreQueue(db, () => undefined);
    const job = (defer: (work: () => void) => void) => defer(() => undefined);
    await expect(queue.exclusive(job as never)).rejects.toThrow('Only a group-committed write can defer work');
  });
});
