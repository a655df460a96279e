#!/usr/bin/env bash
# Customer analytics benchmark (release build), next to the references of
# ../shared/BENCHMARKS.md and the budgets of issue 15:
#  1. segments on Telco (tenure, MonthlyCharges, TotalCharges; blanks as 0;
#     standardised; 10 k-means++ restarts) for k = 2..8: inertia, silhouette
#     and sizes per k, with the reference's inertia at k = 4;
#  2. baskets on MovieLens 100K (basket = the items a user rated) at min
#     support 0.30 and 0.25, confidence 0.8: itemsets by size and rule counts;
#  3. scale: k-means of 100,000 customers x 10 features at k = 8 (budget 2 s)
#     and FP-growth of 1,000,000 interactions in 100,000 baskets at min
#     support 0.005 (budget 5 s and 1 GiB), on seeded synthetic files;
#  4. RFM segments of a seeded synthetic retail log (recency, frequency and
#     spend), to show the --rfm path end to end.
# Data: $RAPPORT_DATA (default ../shared/data relative to the repository root).
# Exits non-zero when a count differs from the reference or a budget is missed.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
data="${RAPPORT_DATA:-$root/../shared/data}"
telco="$data/telco-churn/WA_Fn-UseC_-Telco-Customer-Churn.csv"
ml="$data/ml-100k/u.data"
for f in "$telco" "$ml"; do
    [[ -f "$f" ]] || { echo "missing $f (set RAPPORT_DATA)" >&2; exit 1; }
done

cd "$root"
cargo build --release --quiet -p rapport-api --bin rapport
rapport="${CARGO_TARGET_DIR:-$root/target}/release/rapport"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=0
miss() { echo "MISSED: $*"; failed=1; }
# Wall seconds and peak RSS (MiB) of a command, its output kept in $work/out.
measure() {
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" > "$work/out"
    read -r wall rss_kib < "$work/time"
    rss_mib=$((rss_kib / 1024))
}
json() { python3 -c "import json,sys; d=json.load(open('$work/out')); print($1)"; }

echo "== segments on Telco (k-means++, n_init=10), reference: sklearn 1.9.1 =="
"$rapport" eval segments --customers "$telco" \
    --features tenure,MonthlyCharges,TotalCharges --k-range 2..8 --param n_init=10
measure "$rapport" eval segments --customers "$telco" \
    --features tenure,MonthlyCharges,TotalCharges --k 4 --param n_init=10 --json
inertia="$(json "d['per_k'][0]['inertia']")"
silhouette="$(json "d['per_k'][0]['silhouette']")"
echo "k=4: inertia $inertia (best known 4148.4745, sklearn 4148.4825), silhouette $silhouette (ref 0.4722)"
python3 -c "import sys; sys.exit(0 if $inertia <= 4148.4745 * 1.001 else 1)" \
    || miss "inertia $inertia is more than 0.1 % above 4148.4745"
python3 -c "import sys; sys.exit(0 if abs($silhouette - 0.4722) <= 0.005 else 1)" \
    || miss "silhouette $silhouette is not 0.4722 +- 0.005"

echo
echo "== baskets on MovieLens 100K (basket = a user's rated items), confidence >= 0.8 =="
for case in "0.30 47/62/16/1 126 75" "0.25 81/208/126/29/3 447 535"; do
    read -r support ref_sizes ref_all ref_rules <<<"$case"
    measure "$rapport" eval baskets --interactions "$ml" --no-header --map basket=0,item=1 \
        --min-support "$support" --min-confidence 0.8 --max-len 10 --top 1 --json
    sizes="$(json "'/'.join(map(str, d['itemsets_by_size']))")"
    all="$(json "d['itemsets']")"
    rules="$(json "d['rules']")"
    top="$(json "'{%s} -> {%s} confidence %.4f lift %.4f' % (', '.join(d['top_rules'][0]['antecedent']), ', '.join(d['top_rules'][0]['consequent']), d['top_rules'][0]['confidence'], d['top_rules'][0]['lift'])")"
    echo "min support $support: itemsets $sizes (all $all), rules $rules, top $top, wall $wall s"
    echo "  reference:        itemsets $ref_sizes (all $ref_all), rules $ref_rules"
    [[ "$sizes $all $rules" == "$ref_sizes $ref_all $ref_rules" ]] || miss "basket counts at $support"
