/** $packages: the IG packages this server validates with, and whether each ingest profile is loaded. */
import type { Parameters, ParametersParameter } from '@medplum/fhirtypes';
import type { ValidationState } from '../../services-validation.ts';
import type { OperationRoute } from '../routes.ts';
import { defineOperation } from './define.ts';
import { publicName, withoutPaths } from '../hardening.ts';
import { fail } from '../../fhir/outcome.ts';
import { packageContents } from './package-contents.ts';

export function packagesOperation(state: () => ValidationState): OperationRoute {
  return defineOperation('packages', {
    methods: ['GET'],
    scope: null,
    handle: async (_ctx, _req, _target, input) => {
      const packageId = input.string('packageId');
      const current = state();
      if (packageId !== undefined && !current.packages.packages.some((p) => p.id === packageId))
        fail('not-found', {
          code: 'not-found',
          id: 'PACKAGE_UNKNOWN',
          text: `No loaded package has the id "${packageId.slice(0, 100)}"`,
          expression: 'packageId',
        });
      const detail = packageId !== undefined || input.boolean('detail') === true;
      return { status: 200, resource: packagesParameters(current, { detail, packageId }) };
    },
  });
}

export function packagesParameters(
  { packages, policy }: ValidationState,
  options: { detail?: boolean; packageId?: string | undefined } = {},
): Parameters {
  const byId = new Map(packages.packages.map((p) => [p.id, p]));
  const summaries = packages.summaries.filter((s) => options.packageId === undefined || s.id === options.packageId);
  const parameter: ParametersParameter[] = summaries.map((s) => ({
    name: 'package',
    part: [
      { name: 'id', valueString: s.id },
      { name: 'version', valueString: s.version },
      { name: 'fhirVersion', valueString: s.fhirVersion },
      { name: 'source', valueString: publicName(s.source) },
      ...(s.sha256 ? [{ name: 'sha256', valueString: s.sha256 }] : []),
      ...Object.entries(s.counts).map(([type, n]) => ({
        name: 'count',
        part: [
          { name: 'resourceType', valueCode: type },
          { name: 'count', valueInteger: n },
        ],
      })),
      { name: 'examples', valueInteger: s.examples },
      ...s.missingDependencies.map((d) => ({ name: 'missingDependency', valueString: d })),
      ...s.substitutedDependencies.map((d) => ({
        name: 'substitutedDependency',
        part: [
          { name: 'declared', valueString: d.declared },
          { name: 'loaded', valueString: d.loaded },
        ],
      })),
      { name: 'usedForValidation', valueBoolean: s.usedForValidation },
      ...(options.detail && byId.has(s.id) ? packageContents(byId.get(s.id)!, options.packageId !== undefined) : []),
    ],
  }));
  for (const [resourceType, profile] of Object.entries(policy.profiles)) {
    parameter.push({
      name: 'ingestProfile',
      part: [
        { name: 'resourceType', valueCode: resourceType },
        { name: 'profile', valueCanonical: profile },
        { name: 'loaded', valueBoolean: !policy.missingProfiles.includes(profile) },
        { name: 'mode', valueCode: policy.mode },
      ],
    });
  }
  for (const warning of packages.warnings) parameter.push({ name: 'warning', valueString: withoutPaths(warning) });
  for (const profile of policy.missingProfiles)
    parameter.push({
      name: 'warning',
      valueString: `ingest profile ${profile} is not loaded: writes are checked against the base definition only`,
    });
  return { resourceType: 'Parameters', parameter };
}
