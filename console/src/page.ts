/** What every page shares: the error box (with the way out when a token is needed). */
import { ApiError } from './api.ts';
import { h } from './dom.ts';
import { t } from './i18n.ts';

export function errorBox(err: unknown): HTMLElement {
  const message = err instanceof Error ? err.message : String(err);
  const needsToken = err instanceof ApiError && (err.status === 401 || err.status === 403);
  return h(
    'div',
    { class: 'error', role: 'alert' },
    h('p', {}, message),
    needsToken ? h('p', {}, t('err.tokenHow')) : null,
  );
}

export function loading(): HTMLElement {
  return h('p', { class: 'muted' }, t('busy'));
}
