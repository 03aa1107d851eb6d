/**
 * The console's shell: a hash router over the six pages, the language switch (English, French) and the token box.
 * A page opened with `#shlink:/…` (a viewer URL) goes to the Health Link viewer with the link filled in.
 */
import './style.css';
import { token } from './api.ts';
import { h, show, uid } from './dom.ts';
import { getLang, LANGS, setLang, t } from './i18n.ts';
import { issuePage } from './pages/issue.ts';
import { packagesPage } from './pages/packages.ts';
import { shlPage } from './pages/shl.ts';
import { trustPage } from './pages/trust.ts';
import { validatePage } from './pages/validate.ts';
import { verifyPage } from './pages/verify.ts';

const PAGES = ['verify', 'validate', 'packages', 'shl', 'issue', 'trust'] as const;
type Page = (typeof PAGES)[number];

const main = document.getElementById('main') as HTMLElement;
const nav = document.getElementById('nav') as HTMLElement;
const tools = document.getElementById('tools') as HTMLElement;

function current(): { page: Page; arg?: string } {
  const hash = decodeURIComponent(location.hash.slice(1));
  if (hash.startsWith('shlink:/')) return { page: 'shl', arg: hash };
  const page = hash.replace(/^\//, '').split('?')[0] as Page;
  return { page: PAGES.includes(page) ? page : 'verify' };
}

function renderNav(page: Page): void {
  show(
    nav,
    h(
      'ul',
      {},
      PAGES.map((p) =>
        h('li', {}, h('a', { href: `#/${p}`, 'aria-current': p === page ? 'page' : undefined }, t(`nav.${p}`))),
      ),
    ),
  );
}

function renderTools(): void {
  const langId = uid('lang');
  const select = h(
    'select',
    {
      id: langId,
      onchange: (e: Event) => {
        setLang((e.target as HTMLSelectElement).value);
        route();
      },
    },
    LANGS.map((l) => h('option', { value: l.code, selected: l.code === getLang() }, l.name)),
  );
  const tokenId = uid('token');
  const input = h('input', { id: tokenId, type: 'password', autocomplete: 'off', value: token.get(), size: 14 });
  const state = h('span', { class: 'muted small', 'aria-live': 'polite' }, token.get() ? t('token.set') : '');
  show(
    tools,
    h('label', { for: langId, class: 'small' }, t('lang')),
    select,
    h(
      'form',
      {
        class: 'token',
        onsubmit: (e: Event) => {
          e.preventDefault();
          token.set(input.value);
          show(state, input.value ? t('token.set') : t('token.cleared'));
        },
      },
      h('label', { for: tokenId, class: 'small' }, t('token')),
      input,
      h('button', { type: 'submit' }, t('token.use')),
      state,
    ),
  );
}

function route(): void {
  const { page, arg } = current();
  document.documentElement.lang = getLang();
  document.title = `${t(`nav.${page}`)} · gdhcn-gateway`;
  renderNav(page);
  renderTools();
  switch (page) {
    case 'verify':
      return verifyPage(main);
    case 'validate':
      return validatePage(main);
    case 'packages':
      return void packagesPage(main);
    case 'shl':
      return shlPage(main, arg);
    case 'issue':
      return void issuePage(main);
    case 'trust':
      return void trustPage(main);
  }
}

window.addEventListener('hashchange', () => {
  route();
  main.focus();
});
route();
