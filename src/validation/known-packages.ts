/**
 * Canonical bases of well-known FHIR packages, so that a reference into a package that is declared as a
 * dependency but not loaded can be reported as such ("package hl7.fhir.uv.ips#1.1.0 is not loaded")
 * instead of as an unknown profile. Sources: each IG's `package.json` `canonical` on packages.fhir.org.
 */
const BASES: Readonly<Record<string, string>> = {
  'hl7.fhir.uv.ips': 'http://hl7.org/fhir/uv/ips/',
  'hl7.fhir.uv.ipa': 'http://hl7.org/fhir/uv/ipa/',
  'hl7.fhir.uv.sdc': 'http://hl7.org/fhir/uv/sdc/',
  'hl7.fhir.uv.cql': 'http://hl7.org/fhir/uv/cql/',
  'hl7.fhir.uv.crmi': 'http://hl7.org/fhir/uv/crmi/',
  // The extensions pack publishes under the core namespace; anything there that core R4 lacks comes from it.
  'hl7.fhir.uv.extensions.r4': 'http://hl7.org/fhir/StructureDefinition/',
  'hl7.fhir.uv.extensions.r5': 'http://hl7.org/fhir/StructureDefinition/',
  'hl7.terminology.r4': 'http://terminology.hl7.org/',
  'hl7.terminology.r5': 'http://terminology.hl7.org/',
  'hl7.terminology': 'http://terminology.hl7.org/',
  'ihe.iti.mhd': 'https://profiles.ihe.net/ITI/MHD/',
  'ihe.iti.mcsd': 'https://profiles.ihe.net/ITI/mCSD/',
  'smart.who.int.ts': 'http://smart.who.int/ts/',
  'smart.who.int.pcmt': 'http://smart.who.int/pcmt/',
  'smart.who.int.base': 'http://smart.who.int/base/',
  'who.ddcc': 'http://smart.who.int/ddcc/',
  'smart.who.int.icvp': 'http://smart.who.int/icvp/',
};

/** The canonical URL prefix of a package id, when known. */
export function canonicalBaseOfPackage(id: string): string | undefined {
  return BASES[id];
}
