/** Verify: paste a credential, pick a picture of its QR code, or capture one with the camera; `$verify` judges it. */
import { call, parameters, type Resource } from '../api.ts';
import { field, h, readFile, show, stackForm } from '../dom.ts';
import { t } from '../i18n.ts';
import { renderVerdict } from '../verdict.ts';
import { errorBox } from '../page.ts';

export function verifyPage(root: HTMLElement, initial?: string): void {
  const text = h('textarea', { rows: 5, spellcheck: 'false', autocomplete: 'off', class: 'mono' });
  if (initial) text.value = initial;
  const picture = h('input', { type: 'file', accept: 'image/png,image/jpeg' });
  const certificate = h('textarea', { rows: 3, spellcheck: 'false', class: 'mono' });
  const jwks = h('textarea', { rows: 3, spellcheck: 'false', class: 'mono' });
  const when = h('input', { type: 'datetime-local', step: 1 });
  const country = h('input', { type: 'text', maxlength: 2, pattern: '[A-Za-z]{2}', autocomplete: 'off', size: 3 });
  const result = h('div', { class: 'result', 'aria-live': 'polite' });
  const camera = h('div', { class: 'camera' });

  const options = () => [
    certificate.value.trim() && { name: 'trustedCertificate', valueString: certificate.value.trim() },
    jwks.value.trim() && { name: 'issuerJwks', valueString: jwks.value.trim() },
    when.value && { name: 'validationTime', valueDateTime: new Date(when.value).toISOString() },
    country.value.trim() && { name: 'country', valueCode: country.value.trim().toUpperCase() },
  ];

  const run = async (input: { credential?: string; image?: Blob }) => {
    show(result, h('p', { class: 'muted' }, t('busy')));
    const started = performance.now();
    try {
      const body = input.image
        ? parameters(
            { name: 'qrImage', valueAttachment: { contentType: input.image.type, data: await base64(input.image) } },
            ...options(),
          )
        : parameters({ name: 'credential', valueString: input.credential ?? '' }, ...options());
      const answer = await call<Resource>('/fhir/$verify', { body });
      show(result, renderVerdict(answer, performance.now() - started));
    } catch (err) {
      show(result, errorBox(err));
    }
  };

  const form = stackForm(
    () => {
      const file = picture.files?.[0];
      if (file) void run({ image: file });
      else if (text.value.trim()) void run({ credential: text.value.trim() });
      else show(result, errorBox(new Error(t('verify.nothing'))));
    },
    field(t('verify.paste'), text, t('verify.pasteHint')),
    field(t('verify.picture'), picture, t('verify.pictureHint')),
    h(
      'details',
      { class: 'options' },
      h('summary', {}, t('verify.options')),
      field(t('verify.certificate'), certificate, t('verify.certificateHint')),
      field(t('verify.jwks'), jwks),
      field(t('verify.time'), when),
      field(t('verify.country'), country, t('verify.countryHint')),
    ),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, t('verify.go')),
      h(
        'button',
        { type: 'button', onclick: () => void startCamera(camera, (blob) => run({ image: blob })) },
        t('verify.camera'),
      ),
      h('button', { type: 'reset', onclick: () => show(result) }, t('clear')),
    ),
  );
  show(root, h('h1', {}, t('nav.verify')), h('p', { class: 'lead' }, t('verify.lead')), form, camera, result);
}

async function base64(blob: Blob): Promise<string> {
  return readFile(new File([blob], 'qr', { type: blob.type }), 'base64');
}

/** The device camera in a video element; "Capture" sends the current frame to $verify as a PNG. */
async function startCamera(box: HTMLElement, onFrame: (png: Blob) => void): Promise<void> {
  if (!navigator.mediaDevices?.getUserMedia) {
    show(box, h('p', { class: 'error', role: 'alert' }, t('verify.noCamera')));
    return;
  }
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
    const video = h('video', { autoplay: true, playsinline: true, muted: true, 'aria-label': t('verify.cameraView') });
    video.srcObject = stream;
    const stop = () => {
      for (const track of stream.getTracks()) track.stop();
      show(box);
    };
    const capture = () => {
      const canvas = h('canvas', { width: video.videoWidth, height: video.videoHeight });
      canvas.getContext('2d')?.drawImage(video, 0, 0);
      canvas.toBlob((blob) => {
        if (blob) onFrame(blob);
      }, 'image/png');
      stop();
    };
    show(
      box,
      video,
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', class: 'primary', onclick: capture }, t('verify.capture')),
        h('button', { type: 'button', onclick: stop }, t('verify.stopCamera')),
      ),
    );
  } catch (err) {
    show(box, h('p', { class: 'error', role: 'alert' }, `${t('verify.noCamera')} ${(err as Error).message}`));
  }
}
