#!/usr/bin/env bash
# How long `make run` takes on a fresh clone before the app answers: clones this repository's
# HEAD into a temporary folder, runs `make run` there on a spare loopback port, asks for the
# start page every half second, prints the seconds until the first 200, then stops the app
# (and the audio build behind it) and removes the clone.
#   bash benchmarks/first_answer.sh [PORT]
set -euo pipefail
port=${1:-5099}
here=$(cd "$(dirname "$0")/.." && pwd)
clone=$(mktemp -d)
log="$clone.log"
git clone -q "$here" "$clone"
cleanup() {
    pkill -f -- "--port $port" 2>/dev/null || true
    pkill -f -- "$clone/.venv/bin/viewpoint audio build" 2>/dev/null || true
    rm -rf "$clone" "$log"
}
trap cleanup EXIT
start=$(date +%s.%N)
(cd "$clone" && PORT=$port setsid make run >"$log" 2>&1 &)
for _ in $(seq 1200); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/" || true)" = 200 ]; then
        printf 'the app answered %.1f s after `make run` started on a fresh clone\n' \
            "$(echo "$(date +%s.%N) - $start" | bc)"
        exit 0
    fi
    sleep 0.5
done
echo "no answer within 600 s; the end of make run's output:" >&2
tail -20 "$log" >&2
exit 1
