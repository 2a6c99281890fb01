#!/usr/bin/env bash
# Two-process migration on loopback with the CLI, as an operator would run it, then a byte-for-byte check.
#   bench/scripts/send-receive.sh [SIZE_MIB] [CHANNELS] [DIRTY_RATE]
# Needs engine/target/ferry.jar (mvn -q -DskipTests package) and 2 x SIZE of space in /dev/shm.
set -euo pipefail
cd "$(dirname "$0")/../.."
size_mib=${1:-2048}
channels=${2:-2}
dirty_rate=${3:-0}
jar=engine/target/ferry.jar
[ -f "$jar" ] || { echo "build first: mvn -q -DskipTests package" >&2; exit 2; }
work=$(mktemp -d /dev/shm/ferry-sr-XXXXXX)
trap 'kill "${receiver:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
head -c 32 /dev/urandom > "$work/secret"
head -c "$((size_mib * 1024 * 1024))" /dev/urandom > "$work/source.ram"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
java -jar "$jar" receive --listen "127.0.0.1:$port" --memory-file "$work/destination.ram" \
    --secret-file "$work/secret" --stats-json "$work/receive.json" 2> "$work/receive.log" &
receiver=$!
for _ in $(seq 100); do grep -q "listening on" "$work/receive.log" 2>/dev/null && break; sleep 0.1; done
java -jar "$jar" send --connect "127.0.0.1:$port" --memory-file "$work/source.ram" --channels "$channels" \
    --dirty-rate "$dirty_rate" --secret-file "$work/secret" --stats-json "$work/send.json"
wait "$receiver"
cmp "$work/source.ram" "$work/destination.ram" && echo "destination equals source"
grep -E '"(status|total-time-ms|setup-time-ms|downtime-ms|verify-time-ms|transferred-bytes|throughput-bytes-per-sec|rounds|verified)"' \
    "$work/send.json"
