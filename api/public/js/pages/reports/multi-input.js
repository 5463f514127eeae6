// A form input for a list parameter (varchar[], date[] ...): typed values become chips (Enter or a comma adds
// one, a pasted "AAPL,MSFT" adds two, × removes one); a hidden input named after the parameter carries them
// comma-separated, as the API takes them (`?symbol=AAPL,MSFT`).

import { el } from '../../lib/dom.js';

export function multiInput(p, datalist) {
  const values = [];
  const hidden = el('input', { type: 'hidden', name: p.name, value: '' });
  const chips = el('span', { class: 'chips' });
  const text = el('input', {
    type: 'text',
    id: `param-${p.name}`,
    list: datalist,
    placeholder: p.type === 'date[]' ? 'YYYY-MM-DD, Enter adds' : 'a value, Enter adds (several)',
    autocomplete: 'off',
  });
  const box = el('div', { class: 'multi', dataset: { param: p.name } }, chips, text, hidden);

  const render = () => {
    hidden.value = values.join(',');
    text.required = Boolean(p.required) && values.length === 0;
    chips.replaceChildren(
      ...values.map((v, i) =>
        el(
          'span',
          { class: 'chip', dataset: { value: v } },
          v,
          el(
            'button',
            {
              type: 'button',
              title: `remove ${v}`,
              onclick: () => {
                values.splice(i, 1);
                render();
                box.dispatchEvent(new Event('change', { bubbles: true }));
              },
            },
            '×',
          ),
        ),
      ),
    );
  };
  /** Adds what is typed (split at commas); returns whether anything was added. */
  const commit = () => {
    const add = text.value
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '' && !values.includes(v));
    text.value = '';
    if (add.length === 0) return false;
    values.push(...add);
    render();
    box.dispatchEvent(new Event('change', { bubbles: true }));
    return true;
  };
  box.commit = commit;
  text.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && text.value.trim() !== '') {
      e.preventDefault(); // adds the value; Enter on an empty box submits the form
      commit();
    } else if (e.key === 'Backspace' && text.value === '' && values.length) {
      values.pop();
      render();
      box.dispatchEvent(new Event('change', { bubbles: true }));
    }
  });
  text.addEventListener('input', () => {
    if (text.value.includes(',')) commit();
  });
  // a value picked from the datalist is added at once
  text.addEventListener('change', () => commit());
  render();
  return box;
}
