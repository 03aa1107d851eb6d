/**
 * The conformance resources of the loaded IG packages (and the R4 core), readable through the normal REST API
 * beside what is stored: `GET /fhir/StructureDefinition?url=…`, `GET /fhir/ValueSet/<id>`. They are served
 * read-only from memory, tagged with the package they come from; searches over them understand `_id`, `url`,
 * `version`, `name` and `status`, and a search using other parameters covers stored resources only (and says so).
 */
import type { Resource } from '@medplum/fhirtypes';
import { normalizeString } from '../../fhir/search/normalize.ts';
import type { SearchFilter, SearchValue } from '../../fhir/search/query.ts';
import type { FhirPackage } from '../../packages/types.ts';

export const CONFORMANCE_TYPES: ReadonlySet<string> = new Set([
  'StructureDefinition',
  'ValueSet',
  'CodeSystem',
  'ConceptMap',
  'OperationDefinition',
  'SearchParameter',
  'CapabilityStatement',
  'ImplementationGuide',
  'StructureMap',
  'NamingSystem',
]);

const SEARCHABLE = new Set(['_id', 'url', 'version', 'name', 'status']);
export const ORIGIN_SYSTEM = 'https://gdhcn-gateway.org/fhir/CodeSystem/package-origin';

export interface ConformanceSource {
  read(type: string, id: string): Resource | undefined;
  /** Matches of a search, or undefined when a filter is one the package view cannot evaluate. */
  search(type: string, filters: readonly SearchFilter[]): Resource[] | undefined;
}

type Conformance = Resource & { url?: string; version?: string; name?: string; status?: string };

export function createConformanceSource(packages: readonly FhirPackage[]): ConformanceSource {
  const byType = new Map<string, Map<string, Conformance>>();
  for (const pkg of packages) {
    for (const r of pkg.resources) {
      if (!CONFORMANCE_TYPES.has(r.resourceType) || typeof r.id !== 'string') continue;
      const ids = byType.get(r.resourceType) ?? new Map<string, Conformance>();
      byType.set(r.resourceType, ids);
      // Two packages may use the same id: the later one is served under a package-qualified id.
      const id = ids.has(r.id) ? `${pkg.id}--${r.id}`.replace(/[^A-Za-z0-9\-.]/g, '-').slice(0, 64) : r.id;
      ids.set(id, tagged(r as Conformance, id, `${pkg.id}#${pkg.version}`));
    }
  }
  return {
    read: (type, id) => byType.get(type)?.get(id),
    search: (type, filters) => {
      if (filters.some((f) => !SEARCHABLE.has(f.code) || f.chain || f.modifier === 'missing')) return undefined;
      return [...(byType.get(type)?.values() ?? [])].filter((r) => filters.every((f) => matches(r, f)));
    },
  };
}

function tagged(r: Conformance, id: string, origin: string): Conformance {
  const tag = { system: ORIGIN_SYSTEM, code: origin, display: `From the IG package ${origin}` };
  return { ...r, id, meta: { ...r.meta, tag: [...(r.meta?.tag ?? []), tag] } } as Conformance;
}

function matches(r: Conformance, f: SearchFilter): boolean {
  const field = f.code === '_id' ? r.id : (r[f.code as 'url' | 'version' | 'name' | 'status'] as string | undefined);
  const any = f.values.some((v) => valueMatches(field, v, f.modifier));
  return f.modifier === 'not' ? !any : any;
}

function valueMatches(field: string | undefined, v: SearchValue, modifier: string | undefined): boolean {
  if (field === undefined) return false;
  switch (v.kind) {
    case 'uri':
      return field === v.value;
    case 'token':
      return v.code === undefined || field === v.code;
    case 'string': {
      if (modifier === 'exact') return field === v.value;
      const text = normalizeString(field);
      return modifier === 'contains' ? text.includes(v.value) : text.startsWith(v.value);
    }
    default:
      return false;
  }
}
