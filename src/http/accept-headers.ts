/** Reading the content-negotiation headers operations honour: Accept-Language and Accept (RFC 9110 §12.5). */

interface Ranked {
  value: string;
  q: number;
  i: number;
}

/** The comma-separated members of a header with their quality values, best first; q=0 dropped, 20 members at most. */
function ranked(header: string, normalise: (value: string) => string): Ranked[] {
  return header
    .split(',')
    .slice(0, 20)
    .map((part, i) => {
      const [value = '', ...params] = part.trim().split(';');
      const q = Number(
        params
          .map((x) => x.trim())
          .find((x) => x.startsWith('q='))
          ?.slice(2) ?? '1',
      );
      return { value: normalise(value.trim().toLowerCase()), q: Number.isFinite(q) ? q : 0, i };
    })
    .filter((x) => x.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
}

/**
 * Primary language subtags of Accept-Language, by quality (RFC 9110 §12.5.4); `*` and q=0 are dropped.
 * @example acceptedLanguages('fr-CA, en;q=0.5') // ['fr', 'en']
 */
export function acceptedLanguages(header: string | undefined): string[] {
  if (!header) return [];
  return ranked(header, (tag) => tag.split('-')[0] ?? '')
    .filter((x) => /^[a-z]{2,3}$/.test(x.value))
    .map((x) => x.value);
}

/**
 * True when Accept prefers `type` to every JSON type (`application/json`, `application/fhir+json`) and to
 * wildcards, which this server answers with JSON (RFC 9110 §12.5.1).
 * @example prefersType('application/pdf, application/fhir+json;q=0.5', 'application/pdf') // true
 */
export function prefersType(header: string | undefined, type: string): boolean {
  if (!header) return false;
  const media = ranked(header, (range) => range.trim());
  const wanted = media.find((m) => m.value === type);
  if (!wanted) return false;
  const json = media.find((m) => /json/.test(m.value) || m.value === '*/*' || m.value === 'application/*');
  return !json || wanted.q > json.q || (wanted.q === json.q && wanted.i < json.i);
}
