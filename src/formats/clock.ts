/**
 * Validation clocks: the instant a credential is judged at. Read from callers and test data as ISO 8601 date-times
 * with a UTC offset — `Z`, `±HH:MM` (RFC 3339 §5.6) or the ISO 8601 basic form `±HHMM` — and nothing else: a time
 * without an offset names no instant, and a clock that is not a real instant must fail closed, never skip a check.
 * https://www.rfc-editor.org/rfc/rfc3339#section-5.6
 */
import { FormatError } from './errors.ts';

const CLOCK = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;

export type ClockResult = { ok: true; date: Date } | { ok: false; message: string };

const refuse = (text: string, why: string): ClockResult => ({
  ok: false,
  message: `"${text.slice(0, 64)}" is not a validation clock: ${why}`,
});

/**
 * Read a clock string. Accepts `2021-06-01T10:00:00Z`, `…+01:00`, `…+0100` (seconds and a fraction optional).
 * @example parseClock('2021-06-01T10:00:00+0100') // { ok: true, date: 2021-06-01T09:00:00.000Z }
 * @example parseClock('2021-06-01T10:00:00').ok // false: no offset
 */
export function parseClock(text: string): ClockResult {
  if (typeof text !== 'string') return { ok: false, message: 'a validation clock must be a string' };
  const m = CLOCK.exec(text);
  if (!m)
    return refuse(text, 'expected an ISO 8601 date-time YYYY-MM-DDThh:mm[:ss[.fff]] with an offset Z, ±hh:mm or ±hhmm');
  const [, y, mo, d, h, mi, s = '00', frac = '', offset] = m;
  if (offset === undefined) return refuse(text, 'it has no UTC offset (add Z, ±hh:mm or ±hhmm)');
  const off = offset === 'Z' ? 'Z' : `${offset.slice(0, 3)}:${offset.slice(-2)}`;
  if (off !== 'Z' && (Number(off.slice(1, 3)) > 14 || Number(off.slice(4, 6)) > 59))
    return refuse(text, `the offset ${offset} is out of range`);
  if (Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59)
    return refuse(text, 'a field is out of range');
  const ms = (frac + '000').slice(1, 4).padEnd(3, '0');
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}${off}`;
  const date = new Date(iso);
  // Date rolls 2021-02-30 over to March: compare the calendar day back in the same offset.
  const local = new Date(
    date.getTime() +
      (off === 'Z' ? 0 : (off[0] === '-' ? -1 : 1) * (Number(off.slice(1, 3)) * 60 + Number(off.slice(4, 6))) * 60_000),
  );
  if (Number.isNaN(date.getTime()) || local.getUTCDate() !== Number(d))
    return refuse(text, `${y}-${mo}-${d} is not a calendar date`);
  return { ok: true, date };
}

/**
 * True when `d` is a Date holding a real instant.
 * @example isValidClock(new Date('x')) // false
 */
export function isValidClock(d: unknown): d is Date {
  return d instanceof Date && !Number.isNaN(d.getTime());
}

/**
 * Throw CLOCK_INVALID unless `d` is a real instant: every time check calls this first, so an invalid clock fails
 * the check instead of making every comparison false (which would read as "not expired").
 * @example assertClock(options.validationTime)
 */
export function assertClock(d: unknown): asserts d is Date {
  if (!isValidClock(d))
    throw new FormatError(
      'CLOCK_INVALID',
      'The validation time is not a valid date: the credential cannot be judged at it',
    );
}
