import { DatabaseSync } from 'node:sqlite';
import { CompactSign, generateKeyPair } from 'jose';
import { evalFhirPath } from '@medplum/core';

test('when jose, medplum and node:sqlite load together, then each works', async () => {
  const db = new DatabaseSync(':memory:');
  expect(db.prepare('select 1 as x').get()).toEqual({ x: 1 });
  const { privateKey } = await generateKeyPair('ES256');
  const jws = await new CompactSign(new TextEncoder().encode('x'))
    .setProtectedHeader({ alg: 'ES256' })
    .sign(privateKey);
  expect(jws.split('.')).toHaveLength(3);
  expect(evalFhirPath('Patient.name.given', { resourceType: 'Patient', name: [{ given: ['A'] }] })).toEqual(['A']);
});
