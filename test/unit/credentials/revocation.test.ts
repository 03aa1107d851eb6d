import { revocationSource, revokeCredential } from '../../../src/credentials/revocation.ts';
import { createSqliteStore } from '../../../src/storage/sqlite/sqlite-store.ts';
import type { ResourceStore } from '../../../src/storage/store.ts';

const NOW = new Date('2026-06-01T00:00:00Z');
let store: ResourceStore;
beforeEach(() => {
  store = createSqliteStore({ path: ':memory:', now: () => NOW });
});
afterEach(() => store.close());

const source = () => revocationSource(store, { country: 'XX', kids: () => ['OWNKID1='] });

describe('revocation list', () => {
  test('when our own SMART Health Card is asked about by its rid, then the list answers; another iss or kid gets no answer', async () => {
    const withShc = revocationSource(store, {
      country: 'XX',
      kids: () => [],
      shc: { iss: 'https://issuer.test', kid: 'SHCKID' },
    });
    await revokeCredential(store, { credentialId: 'rid-1', requester: 'x', now: NOW });
    expect(await withShc({ format: 'shc', issuer: 'https://issuer.test', kid: 'SHCKID', credentialId: 'rid-1' })).toBe(
      true,
    );
    expect(await withShc({ format: 'shc', issuer: 'https://issuer.test', kid: 'SHCKID', credentialId: 'rid-2' })).toBe(
      false,
    );
    expect(
      await withShc({ format: 'shc', issuer: 'https://other.test', kid: 'SHCKID', credentialId: 'rid-1' }),
    ).toBeUndefined();
    expect(
      await withShc({ format: 'shc', issuer: 'https://issuer.test', kid: 'OTHER', credentialId: 'rid-1' }),
    ).toBeUndefined();
  });

  test('when a credential is revoked twice, then one entry exists and the second call says it was already there', async () => {
    const a = await revokeCredential(store, { credentialId: 'URN:UVCI:01:XX:A', requester: 'his-1', now: NOW });
    const b = await revokeCredential(store, { credentialId: 'URN:UVCI:01:XX:A', requester: 'his-2', now: NOW });
    expect([a.alreadyRevoked, b.alreadyRevoked]).toEqual([false, true]);
    expect(b.entry.id).toBe(a.entry.id);
    const all = await store.search({
      resourceType: 'Basic',
      filters: [],
      sort: [],
      count: 10,
      offset: 0,
      total: 'accurate',
      summaryCount: false,
      include: [],
      revinclude: [],
    });
    expect(all.total).toBe(1);
  });

  test("when this issuer's HCERT is asked about, then the list answers revoked or not by its certificate id", async () => {
    await revokeCredential(store, { credentialId: 'URN:UVCI:01:XX:A', requester: 'x', now: NOW });
    expect(await source()({ format: 'hcert', issuer: 'XX', kid: 'OWNKID1=', credentialId: 'URN:UVCI:01:XX:A' })).toBe(
      true,
    );
    expect(await source()({ format: 'hcert', issuer: 'XX', kid: 'OWNKID1=', credentialId: 'URN:UVCI:01:XX:B' })).toBe(
      false,
    );
  });

  test.each([
    ['another country', { format: 'hcert' as const, issuer: 'YY', kid: 'OWNKID1=', credentialId: 'URN:UVCI:01:XX:A' }],
    [
      'a kid that is not ours',
      { format: 'hcert' as const, issuer: 'XX', kid: 'OTHER==', credentialId: 'URN:UVCI:01:XX:A' },
    ],
    ['no certificate id', { format: 'hcert' as const, issuer: 'XX', kid: 'OWNKID1=' }],
    [
      'a SMART Health Card',
      { format: 'shc' as const, issuer: 'https://issuer.test', kid: 'OWNKID1=', credentialId: 'URN:UVCI:01:XX:A' },
    ],
  ])(
    'when the credential comes with %s, then the list has nothing to say (undefined, reported as skipped)',
    async (_name, query) => {
      await revokeCredential(store, { credentialId: 'URN:UVCI:01:XX:A', requester: 'x', now: NOW });
      expect(await source()(query)).toBeUndefined();
    },
  );
});
