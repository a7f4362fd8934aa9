#!/usr/bin/python3
"""numpy/scipy baselines for scrm.sbg_fit and scrm.bgbb_fit (make bench).

usage: scipy_sbg_bgbb.py sbg|bgbb COPIES

Builds the rows test/bench/fits.sh gives our aggregates, one per customer:
  sbg   Fader & Hardie's (2007) Regular cohort (1000 customers: 369 lost at
        renewal 1, 163 at 2, 86, 56, 37, 27, 21 at 7, 241 active after 7),
        tiled COPIES times; (periods, churned)
  bgbb  the donations of Fader, Hardie & Shang (2010) (22 patterns, 11,104
        donors, 6 opportunities), tiled COPIES times; (x, t_x, n)
and fits the model by maximum likelihood: the summed log-likelihood
vectorised over the rows (CLV.md sections 2.4 and 2.5), parameters in log
space, scipy.optimize.minimize(method="L-BFGS-B") from log-params = 0 with
scipy's finite-difference gradient.  Only the fit is timed; prints one line:

    <ms> <params...> <loglik>
"""
import sys
import time

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, logsumexp

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
DONATIONS = [(0, 0, 6, 3464), (1, 1, 6, 1091), (1, 2, 6, 277), (1, 3, 6, 129), (1, 4, 6, 78), (1, 5, 6, 119),
             (1, 6, 6, 129), (2, 2, 6, 613), (2, 3, 6, 255), (2, 4, 6, 155), (2, 5, 6, 173), (2, 6, 6, 234),
             (3, 3, 6, 322), (3, 4, 6, 181), (3, 5, 6, 225), (3, 6, 6, 357), (4, 4, 6, 240), (4, 5, 6, 284),
             (4, 6, 6, 512), (5, 5, 6, 335), (5, 6, 6, 728), (6, 6, 6, 1203)]


def sbg_rows(copies):
    periods, churned = [], []
    for t in range(1, len(REGULAR)):
        periods += [t] * (REGULAR[t - 1] - REGULAR[t])
        churned += [True] * (REGULAR[t - 1] - REGULAR[t])
    periods += [len(REGULAR) - 1] * REGULAR[-1]
    churned += [False] * REGULAR[-1]
    return np.tile(np.array(periods, float), copies), np.tile(np.array(churned), copies)


def sbg_nll(theta, t, churned):
    a, b = np.exp(theta)
    lost = betaln(a + 1, b + t - 1)
    alive = betaln(a, b + t)
    return -(np.where(churned, lost, alive).sum() - t.size * betaln(a, b))


def bgbb_rows(copies):
    x, tx, n = [], [], []
    for fx, ftx, fn, w in DONATIONS:
        x += [fx] * w
        tx += [ftx] * w
        n += [fn] * w
    return tuple(np.tile(np.array(v, float), copies) for v in (x, tx, n))


def bgbb_nll(theta, x, tx, n):
    a, b, g, d = np.exp(theta)
    base = betaln(a, b) + betaln(g, d)
    terms = [betaln(a + x, b + n - x) + betaln(g, d + n) - base]
    for i in range(int((n - tx).max())):
        term = betaln(a + x, b + tx - x + i) + betaln(g + 1, d + tx + i) - base
        terms.append(np.where(i < n - tx, term, -np.inf))
    return -logsumexp(np.vstack(terms), axis=0).sum()


def main():
    model, copies = sys.argv[1], int(sys.argv[2])
    if model == "sbg":
        args, k = sbg_rows(copies), 2
        f = sbg_nll
    else:
        args, k = bgbb_rows(copies), 4
        f = bgbb_nll
    t0 = time.perf_counter()
    res = minimize(f, np.zeros(k), args=args, method="L-BFGS-B")
    ms = (time.perf_counter() - t0) * 1000
    print("%.3f %s %.6f" % (ms, " ".join("%.6f" % v for v in np.exp(res.x)), -res.fun))


if __name__ == "__main__":
    main()
