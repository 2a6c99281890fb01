#!/usr/bin/env bash
# Ferry over a Unix-domain socket against TCP loopback: 2 GiB random guest, 2 channels, fresh destination in
# /dev/shm, the two transports interleaved, RUNS each (default 3). Prints transfer-time-ms and total-time-ms of
# every run from the source's --stats-json. Usage: bench/scripts/unix-vs-tcp.sh [RUNS] [FERRY_JAR]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
jar=${2:-engine/target/ferry.jar}
work=$(mktemp -d /dev/shm/ferry-unix-vs-tcp.XXXXXX)
trap 'rm -rf "$work"' EXIT
head -c $((2 << 30)) /dev/urandom > "$work/source.ram"
head -c 32 /dev/urandom > "$work/secret"

once() {
    local mode=$1 address
    if [ "$mode" = unix ]; then
        address="unix:$work/ferry.sock"
    else
        address="127.0.0.1:$((20000 + RANDOM % 20000))"
    fi
    java -jar "$jar" receive --listen "$address" --memory-file "$work/destination.ram" \
        --secret-file "$work/secret" > "$work/receive.log" 2>&1 &
    local receiver=$!
    for _ in $(seq 100); do grep -q listening "$work/receive.log" && break; sleep 0.1; done
    java -jar "$jar" send --connect "$address" --memory-file "$work/source.ram" --secret-file "$work/secret" \
        --channels 2 --stats-json "$work/send.json" > "$work/send.log" 2>&1
    wait "$receiver"
    rm -f "$work/destination.ram"
    printf '%-5s transfer-time-ms %s total-time-ms %s\n' "$mode" \
        "$(grep -o '"transfer-time-ms": [0-9]*' "$work/send.json" | grep -o '[0-9]*$')" \
        "$(grep -o '"total-time-ms": [0-9]*' "$work/send.json" | grep -o '[0-9]*$')"
}

for _ in $(seq "$runs"); do
    once tcp
    once unix
done
