#!/usr/bin/python3
"""numpy/scipy baseline for scrm.bgnbd_fit: BG/NBD maximum-likelihood fit.

usage: scipy_bgnbd.py SUMMARY_CSV [copies] [repeats]
       scipy_bgnbd.py --check SUMMARY_CSV [copies] [repeats]

SUMMARY_CSV has header ID,frequency,recency,T (x, t_x, T in weeks).  The file
is tiled `copies` times (default 100) and the raw rows are fitted, no grouping,
as lifetimes does.  Negative log-likelihood (Fader, Hardie & Lee 2005; see
CLV.md section 2.1), summed over rows, parameters in log space, analytic
gradient, scipy.optimize.minimize(method="L-BFGS-B", jac=True) from
log-params = 0.  Only the fit is timed; the median over `repeats` runs is
printed as one line:

    <median_ms> <r> <alpha> <a> <b> <loglik>

--check additionally compares the analytic gradient with a central
finite-difference gradient (at start-up, before timing) and reports the result
on stderr; it exits 1 if they disagree.
"""
import sys
import time

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, digamma, gammaln


def load(path, copies):
    d = np.loadtxt(path, delimiter=",", skiprows=1, usecols=(1, 2, 3),
                   dtype=np.float64, ndmin=2)
    d = np.tile(d, (copies, 1))
    x = np.ascontiguousarray(d[:, 0])
    tx = np.ascontiguousarray(d[:, 1])
    T = np.ascontiguousarray(d[:, 2])
    return x, tx, T


def make_objective(x, tx, T):
    """Return f(theta) -> (total NLL, gradient wrt theta = log(r, alpha, a, b)).

    All row-wise work goes through preallocated buffers (ufunc out=): with
    fresh temporaries of ~2 MB each, glibc hands out new mmap'd pages on every
    call and page faults dominate the run time (about 4x slower).
    """
    n = x.size
    pos = x > 0
    npos = ~pos
    xm1 = np.where(pos, x - 1.0, 0.0)
    buf = np.empty((12, n))
    rx, bx, abx, bxm1, aT, atx, l_aT, l_atx, A3, A4, t1, t2 = buf
    # b + x - 1 is only needed where x > 0; the x = 0 rows stay 1.0 (they are
    # never written: see where=pos below), which keeps log() finite there.
    bxm1.fill(1.0)

    def f(theta):
        r, alpha, a, b = np.exp(theta)
        np.add(x, r, out=rx)
        np.add(x, b, out=bx)
        np.add(bx, a, out=abx)
        np.add(xm1, b, out=bxm1, where=pos)
        np.add(T, alpha, out=aT)
        np.add(tx, alpha, out=atx)
        np.log(aT, out=l_aT)
        np.log(atx, out=l_atx)
        # A3 = -(r+x) ln(alpha+T)
        np.multiply(rx, l_aT, out=A3)
        np.negative(A3, out=A3)
        # A4 = ln a - ln(b+x-1) - (r+x) ln(alpha+t_x), -inf where x = 0
        np.log(bxm1, out=A4)
        np.subtract(np.log(a), A4, out=A4)
        np.multiply(rx, l_atx, out=t1)
        np.subtract(A4, t1, out=A4)
        np.copyto(A4, -np.inf, where=npos)
        # lse = logaddexp(A3, A4) = max + log1p(exp(-|A3 - A4|))
        np.subtract(A3, A4, out=t1)
        np.abs(t1, out=t1)
        np.negative(t1, out=t1)
        np.exp(t1, out=t1)
        np.log1p(t1, out=t1)
        np.maximum(A3, A4, out=t2)
        np.add(t2, t1, out=t2)                 # t2 = lse
        s_lse = t2.sum()
        # w4 = exp(A4 - lse): posterior weight of the "died at t_x" term
        w4 = A3                                # A3 no longer needed
        np.subtract(A4, t2, out=w4)
        np.exp(w4, out=w4)

        # log-likelihood; ln B(a, b+x) = lnG(a) + lnG(b+x) - lnG(a+b+x)
        ll = (gammaln(rx, out=t1).sum() - n * gammaln(r) + n * r * np.log(alpha)
              + n * gammaln(a) + gammaln(bx, out=t1).sum()
              - gammaln(abx, out=t1).sum() - n * betaln(a, b) + s_lse)

        # d ll / d r: sum psi(r+x) - n psi(r) + n ln alpha
        #             - sum [w3 ln(alpha+T) + w4 ln(alpha+t_x)]
        np.subtract(l_atx, l_aT, out=t1)
        g_r = (digamma(rx, out=t2).sum() - n * digamma(r) + n * np.log(alpha)
               - l_aT.sum() - np.dot(w4, t1))
        # d ll / d alpha: n r / alpha - sum (r+x) [w3/(alpha+T) + w4/(alpha+t_x)]
        np.reciprocal(aT, out=aT)
        np.reciprocal(atx, out=atx)
        np.subtract(atx, aT, out=t1)
        np.multiply(t1, w4, out=t1)
        np.add(t1, aT, out=t1)
        g_alpha = n * r / alpha - np.dot(rx, t1)
        # d ll / d a: n psi(a+b) - sum psi(a+b+x) + sum w4 / a
        psi_ab = digamma(a + b)
        s_psi_abx = digamma(abx, out=t1).sum()
        g_a = n * psi_ab - s_psi_abx + w4.sum() / a
        # d ll / d b: sum psi(b+x) - sum psi(a+b+x) - n psi(b) + n psi(a+b)
        #             - sum w4 / (b+x-1)
        np.divide(w4, bxm1, out=t1)
        g_b = (digamma(bx, out=t2).sum() - s_psi_abx - n * digamma(b) + n * psi_ab
               - t1.sum())

        # chain rule to log space; minimise -ll
        grad = -np.array([g_r * r, g_alpha * alpha, g_a * a, g_b * b])
        return -ll, grad

    return f


