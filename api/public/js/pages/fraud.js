// #/fraud: the bank's fraud analytics from the lake (sql/bank jobs, docs/cdc.md) through POST /api/query, refreshed
// every 2 s while the page is shown: the latest alerts with the rules that fired, each rule's precision and recall
// against the labels that have arrived, and the riskiest merchants and cards (most alerts, highest mean score).

import { postJson } from '../lib/api.js';
import { el } from '../lib/dom.js';
import { fmtFixed } from '../lib/format.js';
import { dataTable } from '../lib/table.js';

const REFRESH_MS = 2000;

const QUERIES = {
  alerts: `select txn_id, card_id, merchant_id, mcc, strftime(txn_time, '%Y-%m-%d %H:%M:%S') as txn_time,
                  cast(amount as double) as amount, score, rules
           from fraud_alerts order by txn_time desc, txn_id desc limit 25`,
  rules: `select rule, labelled, flagged, true_positives, false_positives, false_negatives, precision, recall
          from fraud_rule_quality order by rule = 'alert' desc, rule`,
  merchants: `select s.merchant_id, any_value(m.name) as name, any_value(m.category) as category,
                     count(*) filter (where s.score >= 50) as alerts, round(avg(s.score), 1) as mean_score,
                     count(*) as purchases
              from (select f.merchant_id, sc.score from fraud_scores sc join fact_transactions f using (txn_id)) s
              left join dim_merchant m using (merchant_id)
              group by s.merchant_id order by alerts desc, mean_score desc limit 10`,
  cards: `select card_id, count(*) filter (where score >= 50) as alerts, round(avg(score), 1) as mean_score,
                 max(score) as max_score, count(*) as purchases
          from fraud_scores group by card_id order by alerts desc, max_score desc limit 10`,
};

// [key, label, numeric, decimals]; identifiers are shown as they are (no thousands separators)
const id = (v) => (v === null || v === undefined ? '' : String(v));
const COLUMNS = {
  alerts: [
    ['txn_time', 'time'],
    ['txn_id', 'txn'],
    ['card_id', 'card'],
    ['merchant_id', 'merchant'],
    ['mcc', 'MCC'],
    ['amount', 'amount', true, 2],
    ['score', 'score', true],
    ['rules', 'rules'],
  ],
  rules: [
    ['rule', 'rule'],
    ['labelled', 'labelled', true],
    ['flagged', 'flagged', true],
    ['true_positives', 'TP', true],
    ['false_positives', 'FP', true],
    ['false_negatives', 'FN', true],
    ['precision', 'precision', true, 3],
    ['recall', 'recall', true, 3],
  ],
  merchants: [
    ['merchant_id', 'merchant'],
    ['name', 'name'],
    ['category', 'category'],
    ['alerts', 'alerts', true],
    ['mean_score', 'mean score', true, 1],
    ['purchases', 'purchases', true],
  ],
  cards: [
    ['card_id', 'card'],
    ['alerts', 'alerts', true],
    ['mean_score', 'mean score', true, 1],
    ['max_score', 'max score', true],
    ['purchases', 'purchases', true],
  ],
};

const TITLES = {
  alerts: ['Alerts ', el('small', {}, 'score ≥ 50, newest first (also on the Kafka topic fraud.alerts)')],
  rules: ['Rules ', el('small', {}, 'precision and recall against the fraud labels that have arrived')],
  merchants: ['Riskiest merchants'],
  cards: ['Riskiest cards'],
};

export async function mount(root, ctx) {
  const error = el('p', { id: 'fraud-error', class: 'muted' });
  const boxes = Object.fromEntries(Object.keys(QUERIES).map((k) => [k, el('div', { id: `fraud-${k}` })]));
  root.append(
    error,
    el('div', { class: 'panel' }, ...Object.keys(QUERIES).flatMap((k) => [el('h2', {}, ...TITLES[k]), boxes[k]])),
  );
  const state = { data: {} };
  ctx.expose(state);

  const query = async (sql) => {
    const res = await postJson('/api/query', { sql }, ctx.signal);
    if (res.aborted) return null;
    if (!res.ok) throw new Error(`${res.error.code}: ${res.error.message}`);
    return res.body.rows;
  };

  const refresh = async () => {
    let results;
    try {
      results = await Promise.all(Object.values(QUERIES).map(query));
    } catch (e) {
      error.textContent = `the fraud tables are not available yet (${e.message}); run the processor with --sql-dir sql/bank`;
      return;
    }
    if (ctx.signal.aborted || results.includes(null)) return;
    const keys = Object.keys(QUERIES);
    state.data = Object.fromEntries(keys.map((k, i) => [k, results[i]]));
    error.textContent = '';
    for (const k of keys) {
      boxes[k].replaceChildren(
        dataTable({
          columns: COLUMNS[k].map(([key, label, num, d]) => ({
            key,
            label,
            num,
            format: !num ? id : d === undefined ? undefined : (v) => fmtFixed(v, d),
          })),
          rows: state.data[k],
          empty: 'none yet',
        }),
      );
    }
  };
  await refresh();
  ctx.every(REFRESH_MS, refresh);
}
