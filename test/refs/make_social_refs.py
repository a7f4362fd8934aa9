#!/usr/bin/python3
"""Reference results for scrm.influence_value and scrm.churn_impact: an
independent numpy implementation of SOCIAL.md sections 2 and 6.

Run from the repository root with the Debian python (numpy):

    /usr/bin/python3 test/refs/make_social_refs.py

Writes sql/data/ref/social_edges.csv (source,target,weight), social_values.csv
(node,value,p_churn), social_influence.csv (autonomy,hop_continuation,node,
influence_value,retained_share) and social_churn.csv (contagion,half_life,
horizon,node,own_value,contagion_loss,loss_if_churned,value_at_risk).

The graph (random.Random(5)): 300 customers with ids 10 * i + 3, 1,500 edge
rows with strengths in (0, 1] (10% exactly 1), 60 repeated pairs (combined by
noisy-OR) and 12 self-loops (dropped); values lognormal with 10% zero and 5%
negative; p_churn uniform with a few 0 and 1; 20 valued customers have no
edges and 15 graph nodes have no value row (value 0).  The credit walk is
solved exactly, z = (I - M)^-1 V+ (numpy.linalg.solve), not iterated.
"""
import math
import random

import numpy as np

REF = "sql/data/ref/"


def main():
    rnd = random.Random(5)
    ids = [10 * i + 3 for i in range(300)]
    rows = []
    for _ in range(1500):
        u, v = rnd.choice(ids[:280]), rnd.choice(ids[:280])
        if u == v:
            continue
        s = 1.0 if rnd.random() < 0.1 else round(rnd.uniform(0.01, 1.0), 4)
        rows.append((u, v, s))
    for _ in range(60):
        u, v, _s = rnd.choice(rows)
        rows.append((u, v, round(rnd.uniform(0.01, 1.0), 4)))
    for _ in range(12):
        u = rnd.choice(ids[:280])
        rows.append((u, u, round(rnd.uniform(0.01, 1.0), 4)))
    nodes_in_graph = sorted({u for u, v, s in rows} | {v for u, v, s in rows})
    value_ids = [i for i in nodes_in_graph[15:]] + ids[280:]
    values = {}
    for i in value_ids:
        r = rnd.random()
        val = 0.0 if r < 0.1 else (-round(rnd.uniform(1, 50), 2) if r < 0.15
                                   else round(math.exp(rnd.gauss(4, 1)), 2))
        r = rnd.random()
        p = 0.0 if r < 0.03 else (1.0 if r < 0.06 else round(rnd.uniform(0, 0.9), 4))
        values[i] = (val, p)
    with open(REF + "social_edges.csv", "w") as f:
        f.write("source,target,weight\n")
        for u, v, s in rows:
            f.write("%d,%d,%r\n" % (u, v, s))
    with open(REF + "social_values.csv", "w") as f:
        f.write("node,value,p_churn\n")
        for i in value_ids:
            f.write("%d,%r,%r\n" % (i, values[i][0], values[i][1]))

    # noisy-OR merge, self-loops dropped
    idx = {u: k for k, u in enumerate(nodes_in_graph)}
    n = len(nodes_in_graph)
    keep = np.ones((n, n))
    for u, v, s in rows:
        if u != v:
            keep[idx[u], idx[v]] *= (1.0 - s)
    S_uv = 1.0 - keep                      # strength u -> v
    np.fill_diagonal(S_uv, 0.0)
    value = np.array([values.get(u, (0.0, 0.0))[0] for u in nodes_in_graph])
    pch = np.array([values.get(u, (0.0, 0.0))[1] for u in nodes_in_graph])
    vplus = np.maximum(value, 0.0)

    with open(REF + "social_influence.csv", "w") as f:
        f.write("autonomy,hop_continuation,node,influence_value,retained_share\n")
        for s0, beta in ((1.0, 0.5), (0.5, 0.8)):
            S = S_uv.sum(axis=0)               # incoming strength of v
            P = S_uv / (s0 + S)[None, :]
            M = beta * P
            rho = 1.0 - beta * S / (s0 + S)
            z = np.linalg.solve(np.eye(n) - M, vplus)
            c = (M * M.T).sum(axis=1)
            civ = rho * (M @ z) - rho * vplus * c / (1.0 - c)
            assert abs((rho * z).sum() - vplus.sum()) < 1e-9 * vplus.sum()
            for k, u in enumerate(nodes_in_graph):
                f.write("%r,%r,%d,%r,%r\n" % (s0, beta, u, civ[k], rho[k]))
            for u in ids[280:]:
                f.write("%r,%r,%d,%r,%r\n" % (s0, beta, u, 0.0, 1.0))

    with open(REF + "social_churn.csv", "w") as f:
        f.write("contagion,half_life,horizon,node,own_value,contagion_loss,loss_if_churned,value_at_risk\n")
        for theta, h, H in ((0.8, 3.0, 12.0), (1.2, 2.0, 6.0)):
            psi = h * (1 - 2 ** (-H / h)) / (H * math.log(2))
            HR = 1.0 + theta * S_uv * psi
            pnew = 1.0 - (1.0 - pch[None, :]) ** HR
            loss = ((pnew - pch[None, :]) * np.maximum(value, 0.0)[None, :] * (S_uv > 0)).sum(axis=1)
            for k, u in enumerate(nodes_in_graph):
                own = value[k]
                f.write("%r,%r,%r,%d,%r,%r,%r,%r\n" % (theta, h, H, u, own, loss[k], own + loss[k],
                                                       pch[k] * (own + loss[k])))
            for u in ids[280:]:
                own, p = values[u]
                f.write("%r,%r,%r,%d,%r,%r,%r,%r\n" % (theta, h, H, u, own, 0.0, own, p * own))
    print("nodes in graph", n, "edge rows", len(rows))


if __name__ == "__main__":
    main()
