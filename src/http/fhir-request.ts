/**
 * Framework-free request and response shapes for FHIR interactions. Handlers take a FhirRequest and return a
 * FhirResponse, so the same handlers serve plain HTTP requests and the entries of batch/transaction Bundles.
 */
import type { OperationOutcome, Resource } from '@medplum/fhirtypes';
import type { IngestPolicy, IngestVerdict } from '../validation/ingest-policy.ts';
import type { ConformanceSource } from './rest/conformance.ts';
import type { Logger } from 'pino';
import type { AuthContext } from './authorize.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { ResourceStore } from '../storage/store.ts';
import type { RestLimits } from './rest/limits.ts';
import type { WorkBudget } from '../fhir/work-budget.ts';

export type FhirMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD';

export interface FhirRequest {
  method: FhirMethod;
  /** Path segments after the FHIR base, already percent-decoded. */
  segments: string[];
  query: Array<[string, string]>;
  body?: unknown;
  /** Who asked, as recorded in Provenance (the client address and request id until authentication exists). */
  requester?: string;
  /** Server-chosen id of a transaction's create entry (never from client input). */
  presetId?: string;
  headers: {
    ifMatch?: string;
    ifNoneMatch?: string;
    ifModifiedSince?: string;
    ifNoneExist?: string;
    prefer?: string;
    /** Media type of the body (PATCH tells JSON Patch from FHIRPath Patch by it). */
    contentType?: string;
    acceptLanguage?: string;
    /** The Accept header, for operations that can answer in another media type ($issue-hcert: application/pdf). */
    accept?: string;
  };
}

export interface FhirResponse {
  status: number;
  resource?: Resource;
  headers?: Record<string, string>;
  /** What the AuditEvent names when the resource does not say it (e.g. the folder behind a VHL manifest search). */
  auditEntities?: string[];
  /** Hints and warnings about a write (validation on ingest); sent as the body with Prefer: return=OperationOutcome, and as `response.outcome` in Bundle responses. */
  outcome?: OperationOutcome;
  /**
   * A non-FHIR body (a printable PDF): sent as it is over HTTP, with its media type. `resource` then holds the same
   * content as a Binary, which is what a batch-response entry carries.
   */
  body?: { contentType: string; data: Uint8Array };
  /**
   * The resource already serialized as FHIR JSON (UTF-8) by a worker (a large `$validate` outcome): sent as it is,
   * `_pretty` aside. `resource` then carries only what the server itself reads of it (the verdict, for metrics);
   * only top-level answers have it, never a batch entry's.
   */
  encoded?: Uint8Array;
}

export interface RestSettings {
  /** Public base URL of the FHIR API, without a trailing slash. */
  baseUrl: string;
  searchDefaultCount: number;
  searchMaxCount: number;
  /** Limits of the conditional interactions, PATCH and joins (rest/limits.ts). */
  limits?: RestLimits;
  /** Most resources _include/_revinclude add to one page (never more than its _count). */
  searchMaxIncludes?: number;
}

/** What every handler may use; built once per app. */
export interface RestContext {
  store: ResourceStore;
  settings: RestSettings;
  log: Logger;
  /** The ingest validation policy in force (it changes when a package is installed). */
  ingest?: () => IngestPolicy;
  /** Conformance resources of the loaded packages, served read-only beside the stored ones. */
  conformance?: () => ConformanceSource;
  /** This request's work budget (set per request by the HTTP shell; absent in direct calls). */
  budget?: WorkBudget;
  /**
   * Write-time validation of a large resource in a validation worker (the verdict of the same ingest policy);
   * undefined when it is small, or no worker is ready: it is then checked inline.
   */
  ingestOffThread?: (resource: unknown, budget?: WorkBudget) => Promise<IngestVerdict> | undefined;
  /**
   * The structural check of a large resource (a transaction's Bundle without its entries' resources) in a
   * validation worker; undefined when it is small or no worker is ready: it is then checked inline.
   */
  structureOffThread?: (resource: unknown, expectedType: string, budget?: WorkBudget) => Promise<unknown> | undefined;
  /** Who is calling, set per request by the HTTP shell; absent in code paths that are not requests (tools, tests). */
  auth?: AuthContext;
  /** X-Request-Id of the HTTP request, carried into AuditEvents. */
  requestId?: string;
  /** The server clock (Bundle timestamps); `new Date()` when absent. */
  now?: () => Date;
  /** Where AuditEvents go (absent with AUDIT=false). */
  audit?: { log: AuditLog; now: () => Date };
}

/** `W/"3"` or `"3"` → `3`; anything else → undefined. */
export function parseETag(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const m = /^\s*(?:W\/)?"([^"]+)"\s*$/.exec(value);
  return m ? m[1] : undefined;
}

export function etagOf(versionId: string): string {
  return `W/"${versionId}"`;
}

/** `Prefer: return=…` and `handling=…`. */
export function preferOf(req: FhirRequest): {
  return?: 'minimal' | 'representation' | 'OperationOutcome';
  strict: boolean;
} {
  const prefer = req.headers.prefer ?? '';
  const ret = /return=(minimal|representation|OperationOutcome)/.exec(prefer)?.[1] as
    | 'minimal'
    | 'representation'
    | 'OperationOutcome'
    | undefined;
  return { return: ret, strict: /handling=strict/.test(prefer) };
}
