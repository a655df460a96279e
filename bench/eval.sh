#!/usr/bin/env bash
# Offline evaluation of every recommendation engine on MovieLens 100K with
# the protocol of DESIGN.md §5 (release build). One line per engine:
# P@10 R@10 NDCG@10 MAP@10 coverage, fit and scoring seconds; `als` and
# `rp3beta` run with their defaults (ALS's are the reference's settings),
# followed by reference lines to compare with, then the tuned `auto` line
# (winner, its parameters, validation NDCG@10, test P@10 and NDCG@10, wall).
# Data: $RAPPORT_DATA/ml-100k (default ../shared/data relative to the repo root).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
data="${RAPPORT_DATA:-$root/../shared/data}"
ml="$data/ml-100k"
for f in u.data u.item; do
    [[ -f "$ml/$f" ]] || { echo "missing $ml/$f (set RAPPORT_DATA)" >&2; exit 1; }
done

cd "$root"
cargo build --release --quiet -p rapport-api --bin rapport
rapport="${CARGO_TARGET_DIR:-$root/target}/release/rapport"
bin() { "$rapport" eval "$@"; }
args=(
    --interactions "$ml/u.data" --no-header
    --map customer=0,item=1,occurred_at=3:unix
    --items "$ml/u.item" --map-items item=0,name=1,tag_flags=5-23
    --k 10
)

split_dir="$(mktemp -d)"
trap 'rm -rf "$split_dir"' EXIT
first=1
for engine in popularity item_item user_user ease als rp3beta content; do
    extra=()
    if [[ $first == 1 ]]; then extra=(--dump-split "$split_dir"); fi
    out="$(bin "$engine" "${args[@]}" "${extra[@]}")"
    if [[ $first == 1 ]]; then
        sed -n 1p <<<"$out"
        summary="$(sed -n 3p <<<"$out")"
        first=0
    fi
    sed -n 2p <<<"$out"
done
# The reference's other ItemKNN variant, as a check of the pull mode.
line="$(bin item_item "${args[@]}" --param neighbours=200 --param mode=pull | sed -n 2p)"
echo "$line  (neighbours=200, mode=pull)"
# References of ../shared/BENCHMARKS.md for the engines without an exact match.
printf '%-12s %8s %8s %8s %8s %8s %8s %8s  %s\n' \
    "ref_als" 0.1542 0.1128 0.1772 0.0845 0.3656 0.156 0.086 "(implicit 0.7.3, the settings of als' defaults)" \
    "ref_ease" 0.1697 0.1120 0.1941 0.1024 0.2278 0.310 0.164 "(lambda=500)"
echo "$summary"
echo "dumped split: train.csv $(($(wc -l <"$split_dir/train.csv") - 1)) rows, test.csv $(($(wc -l <"$split_dir/test.csv") - 1)) rows"
# Tuning (DESIGN.md §5): 30 seeded trials shared by every engine the data can
# feed, each scored on a validation split of train; the winner is refitted on
# train and scored once on test. Budget: under 3 minutes, test NDCG@10 >= 0.1960.
tuned="$(bin auto "${args[@]}" --tune --trials 30 | tail -n 1)"
echo "auto (30 trials) ${tuned#tuned: }"
