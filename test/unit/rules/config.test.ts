/** The RULES_* configuration keys: a URL source must be signed, one source at a time. */
import { ConfigError, parseConfig } from '../../../src/config/schema.ts';

function problems(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
}

describe('RULES_* configuration', () => {
  test('when nothing is set, then no rule source, unsigned files refused, refreshed every 6 h', () => {
    const c = parseConfig({});
    expect([c.rulesUrl, c.rulesFile, c.rulesSigningKey, c.rulesAllowUnsigned, c.rulesRefreshMs]).toEqual([
      undefined,
      undefined,
      undefined,
      false,
      6 * 3600_000,
    ]);
  });

  test('when RULES_URL comes without RULES_SIGNING_KEY, then the configuration is refused', () => {
    expect(problems({ RULES_URL: 'https://rules.example/dist' })).toEqual([
      'RULES_URL needs RULES_SIGNING_KEY (rules from a URL must be signed)',
    ]);
  });

  test('when both RULES_URL and RULES_FILE are set, then the configuration is refused', () => {
    expect(
      problems({ RULES_URL: 'https://rules.example/dist', RULES_SIGNING_KEY: 'k.pem', RULES_FILE: 'r.json' }),
    ).toEqual(['set RULES_URL or RULES_FILE, not both']);
  });

  test('when a local unsigned file is allowed, then the keys read as given', () => {
    const c = parseConfig({ RULES_FILE: 'rules.json', RULES_ALLOW_UNSIGNED: 'true', RULES_REFRESH: '30m' });
    expect([c.rulesFile, c.rulesAllowUnsigned, c.rulesRefreshMs]).toEqual(['rules.json', true, 30 * 60_000]);
  });
});
