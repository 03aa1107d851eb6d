/**
 * Certificate templates of the GDHCN certificate governance (smart.who.int/trust, concepts_certificate_governance):
 * what each participant certificate must carry and how long it lives. Used to make requests (`keys csr`), to issue
 * a DSC from our SCA (`keys sign`) and to check a certificate handed back before it is installed (`keys import`).
 */
import type { KeyUsageName } from './der.ts';
import { checkCriticalExtensions, checkKeyStrength, HCERT_EKU, type CertificateFacts } from './x509.ts';

export type OnboardingUsage = 'SCA' | 'DSC' | 'UP' | 'TLS';
export const ONBOARDING_USAGES: readonly OnboardingUsage[] = ['SCA', 'DSC', 'UP', 'TLS'];

export const EKU_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

export interface CertificateProfile {
  /** Key usage bits the certificate must have (governance tables: bold = required). */
  keyUsage: readonly KeyUsageName[];
  /** EKU OIDs put in issued certificates; `requiredEku` of them must be present on import. */
  extKeyUsage: readonly string[];
  requiredEku: readonly string[];
  ca: boolean;
  /** Recommended validity: SCA 4 years, DSC 2 years, upload and TLS 1–2 years (we issue 1 year for these). */
  validityDays: number;
}

const YEAR = 365;

export const PROFILES: Readonly<Record<OnboardingUsage, CertificateProfile>> = {
  SCA: { keyUsage: ['keyCertSign', 'cRLSign'], extKeyUsage: [], requiredEku: [], ca: true, validityDays: 4 * YEAR + 1 },
  DSC: {
    keyUsage: ['digitalSignature'],
    extKeyUsage: Object.values(HCERT_EKU),
    requiredEku: [],
    ca: false,
    validityDays: 2 * YEAR,
  },
  UP: { keyUsage: ['digitalSignature'], extKeyUsage: [], requiredEku: [], ca: false, validityDays: YEAR },
  TLS: {
    keyUsage: ['digitalSignature'],
    extKeyUsage: [EKU_CLIENT_AUTH],
    requiredEku: [EKU_CLIENT_AUTH],
    ca: false,
    validityDays: YEAR,
  },
};

export function isOnboardingUsage(value: string): value is OnboardingUsage {
  return (ONBOARDING_USAGES as readonly string[]).includes(value);
}

/** What is wrong with `cert` for `usage` (empty when it fits the template). */
export function checkProfile(cert: CertificateFacts, usage: OnboardingUsage, country: string): string[] {
  const profile = PROFILES[usage];
  const problems: string[] = [];
  if (cert.country !== country) problems.push(`subject country is ${cert.country ?? 'missing'}, expected ${country}`);
  if (!/(?:^|\n)CN=\S/.test(cert.subject)) problems.push('subject has no common name (CN)');
  const missing = profile.keyUsage.filter((k) => !cert.keyUsage?.includes(k));
  if (missing.length > 0) problems.push(`keyUsage lacks ${missing.join(', ')}`);
  const missingEku = profile.requiredEku.filter((k) => !cert.extKeyUsage?.includes(k));
  if (missingEku.length > 0) problems.push(`extendedKeyUsage lacks ${missingEku.join(', ')}`);
  if (profile.ca !== cert.isCa) problems.push(profile.ca ? 'basicConstraints cA is not set' : 'is a CA certificate');
  problems.push(...checkKeyStrength(cert, { minRsaBits: 3072, curves: ['P-256'] }).map((p) => p.message));
  problems.push(...checkCriticalExtensions(cert).map((p) => p.message));
  return problems;
}
