"""The retail dashboard's figures computed from a workbook file, independently of ticklake's reader and SQL.

Reads the .xlsx with Debian's openpyxl (run with /usr/bin/python3) and prints JSON: rows per sheet, the 10 most
profitable products, stock at risk, loyalty tiers and revenue per month, by the rules of docs/retail.md written
out again here in plain Python (money in cents):

- a line's sell price is its unit price, else the list price of the product version in effect on its date; its buy
  price that version's; the version in effect is the latest whose price date is on or before the sale's day, else
  the first one;
- top products: by profit, ties by id; lines of unknown products have no cost and count for no product;
- loss risk as of AS_OF: stock > 0 and expiry before AS_OF + 7 days (expired when before AS_OF), or the later of
  last movement and last sale 30 days or more before AS_OF;
- tiers: bronze < 1,000 <= silver < 5,000 <= gold <= 10,000 < platinum (eligible for the promotion).

usage: retail_figures.py WORKBOOK.xlsx AS_OF
"""
import datetime as dt
import json
import sys
from decimal import ROUND_HALF_UP, Decimal

import openpyxl

path, as_of_text = sys.argv[1], sys.argv[2]
AS_OF = dt.date.fromisoformat(as_of_text)
wb = openpyxl.load_workbook(path, data_only=True)


def table(sheet, first_header):
    rows = [list(r) for r in wb[sheet].iter_rows(values_only=True)]
    h = next(i for i, r in enumerate(rows) if r and r[0] == first_header)
    return [r for r in rows[h + 1:] if any(v is not None and v != '' for v in r)]


def day(v):
    if v is None:
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    return dt.date.fromisoformat(str(v)[:10])


def cents(qty, price):
    return int((Decimal(str(qty)) * Decimal(str(price)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


products = {}
for r in table('Products', 'Product ID'):
    pid, name, cat, stock, buy, sell, expiry, moved, price_date = r[:9]
    products.setdefault(pid, []).append(
        dict(name=name, cat=cat, stock=Decimal(str(stock)), buy=buy, sell=sell, expiry=day(expiry),
             moved=day(moved), from_=day(price_date)))
for versions in products.values():
    versions.sort(key=lambda v: v['from_'])
clients = [r[0] for r in table('Clients', 'Client ID')]
lines = []
for r in table('Invoices', 'Invoice'):
    inv, line, date, client, pid, qty, unit = r[:7]
    date = day(date)
    versions = products.get(pid, [])
    eff = ([v for v in versions if v['from_'] <= date] or versions[:1] or [None])[-1]
    sell = unit if unit is not None else (eff['sell'] if eff else None)
    revenue = cents(qty, sell) if sell is not None else None
    cost = cents(qty, eff['buy']) if eff else None
    lines.append(dict(inv=inv, date=date, client=client, pid=pid, revenue=revenue, cost=cost,
                      profit=None if revenue is None or cost is None else revenue - cost))

profit = {}
for l in lines:
    if l['profit'] is not None:
        profit[l['pid']] = profit.get(l['pid'], 0) + l['profit']
top = sorted(profit.items(), key=lambda kv: (-kv[1], kv[0]))[:10]

risk = []
for pid, versions in products.items():
    p = versions[-1]
    if not p['stock'] > 0:
        continue
    sold = [l['date'] for l in lines if l['pid'] == pid]
    moved = max([d for d in [p['moved'], *sold] if d is not None], default=None)
    reasons = []
    if p['expiry'] is not None and p['expiry'] < AS_OF:
        reasons.append('expired')
    elif p['expiry'] is not None and p['expiry'] <= AS_OF + dt.timedelta(days=7):
        reasons.append('expiring')
    if moved is not None and moved <= AS_OF - dt.timedelta(days=30):
        reasons.append('no movement')
    if reasons:
        risk.append([pid, ', '.join(reasons), cents(p['stock'], p['buy'])])
risk.sort(key=lambda r: (-r[2], r[0]))

revenue = {c: 0 for c in clients}
for l in lines:
    if l['client'] in revenue and l['revenue'] is not None:
        revenue[l['client']] += l['revenue']
tiers = {'platinum': 0, 'gold': 0, 'silver': 0, 'bronze': 0}
for c, v in revenue.items():
    tiers['platinum' if v > 1_000_000 else 'gold' if v >= 500_000 else 'silver' if v >= 100_000 else 'bronze'] += 1
eligible = sorted([c for c, v in revenue.items() if v > 1_000_000], key=lambda c: (-revenue[c], c))

months = {}
for l in lines:
    if l['revenue'] is not None:
        m = l['date'].strftime('%Y-%m')
        months[m] = months.get(m, 0) + l['revenue']

json.dump(dict(
    rows=dict(products=sum(len(v) for v in products.values()), clients=len(clients), lines=len(lines)),
    top=top, risk=risk, tiers=tiers, eligible=[[c, revenue[c]] for c in eligible],
    months=sorted(months.items()),
), sys.stdout)
