/**
 * The bank simulator's model: a deterministic sequence of OLTP operations (each a list of SQL statements run as one
 * transaction) from a seed and a start time. Same seed, same start, same state → same statements.
 *
 * Operations: new users, cards and merchants; card purchases (amount by the merchant's category, chip/swipe/online,
 * occasional errors); a user moving city; a credit limit changed; a card closed; a user erased (the user's cards
 * deleted with it); a purchase reversed (deleted). Fraud is planted: a card is compromised now and then, and its
 * next few purchases are fraudulent (risky categories, other cities, online or swiped, larger amounts, more
 * errors, in a burst). Labels arrive later than their transactions: every fraud and a sample of legitimate
 * purchases get a row in fraud_labels some 30–200 operations after the purchase.
 *
 * Event time is simulated: it starts at `startMs` and advances by an exponential step (mean `stepMs`) per
 * operation, so an hour of card activity passes in minutes of wall time.
 */
import { fnv1a32, Rng } from '../rng.js';
import { CITIES, ERRORS_FRAUD, ERRORS_LEGIT, MCC_CODES } from './mcc-codes.js';

export interface Statement {
  sql: string;
  params: unknown[];
}

export interface BankOp {
  kind: string;
  statements: Statement[];
}

interface Card {
  id: number;
  userId: number;
  status: 'active' | 'closed';
  hasChip: boolean;
  /** Fraudulent purchases still to come on this card. */
  compromised: number;
}

interface User {
  id: number;
  city: number;
}

export interface BankState {
  users: User[];
  cards: Card[];
  merchants: { id: number; mcc: number; city: number }[];
  nextUser: number;
  nextCard: number;
  nextMerchant: number;
  nextTxn: number;
  clockMs: number;
  step: number;
  /** Purchases waiting for their label: [due step, txn id, is fraud]. */
  labels: [number, number, boolean][];
  /** Purchases that can still be reversed. */
  recentTxns: number[];
}

const FIRST = ['Ana', 'Ben', 'Chloe', 'Dev', 'Emma', 'Femi', 'Gus', 'Hana', 'Ivan', 'Jade', 'Kofi', 'Lena'];
const LAST = ['Adams', 'Brown', 'Chen', 'Diaz', 'Evans', 'Fischer', 'Garcia', 'Huang', 'Ito', 'Jones'];
const MERCHANT_WORDS = ['Corner', 'Central', 'Express', 'Prime', 'City', 'Metro', 'Sun', 'Blue', 'Harbor', 'Summit'];

export function sqlTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

export class BankModel {
  readonly state: BankState;
  private readonly rng: Rng;
  private prevClock = 0;