def fit(f):
    # ftol is relative to |f|, so it does not depend on `copies`.  Measured on
    # CDNOW: ftol 1e-9 stops 1.3e-4 (relative, worst parameter) from the
    # optimum, 1e-10 at 2.3e-5, 1e-11 at 1.5e-5 (20 iterations), 1e-12 and
    # below at 9e-8 (22 iterations).  1e-11 is the loosest setting with a
    # safe margin below the 1e-4 target.  gtol never binds at this scale.
    return minimize(f, np.zeros(4), jac=True, method="L-BFGS-B",
                    options={"ftol": 1e-11, "gtol": 1e-6, "maxiter": 1000})


def check_gradient(f):
    ok = True
    worst = 0.0
    for theta in (np.zeros(4), np.log([0.2426, 4.4135, 0.7929, 2.4258]),
                  np.array([0.3, -0.5, 0.7, -0.2])):
        val, g = f(theta)
        fd = np.empty(4)
        for i in range(4):
            h = 1e-5 * max(1.0, abs(theta[i]))
            tp = theta.copy()
            tm = theta.copy()
            tp[i] += h
            tm[i] -= h
            fd[i] = (f(tp)[0] - f(tm)[0]) / (2 * h)
        scale = max(np.abs(g).max(), np.abs(fd).max(), 1.0)
        err = np.abs(g - fd).max() / scale
        # central differences of a sum of ~1e6 magnitude carry a rounding
        # error of about eps*|f|/h in absolute terms; allow 10x that.
        noise = 10.0 * np.finfo(float).eps * abs(val) / 1e-5
        bad = np.abs(g - fd).max() > 1e-6 * scale + noise
        worst = max(worst, err)
        print("gradcheck theta=%s analytic=%s fd=%s max_rel_err=%.3e "
              "(fd noise %.1e) %s"
              % (np.array2string(theta, precision=4),
                 np.array2string(g, precision=6),
                 np.array2string(fd, precision=6), err, noise / scale,
                 "bad" if bad else "ok"), file=sys.stderr)
        if not np.isfinite(err) or bad:
            ok = False
    print("gradcheck %s (worst max_rel_err %.3e)" % ("OK" if ok else "FAILED", worst),
          file=sys.stderr)
    return ok


def main(argv):
    check = False
    args = list(argv[1:])
    if args and args[0] == "--check":
        check = True
        args = args[1:]
    if not 1 <= len(args) <= 3:
        print(__doc__, file=sys.stderr)
        return 2
    path = args[0]
    copies = int(args[1]) if len(args) > 1 else 100
    repeats = int(args[2]) if len(args) > 2 else 3
    if copies < 1 or repeats < 1:
        print("copies and repeats must be >= 1", file=sys.stderr)
        return 2

    try:
        x, tx, T = load(path, copies)
    except (OSError, ValueError) as e:
        print("cannot read %s: %s" % (path, e), file=sys.stderr)
        return 1
    f = make_objective(x, tx, T)
    if check and not check_gradient(f):
        return 1

    times = []
    res = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        res = fit(f)
        times.append((time.perf_counter() - t0) * 1000.0)
    if not np.all(np.isfinite(res.x)):
        print("fit failed: %s" % res.message, file=sys.stderr)
        return 1
    if check:
        print("fit: nit=%d nfev=%d success=%s message=%s"
              % (res.nit, res.nfev, res.success, res.message), file=sys.stderr)
    r, alpha, a, b = np.exp(res.x)
    print("%.3f %.7f %.7f %.7f %.7f %.4f"
          % (float(np.median(times)), r, alpha, a, b, -res.fun))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
