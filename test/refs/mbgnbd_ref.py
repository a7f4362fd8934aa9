#!/usr/bin/python3
"""Reference values of test/mbgnbd.pg: the MBG/NBD model (Batislam, Denizel &
Filiztekin 2007; Wagner & Hoppe 2008) in the notation of CLV.md section 2.2,
implemented here from the formulas alone (scipy), not from any CLV library.

Run with Debian's python3: /usr/bin/python3 test/refs/mbgnbd_ref.py
"""
import csv
import math

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1

rows = {}
with open('sql/data/cdnow_customers_summary.csv') as f:
    for r in csv.DictReader(f):
        k = (int(float(r['frequency'])), float(r['recency']), float(r['T']))
        rows[k] = rows.get(k, 0) + 1
x = np.array([k[0] for k in rows], float)
tx = np.array([k[1] for k in rows], float)
T = np.array([k[2] for k in rows], float)
w = np.array(list(rows.values()), float)


def loglik(p):
    r, alpha, a, b = p
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.log(a) - np.log(b + x) - (r + x) * np.log(alpha + tx)
    ll = (gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x + 1) - betaln(a, b)
          + np.logaddexp(a3, a4))
    return float(np.sum(w * ll))


def p_alive(p, x, tx, T):
    r, alpha, a, b = p
    return 1.0 / (1.0 + a / (b + x) * ((alpha + T) / (alpha + tx)) ** (r + x))


def expected(p, t, x, tx, T):
    r, alpha, a, b = p
    z = t / (alpha + T + t)
    return ((a + b + x) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x)
                                     * hyp2f1(r + x, b + x + 1, a + b + x, z)) * p_alive(p, x, tx, T))


def expected_new(p, t):
    r, alpha, a, b = p
    return b / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b + 1, a + b, t / (alpha + t)))


if __name__ == '__main__':
    res = minimize(lambda th: -loglik(np.exp(th)), np.zeros(4), method='Nelder-Mead',
                   options={'xatol': 1e-10, 'fatol': 1e-10, 'maxiter': 40000, 'maxfev': 80000})
    res = minimize(lambda th: -loglik(np.exp(th)), res.x, method='BFGS', options={'gtol': 1e-9})
    p = np.exp(res.x)
    print('MLE r alpha a b:', ', '.join('%.6f' % v for v in p), 'log-likelihood %.6f' % loglik(p))
    q = (0.524838, 6.182992, 0.891356, 1.614000)
    print('at', q, 'log-likelihood', repr(loglik(q)))
    print('E[Y(39) | 2, 30.43, 38.86] =', repr(expected(q, 39, 2, 30.43, 38.86)))
    print('P(alive | 0, 1, 1) =', repr(p_alive(q, 0, 1, 1)), 'P(alive | 2, 30.43, 38.86) =', repr(p_alive(q, 2, 30.43, 38.86)))
    print('E[X(t)], t = 0.1429, 1, 3, 31.8571, 32, 78:',
          ', '.join(repr(expected_new(q, t)) for t in (0.1429, 1, 3, 31.8571, 32, 78)))
    print('E[Y(t) | 0, 0, 0] = E[X(t)] at t = 10:', repr(expected(q, 10, 0, 0, 0)), repr(expected_new(q, 10)))
    # CLV with Gamma-Gamma spend (6.25, 3.74, 15.44): customer (2, 30.43, 38.86, mean spend 22.35),
    # 12 steps of 4.345 periods at 1% a step
    pg, qg, gg = 6.25, 3.74, 15.44
    spend = pg * (gg + 2 * 22.35) / (pg * 2 + qg - 1)
    prev, total = 0.0, 0.0
    for i in range(1, 13):
        cur = expected(q, i * 4.345, 2, 30.43, 38.86)
        total += spend * (cur - prev) / 1.01 ** i
        prev = cur
    print('CLV (2, 30.43, 38.86, 22.35) =', repr(total))
    print('P(alive | 0, 0, 1) =', repr(p_alive(q, 0, 0, 1)))