  constructor(
    seed: string,
    startMs: number,
    private readonly stepMs = 20_000,
    state?: BankState,
  ) {
    this.state = state ?? {
      users: [],
      cards: [],
      merchants: [],
      nextUser: 1,
      nextCard: 1,
      nextMerchant: 1,
      nextTxn: 1,
      clockMs: startMs,
      step: 0,
      labels: [],
      recentTxns: [],
    };
    this.rng = new Rng(fnv1a32(`bank\u0000${seed}\u0000${this.state.step}\u0000${this.state.nextTxn}`));
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rng.uniform() * xs.length)];
  }

  private chance(p: number): boolean {
    return this.rng.uniform() < p;
  }

  private money(x: number): string {
    return (Math.round(Math.max(0.01, x) * 100) / 100).toFixed(2);
  }

  /** The reference data: the MCC table (idempotent). */
  static reference(): BankOp {
    return {
      kind: 'mcc',
      statements: MCC_CODES.map((m) => ({
        sql: 'INSERT INTO mcc_codes (mcc, description, category) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE description = VALUES(description), category = VALUES(category)',
        params: [m.mcc, m.description, m.category],
      })),
    };
  }

  next(): BankOp {
    const s = this.state;
    s.step++;
    this.prevClock = s.clockMs;
    s.clockMs += Math.round(-Math.log(this.rng.uniformPositive()) * this.stepMs);
    const due = s.labels.filter((l) => l[0] <= s.step);
    if (due.length > 0) {
      s.labels = s.labels.filter((l) => l[0] > s.step);
      return {
        kind: 'labels',
        statements: due.map(([, txn, fraud]) => ({
          sql: 'INSERT INTO fraud_labels (txn_id, is_fraud, labeled_at) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE is_fraud = VALUES(is_fraud)',
          params: [txn, fraud ? 1 : 0, sqlTime(s.clockMs)],
        })),
      };
    }
    if (s.users.length < 20) return this.newUser();
    if (s.merchants.length < 30) return this.newMerchant();
    const active = s.cards.filter((c) => c.status === 'active');
    if (active.length < 25) return this.newCard();
    const r = this.rng.uniform();
    if (r < 0.02) return this.newUser();
    if (r < 0.04) return this.newCard();
    if (r < 0.05) return this.newMerchant();
    if (r < 0.065) return this.userMoves();
    if (r < 0.08) return this.limitChange(active);
    if (r < 0.09) return this.closeCard(active);
    if (r < 0.094) return this.eraseUser();
    if (r < 0.1) return this.reverse();
    if (r < 0.112) {
      const c = this.pick(active);
      c.compromised = 3 + Math.floor(this.rng.uniform() * 5);
    }
    return this.purchase(active);
  }

  private newUser(): BankOp {
    const s = this.state;
    const u: User = { id: s.nextUser++, city: Math.floor(this.rng.uniform() * CITIES.length) };
    s.users.push(u);
    const now = sqlTime(s.clockMs);
    const c = CITIES[u.city];
    return {
      kind: 'user',
      statements: [
        {
          sql: 'INSERT INTO users (user_id, name, city, state, birth_year, yearly_income, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          params: [
            u.id,
            `${this.pick(FIRST)} ${this.pick(LAST)}`,
            c.city,
            c.state,
            1950 + Math.floor(this.rng.uniform() * 55),
            this.money(25_000 + this.rng.uniform() * 150_000),
            now,
            now,
          ],
        },
      ],
    };
  }

  private newCard(): BankOp {
    const s = this.state;
    const user = this.pick(s.users);
    const card: Card = {
      id: s.nextCard++,
      userId: user.id,
      status: 'active',
      hasChip: this.chance(0.85),
      compromised: 0,
    };
    s.cards.push(card);
    const now = sqlTime(s.clockMs);
    return {
      kind: 'card',
      statements: [
        {
          sql: 'INSERT INTO cards (card_id, user_id, brand, card_type, credit_limit, has_chip, status, opened_at, closed_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)',
          params: [
            card.id,
            user.id,
            this.pick(['Visa', 'Mastercard', 'Amex', 'Discover']),
            this.pick(['Debit', 'Credit', 'Credit', 'Prepaid']),
            this.money(500 + Math.floor(this.rng.uniform() * 40) * 250),
            card.hasChip ? 1 : 0,
            'active',
            now,
            now,
          ],
        },
      ],
    };
  }

  private newMerchant(): BankOp {
    const s = this.state;
    const m = {
      id: s.nextMerchant++,
      mcc: this.pick(MCC_CODES).mcc,
      city: Math.floor(this.rng.uniform() * CITIES.length),
    };
    s.merchants.push(m);
    const desc = MCC_CODES.find((x) => x.mcc === m.mcc)?.description.split(/[ ,]/)[0] ?? 'Shop';
    return {
      kind: 'merchant',
      statements: [
        {
          sql: 'INSERT INTO merchants (merchant_id, name, mcc, city, state) VALUES (?, ?, ?, ?, ?)',
          params: [
            m.id,
            `${this.pick(MERCHANT_WORDS)} ${desc} #${m.id}`,
            m.mcc,
            CITIES[m.city].city,
            CITIES[m.city].state,
          ],
        },
      ],
    };
  }

  private userMoves(): BankOp {
    const s = this.state;
    const u = this.pick(s.users);
    u.city = (u.city + 1 + Math.floor(this.rng.uniform() * (CITIES.length - 1))) % CITIES.length;
    return {
      kind: 'user-moves',
      statements: [
        {
          sql: 'UPDATE users SET city = ?, state = ?, updated_at = ? WHERE user_id = ?',
          params: [CITIES[u.city].city, CITIES[u.city].state, sqlTime(s.clockMs), u.id],
        },
      ],
    };
  }

  private limitChange(active: Card[]): BankOp {
    const c = this.pick(active);
    return {
      kind: 'limit',
      statements: [
        {
          sql: 'UPDATE cards SET credit_limit = ?, updated_at = ? WHERE card_id = ?',
          params: [this.money(500 + Math.floor(this.rng.uniform() * 40) * 250), sqlTime(this.state.clockMs), c.id],
        },
      ],
    };
  }

  private closeCard(active: Card[]): BankOp {
    const c = this.pick(active);
    c.status = 'closed';
    c.compromised = 0;
    const now = sqlTime(this.state.clockMs);
    return {
      kind: 'card-closed',
      statements: [
        {
          sql: "UPDATE cards SET status = 'closed', closed_at = ?, updated_at = ? WHERE card_id = ?",
          params: [now, now, c.id],
        },
      ],
    };
  }

  private eraseUser(): BankOp {
    const s = this.state;
    const u = this.pick(s.users);
    s.users = s.users.filter((x) => x !== u);
    s.cards = s.cards.filter((c) => c.userId !== u.id);
    return {
      kind: 'user-erased',
      statements: [
        { sql: 'DELETE FROM cards WHERE user_id = ?', params: [u.id] },
        { sql: 'DELETE FROM users WHERE user_id = ?', params: [u.id] },
      ],
    };
  }

  private reverse(): BankOp {
    const s = this.state;
    if (s.recentTxns.length === 0) return this.purchase(s.cards.filter((c) => c.status === 'active'));
    const i = Math.floor(this.rng.uniform() * s.recentTxns.length);
    const txn = s.recentTxns[i];
    s.recentTxns.splice(i, 1);
    s.labels = s.labels.filter((l) => l[1] !== txn);
    return {
      kind: 'reversal',
      statements: [
        { sql: 'DELETE FROM fraud_labels WHERE txn_id = ?', params: [txn] },
        { sql: 'DELETE FROM transactions WHERE txn_id = ?', params: [txn] },
      ],
    };
  }

  private purchase(active: Card[]): BankOp {
    const s = this.state;
    const compromised = active.filter((c) => c.compromised > 0);
    const card = compromised.length > 0 && this.chance(0.5) ? this.pick(compromised) : this.pick(active);
    const fraud = card.compromised > 0;
    const user = s.users.find((u) => u.id === card.userId);
    const home = user?.city ?? 0;
    let pool = s.merchants.filter((m) => {
      const risky = MCC_CODES.find((x) => x.mcc === m.mcc)?.risky ?? false;
      return fraud ? risky && m.city !== home : m.city === home || this.chance(0.1);
    });
    if (pool.length === 0) pool = s.merchants;
    const merchant = this.pick(pool);
    const mcc = MCC_CODES.find((x) => x.mcc === merchant.mcc) ?? MCC_CODES[0];
    const amount = mcc.typical * Math.exp(0.6 * this.rng.normal()) * (fraud ? 4 : 1);
    const useChip = fraud
      ? this.pick(['Online Transaction', 'Swipe Transaction', 'Swipe Transaction'])
      : mcc.category === 'Online' || this.chance(0.08)
        ? 'Online Transaction'
        : card.hasChip && this.chance(0.85)
          ? 'Chip Transaction'
          : 'Swipe Transaction';
    const errors = fraud
      ? this.chance(0.35)
        ? this.pick(ERRORS_FRAUD)
        : null
      : this.chance(0.015)
        ? this.pick(ERRORS_LEGIT)
        : null;
    const id = s.nextTxn++;
    if (fraud) {
      card.compromised--;
      // a burst: fraudulent purchases follow each other within seconds
      s.clockMs = this.prevClock + 1000 + Math.floor(this.rng.uniform() * 30_000);
      s.labels.push([s.step + 30 + Math.floor(this.rng.uniform() * 170), id, true]);
    } else if (this.chance(0.1)) {
      s.labels.push([s.step + 30 + Math.floor(this.rng.uniform() * 170), id, false]);
    }
    s.recentTxns.push(id);
    if (s.recentTxns.length > 50) s.recentTxns.shift();
    return {
      kind: fraud ? 'purchase-fraud' : 'purchase',
      statements: [
        {
          sql: 'INSERT INTO transactions (txn_id, card_id, user_id, merchant_id, amount, use_chip, errors, txn_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          params: [id, card.id, card.userId, merchant.id, this.money(amount), useChip, errors, sqlTime(s.clockMs)],
        },
      ],
    };
  }
}
