/**
 * DSC renewal watch: which of our signing certificates end within the renewal margin (SMART Trust certificate
 * governance: a DSC lives up to 2 years; a new one is onboarded before the old one ends, and both verify until the
 * old one expires). Pure: the caller reports it in /trust/status and the log.
 */
import type { IssuerKeySet } from './issuer-keys.ts';

export interface RenewalNotice {
  kid: string;
  notAfter: string;
  daysLeft: number;
  state: 'renew' | 'expired';
}

export interface RenewalStatus {
  marginDays: number;
  /** Our DSCs ending within the margin (or already ended), soonest first. */
  due: RenewalNotice[];
  /** True when at least one DSC stays valid past the margin (signing goes on uninterrupted). */
  covered: boolean;
}

const DAY = 86_400_000;

/** @example renewalStatus(keys, new Date(), 30 * DAY).due // [{ kid, notAfter, daysLeft: 12, state: 'renew' }] */
export function renewalStatus(keys: Pick<IssuerKeySet, 'dscs'>, now: Date, marginMs: number): RenewalStatus {
  const due: RenewalNotice[] = [];
  let covered = false;
  for (const d of keys.dscs) {
    const left = d.certificate.notAfter.getTime() - now.getTime();
    if (left > marginMs) {
      covered = true;
      continue;
    }
    due.push({
      kid: d.kid,
      notAfter: d.certificate.notAfter.toISOString(),
      daysLeft: Math.floor(left / DAY),
      state: left <= 0 ? 'expired' : 'renew',
    });
  }
  due.sort((a, b) => a.notAfter.localeCompare(b.notAfter));
  return { marginDays: Math.round(marginMs / DAY), due, covered };
}
