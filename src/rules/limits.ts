/**
 * Caps that keep rule loading and evaluation bounded whatever a rule file holds. A rule over a cap is `open`
 * (never pass); a distribution over a cap is refused with the reason. Why these numbers: the EU gateway's real rule
 * sets have Logic trees of a few hundred nodes at most, under 100 rules per country, and value sets of under 1 000
 * codes; the caps leave an order of magnitude of room and still bound one evaluation to milliseconds.
 */
export const RULE_LIMITS = {
  /** Largest rule distribution read from a file or URL. */
  maxBytes: 8 * 1024 * 1024,
  maxRules: 5000,
  maxValueSets: 500,
  maxCodesPerValueSet: 100_000,
  maxCodesTotal: 1_000_000,
  /** Nesting depth of a Logic tree (operators inside operators). */
  maxDepth: 64,
  /** Nodes of a Logic tree (operators, literals, array items). */
  maxNodes: 20_000,
  /** Upper bound of primitive steps one evaluation may take (see `estimateCost`). */
  maxCost: 5_000_000,
} as const;
