/**
 * The one door to @peculiar/x509. It resolves its internals through tsyringe, which needs the
 * Reflect metadata polyfill loaded first; importing it here, before the library, fixes the order.
 * We hand node's WebCrypto to every call instead of setting the library's global provider.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

export { x509 };
/** Typed loosely: @peculiar/x509's declarations expect the DOM `Crypto`, which our Node-only lib set lacks. */
export const webCrypto: webcrypto.Crypto & Record<never, never> = webcrypto;
