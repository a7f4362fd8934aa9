#!/usr/bin/python3
"""Reference values of test/bgbb.pg: the BG/BB model (Fader, Hardie & Shang
2010, "Customer-base analysis in a discrete-time noncontractual setting",
Marketing Science 29(6)) in the notation of CLV.md section 2.5, implemented
here from the formulas alone (scipy), on the donations data of the paper
(as redistributed by lifetimes; 22 patterns, 11,104 donors).

Run with Debian's python3: /usr/bin/python3 test/refs/bgbb_ref.py
"""
import math

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, gammaln

DONATIONS = [(0, 0, 6, 3464), (1, 1, 6, 1091), (1, 2, 6, 277), (1, 3, 6, 129), (1, 4, 6, 78), (1, 5, 6, 119),
             (1, 6, 6, 129), (2, 2, 6, 613), (2, 3, 6, 255), (2, 4, 6, 155), (2, 5, 6, 173), (2, 6, 6, 234),
             (3, 3, 6, 322), (3, 4, 6, 181), (3, 5, 6, 225), (3, 6, 6, 357), (4, 4, 6, 240), (4, 5, 6, 284),
             (4, 6, 6, 512), (5, 5, 6, 335), (5, 6, 6, 728), (6, 6, 6, 1203)]


def log_l(p, x, tx, n):
    a, b, g, d = p
    terms = [betaln(a + x, b + n - x) - betaln(a, b) + betaln(g, d + n) - betaln(g, d)]
    for i in range(0, n - tx):
        terms.append(betaln(a + x, b + tx - x + i) - betaln(a, b) + betaln(g + 1, d + tx + i) - betaln(g, d))
    m = max(terms)
    return m + math.log(math.fsum(math.exp(t - m) for t in terms))


def loglik(p):
    return math.fsum(w * log_l(p, x, tx, n) for x, tx, n, w in DONATIONS)


def p_alive(p, x, tx, n, m):
    a, b, g, d = p
    return math.exp(betaln(a + x, b + n - x) - betaln(a, b) + betaln(g, d + n + m) - betaln(g, d)
                    - log_l(p, x, tx, n))


def expected(p, future, x, tx, n):
    a, b, g, d = p
    return (math.exp(betaln(a + x + 1, b + n - x) - betaln(a, b) - log_l(p, x, tx, n))
            * d / (g - 1) * math.exp(gammaln(g + d) - gammaln(1 + d))
            * (math.exp(gammaln(1 + d + n) - gammaln(g + d + n))
               - math.exp(gammaln(1 + d + n + future) - gammaln(g + d + n + future))))


if __name__ == '__main__':
    res = minimize(lambda th: -loglik(np.exp(th)), np.zeros(4), method='Nelder-Mead',
                   options={'xatol': 1e-10, 'fatol': 1e-10, 'maxiter': 40000, 'maxfev': 80000})
    res = minimize(lambda th: -loglik(np.exp(th)), res.x, method='BFGS', options={'gtol': 1e-9})
    p = tuple(np.exp(res.x))
    print('MLE alpha beta gamma delta:', ', '.join('%.6f' % v for v in p), 'log-likelihood %.6f' % loglik(p))
    q = (1.203522, 0.749716, 0.656718, 2.783443)
    print('at', q, 'log-likelihood', repr(loglik(q)))
    for x, tx, n in ((0, 0, 6), (2, 4, 6), (6, 6, 6)):
        print('P(alive at opportunity 7 | %d, %d, %d) =' % (x, tx, n), repr(p_alive(q, x, tx, n, 1)))
    print('sum of weights x E[transactions in the next 5] =',
          repr(math.fsum(w * expected(q, 5, x, tx, n) for x, tx, n, w in DONATIONS)))
    print('E[next 5 | 3, 5, 6] =', repr(expected(q, 5, 3, 5, 6)), 'E[next 1 | 0, 0, 6] =', repr(expected(q, 1, 0, 0, 6)))
    # CLV with Gamma-Gamma spend (6.25, 3.74, 15.44) for a mean donation of 50,
    # 10 opportunities at 10%
    pg, qg, gg = 6.25, 3.74, 15.44
    spend = pg * (gg + 3 * 50) / (pg * 3 + qg - 1)
    prev, total = 0.0, 0.0
    for k in range(1, 11):
        cur = expected(q, k, 3, 5, 6)
        total += spend * (cur - prev) / 1.1 ** k
        prev = cur
    print('CLV (3, 5, 6), mean donation 50, 10 opportunities at 10% =', repr(total))
    print('gamma = 1: E[next 5 | 3, 5, 6] at (1.2, 0.75, 1, 2.8) =', repr(0.5 * (expected((1.2, 0.75, 1 - 1e-6, 2.8), 5, 3, 5, 6) + expected((1.2, 0.75, 1 + 1e-6, 2.8), 5, 3, 5, 6))))
