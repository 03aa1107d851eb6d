import { redactUrl } from '../../../src/http/redact-url.ts';

describe('redactUrl', () => {
  test('when a URL carries a passcode, key or token in its query, then the value is redacted and other parameters are kept', () => {
    expect(redactUrl('/fhir/$verify?passcode=1234&_format=json')).toBe('/fhir/$verify?passcode=REDACTED&_format=json');
    expect(redactUrl('/x?KEY=abc&access_token=t&b=2')).toBe('/x?KEY=REDACTED&access_token=REDACTED&b=2');
    expect(redactUrl('/x?pass%63ode=9')).toBe('/x?pass%63ode=REDACTED');
  });

  test('when the URL is an SHL manifest or file location, then the link id and the ticket are redacted', () => {
    expect(redactUrl('/shl/AbCdEf0123456789AbCdEf0123456789AbCdEf01234?recipient=Dr')).toBe(
      '/shl/REDACTED?recipient=Dr',
    );
    expect(redactUrl('/shl/AbCdEf/file/TiCkEt')).toBe('/shl/REDACTED/file/REDACTED');
  });

  test('when nothing is secret, then the URL is unchanged', () => {
    expect(redactUrl('/fhir/Patient?name=x&_count=5')).toBe('/fhir/Patient?name=x&_count=5');
    expect(redactUrl('/healthz')).toBe('/healthz');
  });
});
