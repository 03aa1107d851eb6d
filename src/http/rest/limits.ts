/** The limits of the conditional interactions, PATCH and search joins, from the config. */
import type { Config } from '../../config/schema.ts';

export interface RestLimits {
  conditionalDeleteMultiple: boolean;
  conditionalDeleteMax: number;
  patchMaxOperations: number;
  searchJoinMax: number;
}

export const DEFAULT_LIMITS: RestLimits = {
  conditionalDeleteMultiple: false,
  conditionalDeleteMax: 100,
  patchMaxOperations: 1000,
  searchJoinMax: 1000,
};

export function restLimitsOf(config: Config): { limits: RestLimits } {
  const { conditionalDeleteMultiple, conditionalDeleteMax, patchMaxOperations, searchJoinMax } = config;
  return { limits: { conditionalDeleteMultiple, conditionalDeleteMax, patchMaxOperations, searchJoinMax } };
}

/** The limits in force (settings built by hand, e.g. in tests, get the defaults). */
export function limitsOf(settings: { limits?: RestLimits }): RestLimits {
  return settings.limits ?? DEFAULT_LIMITS;
}
