/** The public key a rule distribution is signed with, from a PEM (SPKI) or JWK file. */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * `label` names where the file was given (`RULES_SIGNING_KEY`, `--key`), for the error message.
 * @example readRuleSigningKey('rules-signer.pem', 'RULES_SIGNING_KEY') // → KeyObject (public)
 */
export function readRuleSigningKey(file: string, label: string): KeyObject {
  try {
    const text = readFileSync(file, 'utf8');
    return text.trim().startsWith('{')
      ? createPublicKey({ key: JSON.parse(text) as never, format: 'jwk' })
      : createPublicKey(text);
  } catch (e) {
    throw new Error(`${label} ${file} is not a readable PEM (SPKI) or JWK public key: ${(e as Error).message}`);
  }
}
