/** Every `reference` string anywhere inside a FHIR JSON value (contained resources included). */

/**
 * Walks iteratively, so a deeply nested resource cannot overflow the stack.
 * @example referenceStrings({ subject: { reference: 'Patient/1' }, contained: [{ managingOrganization: { reference: '#o' } }] })
 *   // → ['#o', 'Patient/1'] (order not significant)
 */
export function referenceStrings(value: unknown): string[] {
  const out: string[] = [];
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) stack.push(...v);
    else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'reference' && typeof x === 'string') out.push(x);
        else if (typeof x === 'object') stack.push(x);
      }
    }
  }
  return out;
}
