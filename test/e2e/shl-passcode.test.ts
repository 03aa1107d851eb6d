/**
 * SMART Health Link passcodes (flag P: attempts counted atomically, the link disabled at zero) and expiry (by the
 * server's clock, and by `$verify`'s validationTime), end to end over HTTP.
 */
import {
  check,
  createShlApp,
  failed,
  issueShl,
  manifest,
  messageId,
  messageText,
  out,
  pushDocument,
  verify,
  type ShlApp,
} from './shl-support.ts';

let t: ShlApp;
beforeAll(async () => {
  t = await createShlApp();
  await pushDocument(t);
});
afterAll(() => t.close());

const withPasscode = (passcode: string, maxAttempts: number, vhl = false) =>
  issueShl(t, [
    { name: 'passcode', valueString: passcode },
    { name: 'maxAttempts', valueInteger: maxAttempts },
    { name: 'vhl', valueBoolean: vhl },
  ]);

describe('passcode', () => {
  test('when the right passcode is given to $verify, then the link verifies and its flag is P', async () => {
    const issued = await withPasscode('2468', 5);
    const shlink = out(issued, 'shlink');
    expect(JSON.parse(Buffer.from(shlink.slice('shlink:/'.length), 'base64url').toString('utf8')).flag).toBe('P');
    const v = await verify(t, shlink, [{ name: 'passcode', valueString: '2468' }]);
    expect(v.valid).toBe(true);
    expect(failed(v)).toEqual([]);
  });

  test('when a wrong or no passcode is given to $verify, then valid:false, the failing check says the passcode is wrong, and an attempt is consumed', async () => {
    const issued = await withPasscode('2468', 5);
    const wrong = await verify(t, out(issued, 'shlink'), [{ name: 'passcode', valueString: '0000' }]);
    expect(wrong.valid).toBe(false);
    expect(failed(wrong)).toEqual([
      {
        name: 'decompress',
        status: 'fail',
        failure: 'decode-error',
        message:
          'The manifest needs a passcode, or the one given is wrong (The passcode is missing or wrong; 4 attempt(s) left)',
      },
    ]);
    expect(wrong.content).toBeUndefined();
    const missing = await verify(t, out(issued, 'shlink'));
    expect(failed(missing).map((c) => c.message)).toEqual([
      'The manifest needs a passcode, or the one given is wrong (The passcode is missing or wrong; 3 attempt(s) left)',
    ]);
  });

  test('when wrong passcodes are POSTed to the manifest, then 401 JSON with remainingAttempts counting down, then the link is disabled even for the right passcode', async () => {
    const url = out(await withPasscode('right', 3), 'manifestUrl');
    for (const left of [2, 1, 0]) {
      const res = await manifest(t, url, { recipient: 'Clinic A', passcode: 'wrong' });
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({
        remainingAttempts: left,
        error: `The passcode is missing or wrong; ${left} attempt(s) left`,
      });
    }
    const right = await manifest(t, url, { recipient: 'Clinic A', passcode: 'right' });
    expect(right.status).toBe(404);
    expect(messageId(right)).toBe('SHL_DISABLED');
    expect(messageText(right)).toBe('This SMART Health Link was disabled after too many wrong passcodes');
  });

  test('when a manifest request leaves out the passcode of a P link, then it counts as a wrong guess', async () => {
    const url = out(await withPasscode('right', 2), 'manifestUrl');
    const res = await manifest(t, url, { recipient: 'Clinic A' });
    expect(res.status).toBe(401);
    expect(res.body.remainingAttempts).toBe(1);
    expect((await manifest(t, url, { recipient: 'Clinic A', passcode: 'right' })).status).toBe(200);
  });

  test('when 20 wrong passcodes arrive in parallel against 5 allowed attempts, then exactly 5 are consumed (401 with 4…0) and the rest see a disabled link', async () => {
    const issued = await withPasscode('right', 5);
    const url = out(issued, 'manifestUrl');
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => manifest(t, url, { recipient: 'attacker', passcode: 'wrong' })),
    );
    const unauthorized = answers.filter((r) => r.status === 401);
    expect(unauthorized.map((r) => r.body.remainingAttempts as number).sort()).toEqual([0, 1, 2, 3, 4]);
    const others = answers.filter((r) => r.status !== 401);
    expect(others.map((r) => [r.status, messageId(r)])).toEqual(
      Array.from({ length: 15 }, () => [404, 'SHL_DISABLED']),
    );

    expect((await manifest(t, url, { recipient: 'Clinic A', passcode: 'right' })).status).toBe(404);
    const v = await verify(t, out(issued, 'shlink'), [{ name: 'passcode', valueString: 'right' }]);
    expect(v.valid).toBe(false);
    expect(failed(v).map((c) => [c.name, c.failure])).toEqual([['revocation', 'revoked']]);
  });
});

