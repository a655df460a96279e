#!/usr/bin/env bash
# Scale benchmark (DESIGN.md §7, "at catalogue scale"): generates a seeded
# synthetic shop (bench/scale_data.py: power-law item popularity), imports it
# into a fresh SQLite file with the release binary, trains and activates
# `popularity` and `item_item` from the database, serves it and loads
# GET /customers/{id}/recommendations?k=10 with wrk; in the same run nginx
# serves a static copy of one response, and the service's requests/s are
# printed as a ratio to nginx's.
#
#   bash bench/scale.sh [ITEMS CUSTOMERS INTERACTIONS]   (default 100000 50000 1000000)
#
# With SCALE_PG_URL (postgres://...) the same files are also imported into
# that (emptied) PostgreSQL database, and its import rate printed.
# Prints import rows/s, wall and peak RSS, bytes per interaction in the
# SQLite file, training wall and peak RSS, serving requests/s, p50, p99 and
# RSS, and the ratio to nginx. Needs wrk, nginx (nginx-light) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
ITEMS=${1:-100000}
CUSTOMERS=${2:-50000}
INTERACTIONS=${3:-1000000}
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-64}
PORT=${PORT:-18190}
source bench/lib.sh
setup scale
DB="sqlite://$WORK/scale.db"
trap 'kill $SERVER 2>/dev/null || true' EXIT

echo "== generate $ITEMS items, $CUSTOMERS customers, $INTERACTIONS interactions (seeded)"
python3 bench/scale_data.py "$WORK/data" "$ITEMS" "$CUSTOMERS" "$INTERACTIONS"

# import_all URL LABEL: customers, items, then the timed interactions.
import_all() {
  "$BIN" import customers "$WORK/data/customers.csv" --map external_id=external_id,name=name \
    --database-url "$1" > /dev/null
  "$BIN" import items "$WORK/data/items.csv" --map sku=sku,name=name,category=category,price=price \
    --database-url "$1" > /dev/null
  timed "import interactions ($2)" "$WORK/import-$2.txt" "$BIN" import interactions \
    "$WORK/data/interactions.csv" --no-automations --database-url "$1" \
    --map customer=customer,item=item,kind=kind,occurred_at=occurred_at:unix
  echo "import ($2): $(python3 -c "print(f'{$INTERACTIONS / $WALL:,.0f}')") rows/s"
}

echo "== import (release)"
import_all "$DB" sqlite
python3 - "$WORK/scale.db" <<'PY'
import os, sqlite3, sys
path = sys.argv[1]
db = sqlite3.connect(path)
n = db.execute("select count(*) from interactions").fetchone()[0]
# Bytes of the interactions table and its indexes (dbstat when compiled in,
# else the whole file less the other tables' pages is not separable: report the file).
try:
    used = db.execute(
        "select sum(pgsize) from dbstat where name = 'interactions' or name in "
        "(select name from sqlite_master where tbl_name = 'interactions')").fetchone()[0]
    what = "interactions table and its indexes"
except sqlite3.OperationalError:
    used = os.path.getsize(path)
    what = "whole file"
print(f"SQLite: {n} interactions, {used / n:.0f} bytes per interaction ({what}), file {os.path.getsize(path) / 2**20:.0f} MiB")
PY
if [[ -n ${SCALE_PG_URL:-} ]]; then
  psql -q "$SCALE_PG_URL" -c 'drop schema public cascade; create schema public;'
  import_all "$SCALE_PG_URL" postgres
fi

echo "== train and activate from the database (wall includes the held-out evaluation and the final fit)"
for engine in popularity item_item; do
  timed "train $engine" "$WORK/train-$engine.txt" "$BIN" train "$engine" --activate --database-url "$DB"
done

serve "$DB" 0 item_item
login
python3 - "$WORK/scale.db" "$WORK/ids.lua" <<'PY'
import random, sqlite3, sys, uuid
db = sqlite3.connect(sys.argv[1])
rows = db.execute("select id from customers where external_id like 'c-%'").fetchall()
ids = [str(uuid.UUID(bytes=r[0])) if isinstance(r[0], bytes) else r[0] for r in rows]
random.Random(42).shuffle(ids)
with open(sys.argv[2], "w") as f:
    f.write("ids = {" + ",".join(f'"{i}"' for i in ids[:20000]) + "}\n")
print(f"{min(len(ids), 20000)} customers to query")
PY
echo "idle RSS $(rss_mib "$SERVER" VmRSS) MiB"
load item_item "k=10"
SERVING_RSS=$(rss_mib "$SERVER" VmHWM)
ceiling "k=10"

echo "== summary ($ITEMS items, $CUSTOMERS customers, $INTERACTIONS interactions)"
echo "budgets at 100,000 items: >= 20,000 req/s, p99 < 10 ms, RSS < 400 MiB; import of 1M under 8 s (SQLite, RSS < 300 MiB), under 5 s (PostgreSQL)"
summarise item_item
echo "serving peak RSS $SERVING_RSS MiB"
