/**
 * npm run bench:qr — QR symbol encoders side by side for HC1 texts (alphanumeric, error correction Q as the HCERT
 * spec asks), QR versions 10–25: `qrcode` (what src/formats/qr.ts uses today), `qrcode-generator`, `lean-qr`,
 * `uqr`, `qr` (paulmillr) and ours (src/formats/qr/encode-alphanumeric.ts, what src/formats/qr.ts uses for HC1s). Each encodes the same distinct texts in the same run, alternating rounds; the time is
 * for the module matrix alone (drawing PNG/SVG is src/formats/qr/render-symbol.ts, the same for all).
 * Before timing, every encoder's symbols for a sample are drawn and read back with jsqr (the project's reader) and
 * must give the text at the same QR version as `qrcode`: a fast encoder that writes wrong symbols does not count.
 * The reference for the ratio is one raw ES256 signature (node:crypto, P-256) on this thread in the same rounds.
 * Last line: {"bench":"qr","figures":{...},"ratios":{...}}.
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import jsQRModule, { type QRCode as JsQrResult } from 'jsqr';
import { correction as leanCorrection, generate as leanGenerate } from 'lean-qr';
import encodeQR from 'qr';
import QRCode from 'qrcode';
import qrcodeGenerator from 'qrcode-generator';
import { encode as uqrEncode } from 'uqr';
import { encodeHc1 } from '../src/formats/hcert/hc1.ts';
import { encodeAlphanumeric } from '../src/formats/qr/encode-alphanumeric.ts';
import { round } from './http-load.ts';

// jsqr's UMD build sets module.exports to the function itself (as src/formats/qr/read-image.ts notes).
const jsQR = jsQRModule as unknown as (data: Uint8ClampedArray, width: number, height: number) => JsQrResult | null;
const COUNT = Number(process.env.BENCH_QR_TEXTS ?? 400);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SAMPLE = 40;

/** A square module matrix, dark = true. */
interface Matrix {
  size: number;
  dark(x: number, y: number): boolean;
}

const ENCODERS: Record<string, (text: string) => Matrix> = {
  qrcode: (text) => {
    const m = QRCode.create(text, { errorCorrectionLevel: 'Q' }).modules;
    return { size: m.size, dark: (x, y) => Boolean(m.data[y * m.size + x]) };
  },
  'qrcode-generator': (text) => {
    const q = qrcodeGenerator(0, 'Q');
    q.addData(text, 'Alphanumeric');
    q.make();
    return { size: q.getModuleCount(), dark: (x, y) => q.isDark(y, x) };
  },
  'lean-qr': (text) => {
    const b = leanGenerate(text, { minCorrectionLevel: leanCorrection.Q, maxCorrectionLevel: leanCorrection.Q });
    return { size: b.size, dark: (x, y) => b.get(x, y) };
  },
  uqr: (text) => {
    const r = uqrEncode(text, { ecc: 'Q', border: 0 });
    return { size: r.size, dark: (x, y) => r.data[y]![x]! };
  },
  ours: (text) => {
    const { size, data } = encodeAlphanumeric(text, 'Q');
    return { size, dark: (x, y) => data[y * size + x] === 1 };
  },
  qr: (text) => {
    // Its smallest quiet zone is one module.
    const rows = encodeQR(text, 'raw', { ecc: 'quartile', border: 1 });
    return { size: rows.length - 2, dark: (x, y) => rows[y + 1]![x + 1]! };
  },
};

/** HC1 texts of random (incompressible) COSE bytes, kept when `qrcode` puts them at versions 10–25. */
function texts(count: number): string[] {
  const out: string[] = [];
  while (out.length < count) {
    const text = encodeHc1(new Uint8Array(randomBytes(120 + Math.floor(Math.random() * 560))));
    const version = QRCode.create(text, { errorCorrectionLevel: 'Q', maskPattern: 0 }).version;
    if (version >= 10 && version <= 25) out.push(text);
  }
  return out;
}

/** Reads the symbol back with jsqr (scale 4, quiet zone 4). */
function readBack(m: Matrix): string | undefined {
  const scale = 4;
  const width = (m.size + 8) * scale;
  const rgba = new Uint8ClampedArray(width * width * 4).fill(255);
  for (let y = 0; y < m.size; y++)
    for (let x = 0; x < m.size; x++) {
      if (!m.dark(x, y)) continue;
      for (let dy = 0; dy < scale; dy++)
        for (let dx = 0; dx < scale; dx++) {
          const at = (((y + 4) * scale + dy) * width + (x + 4) * scale + dx) * 4;
          rgba[at] = rgba[at + 1] = rgba[at + 2] = 0;
        }
    }
  return jsQR(rgba, width, width)?.data;
}

function timeEncoder(encode: (text: string) => Matrix, inputs: readonly string[]): number {
  const t0 = process.cpuUsage();
  for (const text of inputs) encode(text);
  const c = process.cpuUsage(t0);
  return (c.user + c.system) / 1000 / inputs.length;
}

function main(): void {
  const inputs = texts(COUNT);
  const sizes = inputs.map((t) => QRCode.create(t, { errorCorrectionLevel: 'Q' }).modules.size);
  const versionOf = (size: number) => (size - 17) / 4;
  const correct: Record<string, boolean> = {};
  for (const [name, encode] of Object.entries(ENCODERS)) {
    correct[name] = inputs.slice(0, SAMPLE).every((text, i) => {
      const m = encode(text);
      return m.size === sizes[i] && readBack(m) === text;
    });
    console.log(`${name.padEnd(17)} ${correct[name] ? 'reads back' : 'WRONG SYMBOLS'} (${SAMPLE} of them)`);
  }
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const message = randomBytes(1048);
  const rounds: Record<string, number[]> = { es256_sign: [] };
  for (const name of Object.keys(ENCODERS)) rounds[name] = [];
  for (const encode of Object.values(ENCODERS)) timeEncoder(encode, inputs.slice(0, 50)); // JIT warm-up
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < 2000; i++) sign('sha256', message, privateKey);
    const c = process.cpuUsage(t0);
    rounds.es256_sign!.push((c.user + c.system) / 1000 / 2000);
    for (const [name, encode] of Object.entries(ENCODERS)) rounds[name]!.push(timeEncoder(encode, inputs));
    console.log(
      `round ${r + 1} ${Object.entries(rounds)
        .map(([k, v]) => `${k} ${round(v[r]!, 3)} ms`)
        .join(', ')}`,
    );
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const figures: Record<string, unknown> = {
    texts: COUNT,
    versions: `${versionOf(Math.min(...sizes))}-${versionOf(Math.max(...sizes))}`,
    error_correction: 'Q',
    rounds: ROUNDS,
  };
  for (const [name, xs] of Object.entries(rounds)) figures[`${name.replace(/-/g, '_')}_ms`] = round(median(xs), 4);
  for (const name of Object.keys(ENCODERS)) figures[`${name.replace(/-/g, '_')}_reads_back`] = correct[name];
  const valid = Object.keys(ENCODERS).filter((n) => correct[n]);
  const fastest = valid.reduce((a, b) => (median(rounds[a]!) <= median(rounds[b]!) ? a : b));
  figures.fastest = fastest;
  const ratios = {
    qr_fastest_symbol_ms: round(median(rounds[fastest]!), 4),
    qr_fastest_vs_qrcode: round(median(rounds[fastest]!) / median(rounds.qrcode!), 3),
    qr_symbol_vs_es256_sign: round(median(rounds[fastest]!) / median(rounds.es256_sign!), 3),
  };
  console.log(JSON.stringify({ bench: 'qr', figures, ratios }));
}

main();