describe('expiry', () => {
  test("when the server clock passes the link's exp, then the manifest is 404 expired and $verify of the link and its VHL fail not-expired", async () => {
    const exp = new Date(t.clock.now().getTime() + 60_000);
    const issued = await issueShl(t, [{ name: 'exp', valueDateTime: exp.toISOString() }]);
    expect(out(issued, 'expiresAt')).toBe(exp.toISOString());
    const url = out(issued, 'manifestUrl');
    expect((await manifest(t, url, { recipient: 'Clinic A' })).status).toBe(200);
    expect((await verify(t, out(issued, 'shlink'))).valid).toBe(true);

    t.clock.advance(61_000);
    const res = await manifest(t, url, { recipient: 'Clinic A' });
    expect(res.status).toBe(404);
    expect(messageId(res)).toBe('SHL_EXPIRED');
    expect(messageText(res)).toBe(`This SMART Health Link expired at ${exp.toISOString()}`);

    const link = await verify(t, out(issued, 'shlink'));
    expect(link.valid).toBe(false);
    expect(failed(link)).toEqual([
      { name: 'not-expired', status: 'fail', failure: 'expired', message: `The link expired at ${exp.toISOString()}` },
    ]);
    const vhl = await verify(t, out(issued, 'vhl'));
    expect(vhl.valid).toBe(false);
    expect(vhl.format).toBe('vhl');
    expect(failed(vhl).map((c) => [c.name, c.failure])).toEqual([['not-expired', 'expired']]);
  });

  test('when $verify is asked at a validationTime after exp, then not-expired fails and the link is not fetched', async () => {
    const exp = new Date(t.clock.now().getTime() + 3_600_000);
    // One wrong guess would disable this link: if $verify fetched it with the wrong passcode, the right one would then fail.
    const issued = await issueShl(t, [
      { name: 'exp', valueDateTime: exp.toISOString() },
      { name: 'passcode', valueString: 'right' },
      { name: 'maxAttempts', valueInteger: 1 },
      { name: 'vhl', valueBoolean: false },
    ]);
    const v = await verify(t, out(issued, 'shlink'), [
      { name: 'validationTime', valueDateTime: new Date(exp.getTime() + 1000).toISOString() },
      { name: 'passcode', valueString: 'wrong' },
    ]);
    expect(v.valid).toBe(false);
    expect(failed(v)).toEqual([
      { name: 'not-expired', status: 'fail', failure: 'expired', message: `The link expired at ${exp.toISOString()}` },
    ]);
    expect(v.failures).toEqual(['expired']);
    for (const name of ['decompress', 'payload-schema', 'fhir-profile', 'revocation']) {
      expect(check(v, name)).toEqual({ name, status: 'skipped', message: 'Not fetched: the link has expired' });
    }
    expect((await manifest(t, out(issued, 'manifestUrl'), { recipient: 'Clinic A', passcode: 'right' })).status).toBe(
      200,
    );
  });
});
