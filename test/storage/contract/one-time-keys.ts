/**
 * Contract: one-time keys (`claimOnce`, what keeps a client assertion's `jti` from being replayed). A key is
 * claimed once until it expires; concurrent claims of one key give exactly one winner; an expired key can be
 * claimed again; other keys are independent.
 */
import { type MakeStore, useStore } from './helpers.ts';

export function oneTimeKeyContract(makeStore: MakeStore): void {
  const { store, clock } = useStore(makeStore);
  const inAMinute = () => clock.now().getTime() + 60_000;

  test('when a key is claimed twice before it expires, then the second claim is refused and another key is not', async () => {
    const expires = inAMinute();
    expect(await store().claimOnce('client-a\u0000jti-1', expires)).toBe(true);
    expect(await store().claimOnce('client-a\u0000jti-1', expires)).toBe(false);
    expect(await store().claimOnce('client-b\u0000jti-1', expires)).toBe(true);
  });

  test('when ten claims of one key race, then exactly one wins', async () => {
    const expires = inAMinute();
    const results = await Promise.all(Array.from({ length: 10 }, () => store().claimOnce('race', expires)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  test('when a claimed key has expired, then it can be claimed again (and is then held again)', async () => {
    expect(await store().claimOnce('short', clock.now().getTime() + 1_000)).toBe(true);
    clock.tick(1_001);
    expect(await store().claimOnce('short', inAMinute())).toBe(true);
    expect(await store().claimOnce('short', inAMinute())).toBe(false);
  });

  test('when many keys expire, then later claims still answer each key correctly (expired ones are pruned)', async () => {
    for (let i = 0; i < 300; i++) expect(await store().claimOnce(`old-${i}`, clock.now().getTime() + 10)).toBe(true);
    clock.tick(1_000);
    const results: boolean[] = [];
    for (let i = 0; i < 300; i++) results.push(await store().claimOnce(`new-${i}`, inAMinute()));
    expect(results.every(Boolean)).toBe(true);
    expect(await store().claimOnce('new-0', inAMinute())).toBe(false);
    expect(await store().claimOnce('old-0', inAMinute())).toBe(true);
  });
}
