/*
 * ui/settings.js — the Settings dialog: GitHub username, token, API base URL, the other
 * sources (tangled handle and repos, backlink index, good-first-issue list and search), the
 * triage auto-rules, the outbox to GitHub, and a hubd to sync with (its URL and API key; that
 * section is built here, from the two settings).
 *
 * The auto-rules are the core's settings of owner "triage" (meta.settings: each with its help
 * words; a yes/no one is a checkbox), so a rule the core adds shows here without a change.
 * The outbox section lists what GitHub is still to be told (ui/outbox.js), read on each open.
 *
 * The token is write-only: the field never shows it, only whether one is set; an empty
 * field keeps the stored token, "Forget token" clears it. The owning worker keeps it encrypted
 * (web/vault.js) and says so in the settings answer (github_token_store); where the browser
 * cannot (no WebCrypto off a secure origin) the dialog says plainly that it is kept unencrypted. hubd's key is write-only the same way
 * (emptying the hubd URL stops syncing with it; the key stays until replaced). Every URL is checked the way
 * the core checks the API base URL (https, or http on localhost) before anything is
 * sent. Only fields that changed are sent; an emptied field clears its setting.
 */
import { h, replace } from './dom.js';
import { renderOutbox } from './outbox.js';

export class SettingsDialog {
  /* hub: HubClient; dialog: the <dialog> from index.html; defaults: hub.ready.defaults;
   * onSaved(settings): called after a successful save. */
  constructor(hub, dialog, defaults, onSaved) {
    this.hub = hub;
    this.dialog = dialog;
    this.defaults = defaults || {};
    this.onSaved = onSaved;
    this.settings = null;
    this.form = dialog.querySelector('form');
    this.user = this.form.elements.namedItem('github_user');
    this.token = this.form.elements.namedItem('github_token');
    this.api = this.form.elements.namedItem('github_api');
    const field = (n) => this.form.elements.namedItem(n);
    this.more = {
      tangled_handle: field('tangled_handle'),
      tangled_repos: field('tangled_repos'),
      tangled_backlinks: field('tangled_backlinks'),
      gfi_awesome_url: field('gfi_awesome_url'),
      gfi_query: field('gfi_query'),
    };
    this.rules = new Map();     /* setting key → checkbox */
    this.rulesEl = dialog.querySelector('[data-rules]');
    this.outboxEl = dialog.querySelector('[data-outbox]');
    this.hubd = hubdSection();
    this.form.querySelector('[data-status]').before(this.hubd.fieldset);
    this.tokenState = dialog.querySelector('[data-token-state]');
    this.tokenStore = dialog.querySelector('[data-token-store]');
    this.forget = dialog.querySelector('[data-forget-token]');
    this.apiNote = dialog.querySelector('[data-api-note]');
    this.status = dialog.querySelector('[data-status]');
    this.save = dialog.querySelector('[data-save]');
    this.form.addEventListener('submit', (e) => { e.preventDefault(); this.submit(); });
    for (const b of dialog.querySelectorAll('[data-cancel]')) b.addEventListener('click', () => this.close());
    this.forget.addEventListener('click', () => this.forgetToken());
    this.api.addEventListener('input', () => this.showApiNote());
    dialog.addEventListener('close', () => { this.token.value = ''; });
    /* a click on the backdrop closes the dialog */
    dialog.addEventListener('click', (e) => { if (e.target === dialog) this.close(); });
  }

  /* settings: from hub.call({cmd:'settings'}); updates what the dialog shows. */
  set(settings) {
    this.settings = settings || {};
    this.user.value = typeof this.settings.github_user === 'string' ? this.settings.github_user : '';
    this.api.value = this.settings.github_api || this.defaults.github_api || 'https://api.github.com';
    this.api.placeholder = this.defaults.github_api || 'https://api.github.com';
    for (const k of ['tangled_handle', 'tangled_backlinks', 'gfi_awesome_url', 'gfi_query']) {
      this.more[k].value = str(this.settings[k]);
    }
    this.more.tangled_repos.value = repoList(this.settings.tangled_repos).join('\n');
    for (const [k, box] of this.rules) box.checked = this.settings[k] === true;
    this.hubd.url.value = str(this.settings.hubd_url);
    this.hubd.key.value = '';
    this.hubd.state.textContent = this.settings.hubd_key_set ? 'A key is set' : 'No key set';
    this.hubd.state.className = 'token-state ' + (this.settings.hubd_key_set ? 'is-set' : 'is-unset');
    this.showTokenState();
    this.showApiNote();
  }

  showTokenState() {
    const set = !!this.settings?.github_token_set;
    this.tokenState.textContent = set ? 'A token is set' : 'No token set';
    this.tokenState.className = 'token-state ' + (set ? 'is-set' : 'is-unset');
    this.token.placeholder = set ? '•••••••• (leave empty to keep it)' : 'ghp_… or github_pat_…';
    this.forget.hidden = !set;
    const store = this.settings?.github_token_store;
    this.tokenStore.textContent = store === 'vault'
      ? 'Kept on this device, encrypted with a key the browser never lets out.'
      : store === 'database'
        ? `Not encrypted: ${this.settings.github_token_store_why || 'this browser cannot encrypt it here'}. The token is kept in clear in hub's database on this device; open hub over https:// (or on localhost) to have it encrypted.`
        : '';
    this.tokenStore.className = 'hint' + (store === 'database' ? ' is-warning' : '');
  }

  showApiNote() {
    const base = this.api.value.trim() || this.api.placeholder;
    replace(this.apiNote, 'The token is only ever sent to ', h('code', { text: base.slice(0, 200) }), '.');
  }

