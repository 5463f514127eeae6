/**
 * The bank simulator: the same seed gives the same statements, fraud is planted and labelled later than the
 * purchase, every kind of insert, update and delete occurs, and event time never goes backwards.
 */
import { describe, expect, it } from 'vitest';
import { BankModel } from '../bank-model.js';
import { MCC_CODES } from '../mcc-codes.js';

const START = Date.UTC(2026, 0, 5, 9);

function run(seed: string, n: number) {
  const m = new BankModel(seed, START);
  return Array.from({ length: n }, () => m.next());
}

describe('bank model', () => {
  it('is deterministic by seed', () => {
    expect(JSON.stringify(run('7', 3000))).toBe(JSON.stringify(run('7', 3000)));
    expect(JSON.stringify(run('8', 300))).not.toBe(JSON.stringify(run('7', 300)));
  });

  it('makes every kind of change, plants fraud and labels it later', () => {
    const ops = run('1', 5000);
    const kinds = new Map<string, number>();
    for (const o of ops) kinds.set(o.kind, (kinds.get(o.kind) ?? 0) + 1);
    for (const k of [
      'user',
      'card',
      'merchant',
      'purchase',
      'purchase-fraud',
      'labels',
      'user-moves',
      'limit',
      'card-closed',
      'user-erased',
      'reversal',
    ]) {
      expect(kinds.get(k), k).toBeGreaterThan(0);
    }
    const fraud = kinds.get('purchase-fraud') ?? 0;
    const legit = kinds.get('purchase') ?? 0;
    expect(fraud / (fraud + legit)).toBeGreaterThan(0.02);
    expect(fraud / (fraud + legit)).toBeLessThan(0.2);

    // labels: each one after its purchase, fraud labels only for fraudulent purchases
    const boughtAt = new Map<number, { step: number; fraud: boolean }>();
    let labelled = 0;
    ops.forEach((o, step) => {
      for (const s of o.statements) {
        if (s.sql.startsWith('INSERT INTO transactions'))
          boughtAt.set(Number(s.params[0]), { step, fraud: o.kind === 'purchase-fraud' });
        if (s.sql.startsWith('INSERT INTO fraud_labels')) {
          const t = boughtAt.get(Number(s.params[0]));
          expect(t).toBeDefined();
          expect(step - (t?.step ?? 0)).toBeGreaterThanOrEqual(30);
          expect(Boolean(s.params[1])).toBe(t?.fraud);
          labelled++;
        }
      }
    });
    expect(labelled).toBeGreaterThan(fraud * 0.5);

    // event time of purchases never goes backwards
    const times = ops.flatMap((o) =>
      o.statements.filter((s) => s.sql.startsWith('INSERT INTO transactions')).map((s) => String(s.params[7])),
    );
    expect([...times].sort()).toEqual(times);
  });

  it('uses real MCC codes in a realistic mix', () => {
    const m = new BankModel('2', START);
    for (let i = 0; i < 200; i++) m.next();
    const mccs = new Set(m.state.merchants.map((x) => x.mcc));
    const known = new Set(MCC_CODES.map((c) => c.mcc));
    expect(mccs.size).toBeGreaterThan(10);
    expect([...mccs].filter((c) => !known.has(c))).toEqual([]);
    // ISO 18245 codes the test knows by heart
    expect(MCC_CODES.find((c) => c.mcc === 5411)?.description).toBe('Grocery Stores, Supermarkets');
    expect(MCC_CODES.find((c) => c.mcc === 6011)?.description).toBe('Automated Cash Disbursements');
  });
});
