/** Worker entry: reads one QR picture off the main thread (see qr-image-reader.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { FormatError } from '../formats/errors.ts';
import { readQrImage } from '../formats/qr/read-image.ts';

const { bytes, contentType } = workerData as { bytes: Uint8Array; contentType?: string };
try {
  parentPort!.postMessage({ ok: true, text: readQrImage(bytes, contentType) });
} catch (e) {
  if (!(e instanceof FormatError)) throw e;
  parentPort!.postMessage({ ok: false, code: e.code, message: e.message });
}