  /* meta: the core's meta answer; builds the auto-rules from its settings of owner "triage". */
  setMeta(meta) {
    const rules = (Array.isArray(meta?.settings) ? meta.settings : []).filter((x) => x.owner === 'triage' && x.kind === 'bool');
    this.rules.clear();
    replace(this.rulesEl, rules.map((r) => {
      const box = h('input', { type: 'checkbox', name: r.key });
      box.checked = this.settings?.[r.key] === true;
      this.rules.set(r.key, box);
      const words = String(r.help || r.key);
      return h('label', { class: 'check-field' }, box, h('span', { text: words.charAt(0).toUpperCase() + words.slice(1) }));
    }));
    this.rulesEl.closest('fieldset').hidden = rules.length === 0;
  }

  async showOutbox() {
    renderOutbox(this.outboxEl, null);
    try {
      renderOutbox(this.outboxEl, await this.hub.call({ cmd: 'outbox', limit: 50 }));
    } catch (err) {
      renderOutbox(this.outboxEl, null, err?.message ?? err);
    }
  }

  get isOpen() { return this.dialog.open; }

  open() {
    if (this.dialog.open) return;
    this.status.textContent = '';
    this.status.className = 'form-status';
    this.dialog.showModal();
    (this.user.value ? this.token : this.user).focus();
    this.showOutbox();
  }

  close() { if (this.dialog.open) this.dialog.close(); }

  async forgetToken() {
    await this.apply({ github_token: null }, 'Token forgotten.');
    this.token.focus();
  }

  async submit() {
    const set = {};
    const user = this.user.value.trim();
    if (user !== (this.settings?.github_user || '')) set.github_user = user || null;
    const api = this.api.value.trim().replace(/\/+$/, '') || this.defaults.github_api || 'https://api.github.com';
    if (api !== (this.settings?.github_api || '')) set.github_api = api;
    Object.assign(set, this.readMore());
    const token = this.token.value.trim();
    if (token) set.github_token = token;
    const hubdUrl = this.hubd.url.value.trim().replace(/\/+$/, '');
    if (hubdUrl !== str(this.settings?.hubd_url)) set.hubd_url = hubdUrl || null;
    if (this.hubd.key.value.trim()) set.hubd_key = this.hubd.key.value.trim();
    if (!Object.keys(set).length) { this.close(); return; }
    if (await this.apply(set, 'Saved.')) this.close();
  }

  /* Returns the changed "More sources" settings. The core checks every value (the settings
   * command answers a bad one with its field and a message), so no rule is retyped here. */
  readMore() {
    const out = {};
    const cur = this.settings || {};
    const text = (k) => this.more[k].value.trim();
    const put = (k, v) => { if (v !== str(cur[k])) out[k] = v || null; };

    put('tangled_handle', text('tangled_handle').replace(/^@/, ''));

    const repos = text('tangled_repos').split(/[\s,]+/).map((r) => r.replace(/^@/, '').replace(/\/+$/, '')).filter(Boolean);
    const unique = [...new Set(repos)];
    if (JSON.stringify(unique) !== JSON.stringify(repoList(cur.tangled_repos))) out.tangled_repos = unique.length ? unique : null;

    for (const k of ['tangled_backlinks', 'gfi_awesome_url']) put(k, text(k));
    put('gfi_query', text('gfi_query').replace(/\s+/g, ' '));
    for (const [k, box] of this.rules) if (box.checked !== (cur[k] === true)) out[k] = box.checked;
    return out;
  }

  async apply(set, okText) {
    this.save.disabled = true;
    try {
      const r = await this.hub.call({ cmd: 'settings', set });
      this.token.value = '';
      this.set(r.settings);
      this.status.textContent = okText;
      this.status.className = 'form-status is-ok';
      await this.onSaved?.(r.settings);
      return true;
    } catch (err) {
      this.fail(String(err?.message ?? err).slice(0, 200));
      const field = err?.field && (this.more?.[err.field] ||
        { github_user: this.user, github_api: this.api, github_token: this.token, hubd_url: this.hubd.url, hubd_key: this.hubd.key }[err.field]);
      if (field) { field.setAttribute('aria-invalid', 'true'); field.focus(); }
      return false;
    } finally {
      this.save.disabled = false;
    }
  }

  fail(text) {
    this.status.textContent = text;
    this.status.className = 'form-status is-error';
  }
}

function str(v) { return typeof v === 'string' ? v : ''; }

/* The hubd section: the settings hubd_url and hubd_key (write-only, like the token). */
function hubdSection() {
  const input = (name, type, extra) => h('input', { name, type, autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', ...extra });
  const url = input('hubd_url', 'url', { placeholder: 'https://hub.example' });
  const key = input('hubd_key', 'password', { placeholder: 'HUBD_API_KEY (leave empty to keep it)' });
  const state = h('span', { class: 'token-state' });
  const fieldset = h('fieldset', { class: 'section', dataset: { section: 'hubd' } },
    h('legend', { class: 'section-title', text: 'hubd' }),
    h('label', { class: 'field' }, h('span', { class: 'field-label', text: 'hubd URL' }), url,
      h('span', { class: 'hint', text: 'Refresh then syncs with this hubd, which fetches from GitHub for you. Empty: this device alone.' })),
    h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'hubd API key ', state), key,
      h('span', { class: 'hint', text: 'Stored on this device and sent only to the hubd URL.' })));
  return { fieldset, url, key, state };
}

/* Returns the stored tangled_repos as an array of strings ([] when unset or odd). */
function repoList(v) {
  return Array.isArray(v) ? v.filter((r) => typeof r === 'string') : [];
}

