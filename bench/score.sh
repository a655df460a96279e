#!/usr/bin/env bash
# Scoring benchmark: every scorer (`logistic`, `gbdt`, `tree`) on IBM Telco
# churn with the scorer protocol of DESIGN.md §5 (row i % 5 == 4 is test),
# next to the reference of shared/BENCHMARKS.md, with Brier score, ECE and
# the calibration kept. Fit time is the median of
# three runs. Data: $RAPPORT_DATA (default ../shared/data relative to the
# repository root). Exits non-zero when a target is missed.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
data="${RAPPORT_DATA:-$root/../shared/data}"
csv="$data/telco-churn/WA_Fn-UseC_-Telco-Customer-Churn.csv"
if [[ ! -f "$csv" ]]; then
    echo "score.sh: $csv not found (set RAPPORT_DATA)" >&2
    exit 2
fi

cd "$root"
cargo build --release -q -p rapport-api --bin rapport
rapport="${CARGO_TARGET_DIR:-$root/target}/release/rapport"

field() { awk -v key="$1" 'index($0, key) == 1 { print $NF; exit }' <<<"$2"; }
status=0
row() { # name ours reference target-text [awk-condition]
    local ok=-
    if [[ -n "${5:-}" ]]; then
        ok=ok
        if ! awk -v x="$2" "BEGIN { exit !($5) }"; then ok=MISS; status=1; fi
    fi
    printf '%-14s %8s %10s  %-18s %s\n' "$1" "$2" "$3" "$4" "$ok"
}

# scorer: runs it three times, prints its table against a reference.
# Arguments: engine, reference name, ref AUC, ref accuracy, ref log loss,
# ref fit s, AUC floor, log-loss ceiling (empty: reported only).
scorer() {
    local engine="$1" reference="$2" ref_auc="$3" ref_acc="$4" ref_loss="$5" ref_fit="$6"
    local auc_floor="$7" loss_ceiling="$8" runs=() run
    for _ in 1 2 3; do
        runs+=("$("$rapport" eval "$engine" --customers "$csv" --label Churn=Yes --drop customerID)")
    done
    local auc acc loss objective fit
    auc="$(field "ROC AUC" "${runs[0]}")"
    acc="$(field "accuracy@0.5" "${runs[0]}")"
    loss="$(field "log loss" "${runs[0]}")"
    objective="$(field "objective" "${runs[0]}")"
    fit="$(for run in "${runs[@]}"; do field "fit seconds" "$run"; done | sort -g | sed -n 2p)"
    echo
    echo "${runs[0]}" | sed -n '1,2p'
    printf 'reference: %s\n' "$reference"
    printf '%-14s %8s %10s  %-18s %s\n' metric rapport reference target result
    if [[ -n "$auc_floor" ]]; then
        row "ROC AUC" "$auc" "$ref_auc" ">= $auc_floor" "x >= $auc_floor"
    else
        row "ROC AUC" "$auc" "$ref_auc" "(reported)"
    fi
    row "accuracy@0.5" "$acc" "$ref_acc" "(reported)"
    if [[ -n "$loss_ceiling" ]]; then
        row "log loss" "$loss" "$ref_loss" "<= $loss_ceiling" "x <= $loss_ceiling"
    else
        row "log loss" "$loss" "$ref_loss" "(reported)"
    fi
    row "Brier" "$(field "Brier" "${runs[0]}")" - "(reported)"
    row "ECE" "$(field "ECE" "${runs[0]}")" - "(reported)"
    row "fit seconds" "$fit" "$ref_fit" "< 2" "x < 2"
    row "score ms/row" "$(field "score ms/row" "${runs[0]}")" - "< 1" "x < 1"
    row "objective" "$objective" "${9:--}" "(reported)"
    grep '^calibration' <<<"${runs[0]}"
}

# The logistic train objective differs slightly by encoding: blanks imputed
# with the median plus an indicator here, read as 0 by the reference.
scorer logistic "scikit-learn LogisticRegression, standardised + one-hot, C=1" \
    0.8373 0.8054 0.4308 0.068 0.8323 0.4408 2313.03
# gbdt is held to the GradientBoosting reference itself (issue 19).
scorer gbdt "scikit-learn GradientBoosting" 0.8399 0.8089 0.4247 1.066 0.8399 ""
# No single-tree reference: the tree is compared with GradientBoosting, for scale.
scorer tree "scikit-learn GradientBoosting (for scale; no single-tree reference)" \
    0.8399 0.8089 0.4247 1.066 "" ""
# Calibration at work: class weights that skew the probabilities, repaired
# by the calibration chosen on out-of-fold scores of the training rows.
echo
echo "logistic with class_weight=balanced (miscalibrated on purpose):"
"$rapport" eval logistic --customers "$csv" --label Churn=Yes --drop customerID \
    --param class_weight=balanced | grep -E '^(ROC AUC|log loss|Brier|ECE|calibration)'
exit "$status"
