/**
 * The reverse direction for `$verify`: HCERT payloads → FHIR content. A DDCC:VS core data set becomes the DDCC:VS
 * document Bundle (checked against DDCCVSDocument); an EU DCC alone becomes a `collection` of Patient + Immunization
 * with the codes in their own systems (SNOMED CT vaccine, EU Union Register product), since nothing is gained by
 * translating them back. Full URLs are derived from the credential text, so the same input gives the same Bundle.
 * http://smart.who.int/ddcc/StructureDefinition/DDCCVSDocument
 */
import { hash } from 'node:crypto';
import type { Bundle, BundleEntry, Immunization, Patient } from '@medplum/fhirtypes';
import {
  ddccTrObservation,
  euRecoveryResources,
  euTestObservation,
  type DdccTrCoreDataSet,
  type EuRecoveryEntry,
  type EuTestEntry,
} from './test-recovery.ts';
import { buildDdccDocument } from './ddcc-document.ts';
import type { DdccVsCoreDataSet } from './ddcc-vs.ts';
import { SYSTEM } from './terminology.ts';
import { EXT_BRAND, EXT_COUNTRY, EXT_MA_HOLDER, EXT_VALID_FROM } from './vaccination.ts';

/**
 * Deterministic UUIDs from a seed (content addresses, not secrets).
 * @example const next = seededUuids(hc1); next() // same UUID for the same text
 */
