/** Input parameters shared by the issuance operations. */
import { fail } from '../../fhir/outcome.ts';
import type { OperationInput } from './input.ts';

export type QrFormat = 'png' | 'svg';

/** `qrFormat` (png | svg | none, repeatable): which QR images to render; default both. */
export function qrFormatsParam(input: OperationInput): QrFormat[] {
  const given = input.strings('qrFormat');
  if (given.length === 0) return ['png', 'svg'];
  const formats = new Set<QrFormat>();
  for (const f of given) {
    if (f === 'png' || f === 'svg') formats.add(f);
    else if (f !== 'none')
      fail('invalid', {
        code: 'code-invalid',
        id: 'QR_FORMAT_UNKNOWN',
        text: `qrFormat must be png, svg or none, got "${String(f)}"`,
        expression: 'qrFormat',
      });
  }
  return [...formats];
}
