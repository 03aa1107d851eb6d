/** The profiles of the loaded packages (`$packages?detail=true`), read once per page load. */
import { call, params, partValue, type Param, type Resource } from './api.ts';

export interface ProfileChoice {
  url: string;
  name: string;
  type: string;
  pkg: string;
}

let cached: Promise<ProfileChoice[]> | undefined;

export function loadProfiles(): Promise<ProfileChoice[]> {
  cached ??= call<Resource>('/fhir/$packages?detail=true')
    .then((answer) =>
      params(answer.parameter as Param[], 'package').flatMap((pkg) =>
        params(pkg.part, 'profile').map((p) => ({
          url: String(partValue(p, 'url') ?? ''),
          name: String(partValue(p, 'name') ?? ''),
          type: String(partValue(p, 'type') ?? ''),
          pkg: `${String(partValue(pkg, 'id'))}#${String(partValue(pkg, 'version'))}`,
        })),
      ),
    )
    .catch((err) => {
      cached = undefined;
      throw err;
    });
  return cached;
}
