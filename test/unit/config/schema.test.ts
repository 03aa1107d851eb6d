import { configTableMarkdown, ConfigError, parseConfig } from '../../../src/config/schema.ts';

describe('parseConfig', () => {
  test('when nothing is set, then the defaults just work', () => {
    const c = parseConfig({});
    expect(c).toMatchObject({
      port: 8080,
      fhirBaseUrl: 'http://localhost:8080/fhir',
      dataDir: './data',
      storage: 'sqlite',
      logLevel: 'info',
    });
  });

  test('when PORT is set, then the default base URL follows it', () => {
    expect(parseConfig({ PORT: '9000' }).fhirBaseUrl).toBe('http://localhost:9000/fhir');
  });

  test('when FHIR_BASE_URL has a trailing slash, then it is dropped', () => {
    expect(parseConfig({ FHIR_BASE_URL: 'https://fhir.example.org/fhir/' }).fhirBaseUrl).toBe(
      'https://fhir.example.org/fhir',
    );
  });

  test('when several values are bad, then one ConfigError lists every problem', () => {
    let error: unknown;
    try {
      parseConfig({ PORT: 'eighty', STORAGE: 'postgres', FHIR_BASE_URL: 'ftp://x', LOG_LEVEL: 'loud' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'PORT must be a whole number, got "eighty"',
      'FHIR_BASE_URL must use http or https, got "ftp://x"',
      'STORAGE must be one of sqlite, mongodb, got "postgres"',
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    ]);
  });

  test('when the SHL settings are left out, then links live under ISSUER_URL/shl and no other manifest host is fetched', () => {
    const c = parseConfig({ FHIR_BASE_URL: 'https://gw.example.org/fhir' });
    expect(c.shlBaseUrl).toBe('https://gw.example.org/shl');
    expect(c.shlFetchAllow).toEqual([]);
  });

  test('when SHL_FETCH_ALLOW lists URLs, then each becomes a folder prefix, and a non-http entry is refused at start', () => {
    expect(
      parseConfig({ SHL_FETCH_ALLOW: 'https://shl.example.org/links, http://127.0.0.1:9000/' }).shlFetchAllow,
    ).toEqual(['https://shl.example.org/links/', 'http://127.0.0.1:9000/']);
    expect(() => parseConfig({ SHL_FETCH_ALLOW: 'https://ok.example/, file:///etc' })).toThrow(
      'SHL_FETCH_ALLOW must use http or https, got "file:///etc"',
    );
  });

  test("when SHL_BASE_URL leaves no room for a link id within the spec's 128 characters, then it is refused at start", () => {
    expect(() => parseConfig({ SHL_BASE_URL: `https://shl.example.org/${'x'.repeat(70)}` })).toThrow(
      'SHL_BASE_URL must be at most 84 characters',
    );
    expect(parseConfig({ SHL_BASE_URL: `https://shl.example.org/${'x'.repeat(60)}` }).shlBaseUrl).toHaveLength(84);
  });

  test('when STORAGE=mongodb has no MONGODB_URL, then it is refused', () => {
    expect(() => parseConfig({ STORAGE: 'mongodb' })).toThrow('MONGODB_URL is required when STORAGE=mongodb');
  });

  test('when the docs table is generated, then every variable is in it', () => {
    const table = configTableMarkdown();
    for (const env of ['PORT', 'FHIR_BASE_URL', 'DATA_DIR', 'STORAGE', 'LOG_LEVEL', 'MONGODB_URL'])
      expect(table).toContain(`\`${env}\``);
  });
});
