#!/usr/bin/env python3
"""Issue 16's report: OUT/study.md from the runs of scripts/baselines_study.sh (OUT/seed_S/values.json and
fig5_q.tsv). One table per seed (true values with paired 95 % intervals, share of actions on the box's edges,
the critic's final Q), then the paper's qualitative claims (section 4.4.1) checked against the measurements
by the rules printed beside them. Usage: baselines_report.py OUT SEED [SEED ...]"""
import json
import math
import sys

NAMES = {"bcq": "BatchRL-MTF (BCQ)", "td3": "TD3", "uwac_td3": "UWAC+TD3", "cql_sac": "CQL+SAC", "bc": "behaviour cloning"}


def pct(c):
    return f"{100 * c['relative']:+.2f} % [{100 * c['ci95'][0]:+.2f}, {100 * c['ci95'][1]:+.2f}]"


def q_curve(path, name):
    """(iterations, means) of one learner's Q1 mean from fig5_q.tsv."""
    with open(path) as f:
        header = f.readline().lstrip("# ").rstrip("\n").split("\t")
        if f"{name}:q1_mean" not in header:
            return [], []
        col = header.index(f"{name}:q1_mean")
        its, qs = [], []
        for line in f:
            cells = line.rstrip("\n").split("\t")
            if cells[col] != "NaN":
                its.append(int(cells[0]))
                qs.append(float(cells[col]))
        return its, qs


