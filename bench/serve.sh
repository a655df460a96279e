#!/usr/bin/env bash
# Serving benchmark (DESIGN.md §7): imports MovieLens 100K (and the Telco
# customers, for the scorer) into a fresh SQLite file with the release binary,
# trains and activates every engine, starts the service, and drives
# GET /customers/{id}/recommendations?k=10 for random customers with wrk at 64
# connections: with exposure recording off, on, and on with two
# merchandising rules in force and one request filter. Prints import and training times, requests/s, p50/p99
# latency and errors of both loads, the server's peak RSS, then times three 10,000-row
# POST /interactions/batch (budget: under 2 s each).
#
# Needs wrk (Debian: apt-get install wrk) and python3. Data: $RAPPORT_DATA
# (default ../shared/data relative to the repository root).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${RAPPORT_DATA:-../shared/data}
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-64}
PORT=${PORT:-18090}
ENGINE=${ENGINE:-item_item}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }

cargo build --release -q -p rapport-api
BIN=$PWD/target/release/rapport
WORK=$(mktemp -d /tmp/rapport-bench.XXXXXX)
DB="sqlite://$WORK/bench.db"
PASSWORD="bench password 123"
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.2f}')"; }

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

# serve SAMPLE: (re)starts the service recording that share of the lists as exposures.
SERVER=
serve() {
  if [[ -n $SERVER ]]; then kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; fi
  RAPPORT_EXPOSURE_SAMPLE=$1 "$BIN" serve --database-url "$DB" --bind "127.0.0.1:$PORT" \
    --admin-email bench@example.com --admin-password "$PASSWORD" --log warn \
    --default-engine "$ENGINE" > "$WORK/serve.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break
    sleep 0.2
  done
}
trap 'kill $SERVER 2>/dev/null || true' EXIT
echo "== serve, exposure recording off (RAPPORT_EXPOSURE_SAMPLE=0)"
serve 0
echo "idle RSS $(awk '/VmRSS/ {print $2/1024 " MiB"}' /proc/$SERVER/status)"

TOKEN=$(curl -sf "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'content-type: application/json' \
  -d "{\"email\":\"bench@example.com\",\"password\":\"$PASSWORD\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
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
# load NAME QUERY: wrk on random customers' lists with QUERY, into $WORK/wrk-NAME.txt.
load() {
  cp "$WORK/ids.lua" "$WORK/$1.lua"
  cat >> "$WORK/$1.lua" <<LUA
math.randomseed(42)
wrk.headers["Authorization"] = "Bearer $TOKEN"
request = function()
  return wrk.format("GET", "/api/v1/customers/" .. ids[math.random(#ids)] .. "/recommendations?$2")
end
LUA
  echo "== load ($1): GET /customers/{id}/recommendations?$2 ($ENGINE), $CONNECTIONS connections, $DURATION"
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s "$WORK/$1.lua" "http://127.0.0.1:$PORT" | tee "$WORK/wrk-$1.txt"
}
load unrecorded "k=10"
echo "== serve, exposure recording on (every list)"
serve 1
load plain "k=10"
PEAK_KIB=$(awk '/VmHWM/ {print $2}' /proc/$SERVER/status)
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

python3 - "$WORK" "$PEAK_KIB" <<'PY'
import re, sys
work, peak_kib = sys.argv[1], int(sys.argv[2])
print("== summary (budget: >= 3000 req/s, p99 < 20 ms, 0 errors, RSS < 300 MiB; recording keeps >= 90 %)")
rps_of = {}
for name in ("unrecorded", "plain", "merchandised"):
    text = open(f"{work}/wrk-{name}.txt").read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    def pct(p):
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)", text, re.M)
        return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", text))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
    rps_of[name] = rps
    print(f"{name:<13} requests/s {rps:.0f}  p50 {pct(50):.2f} ms  p99 {pct(99):.2f} ms  errors {errors}")
print(f"recording on / off: {rps_of['plain'] / rps_of['unrecorded']:.3f}")
print(f"peak RSS after the plain load {peak_kib/1024:.0f} MiB")
PY
