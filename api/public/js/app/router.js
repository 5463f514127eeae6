// The router: `#/<path>/<param>/<param>?<query>` picks a page from the registry (js/pages/index.js), imports its
// module, and mounts it into a fresh <section>; leaving the page aborts ctx.signal, runs the page's cleanups and
// its `unmount`, and removes the section. A hash change that keeps the page calls `update(ctx)` on what `mount`
// returned when it has one, else remounts the page. The contract a page module follows is in docs/dashboard.md ("Adding a page").

import { openStream } from '../lib/stream.js';

const loadedCss = new Set();

function loadCss(css) {
  for (const href of [css ?? []].flat()) loadOneCss(href);
}

function loadOneCss(href) {
  if (!href || loadedCss.has(href)) return;
  loadedCss.add(href);
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = `/assets/css/${href}`;
  document.head.append(link);
}

/** `#/reports/top-movers?day=2026-01-05` → {path: 'reports', params: ['top-movers'], query}. */
export function parseHash(hash) {
  const raw = hash.replace(/^#\/?/, '');
  const q = raw.indexOf('?');
  const pathPart = q >= 0 ? raw.slice(0, q) : raw;
  const query = new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '');
  const [path = '', ...params] = pathPart.split('/').map((p) => decodeURIComponent(p));
  return { path, params: params.filter((p) => p !== ''), query };
}

/** The hash of a page with parameters and query: hashOf('portfolio', ['P11'], {window: '1m'}). */
export function hashOf(path, params = [], query = {}) {
  const q = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== ''));
  const tail = params.map((p) => `/${encodeURIComponent(p)}`).join('');
  const qs = q.toString();
  return `#/${path}${tail}${qs ? `?${qs}` : ''}`;
}

function makeContext(entry, route, section) {
  const abort = new AbortController();
  const cleanups = [];
  const ctx = {
    path: entry.path,
    params: route.params,
    query: route.query,
    signal: abort.signal,
    /** Runs `fn` when the page is left (in reverse order of registration). */
    onCleanup(fn) {
      cleanups.push(fn);
    },
    /**
     * Makes `obj` reachable as `window.ticklake[path]` (tests read charts and state from there): the first call
     * puts `obj` itself there (later changes to it show), later calls add their keys. Emptied on each mount.
     */
    expose(obj) {
      window.ticklake = window.ticklake ?? {};
      const had = window.ticklake[entry.path];
      window.ticklake[entry.path] = had ? Object.assign(had, obj) : obj;
    },
    /** Navigates to another hash (as a link would). */
    go(hash) {
      location.hash = hash;
    },
    /** Opens an SSE stream that closes when the page is left (lib/stream.js). */
    stream(url, handlers) {
      return openStream(url, handlers, abort.signal);
    },
    /** setInterval that stops when the page is left; a failing run is logged as a warning and the next one runs. */
    every(ms, fn) {
      const id = setInterval(() => {
        if (!abort.signal.aborted) Promise.resolve(fn()).catch((e) => console.warn(e));
      }, ms);
      cleanups.push(() => clearInterval(id));
      return id;
    },
  };
  const dispose = () => {
    abort.abort();
    for (const fn of cleanups.reverse()) {
      try {
        fn();
      } catch (e) {
        console.error(e);
      }
    }
    section.remove();
  };
  return { ctx, dispose };
}

export function startRouter(pages, { nav, main }) {
  const byPath = new Map(pages.map((p) => [p.path, p]));
  for (const p of pages) {
    if (p.nav === false) continue;
    const a = document.createElement('a');
    a.href = `#/${p.path}`;
    a.dataset.page = p.path;
    a.textContent = p.title;
    nav.append(a);
  }
  let current = null; // {entry, module, ctx, dispose}
  let seq = 0;

  async function route() {
    const mine = ++seq;
    const r = parseHash(location.hash);
    const entry = byPath.get(r.path) ?? pages[0];
    for (const a of nav.querySelectorAll('a[data-page]')) a.classList.toggle('active', a.dataset.page === entry.path);
    if (current && current.entry === entry && typeof current.handle?.update === 'function') {
      current.ctx.params = r.params;
      current.ctx.query = r.query;
      current.handle.update(current.ctx);
      return;
    }
    if (current) {
      const old = current;
      current = null;
      old.module.unmount?.(old.ctx);
      old.dispose();
    }
    loadCss(entry.css);
    const module = await entry.load();
    if (mine !== seq) return; // another hash change came first
    const section = document.createElement('section');
    section.className = 'page';
    section.id = `page-${entry.path}`;
    section.dataset.page = entry.path;
    main.append(section);
    if (window.ticklake) delete window.ticklake[entry.path];
    const { ctx, dispose } = makeContext(entry, r, section);
    current = { entry, module, ctx, dispose, handle: null };
    document.title = `${entry.title} · ticklake`;
    let handle = null;
    try {
      handle = await module.mount(section, ctx);
    } catch (e) {
      if (e?.name !== 'AbortError') throw e; // the page was left while it mounted
    }
    if (current?.ctx === ctx) current.handle = handle ?? null;
  }

  window.addEventListener('hashchange', () => {
    route().catch((e) => console.error(e));
  });
  route().catch((e) => console.error(e));
}
