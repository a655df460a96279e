#!/usr/bin/env bash
# item_item on a synthetic catalogue of 100,000 items and 1,000,000
# interactions (50,000 customers, power-law popularity), generated in memory
# by engines/registry/examples/synthetic.rs: prints fit time and peak RSS.
# Budget: fit under 60 s and under 2 GiB RSS. Arguments: [ITEMS CUSTOMERS INTERACTIONS].
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cargo build --release --quiet -p rapport-engines --example synthetic
bin="${CARGO_TARGET_DIR:-$root/target}/release/examples/synthetic"
if [[ -x /usr/bin/time ]]; then
    /usr/bin/time -f "wall %e s, max RSS %M KiB (/usr/bin/time)" "$bin" "$@"
else
    "$bin" "$@"
fi
