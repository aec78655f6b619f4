#!/usr/bin/env bash
# Issue 17 part 3's evidence in one command: on the committed Open Bandit Dataset sample
# (data/open-bandit/), for each campaign (men, women) and direction — the Bernoulli Thompson sampling
# policy estimated from the uniform-random logs, and the random policy from the BTS logs — `mtf
# bandit-ope` gives IPS, SNIPS, DM (FQE at gamma 0) and DR with 95 % bootstrap intervals beside the
# target's on-policy click rate in its own logs; OUT/table.md is the table (with whether the truth lies
# in each interval), OUT/<campaign>_<target>.json the raw results.
# Usage: scripts/obd_table.sh [--seed S] [--threads T] OUT   (after scripts/setup.sh; python3 formats)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seed=0
threads=1
while (($#)); do
  case "$1" in
    --seed) seed="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    -*) echo "obd_table.sh: unknown option $1" >&2; exit 2 ;;
    *) out="$1"; shift ;;
  esac
done
[[ -n "${out:-}" ]] || { echo "usage: scripts/obd_table.sh [--seed S] [--threads T] OUT" >&2; exit 2; }
mtf="$here/build/examples/mtf/mtf"
[[ -x "$mtf" ]] || { echo "obd_table.sh: $mtf is missing (run scripts/setup.sh first)" >&2; exit 1; }
data="$here/data/open-bandit"
mapping="$here/examples/configs/obd_mapping.json"
mkdir -p "$out"

for campaign in men women; do
  # target bts from the random logs, target random from the bts logs
  for target in bts random; do
    if [[ $target == bts ]]; then logs=random; else logs=bts; fi
    "$mtf" bandit-ope --logs "$data/$logs/$campaign/$campaign.csv" --mapping "$mapping" --target "$target" \
      --prior "$data/prior_bts.yaml" --campaign "$campaign" --truth-logs "$data/$target/$campaign/$campaign.csv" \
      --seed "$seed" --threads "$threads" --json > "$out/${campaign}_${target}.json"
  done
done

/usr/bin/env python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
def cell(i):
    return f"{100*i['value']:.3f} [{100*i['lo']:.3f}, {100*i['hi']:.3f}]"
def span(r):
    return f"{100*r[0]:.3f}–{100*r[1]:.3f}"
lines = ["Click rates in % per impression; 95 % percentile-bootstrap intervals over rows (2000 resamples; "
         "DM and DR with the reward model, the mean of 5 FQE fits, held fixed). ✓ = the target's on-policy "
         "click rate lies in the interval.", "",
         "| campaign | target ← logs | IPS | SNIPS | DM (FQE, γ = 0) | DR | on-policy truth |",
         "|---|---|---|---|---|---|---|"]
diag = ["", "| campaign | target ← logs | max w | mean w | effective rows | one fit's DM | one fit's DR |",
        "|---|---|---|---|---|---|---|"]
for campaign in ("men", "women"):
    for target in ("bts", "random"):
        j = json.load(open(os.path.join(out, f"{campaign}_{target}.json")))
        logs = "random" if target == "bts" else "bts"
        e = j["estimates"]
        est = [cell(e[k]) + (" ✓" if e[k]["covers_truth"] else " ✗") for k in ("IPS", "SNIPS", "DM", "DR")]
        lines.append(f"| {campaign} | {target} ← {logs} ({int(j['clicks'])} clicks) | " + " | ".join(est) +
                     f" | {cell(j['truth'])} |")
        diag.append(f"| {campaign} | {target} ← {logs} | {j['max_weight']:.1f} | {j['mean_weight']:.3f} | "
                    f"{j['effective_rows']:.0f} | {span(j['dm_range_over_fits'])} | {span(j['dr_range_over_fits'])} |")
text = "\n".join(lines + diag) + "\n"
open(os.path.join(out, "table.md"), "w").write(text)
print(text, end="")
PY
