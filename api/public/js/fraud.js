// The #/fraud page: the bank's fraud analytics from the lake (sql/bank/jobs, docs/cdc.md) through POST /api/query,
// refreshed every 2 s while shown: the latest alerts with the rules that fired, each rule's precision and recall
// against the labels that have arrived, and the riskiest merchants and cards (most alerts, highest mean score).

import { el, fmtNum } from './format.js';
import { fetchJson } from './results.js';

const state = { timer: null, data: {} };
window.ticklake = Object.assign(window.ticklake ?? {}, { fraud: state });

const $ = (id) => document.getElementById(id);

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

async function query(sql) {
  const res = await fetchJson('/api/query', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sql }),
  });
  if (!res.ok) throw new Error(`${res.error.code}: ${res.error.message}`);
  return res.body.rows;
}

function table(id, rows, columns) {
  const t = $(id);
  t.replaceChildren(
    el('thead', {}, el('tr', {}, ...columns.map(([, label, num]) => el('th', { class: num ? 'num' : '' }, label)))),
    el(
      'tbody',
      {},
      ...rows.map((r) =>
        el(
          'tr',
          {},
          ...columns.map(([k, , num]) =>
            el('td', { class: num ? 'num' : '', 'data-col': k }, num ? fmtNum(r[k]) : (r[k] ?? '')),
          ),
        ),
      ),
    ),
  );
}

async function refresh() {
  try {
    const [alerts, rules, merchants, cards] = await Promise.all(Object.values(QUERIES).map(query));
    state.data = { alerts, rules, merchants, cards };
    $('fraud-error').textContent = '';
    table('fraud-alerts', alerts, [
      ['txn_time', 'time'],
      ['txn_id', 'txn'],
      ['card_id', 'card'],
      ['merchant_id', 'merchant'],
      ['mcc', 'MCC'],
      ['amount', 'amount', true],
      ['score', 'score', true],
      ['rules', 'rules'],
    ]);
    table('fraud-rules', rules, [
      ['rule', 'rule'],
      ['labelled', 'labelled', true],
      ['flagged', 'flagged', true],
      ['true_positives', 'TP', true],
      ['false_positives', 'FP', true],
      ['false_negatives', 'FN', true],
      ['precision', 'precision', true],
      ['recall', 'recall', true],
    ]);
    table('fraud-merchants', merchants, [
      ['merchant_id', 'merchant'],
      ['name', 'name'],
      ['category', 'category'],
      ['alerts', 'alerts', true],
      ['mean_score', 'mean score', true],
      ['purchases', 'purchases', true],
    ]);
    table('fraud-cards', cards, [
      ['card_id', 'card'],
      ['alerts', 'alerts', true],
      ['mean_score', 'mean score', true],
      ['max_score', 'max score', true],
      ['purchases', 'purchases', true],
    ]);
  } catch (e) {
    $('fraud-error').textContent =
      `the fraud tables are not available yet (${e.message}); run the processor with --sql-dir sql/bank`;
  }
}

export function showFraud() {
  if (state.timer) return;
  refresh();
  state.timer = setInterval(() => {
    if ($('page-fraud').hidden) {
      clearInterval(state.timer);
      state.timer = null;
      return;
    }
    refresh();
  }, 2000);
}
