# Functions shared by the serving benchmarks (bench/serve.sh, bench/scale.sh).
# Source it, call `setup NAME` (sets BIN and WORK), and set PORT, CONNECTIONS
# and DURATION before loading.

PASSWORD="bench password 123"
SERVER=

# setup NAME: checks for wrk, nginx and python3, builds the release binary
# into $BIN and makes a scratch directory $WORK (/tmp/rapport-NAME.XXXXXX).
setup() {
  for tool in wrk nginx python3; do
    command -v $tool >/dev/null || { echo "$tool is missing: apt-get install wrk nginx-light python3" >&2; exit 2; }
  done
  cargo build --release -q -p rapport-api
  BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/rapport
  WORK=$(mktemp -d "/tmp/rapport-$1.XXXXXX")
}

now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.2f}')"; }

# rss_mib PID FIELD: VmRSS or VmHWM of a process, in MiB.
rss_mib() { awk -v f="$2:" '$1 == f {printf "%.0f", $2/1024}' "/proc/$1/status"; }

# timed LABEL OUT COMMAND...: runs COMMAND with its output in OUT, prints
# its wall time and peak RSS (/usr/bin/time), and leaves the wall seconds in
# $WALL and the MiB in $PEAK.
timed() {
  local label=$1 out=$2
  shift 2
  /usr/bin/time -f "%e %M" -o "$WORK/time.txt" "$@" > "$out" 2>&1
  read -r WALL kib < "$WORK/time.txt"
  PEAK=$((kib / 1024))
  echo "$label: wall $WALL s, peak RSS $PEAK MiB"
}

# serve DB SAMPLE ENGINE: (re)starts the service on DB, recording that share
# of the lists as exposures, with ENGINE as the default recommender.
serve() {
  if [[ -n $SERVER ]]; then kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; fi
  RAPPORT_EXPOSURE_SAMPLE=$2 "$BIN" serve --database-url "$1" --bind "127.0.0.1:$PORT" \
    --admin-email bench@example.com --admin-password "$PASSWORD" --log warn \
    --default-engine "$3" > "$WORK/serve.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && return 0
    sleep 0.2
  done
  echo "the service did not become ready:" >&2
  tail -20 "$WORK/serve.log" >&2
  return 1
}

# login: the admin's access token into $TOKEN.
login() {
  TOKEN=$(curl -sf "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"bench@example.com\",\"password\":\"$PASSWORD\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
}

# load NAME QUERY: wrk on random customers' lists (ids from $WORK/ids.lua)
# with QUERY, into $WORK/wrk-NAME.txt.
load() {
  cp "$WORK/ids.lua" "$WORK/$1.lua"
  cat >> "$WORK/$1.lua" <<LUA
math.randomseed(42)
wrk.headers["Authorization"] = "Bearer $TOKEN"
request = function()
  return wrk.format("GET", "/api/v1/customers/" .. ids[math.random(#ids)] .. "/recommendations?$2")
end
LUA
  echo "== load ($1): GET /customers/{id}/recommendations?$2, $CONNECTIONS connections, $DURATION"
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s "$WORK/$1.lua" "http://127.0.0.1:$PORT" | tee "$WORK/wrk-$1.txt"
}

# ceiling QUERY: saves one response of the service for QUERY, serves it as a
# static file with nginx (Debian's nginx-light) on PORT+1 and loads that the
# same way, into $WORK/wrk-nginx.txt: the HTTP ceiling of this machine for a
# response of that size, measured in the same run.
ceiling() {
  local id
  id=$(sed -n 's/^ids = {"\([^"]*\)".*/\1/p' "$WORK/ids.lua")
  mkdir -p "$WORK/static" "$WORK/nginx"
  curl -sf -H "Authorization: Bearer $TOKEN" \
    "http://127.0.0.1:$PORT/api/v1/customers/$id/recommendations?$1" > "$WORK/static/list.json"
  cat > "$WORK/nginx/nginx.conf" <<CONF
worker_processes 2;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/json;
  client_body_temp_path $WORK/nginx;
  proxy_temp_path $WORK/nginx;
  fastcgi_temp_path $WORK/nginx;
  uwsgi_temp_path $WORK/nginx;
  scgi_temp_path $WORK/nginx;
  server {
    listen 127.0.0.1:$((PORT + 1));
    root $WORK/static;
  }
}
CONF
  chmod 755 "$WORK" "$WORK/static" && chmod 644 "$WORK/static/list.json"
  nginx -e "$WORK/nginx/error.log" -c "$WORK/nginx/nginx.conf"
  echo "== load (nginx): the same response ($(wc -c < "$WORK/static/list.json") bytes) as a static file, $CONNECTIONS connections, $DURATION"
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" \
    "http://127.0.0.1:$((PORT + 1))/list.json" | tee "$WORK/wrk-nginx.txt"
  kill "$(cat "$WORK/nginx/nginx.pid")"
}

# summarise NAME...: one line per load: requests/s, p50, p99, errors; and the
# ratio of each to nginx's when the ceiling was measured.
summarise() {
  python3 - "$WORK" "$@" <<'PY'
import os, re, sys
work, names = sys.argv[1], sys.argv[2:]
def figures(name):
    text = open(f"{work}/wrk-{name}.txt").read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    def pct(p):
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)", text, re.M)
        return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", text))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
    return rps, pct(50), pct(99), errors
nginx = figures("nginx")[0] if os.path.exists(f"{work}/wrk-nginx.txt") else None
for name in names + (["nginx"] if nginx else []):
    rps, p50, p99, errors = figures(name)
    ratio = f"  ratio to nginx {rps / nginx:.3f}" if nginx and name != "nginx" else ""
    print(f"{name:<13} requests/s {rps:>8.0f}  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  errors {errors}{ratio}")
PY
}
