// Mounts a page module (`export async function mount(root, ctx)`, the dashboard framework's page contract,
// docs/dashboard.md) into this dashboard's router, for #/pipeline and #/kafka until the framework's router is on
// main: the page's stylesheet is loaded once; leaving the page aborts its requests and runs its cleanups; a hash
// change that stays on the page calls the `update` the module returned.

const current = { name: null, ctl: null, cleanups: [], update: null };

function parseHash() {
  const [path, q = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { name: parts[0], params: parts.slice(1), query: new URLSearchParams(q) };
}

function leave() {
  current.ctl?.abort();
  for (const f of current.cleanups.splice(0)) f();
  current.name = null;
  current.update = null;
}

export function leavePage() {
  leave();
}

export async function mountPage(name, section, load) {
  const h = parseHash();
  const ctxOf = (signal) => ({
    params: h.params,
    query: h.query,
    signal,
    onCleanup: (f) => current.cleanups.push(f),
    every: (ms, f) => {
      const t = setInterval(() => {
        if (!signal.aborted) Promise.resolve(f()).catch(() => {});
      }, ms);
      current.cleanups.push(() => clearInterval(t));
    },
    expose: (obj) => {
      window.ticklake ??= {};
      window.ticklake[name] = { ...(window.ticklake[name] ?? {}), ...obj };
    },
    go: (hash) => {
      location.hash = hash;
    },
  });
  if (current.name === name && current.update) {
    await current.update(ctxOf(current.ctl.signal));
    return;
  }
  leave();
  if (!document.querySelector(`link[data-page="${name}"]`)) {
    document.head.append(
      Object.assign(document.createElement('link'), { rel: 'stylesheet', href: `/assets/css/pages/${name}.css` }),
    );
    document.head.lastChild.dataset.page = name;
  }
  current.name = name;
  current.ctl = new AbortController();
  section.replaceChildren();
  const mod = await load();
  try {
    const r = await mod.mount(section, ctxOf(current.ctl.signal));
    current.update = r?.update ?? null;
  } catch (e) {
    if (e?.name !== 'AbortError') throw e;
  }
}
