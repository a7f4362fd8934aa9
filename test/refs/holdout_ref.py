#!/usr/bin/python3
"""Reference values of test/holdout.pg: calibration and holdout of
sql/data/example_transactions.csv (lifetimes' synthetic log, 5,000
customers, 2014) as lifetimes' calibration_and_holdout_data builds them
(freq 'D': purchases of a day are one; calibration up to 2014-09-01
inclusive, holdout to 2014-12-31; customers first seen in the holdout left
out), written here from the definitions alone, and the BG/NBD fitted on the
calibration (FHL 2005 likelihood, scipy) with its holdout predictions.

Run with Debian's python3: /usr/bin/python3 test/refs/holdout_ref.py
"""
import csv
import datetime as dt
import math

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1

CAL, OBS = dt.date(2014, 9, 1), dt.date(2014, 12, 31)
days = {}
with open('sql/data/example_transactions.csv') as f:
    for r in csv.DictReader(f):
        days.setdefault(int(r['id']), set()).add(dt.date.fromisoformat(r['date'][:10]))

rows = []     # (id, x, t_x, T, holdout)
for c, ds in sorted(days.items()):
    cal = sorted(d for d in ds if d <= CAL)
    if not cal:
        continue
    hold = sum(1 for d in ds if CAL < d <= OBS)
    rows.append((c, len(cal) - 1, (cal[-1] - cal[0]).days, (CAL - cal[0]).days, hold))
x = np.array([r[1] for r in rows], float)
tx = np.array([r[2] for r in rows], float)
T = np.array([r[3] for r in rows], float)


def loglik(p):
    r, a_, a, b = p
    A1 = gammaln(r + x) - gammaln(r) + r * np.log(a_)
    A2 = betaln(a, b + x) - betaln(a, b)
    A3 = -(r + x) * np.log(a_ + T)
    A4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(a_ + tx), -np.inf)
    return float(np.sum(A1 + A2 + np.logaddexp(A3, A4)))


def expected(p, t, x, tx, T):
    r, a_, a, b = p
    palive = 1.0 if x == 0 else 1.0 / (1.0 + a / (b + x - 1) * ((a_ + T) / (a_ + tx)) ** (r + x))
    z = t / (a_ + T + t)
    return ((a + b + x - 1) / (a - 1) * (1 - ((a_ + T) / (a_ + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z))
            * palive)


if __name__ == '__main__':
    res = minimize(lambda th: -loglik(np.exp(th)), np.zeros(4), method='Nelder-Mead',
                   options={'xatol': 1e-10, 'fatol': 1e-10, 'maxiter': 40000, 'maxfev': 80000})
    res = minimize(lambda th: -loglik(np.exp(th)), res.x, method='BFGS', options={'gtol': 1e-9})
    p = tuple(np.exp(res.x))
    print('customers', len(rows), 'holdout purchases', sum(r[4] for r in rows),
          'calibration repeat purchases', int(x.sum()))
    print('BG/NBD on the calibration:', ', '.join('%.6f' % v for v in p), 'log-likelihood %.6f' % loglik(p))
    H = (OBS - CAL).days
    q = (0.189680, 2.263307, 1.960003, 3.475726)
    pred = [expected(q, H, r[1], r[2], r[3]) for r in rows]
    print('at', q, 'sum of predicted holdout purchases', repr(math.fsum(pred)))
    print('first rows (id, x, t_x, T, holdout, predicted):')
    for r, e in list(zip(rows, pred))[:5]:
        print(' ', r, repr(e))
    by = {}
    for r, e in zip(rows, pred):
        k = min(r[1], 7)
        a = by.setdefault(k, [0, 0, 0.0])
        a[0] += 1; a[1] += r[4]; a[2] += e
    print('by calibration frequency (0..6, 7+): customers, actual, predicted')
    for k in sorted(by):
        print(' ', k, by[k][0], by[k][1], repr(by[k][2]))

    # period transactions (lifetimes' plot_period_transactions, exact rather than
    # simulated): the CDNOW calibration summary, BG/NBD at the fit, customers with
    # x = 0..6 repeat purchases and 7 or more, actual and expected
    # (sum over customers of P(X(T_i) = x), FHL 2005 eq. 8)
    cd = []
    with open('sql/data/cdnow_customers_summary.csv') as f:
        for r in csv.DictReader(f):
            cd.append((int(float(r['frequency'])), float(r['T'])))

    def pmf(p, t, n):
        r, a_, a, b = p
        p0, q0 = a_ / (a_ + t), t / (a_ + t)
        first = math.exp(betaln(a, b + n) - betaln(a, b) + gammaln(r + n) - gammaln(r) - gammaln(n + 1)
                         + r * math.log(p0) + n * math.log(q0))
        if n == 0:
            return first
        s = sum(math.exp(gammaln(r + j) - gammaln(r) - gammaln(j + 1) + j * math.log(q0)) for j in range(n))
        return first + math.exp(betaln(a + 1, b + n - 1) - betaln(a, b)) * (1 - p0 ** r * s)

    bg = (0.242593, 4.413532, 0.792886, 2.425754)
    print('period transactions, CDNOW (x = 0..6, 7+): actual, expected')
    exp_rest = len(cd)
    for n in range(7):
        e = math.fsum(pmf(bg, T, n) for _, T in cd)
        exp_rest -= e
        print(' ', n, sum(1 for x, _ in cd if x == n), repr(e))
    print(' ', '7+', sum(1 for x, _ in cd if x >= 7), repr(exp_rest))

    # tracking plot on the CDNOW sample log (sql/data/CDNOW_sample.txt), calibration
    # to 1997-09-30, observation to 1998-06-30, weeks: cumulative repeat purchase
    # days of the cohort, and the cumulative BG/NBD expectation (FHL eq. 9) at the
    # published estimates
    log = {}
    with open('sql/data/CDNOW_sample.txt') as f:
        for line in f:
            p = line.split()
            d = dt.date(int(p[2][:4]), int(p[2][4:6]), int(p[2][6:]))
            log.setdefault(int(p[1]), set()).add(d)
    c_end, o_end = dt.date(1997, 9, 30), dt.date(1998, 6, 30)
    firsts = {c: min(ds) for c, ds in log.items() if min(ds) <= c_end}
    start = min(firsts.values())
    nper = ((o_end - start).days) // 7 + 1
    counts = [0] * nper
    for c, f0 in firsts.items():
        for d in log[c]:
            if f0 < d <= o_end:
                counts[(d - start).days // 7] += 1

    def ex_new(p, t):
        r, a_, a, b = p
        return (a + b - 1) / (a - 1) * (1 - (a_ / (a_ + t)) ** r * hyp2f1(r, b, a + b - 1, t / (a_ + t)))

    ages = {c: (c_end - f0).days / 7 for c, f0 in firsts.items()}
    A = max(ages.values())
    cum = 0
    print('tracking, CDNOW (period, actual cumulative, expected cumulative):')
    for k in range(nper):
        cum += counts[k]
        e = math.fsum(ex_new(bg, k + 1 - (A - T)) for T in ages.values() if k + 1 > A - T)
        if k % 13 == 12 or k == nper - 1:
            print(' ', k, cum, repr(e))
