#!/usr/bin/env bash
# How much more a fresh destination costs when the memory it gets has been idle: the raw baseline (RawTransfer)
# receives 2 GiB into a fresh tmpfs mapping four times: A, B back to back, then C, D after IDLE_S idle seconds.
#   bench/scripts/idle-memory.sh [IDLE_S]
# Needs bench/target/benchmarks.jar (mvn -q -DskipTests package) and 4 GiB free in /dev/shm.
set -euo pipefail
cd "$(dirname "$0")/../.."
idle=${1:-45}
jar=bench/target/benchmarks.jar
[ -f "$jar" ] || { echo "build first: mvn -q -DskipTests package" >&2; exit 2; }
work=$(mktemp -d /dev/shm/ferry-idle-XXXXXX)
trap 'rm -rf "$work"' EXIT
head -c $((2 << 30)) /dev/urandom > "$work/source.ram"
java=(java --add-opens java.base/jdk.internal.misc=ALL-UNNAMED -cp "$jar" dev.ferry.bench.e2e.RawTransfer)
run() {
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "${java[@]}" receive "$port" 2 "$work/destination.ram" $((2 << 30)) fresh > "$work/receive.log" 2>&1 &
  receiver=$!
  for _ in $(seq 200); do grep -q listening "$work/receive.log" && break; sleep 0.05; done
  "${java[@]}" send "$port" 2 "$work/source.ram" transferTo
  wait "$receiver"
  echo "$1: $(awk '/transfer-ns/ { printf "%.2f s", $2 / 1e9 }' "$work/receive.log")"
}
run A
run B
sleep "$idle"
run C
run D
