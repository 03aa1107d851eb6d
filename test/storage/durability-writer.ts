/**
 * Child process of sqlite-durability.test.ts: writes to the store at argv[2] in a loop (each step a transaction
 * of a Patient and an Immunization that refers to it, then three concurrent single Observation creates) and
 * prints `ack <n> <patientId> <immunizationId>` / `obs <id> <id> <id>` only after the store acknowledged them. The parent kills it with SIGKILL at a random moment.
 */
import { createSqliteStore } from '../../src/storage/sqlite/sqlite-store.ts';

const path = process.argv[2] as string;
const maxSteps = Number(process.argv[3] ?? 5000); // bounded, should the parent fail to kill us
const store = createSqliteStore({ path, synchronous: 'FULL' });

for (let n = 0; n < maxSteps; n++) {
  const [patientId, immunizationId] = await store.transaction(async (tx) => {
    const p = await tx.create({ resourceType: 'Patient', identifier: [{ system: 'urn:test', value: `p${n}` }] });
    const i = await tx.create({
      resourceType: 'Immunization',
      status: 'completed',
      identifier: [{ system: 'urn:test', value: `i${n}` }],
      vaccineCode: { coding: [{ system: 'http://snomed.info/sct', code: '1119349007' }] },
      patient: { reference: `Patient/${p.resource.id}` },
      occurrenceDateTime: '2021-05-01',
      lotNumber: 'x'.repeat(2000), // several pages per write, so a kill often lands mid-write
    });
    return [p.resource.id, i.resource.id];
  });
  process.stdout.write(`ack ${n} ${patientId} ${immunizationId}\n`);
  // Concurrent single writes: acknowledged together after one shared commit.
  const singles = await Promise.all(
    [0, 1, 2].map((k) =>
      store.create({
        resourceType: 'Observation',
        status: 'final',
        code: { text: `o${n}-${k}` },
        subject: { reference: `Patient/${patientId}` },
      }),
    ),
  );
  process.stdout.write(`obs ${singles.map((s) => s.resource.id).join(' ')}\n`);
}
await store.close();
