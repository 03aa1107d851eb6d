/**
 * FHIR date, dateTime and instant values as half-open epoch-millisecond ranges [low, high) of their precision:
 * `2021` covers the whole year, `2021-03-04T10:15Z` one minute. Values without a timezone are taken as UTC.
 * https://hl7.org/fhir/R4/search.html#date
 */

/** Lowest / highest instants we store, for open-ended periods (±271,821 years is the JS Date limit). */
export const MIN_INSTANT = -8.64e15;
export const MAX_INSTANT = 8.64e15;

export interface DateRange {
  low: number;
  high: number;
}

const DATE_RE =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

function tzOffsetMs(tz: string | undefined): number {
  if (tz === undefined || tz === 'Z') return 0;
  const sign = tz.startsWith('-') ? -1 : 1;
  const [h, m] = tz.slice(1).split(':').map(Number);
  return sign * ((h as number) * 60 + (m as number)) * 60_000;
}

function validParts(mo: number, d: number, h: number, mi: number, s: number): boolean {
  return mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && s <= 59;
}

/**
 * Parses a FHIR date/dateTime/instant into its precision range, or undefined when the text is not one.
 * @example dateRange('2021-03')  // { low: Date.UTC(2021, 2, 1), high: Date.UTC(2021, 3, 1) }
 */
export function dateRange(text: string): DateRange | undefined {
  const m = DATE_RE.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const year = Number(y);
  const month = mo === undefined ? 1 : Number(mo);
  const day = d === undefined ? 1 : Number(d);
  const hour = h === undefined ? 0 : Number(h);
  const minute = mi === undefined ? 0 : Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (!validParts(month, day, hour, minute, second)) return undefined;
  const fracMs = frac === undefined ? 0 : Math.floor(Number(`0.${frac}`) * 1000);
  const start = new Date(Date.UTC(year, month - 1, day, hour, minute, second, fracMs));
  start.setUTCFullYear(year); // Date.UTC maps years 0..99 to 1900..1999
  if (start.getUTCDate() !== day) return undefined; // 2021-02-30
  const end = new Date(start.getTime());
  if (mo === undefined) end.setUTCFullYear(year + 1);
  else if (d === undefined) end.setUTCMonth(month);
  else if (h === undefined) end.setUTCDate(day + 1);
  else if (s === undefined) end.setUTCMinutes(minute + 1);
  else if (frac === undefined) end.setUTCSeconds(second + 1);
  else end.setTime(start.getTime() + Math.max(1, 10 ** (3 - frac.length)));
  const offset = tzOffsetMs(tz);
  return { low: start.getTime() - offset, high: end.getTime() - offset };
}
