#!/usr/bin/python3
"""Reference values of test/sbg.pg: the shifted beta-geometric model.

Run with Debian's python3 (scipy): /usr/bin/python3 test/refs/sbg_ref.py

- The MLE of the two cohorts of Fader & Hardie (2007), "How to project
  customer retention" (customers alive at years 0..7 of 1000), by
  Nelder-Mead on the likelihood of the paper (its eq. for P(T = t) and
  S(t)); the paper prints alpha, beta = 0.704, 1.182 (regular) and 0.668,
  3.806 (high end).
- Survival S(t) = B(a, b + t) / B(a, b) at the MLE rounded to 6 decimals.
- The discounted expected residual lifetime (Fader & Hardie 2010) by
  direct summation of sum_{t >= n} S(t) / S(n - 1) / (1 + d)^(t - n) over
  20000 terms, independent of the closed form the extension uses.
"""
import math

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln

COHORTS = {
    'regular': [1000, 631, 468, 382, 326, 289, 262, 241],
    'highend': [1000, 869, 743, 653, 593, 551, 517, 491],
}


def fit(alive):
    alive = np.array(alive, float)
    lost = alive[:-1] - alive[1:]
    n = len(alive) - 1

    def nll(theta):
        a, b = np.exp(theta)
        ll = sum(lost[t - 1] * (betaln(a + 1, b + t - 1) - betaln(a, b)) for t in range(1, n + 1))
        ll += alive[-1] * (betaln(a, b + n) - betaln(a, b))
        return -ll

    r = minimize(nll, [0.0, 0.0], method='Nelder-Mead',
                 options={'xatol': 1e-12, 'fatol': 1e-12, 'maxiter': 20000})
    a, b = np.exp(r.x)
    return a, b, -r.fun


def survival(a, b, t):
    return math.exp(betaln(a, b + t) - betaln(a, b))


def derl(a, b, d, renewals):
    n = renewals + 1
    return math.fsum(math.exp(betaln(a, b + t) - betaln(a, b + n - 1) - (t - n) * math.log1p(d))
                     for t in range(n, n + 20000))


if __name__ == '__main__':
    for name, alive in COHORTS.items():
        a, b, ll = fit(alive)
        print('%s MLE alpha %.6f beta %.6f log-likelihood %.6f' % (name, a, b, ll))
    for a, b in ((0.704077, 1.182043), (0.668088, 3.806096)):
        print('S(0..12) at (%g, %g):' % (a, b), ', '.join(repr(survival(a, b, t)) for t in range(13)))
        for d in (0.1, 0.01):
            print('DERL d = %g, renewals 0, 1, 4, 7:' % d,
                  ', '.join(repr(derl(a, b, d, r)) for r in (0, 1, 4, 7)))
    for a, b, d, r in ((1, 2, 0.01, 3), (3, 0.5, 0.001, 0), (0.2, 50, 0.05, 100)):
        print('DERL at (%g, %g), d = %g, renewals %d:' % (a, b, d, r), repr(derl(a, b, d, r)))
