// #/kafka (docs/kafka-page.md), what Kafka UI showed: topics with partitions, offsets and message counts, a topic's
// configs; consumer groups with state, members and lag per partition; a message browser by topic, partition and
// offset with key search, showing each message's headers (a dead letter's `reason`). #/kafka/<topic>?partition=P
// &offset=O opens the browser there. The actions (delete a group, reset its offsets, add partitions, delete records
// below an offset) need the API token when the server has one, and ask before they act.

import { dataTable, el, errorBox, fmtTime, getJson, postJson, tokenField } from '../ops/ui.js';

const enc = encodeURIComponent;

export async function mount(root, ctx) {
  const topicsBox = el('div', { class: 'panel', id: 'kafka-topics' }, el('p', { class: 'muted' }, 'loading…'));
  const topicBox = el('div', { class: 'panel', id: 'kafka-topic' });
  const groupsBox = el('div', { class: 'panel', id: 'kafka-groups' });
  const browser = el('div', { class: 'panel', id: 'kafka-browser' });
  const note = el('div', { id: 'kafka-note', role: 'status' });
  root.append(
    el('div', { class: 'panel kafka-head' }, el('h2', {}, 'Kafka ', el('small', { id: 'kafka-meta' })), tokenField()),
    note,
    el('div', { class: 'kafka-grid' }, topicsBox, groupsBox),
    topicBox,
    browser,
  );
  let topics = [];
  let groups = [];
  let state = { topic: ctx.params[0] ?? null, partition: 0, offset: '', key: '', limit: 50 };
  const readQuery = (c) => {
    state.topic = c.params[0] ?? state.topic;
    if (c.query.has('partition')) state.partition = Number(c.query.get('partition'));
    if (c.query.has('offset')) state.offset = c.query.get('offset');
    if (c.query.has('key')) state.key = c.query.get('key');
  };
  readQuery(ctx);

  const act = async (what, url, body) => {
    if (!window.confirm(`${what}?`)) return;
    const res = await postJson(url, body, ctx.signal);
    if (ctx.signal.aborted) return;
    note.replaceChildren(res.ok ? el('p', { class: 'ok-note' }, `${what}: done`) : errorBox(res.error));
    await load();
  };

  const drawTopics = () => {
    topicsBox.replaceChildren(
      el('h3', {}, 'Topics'),
      dataTable({
        columns: [
          { key: 'name', label: 'topic' },
          { key: 'partitions', num: true, format: (v) => v.length },
          { key: 'messages', num: true },
          {
            key: 'partitions',
            label: 'offsets (low–high)',
            format: (v) => v.map((p) => `${p.partition}: ${p.low}–${p.high}`).join('  '),
          },
        ],
        rows: topics,
        onRow: (t) => ctx.go(`#/kafka/${enc(t.name)}`),
        selected: (t) => t.name === state.topic,
      }),
    );
  };

  const drawGroups = () => {
    groupsBox.replaceChildren(
      el('h3', {}, 'Consumer groups'),
      ...(groups.length
        ? groups.map((g) =>
            el(
              'div',
              { class: 'group', dataset: { group: g.groupId } },
              el(
                'div',
                { class: 'group-head' },
                el('b', {}, g.groupId),
                ` ${g.state} · ${g.members.length} member(s) · lag `,
                el('b', { class: 'lag' }, String(g.lag)),
                el(
                  'button',
                  {
                    class: 'danger',
                    onclick: () => act(`Delete group ${g.groupId}`, `/api/kafka/groups/${enc(g.groupId)}/delete`),
                  },
                  'Delete',
                ),
                ...[...new Set(g.offsets.map((o) => o.topic))].map((t) =>
                  el(
                    'button',
                    {
                      onclick: () =>
                        act(`Reset ${g.groupId} on ${t} to earliest`, `/api/kafka/groups/${enc(g.groupId)}/offsets`, {
                          topic: t,
                          to: 'earliest',
                        }),
                    },
                    `Reset ${t} → earliest`,
                  ),
                ),
              ),
              g.members.length
                ? el(
                    'div',
                    { class: 'muted members' },
                    g.members.map((m) =>
                      el(
                        'div',
                        {},
                        `${m.clientId} @ ${m.clientHost}: `,
                        m.assignment.map((a) => `${a.topic} [${a.partitions.join(', ')}]`).join('; ') ||
                          'no partitions',
                      ),
                    ),
                  )
                : null,
              dataTable({
                columns: [
                  { key: 'topic' },
                  { key: 'partition', num: true },
                  { key: 'offset', label: 'committed', num: true },
                  { key: 'high', label: 'end', num: true },
                  { key: 'lag', num: true },
                ],
                rows: g.offsets,
                empty: 'no committed offsets',
              }),
            ),
          )
        : [el('p', { class: 'muted' }, 'none')]),
    );
  };

  const drawTopic = async () => {
    const t = topics.find((x) => x.name === state.topic);
    if (!t) {
      topicBox.replaceChildren(el('p', { class: 'muted' }, 'Pick a topic to browse its messages.'));
      browser.replaceChildren();
      return;
    }
    const count = el('input', {
      type: 'number',
      min: t.partitions.length + 1,
      value: t.partitions.length + 1,
      class: 'small',
    });
    const delP = el(
      'select',
      {},
      t.partitions.map((p) => el('option', { value: p.partition }, `partition ${p.partition}`)),
    );
    const delO = el('input', { type: 'number', min: 0, placeholder: 'offset', class: 'small' });
    const cfg = await getJson(`/api/kafka/topics/${enc(t.name)}/configs`, {}, ctx.signal);
    if (ctx.signal.aborted) return;
    topicBox.replaceChildren(
      el('h3', {}, `Topic ${t.name}`),
      dataTable({
        columns: [
          { key: 'partition', num: true },
          { key: 'leader', num: true },
          { key: 'replicas', format: (v) => v.join(', ') },
          { key: 'low', label: 'start offset', num: true },
          { key: 'high', label: 'end offset', num: true },
          { key: 'messages', num: true },
        ],
        rows: t.partitions,
      }),
      el(
        'div',
        { class: 'kafka-actions' },
        el(
          'span',
          {},
          'Partitions: ',
          count,
          el(
            'button',
            {
              onclick: () =>
                act(`Set ${t.name} to ${count.value} partitions`, `/api/kafka/topics/${enc(t.name)}/partitions`, {
                  count: Number(count.value),
                }),
            },
            'Add partitions',
          ),
        ),
        el(
          'span',
          {},
          'Delete records of ',
          delP,
          ' below ',
          delO,
          el(
            'button',
            {
              class: 'danger',
              onclick: () =>
                act(
                  `Delete records of ${t.name}/${delP.value} below ${delO.value}`,
                  `/api/kafka/topics/${enc(t.name)}/delete-records`,
                  { partition: Number(delP.value), offset: Number(delO.value) },
                ),
            },
            'Delete records',
          ),
        ),
      ),
      el('h4', {}, 'Configs'),
      !cfg.ok
        ? errorBox(cfg.error)
        : cfg.body.error
          ? el('p', { class: 'muted' }, `not available: ${cfg.body.error}`)
          : dataTable({
              columns: [
                { key: 'name' },
                { key: 'value' },
                { key: 'isDefault', label: 'default', format: (v) => (v ? 'yes' : '') },
              ],
              rows: cfg.body.configs,
              empty: 'none',
            }),
    );
    drawBrowser(t);
  };

  const drawBrowser = (t) => {
    const part = el(
      'select',
      { id: 'browse-partition' },
      t.partitions.map((p) =>
        el(
          'option',
          { value: p.partition, selected: p.partition === state.partition },
          `partition ${p.partition} (${p.low}–${p.high})`,
        ),
      ),
    );
    const off = el('input', {
      id: 'browse-offset',
      type: 'number',
      placeholder: 'newest',
      value: state.offset,
      class: 'small',
    });
    const key = el('input', { id: 'browse-key', type: 'text', placeholder: 'key contains…', value: state.key });
    const out = el('div', { id: 'browse-result' });
    const browse = async (e) => {
      e?.preventDefault();
      state = { ...state, partition: Number(part.value), offset: off.value, key: key.value };
      out.replaceChildren(el('p', { class: 'muted' }, 'reading…'));
      const res = await getJson(
        `/api/kafka/topics/${enc(t.name)}/messages`,
        { partition: state.partition, offset: state.offset, key: state.key, limit: state.limit },
        ctx.signal,
      );
      if (ctx.signal.aborted) return;
      if (!res.ok) return out.replaceChildren(errorBox(res.error));
      const b = res.body;
      out.replaceChildren(
        ...[
          el(
            'p',
            { class: 'muted' },
            `${b.messages.length} message(s) from offset ${b.from} (partition ${b.partition}: ${b.lowWatermark}–${b.highWatermark}; ${b.scanned} examined)`,
          ),
          dataTable({
            columns: [
              { key: 'offset', num: true },
              { key: 'timestamp', label: 'time (UTC)', format: (v) => fmtTime(Number(v)) },
              { key: 'key' },
              {
                key: 'headers',
                format: (h) =>
                  el(
                    'span',
                    { class: 'headers' },
                    Object.entries(h).map(([k, v]) => el('span', { class: `hdr hdr-${k}` }, el('b', {}, k), `=${v}`)),
                  ),
              },
              {
                key: 'value',
                format: (v) =>
                  el('code', { class: 'value' }, v === null ? 'null' : v.length > 240 ? `${v.slice(0, 240)}…` : v),
              },
            ],
            rows: b.messages,
            empty: 'no messages',
          }),
          Number(b.next) < Number(b.highWatermark)
            ? el(
                'button',
                {
                  onclick: () => {
                    off.value = b.next;
                    browse();
                  },
                },
                `Next from ${b.next}`,
              )
            : null,
        ].filter(Boolean),
      );
      ctx.expose({ topics, groups, browsed: b });
    };
    browser.replaceChildren(
      el('h3', {}, `Messages of ${t.name}`),
      el(
        'form',
        { class: 'browse-form', onsubmit: browse },
        part,
        ' offset ',
        off,
        ' ',
        key,
        ' ',
        el('button', { type: 'submit', id: 'browse-go' }, 'Browse'),
      ),
      out,
    );
    browse();
  };

  const load = async () => {
    const [t, g] = await Promise.all([
      getJson('/api/kafka/topics', {}, ctx.signal),
      getJson('/api/kafka/groups', {}, ctx.signal),
    ]);
    if (ctx.signal.aborted) return;
    if (!t.ok) {
      topicsBox.replaceChildren(errorBox(t.error));
      return;
    }
    topics = t.body.topics;
    document.getElementById('kafka-meta').textContent = `${t.body.brokers.join(', ')} · ${topics.length} topics`;
    drawTopics();
    if (g.ok) {
      groups = g.body.groups;
      drawGroups();
    } else groupsBox.replaceChildren(errorBox(g.error));
    ctx.expose({ topics, groups });
    await drawTopic();
  };
  await load();
  return {
    update: async (c) => {
      readQuery(c);
      drawTopics();
      await drawTopic();
    },
  };
}
