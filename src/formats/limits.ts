/**
 * Hard caps every decoder enforces. Defaults are generous for real credentials (an EU DCC is ~1 KiB, the
 * largest SHC QR set ~ 4 KiB of JWS) and small enough that hostile input fails fast. Callers may lower or
 * raise them per call; there is no global setting.
 */
export interface CodecLimits {
  /** Max characters of a textual credential (HC1:, JWS, shlink:/, shc:/ chunks joined). */
  readonly maxInputChars: number;
  /** Max bytes after DEFLATE/zlib inflation. */
  readonly maxInflatedBytes: number;
  /** Max CBOR nesting depth (arrays, maps, tags). */
  readonly maxCborDepth: number;
  /** Max CBOR data items in one document. */
  readonly maxCborItems: number;
  /** Max bytes of a JSON document we parse. */
  readonly maxJsonBytes: number;
  /** Max JSON nesting depth. */
  readonly maxJsonDepth: number;
}

export const DEFAULT_LIMITS: CodecLimits = Object.freeze({
  maxInputChars: 64 * 1024,
  maxInflatedBytes: 1024 * 1024,
  maxCborDepth: 32,
  maxCborItems: 50_000,
  maxJsonBytes: 4 * 1024 * 1024,
  maxJsonDepth: 64,
});

/**
 * Merge caller overrides over the defaults.
 * @example resolveLimits({ maxInflatedBytes: 65536 }).maxCborDepth // 32
 */
export function resolveLimits(overrides?: Partial<CodecLimits>): CodecLimits {
  return overrides === undefined ? DEFAULT_LIMITS : { ...DEFAULT_LIMITS, ...overrides };
}
