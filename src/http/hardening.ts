/**
 * The request-hardening pieces the app wires in (issue 19), gathered so app.ts only names them: per-request limits
 * for the FHIR endpoint.
 */
import type { Config } from '../config/schema.ts';
import type { EndpointLimits } from './fhir-endpoint.ts';

export function endpointLimits(config: Config): EndpointLimits {
  return {
    maxContained: config.maxContained,
    maxBundleEntries: config.maxBundleEntries,
    requestBudgetMs: config.requestBudgetMs,
    maxResponseBytes: config.maxResponseBytes,
  };
}
