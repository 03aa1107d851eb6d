/**
 * Reading uploaded QR pictures for `$verify` in worker threads. Decoding a 12 MP photo costs seconds of CPU; on the
 * event loop that would stall every other request, so each picture is read in a worker with a deadline and a heap
 * cap, and only a few run at once (more get 429).
 */
import { Worker } from 'node:worker_threads';
import { fail } from '../fhir/outcome.ts';
import { FormatError, type FormatErrorCode } from '../formats/errors.ts';

// Sources run as .ts (type stripping), the build as .js: the worker file follows this module's own extension.
const WORKER_URL = new URL(`./qr-image-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

export type QrImageReader = (bytes: Uint8Array, contentType?: string) => Promise<string>;

export interface QrImageReaderOptions {
  timeoutMs?: number;
  maxConcurrent?: number;
  /** Heap of one worker; a picture needing more fails as QR_IMAGE_TOO_LARGE. */
  maxHeapMb?: number;
}

/**
 * @example const text = await createQrImageReader()(pngBytes, 'image/png') // 'HC1:…'
 */
export function createQrImageReader(options: QrImageReaderOptions = {}): QrImageReader {
  const { timeoutMs = 15_000, maxConcurrent = 2, maxHeapMb = 512 } = options;
  let running = 0;
  return async (bytes, contentType) => {
    if (running >= maxConcurrent) {
      fail('too-many-requests', {
        code: 'throttled',
        id: 'QR_IMAGE_BUSY',
        text: `${maxConcurrent} QR pictures are being read already; retry shortly`,
      });
    }
    running++;
    try {
      return await readInWorker(bytes, contentType, timeoutMs, maxHeapMb);
    } finally {
      running--;
    }
  };
}

function readInWorker(
  bytes: Uint8Array,
  contentType: string | undefined,
  timeoutMs: number,
  maxHeapMb: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_URL, {
      workerData: { bytes, contentType },
      resourceLimits: { maxOldGenerationSizeMb: maxHeapMb },
    });
    let settled = false;
    const settle = (done: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      done();
    };
    const timer = setTimeout(
      () =>
        settle(() =>
          reject(new FormatError('QR_IMAGE_TOO_LARGE', `QR: reading the picture took longer than ${timeoutMs} ms`)),
        ),
      timeoutMs,
    );
    worker.once('message', (m: { ok: true; text: string } | { ok: false; code: FormatErrorCode; message: string }) =>
      settle(() => (m.ok ? resolve(m.text) : reject(new FormatError(m.code, m.message)))),
    );
    worker.once('error', (e: Error & { code?: string }) =>
      settle(() =>
        reject(
          e.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new FormatError('QR_IMAGE_TOO_LARGE', 'QR: the picture needs more memory than one reader may use')
            : e,
        ),
      ),
    );
    worker.once('exit', (code) => settle(() => reject(new Error(`QR image worker exited with code ${code}`))));
  });
}
