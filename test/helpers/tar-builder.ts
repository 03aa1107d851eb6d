/** Builds (hostile) tar.gz archives for tests: ustar headers written by hand so any name or type can be forged. */
import { gzipSync } from 'node:zlib';
import { readBaseR4 } from '../../src/packages/base-r4.ts';

export interface TarSpec {
  name: string;
  data?: string | Buffer;
  /** ustar type flag: '0' file (default), '2' symlink, '1' hard link, '5' directory. */
  type?: string;
  linkname?: string;
}

function header(spec: TarSpec, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(spec.name, 0, 100, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(size.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.write(spec.type ?? '0', 156);
  if (spec.linkname) h.write(spec.linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.fill(' ', 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

export function tarGz(entries: TarSpec[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = typeof e.data === 'string' ? Buffer.from(e.data) : (e.data ?? Buffer.alloc(0));
    parts.push(header(e, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(parts));
}

export function profileUrl(id: string): string {
  return `http://example.org/fhir/${id}/StructureDefinition/TestPatient`;
}

/** A small valid IG package with one profile (Patient with birthDate required), snapshot included. */
export function samplePackage(id = 'example.fhir.test', version = '0.1.0', extra: TarSpec[] = []): Buffer {
  const manifest = { name: id, version, fhirVersions: ['4.0.1'], dependencies: { 'hl7.fhir.r4.core': '4.0.1' } };
  const base = readBaseR4().resources.find(
    (r) =>
      r.resourceType === 'StructureDefinition' &&
      (r as { url?: string }).url === 'http://hl7.org/fhir/StructureDefinition/Patient',
  );
  const snapshot = structuredClone(
    (base as unknown as { snapshot: { element: Array<{ path: string; min?: number }> } }).snapshot,
  );
  for (const e of snapshot.element) if (e.path === 'Patient.birthDate') e.min = 1;
  const profile = {
    resourceType: 'StructureDefinition',
    id: 'TestPatient',
    url: profileUrl(id),
    name: 'TestPatient',
    status: 'active',
    fhirVersion: '4.0.1',
    kind: 'resource',
    abstract: false,
    type: 'Patient',
    baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Patient',
    derivation: 'constraint',
    snapshot,
    differential: { element: [{ id: 'Patient.birthDate', path: 'Patient.birthDate', min: 1 }] },
  };
  return tarGz([
    { name: 'package/package.json', data: JSON.stringify(manifest) },
    { name: 'package/StructureDefinition-TestPatient.json', data: JSON.stringify(profile) },
    ...extra,
  ]);
}