done

echo
echo "== scale (seeded synthetic files) =="
python3 - "$work" <<'PY'
import math, random, sys
work = sys.argv[1]
rng = random.Random(15)
# 100,000 customers x 10 features drawn around 8 centres.
centres = [[rng.uniform(-5, 5) for _ in range(10)] for _ in range(8)]
with open(f"{work}/points.csv", "w") as f:
    f.write(",".join(f"x{j}" for j in range(10)) + "\n")
    for _ in range(100_000):
        c = centres[rng.randrange(8)]
        f.write(",".join(f"{v + rng.gauss(0, 1.5):.5f}" for v in c) + "\n")
# 1,000,000 interactions in 100,000 baskets of 10 items from 5,000 items with
# power-law popularity, and item pairs that tend to be bought together.
weights = [1.0 / (i + 1) ** 0.9 for i in range(5_000)]
cum, total = [], 0.0
for w in weights:
    total += w
    cum.append(total)
import bisect
def draw():
    return bisect.bisect_left(cum, rng.random() * total)
with open(f"{work}/baskets.csv", "w") as f:
    f.write("basket,item\n")
    for b in range(100_000):
        items = set()
        while len(items) < 10:
            i = draw()
            items.add(i)
            if len(items) < 10 and rng.random() < 0.3:
                items.add((i + 1) % 5_000)
        for i in items:
            f.write(f"o{b},i{i}\n")
# A retail log: 5,000 customers, purchases at customer-specific rates and spends.
with open(f"{work}/retail.csv", "w") as f:
    f.write("customer,occurred_at,value,order\n")
    end = 1_735_689_600  # 2025-01-01
    order = 0
    for c in range(5_000):
        rate = math.exp(rng.gauss(0, 1))          # orders per 90 days
        spend = math.exp(rng.gauss(3.5, 0.8))     # mean order value
        start = end - int(rng.uniform(30, 730) * 86_400)
        t = start
        while True:
            t += int(rng.expovariate(rate / (90 * 86_400)))
            if t >= end:
                break
            order += 1
            for _ in range(rng.randint(1, 4)):
                f.write(f"c{c},{t},{spend * rng.uniform(0.2, 0.6):.2f},o{order}\n")
PY
measure "$rapport" eval segments --customers "$work/points.csv" \
    --features x0,x1,x2,x3,x4,x5,x6,x7,x8,x9 --k 8 --param n_init=10 --json
fit="$(json "d['per_k'][0]['fit_seconds']")"
echo "k-means 100,000 x 10, k = 8, 10 restarts: fit $fit s (budget 2 s), inertia $(json "round(d['per_k'][0]['inertia'], 2)"), iterations $(json "d['per_k'][0]['iterations']"), wall $wall s with CSV reading, peak RSS $rss_mib MiB"
python3 -c "import sys; sys.exit(0 if $fit < 2 else 1)" || miss "k-means fit $fit s >= 2 s"
measure "$rapport" eval baskets --interactions "$work/baskets.csv" --map basket=basket,item=item \
    --min-support 0.005 --min-confidence 0.3 --max-len 10 --top 3 --json
fit="$(json "d['fit_seconds']")"
echo "FP-growth 1,000,000 interactions, $(json "d['baskets']") baskets, min support 0.005: itemsets $(json "'/'.join(map(str, d['itemsets_by_size']))"), rules $(json "d['rules']"), fit $fit s (budget 5 s), wall $wall s with CSV reading, peak RSS $rss_mib MiB (budget 1024)"
python3 -c "import sys; sys.exit(0 if $fit < 5 else 1)" || miss "FP-growth fit $fit s >= 5 s"
((rss_mib < 1024)) || miss "FP-growth peak RSS $rss_mib MiB >= 1024"

echo
echo "== RFM segments of a synthetic retail log (5,000 customers) =="
"$rapport" eval segments --interactions "$work/retail.csv" --rfm \
    --map customer=customer,occurred_at=occurred_at:unix,value=value,basket=order --k-range 2..6

exit "$failed"