export function seededUuids(seed: string): () => string {
  let n = 0;
  return () => {
    const h = hash('sha256', `${seed}#${n++}`, 'hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
  };
}

function immunizationFrom(cds: DdccVsCoreDataSet): Immunization {
  const v = cds.vaccination;
  const extension: NonNullable<Immunization['extension']> = [
    { url: EXT_BRAND, valueCoding: v.brand },
    { url: EXT_COUNTRY, valueCode: v.country.code },
  ];
  if (v.maholder) extension.push({ url: EXT_MA_HOLDER, valueCoding: v.maholder });
  if (v.validFrom) extension.push({ url: EXT_VALID_FROM, valueDate: v.validFrom });
  const imm: Immunization = {
    resourceType: 'Immunization',
    extension,
    status: 'completed',
    vaccineCode: { coding: [v.vaccine] },
    patient: {},
    occurrenceDateTime: v.date,
    location: { display: v.centre ?? 'unknown' },
    lotNumber: v.lot,
    protocolApplied: [
      {
        ...(v.disease ? { targetDisease: [{ coding: [v.disease] }] } : {}),
        doseNumberPositiveInt: v.dose,
        ...(v.totalDoses !== undefined ? { seriesDosesPositiveInt: v.totalDoses } : {}),
      },
    ],
  };
  if (v.manufacturer)
    imm.manufacturer = {
      identifier: { system: v.manufacturer.system, value: v.manufacturer.code },
      display: v.manufacturer.display,
    };
  return imm;
}

/**
 * DDCC:VS core data set → DDCC:VS document Bundle (without the QR DocumentReference: the verifier has the QR).
 * @example ddccVsToDocument(payloads.ddccVs[0], { issuedAt: new Date(iat * 1000), seed: hc1 })
 */
export function ddccVsToDocument(cds: DdccVsCoreDataSet, options: { issuedAt: Date; seed: string }): Bundle {
  const patient: Patient = { resourceType: 'Patient', name: [{ use: 'official', text: cds.name }] };
  if (cds.birthDate) patient.birthDate = cds.birthDate;
  if (cds.identifier) patient.identifier = [cds.identifier];
  return buildDdccDocument({
    patient,
    immunization: immunizationFrom(cds),
    organization: {
      resourceType: 'Organization',
      name: cds.certificate.issuer.display ?? cds.certificate.issuer.identifier?.value ?? 'unknown',
    },
    hcid: { system: 'urn:HCID', value: cds.certificate.hcid.value },
    now: options.issuedAt,
    newUuid: seededUuids(options.seed),
  });
}

interface DccLike {
  nam?: { fn?: string; gn?: string; fnt?: string; gnt?: string };
  dob?: string;
  v?: {
    tg?: string;
    vp?: string;
    mp?: string;
    ma?: string;
    dn?: number;
    sd?: number;
    dt?: string;
    co?: string;
    is?: string;
    ci?: string;
  }[];
  t?: EuTestEntry[];
  r?: EuRecoveryEntry[];
}

/**
 * EU DCC → a collection of Patient + one Immunization per `v` entry, one Observation per `t` entry, and per `r`
 * entry the first positive result (Observation) and the resolved disease (Condition).
 * @example euDccToBundle(payloads.euDcc, hc1).entry.length
 */
export function euDccToBundle(dcc: DccLike, seed: string): Bundle {
  const uuid = seededUuids(seed);
  const patientUrl = `urn:uuid:${uuid()}`;
  const nam = dcc.nam ?? {};
  const patient: Patient = {
    resourceType: 'Patient',
    name: [
      { use: 'official', family: nam.fn ?? nam.fnt, ...(nam.gn || nam.gnt ? { given: [nam.gn ?? nam.gnt!] } : {}) },
    ],
  };
  if (dcc.dob && /^\d{4}(-\d{2}){0,2}$/.test(dcc.dob)) patient.birthDate = dcc.dob;
  const immunizations = (dcc.v ?? []).map(
    (v): Immunization => ({
      resourceType: 'Immunization',
      extension: [
        { url: EXT_BRAND, valueCoding: { system: SYSTEM.euUnionRegister, code: v.mp } },
        { url: EXT_COUNTRY, valueCode: v.co },
      ],
      identifier: v.ci ? [{ system: 'urn:UVCI', value: v.ci }] : undefined,
      status: 'completed',
      vaccineCode: { coding: [{ system: SYSTEM.snomed, code: v.vp }] },
      patient: { reference: patientUrl },
      occurrenceDateTime: v.dt,
      manufacturer: v.ma ? { identifier: { value: v.ma } } : undefined,
      protocolApplied: [
        {
          targetDisease: [{ coding: [{ system: SYSTEM.snomed, code: v.tg }] }],
          doseNumberPositiveInt: v.dn,
          seriesDosesPositiveInt: v.sd,
        },
      ],
    }),
  );
  const entry: BundleEntry[] = [
    { fullUrl: patientUrl, resource: patient },
    ...immunizations.map((r) => ({
      fullUrl: `urn:uuid:${uuid()}`,
      resource: JSON.parse(JSON.stringify(r)) as Immunization,
    })),
  ];
  for (const t of list(dcc.t))
    entry.push({ fullUrl: `urn:uuid:${uuid()}`, resource: euTestObservation(t, patientUrl) });
  for (const r of list(dcc.r)) {
    const observationUrl = `urn:uuid:${uuid()}`;
    const { observation, condition } = euRecoveryResources(r, patientUrl, observationUrl);
    entry.push(
      { fullUrl: observationUrl, resource: observation },
      { fullUrl: `urn:uuid:${uuid()}`, resource: condition },
    );
  }
  return { resourceType: 'Bundle', type: 'collection', entry };
}

const list = <T>(v: T[] | undefined): T[] =>
  Array.isArray(v) ? v.filter((x) => typeof x === 'object' && x !== null) : [];

/**
 * DDCC:TR core data set → a collection of Patient + the test Observation.
 * @example ddccTrToBundle(payloads.ddccTr, hc1).entry[1].resource.resourceType // 'Observation'
 */
export function ddccTrToBundle(cds: DdccTrCoreDataSet, seed: string): Bundle {
  const uuid = seededUuids(seed);
  const patientUrl = `urn:uuid:${uuid()}`;
  const patient: Patient = {
    resourceType: 'Patient',
    ...(cds.name ? { name: [{ use: 'official', text: cds.name }] } : {}),
  };
  if (cds.birthDate && /^\d{4}(-\d{2}){0,2}$/.test(cds.birthDate)) patient.birthDate = cds.birthDate;
  if (cds.identifier?.value)
    patient.identifier = [
      { ...(cds.identifier.system ? { system: cds.identifier.system } : {}), value: cds.identifier.value },
    ];
  return {
    resourceType: 'Bundle',
    type: 'collection',
    entry: [
      { fullUrl: patientUrl, resource: patient },
      { fullUrl: `urn:uuid:${uuid()}`, resource: ddccTrObservation(cds, patientUrl) },
    ],
  };
}
