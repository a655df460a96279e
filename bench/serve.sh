#!/usr/bin/env bash
# Serving benchmark (DESIGN.md §7): imports MovieLens 100K (and the Telco
# customers, for the scorer) into a fresh SQLite file with the release binary,
# trains and activates every engine, starts the service, and drives
# GET /customers/{id}/recommendations?k=10 for random customers with wrk at 64
# connections: with exposure recording off, on, and on with two
# merchandising rules in force and one request filter; in the same run nginx
# serves a static copy of one response (the HTTP ceiling of the machine).
# Prints import and training times, requests/s, p50/p99 latency and errors
# of each load with its ratio to nginx, the server's peak RSS, then times
# three 10,000-row POST /interactions/batch (budget: under 2 s each).
#
# Needs wrk and nginx (Debian: apt-get install wrk nginx-light) and python3. Data: $RAPPORT_DATA
# (default ../shared/data relative to the repository root).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${RAPPORT_DATA:-../shared/data}
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-64}
PORT=${PORT:-18090}
ENGINE=${ENGINE:-item_item}
source bench/lib.sh
setup bench
DB="sqlite://$WORK/bench.db"

echo "== import (release, SQLite)"
"$BIN" import all "$DATA/ml-100k" --preset movielens-100k --database-url "$DB"
"$BIN" import customers "$DATA/telco-churn/WA_Fn-UseC_-Telco-Customer-Churn.csv" --preset telco-churn --database-url "$DB"

echo "== train and activate (wall seconds, including evaluation on the held-out split and the final fit)"
for engine in popularity item_item user_user ease content logistic; do
  start=$(now)
  "$BIN" train "$engine" --activate --database-url "$DB" > "$WORK/train-$engine.json" 2>/dev/null
  end=$(now)
  python3 - "$engine" "$(secs "$start" "$end")" "$WORK/train-$engine.json" <<'PY'
import json, sys
engine, wall, path = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(path).read()
metrics = json.loads(text[text.index("{"):])
if "metrics" in metrics:
    m = metrics["metrics"]
    print(f"{engine:<11} wall {wall:>6} s  fit {metrics['fit_secs']:.3f} s  P@10 {m['precision']:.4f}  NDCG@10 {m['ndcg']:.4f}  coverage {m['coverage']:.4f}")
else:
    print(f"{engine:<11} wall {wall:>6} s  fit {metrics['fit_seconds']:.3f} s  AUC {metrics['roc_auc']:.4f}  log loss {metrics['log_loss']:.4f}  ({metrics['train_rows']} train rows)")
PY
done

trap 'kill $SERVER 2>/dev/null || true' EXIT
echo "== serve, exposure recording off (RAPPORT_EXPOSURE_SAMPLE=0)"
serve "$DB" 0 "$ENGINE"
echo "idle RSS $(rss_mib "$SERVER" VmRSS) MiB"

login
python3 - "$PORT" "$TOKEN" "$WORK/ids.lua" <<'PY'
import json, sys, urllib.request
port, token, out = sys.argv[1], sys.argv[2], sys.argv[3]
ids, cursor = [], None
while True:
    url = f"http://127.0.0.1:{port}/api/v1/customers?limit=500" + (f"&cursor={cursor}" if cursor else "")
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    page = json.load(urllib.request.urlopen(req))
    ids += [c["id"] for c in page["data"] if (c["external_id"] or "").isdigit()]
    cursor = page["next_cursor"]
    if not cursor:
        break
with open(out, "w") as f:
    f.write("ids = {" + ",".join(f'"{i}"' for i in ids) + "}\n")
print(f"{len(ids)} MovieLens customers to query")
PY
load unrecorded "k=10"
ceiling "k=10"
echo "== serve, exposure recording on (every list)"
serve "$DB" 1 "$ENGINE"
load plain "k=10"
PEAK_MIB=$(rss_mib "$SERVER" VmHWM)
echo "exposures written: $(curl -sf "http://127.0.0.1:$PORT/metrics" | awk '/^rapport_exposures_written_total/ {print $2}'), dropped: $(curl -sf "http://127.0.0.1:$PORT/metrics" | awk '/^rapport_exposures_dropped_total/ {print $2}')"

echo "== two merchandising rules (boost tag drama x2, bury tag horror x10) and one filter (exclude_tags=documentary)"
for rule in '{"name":"Drama week","action":"boost","tag":"drama","factor":2}' \
            '{"name":"Less horror","action":"bury","tag":"horror","factor":10}'; do
  curl -sf -o /dev/null -w "rule: status %{http_code}\n" -H "Authorization: Bearer $TOKEN" \
    -H 'content-type: application/json' -d "$rule" "http://127.0.0.1:$PORT/api/v1/recommendation-rules"
done
load merchandised "k=10&exclude_tags=documentary"

echo "== POST /interactions/batch with 10,000 rows (by external id and SKU), three times"
python3 - "$WORK" <<'PY'
import json, random, sys
random.seed(7)
for n in (1, 2, 3):
    rows = [{"customer_external_id": str(random.randint(1, 943)), "item_sku": str(random.randint(1, 1682)),
             "kind": "view", "occurred_at": f"2026-11-0{n}T12:00:00Z"} for _ in range(10_000)]
    json.dump({"interactions": rows}, open(f"{sys.argv[1]}/batch-{n}.json", "w"))
PY
for n in 1 2 3; do
  curl -s -o "$WORK/batch-response.json" -w "status %{http_code}  %{time_total} s\n" \
    -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \
    --data-binary "@$WORK/batch-$n.json" "http://127.0.0.1:$PORT/api/v1/interactions/batch"
done

echo "== summary (budget: >= 3000 req/s, p99 < 20 ms, 0 errors, RSS < 300 MiB; recording keeps >= 90 %;"
echo "   item_item at MovieLens size >= 35,000 req/s, p99 < 5 ms, ratio to nginx >= 0.45)"
summarise unrecorded plain merchandised
python3 -c "import re; r = lambda n: float(re.search(r'Requests/sec:\s+([\d.]+)', open('$WORK/wrk-' + n + '.txt').read()).group(1)); print(f'recording on / off: {r(\"plain\") / r(\"unrecorded\"):.3f}')"
echo "peak RSS after the plain load $PEAK_MIB MiB"
