// DOM helpers shared by the pages: el() builds elements (text is always set as text, never parsed as HTML).

/**
 * Creates an element: el('td', {class: 'num', onclick: fn, title: 't'}, 'text', child...). Attributes that are
 * null, undefined or false are left out; `on*` attributes are event listeners; `dataset` takes an object.
 */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k === 'value' && 'value' in e) e.value = v;
    else if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  append(e, children);
  return e;
}

function append(parent, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(parent, c);
    else parent.append(c instanceof Node ? c : String(c));
  }
}

/** A panel: <div class="panel"> with an optional <h2> title (text or nodes). */
export function panel(title, ...children) {
  return el('div', { class: 'panel' }, title ? el('h2', {}, ...[title].flat()) : null, ...children);
}

/** A select of [value, label] options (or plain values), `value` selected, `onchange(value)`. */
export function select(options, value, onchange, attrs = {}) {
  return el(
    'select',
    { ...attrs, onchange: (e) => onchange(e.target.value) },
    ...options.map((o) => {
      const [v, label] = Array.isArray(o) ? o : [o, o];
      return el('option', { value: v, selected: String(v) === String(value) }, label);
    }),
  );
}
