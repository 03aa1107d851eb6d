/**
 * What `$packages?detail=true` and `$packages?packageId=<id>` add to a package (the console's Packages and Validate
 * pages read them): its profiles (constraining StructureDefinitions) and examples; with `packageId` also its value
 * sets, and the examples come with their resources so each can be validated in one click.
 */
import type { ParametersParameter, Resource } from '@medplum/fhirtypes';
import type { AnyResource, FhirPackage } from '../../packages/types.ts';

const text = (name: string, value: unknown): ParametersParameter[] =>
  typeof value === 'string' && value !== '' ? [{ name, valueString: value }] : [];

function profilePart(r: AnyResource): ParametersParameter {
  return {
    name: 'profile',
    part: [...text('url', r.url), ...text('name', r.title ?? r.name), ...text('type', r.type)],
  };
}

function valueSetPart(r: AnyResource): ParametersParameter {
  return { name: 'valueSet', part: [...text('url', r.url), ...text('name', r.title ?? r.name)] };
}

/** The profile an example claims (meta.profile), when it claims one. */
function claimedProfile(r: AnyResource): string | undefined {
  const profiles = (r.meta as { profile?: unknown } | undefined)?.profile;
  return Array.isArray(profiles) && typeof profiles[0] === 'string' ? profiles[0] : undefined;
}

/**
 * Profiles and examples of one package; `whole` adds its value sets (the R4 core alone has over a thousand, too many
 * for the list of every package) and puts each example's resource in.
 */
export function packageContents(pkg: FhirPackage, whole: boolean): ParametersParameter[] {
  const profiles = pkg.resources.filter(
    (r) => r.resourceType === 'StructureDefinition' && r.derivation === 'constraint',
  );
  const valueSets = whole ? pkg.resources.filter((r) => r.resourceType === 'ValueSet') : [];
  const examples = pkg.examples.filter((e) => typeof e.resource.resourceType === 'string');
  return [
    ...profiles.map(profilePart),
    ...valueSets.map(valueSetPart),
    ...examples.map((e) => ({
      name: 'example',
      part: [
        { name: 'file', valueString: e.file },
        { name: 'resourceType', valueCode: e.resource.resourceType },
        ...text('id', e.resource.id),
        ...text('profile', claimedProfile(e.resource)),
        ...(whole ? [{ name: 'resource', resource: e.resource as unknown as Resource }] : []),
      ],
    })),
  ];
}