def main():
    out, seeds = sys.argv[1], sys.argv[2:]
    md = ["# Offline baselines on the simulator (issue 16)", "",
          f"Command: `scripts/baselines_study.sh {out}` (config: `{out}/config.json`). Each seed simulates its own "
          "mixed-exploration logs; every learner trains on the same logs; true values come from the same simulator "
          "starts and seeds for every policy (common random numbers), so the intervals are paired.", ""]
    claims = {}
    for seed in seeds:
        v = json.load(open(f"{out}/seed_{seed}/values.json"))
        md += [f"## Seed {seed}", "",
               "| policy | true value (95 % CI) | vs behaviour | vs BCQ | vs best global α | actions at the box edge "
               "(abs ≥ 0.95) | Q1 at the end (mid-run) | Q1 / true value | train s |",
               "|---|---|---|---|---|---|---|---|---|",
               f"| behaviour (logged) | {v['behaviour']['mean']:.4f} ± {v['behaviour']['ci95']:.4f} | — | | | "
               f"{100 * v['logged_edge_share']:.1f} % | | | |",
               f"| best global α | {v['best_global_alpha']['mean']:.4f} ± {v['best_global_alpha']['ci95']:.4f} | | | — | | | | |"]
        stats = {}
        for name, j in v["learners"].items():
            its, qs = q_curve(f"{out}/seed_{seed}/fig5_q.tsv", name)
            q_end = qs[-1] if qs else float("nan")
            q_mid = qs[len(qs) // 2] if qs else float("nan")
            if "true_value" not in j:
                md.append(f"| {NAMES.get(name, name)} | diverged: {j.get('error', '')} | | | | | {q_end:.3g} | | |")
                stats[name] = dict(q_end=q_end, q_mid=q_mid, edge=float("nan"), value=float("nan"), diverged=True)
                continue
            tv = j["true_value"]["mean"]
            stats[name] = dict(q_end=q_end, q_mid=q_mid, edge=j["edge_share"], value=tv, diverged=False,
                               vs_bcq_low=j["vs_bcq"]["ci95"][0] if "vs_bcq" in j else 0.0)
            md.append(f"| {NAMES.get(name, name)} | {tv:.4f} ± {j['true_value']['ci95']:.4f} | {pct(j['vs_behaviour'])} | "
                      f"{pct(j['vs_bcq']) if 'vs_bcq' in j else '—'} | {pct(j['vs_best_global_alpha'])} | "
                      f"{100 * j['edge_share']:.1f} % | {q_end:.3g} ({q_mid:.3g}) | {q_end / tv:.2f} | {j['seconds']:.0f} |")
        md += ["", f"Figures: `fig5_seed_{seed}.png` (Q during training), `fig6_seed_{seed}.png` (actions).", ""]
        claims[seed] = (stats, v["logged_edge_share"])

    # The paper's claims, each by an explicit rule on the numbers above.
    def rule_rows(check):
        cells = []
        for seed in seeds:
            stats, logged_edge = claims[seed]
            try:
                ok, why = check(stats, logged_edge)
            except KeyError as e:
                ok, why = None, f"no {e} in this run"
            cells.append(f"seed {seed}: {'yes' if ok else ('n/a' if ok is None else 'no')} ({why})")
        return "; ".join(cells)

    def td3_q_diverges(s, _):
        t, b = s["td3"], s["bcq"]
        growth = t["q_end"] / t["q_mid"]
        return (t["diverged"] or (growth > 1.25 and t["q_end"] > 2 * b["q_end"]),
                f"TD3 Q {t['q_end']:.3g}, ×{growth:.2f} over the second half; BCQ {b['q_end']:.3g}")

    def td3_edges(s, logged):
        e = s["td3"]["edge"]
        return (e > 0.25 and e > 2 * logged, f"{100 * e:.1f} % of TD3's action entries at the edge, logged {100 * logged:.1f} %")

    def uwac_between(s, logged):
        u, t, b = s["uwac_td3"], s["td3"], s["bcq"]
        reduces = u["q_end"] < t["q_end"] and u["edge"] <= t["edge"]
        remains = u["q_end"] > 1.25 * b["q_end"] or u["edge"] > 2 * logged
        return (reduces and remains, f"Q {u['q_end']:.3g} vs TD3 {t['q_end']:.3g} and BCQ {b['q_end']:.3g}; "
                                     f"edge {100 * u['edge']:.1f} % vs TD3 {100 * t['edge']:.1f} %")

    def stable(name):
        def check(s, _):
            x = s[name]
            growth = x["q_end"] / x["q_mid"]
            return (not x["diverged"] and abs(growth - 1) < 0.25, f"Q ×{growth:.2f} over the second half")
        return check

    def bcq_best(s, _):
        order = sorted((k for k in s if not s[k]["diverged"]), key=lambda k: -s[k]["value"])
        above = [k for k in order if k != "bcq" and s[k]["vs_bcq_low"] > 0]  # significantly above BCQ
        text = "true-value order: " + " > ".join(NAMES.get(k, k) for k in order)
        if order[0] == "bcq":
            return True, text
        if not above:
            return True, text + f"; none significantly above BCQ (paired 95 % CI of the difference includes 0)"
        return False, text + "; significantly above BCQ: " + ", ".join(NAMES.get(k, k) for k in above)

    md += ["## The paper's claims, checked", "",
           "| claim (paper 4.4.1) | rule | result per seed |", "|---|---|---|",
           f"| TD3's Q estimates blow up | TD3 diverged, or its final Q1 grew > 25 % over the second half of training and is > 2× BCQ's | {rule_rows(td3_q_diverges)} |",
           f"| TD3's actions sit on the box's edges | > 25 % of its action entries have abs ≥ 0.95, and > 2× the logged share | {rule_rows(td3_edges)} |",
           f"| UWAC+TD3 reduces but does not remove the extrapolation error | UWAC's final Q and edge share ≤ TD3's, and (its Q > 1.25× BCQ's or its edge share > 2× the logged) | {rule_rows(uwac_between)} |",
           f"| CQL+SAC is stable | final Q1 within 25 % of its mid-run value | {rule_rows(stable('cql_sac'))} |",
           f"| BCQ is stable | final Q1 within 25 % of its mid-run value | {rule_rows(stable('bcq'))} |",
           f"| BatchRL-MTF has the highest true value of the learners | highest by true value, or no learner significantly above it (paired) | {rule_rows(bcq_best)} |", ""]
    with open(f"{out}/study.md", "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
