#!/usr/bin/env bash
# Two builds of the CLI, alternated run by run, as the e2e harness runs them (two JVMs on loopback, 2 channels,
# a 2 GiB source in /dev/shm); prints each run's total/setup/transfer/verify (the source's JSON) and the medians.
# The by-hand before/after figures of docs/benchmarks.md ("What changed on 2026-11-29") come from this.
#   bench/scripts/ab-pairs.sh JAR_A JAR_B [PAIRS] [random|zeros] [DESTINATION[,DESTINATION_B]]
# DESTINATION: fresh, prefault (default) or prefault-late (as prefault, but the source starts 2 s after the
# destination says it is listening); a second one after a comma is B's (then A and B may be the same jar).
# Each JAR is a ferry.jar (mvn -q -DskipTests package at each commit, then copy engine/target/ferry.jar away), or
# the launcher beside one (engine/target/ferry: its JVM options and class-data archive). OPTS_A and OPTS_B, when
# set, are JVM options for A's and B's runs (FERRY_JAVA_OPTS for a launcher), e.g. to compare C1 with C2:
#   OPTS_B=-XX:TieredStopAtLevel=1 bench/scripts/ab-pairs.sh engine/target/ferry.jar engine/target/ferry.jar 4
# Needs 4 GiB free in /dev/shm.
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,12p' "$0" >&2; exit 2; }
jar_a=$1 jar_b=$2 pairs=${3:-4} content=${4:-random} destination=${5:-prefault}
for jar in "$jar_a" "$jar_b"; do [ -f "$jar" ] || { echo "no such jar: $jar" >&2; exit 2; }; done
work=$(mktemp -d /dev/shm/ferry-ab-XXXXXX)
trap 'rm -rf "$work"' EXIT
case "$content" in
  random) head -c $((2 << 30)) /dev/urandom > "$work/source.ram" ;;
  zeros) dd if=/dev/zero of="$work/source.ram" bs=1M count=2048 status=none ;;
  *) echo "content: random or zeros" >&2; exit 2 ;;
esac
head -c 32 /dev/urandom | base64 > "$work/secret"
setting() { # DESTINATION: sets ram and delay
  ram=() delay=0
  case "$1" in
    fresh) ;;
    prefault) ram=(--ram 2g --prefault) ;;
    prefault-late) ram=(--ram 2g --prefault); delay=2 ;;
    *) echo "destination: fresh, prefault or prefault-late" >&2; exit 2 ;;
  esac
}
destination_a=${destination%%,*} destination_b=${destination#*,}
setting "$destination_a"; setting "$destination_b"
ferry() { # JAR OPTS ARGS...: the CLI of JAR (a jar, or a launcher) with JVM options OPTS
  local jar=$1 opts=$2; shift 2
  if [[ "$jar" == *.jar ]]; then
    # shellcheck disable=SC2086
    java $opts -jar "$jar" "$@"
  else
    FERRY_JAVA_OPTS=$opts "$jar" "$@"
  fi
}
run() { # JAR LABEL OPTS: one migration; appends "total setup transfer verify" (ms) to $work/LABEL
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  rm -f "$work/destination.ram"
  ferry "$1" "$3" receive --listen "127.0.0.1:$port" --memory-file "$work/destination.ram" \
    --secret-file "$work/secret" "${ram[@]}" > "$work/receive.log" 2>&1 &
  receiver=$!
  for _ in $(seq 600); do grep -q 'listening on' "$work/receive.log" && break; sleep 0.05; done
  sleep "$delay"
  ferry "$1" "$3" send --connect "127.0.0.1:$port" --memory-file "$work/source.ram" --channels 2 \
    --secret-file "$work/secret" --stats-json "$work/send.json" > /dev/null 2>&1
  wait "$receiver"
  line=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(*(d[k + "-time-ms"] for k in
    ("total", "setup", "transfer", "verify")))' "$work/send.json")
  echo "$2 total/setup/transfer/verify ms: $line"
  echo "$line" >> "$work/$2"
}
for _ in $(seq "$pairs"); do
  setting "$destination_a"; run "$jar_a" A "${OPTS_A:-}"
  setting "$destination_b"; run "$jar_b" B "${OPTS_B:-}"
done
for label in A B; do
  python3 -c 'import statistics,sys; rows=[list(map(int, l.split())) for l in open(sys.argv[1])]
print(sys.argv[2], "medians: total", *(statistics.median(c) for c in zip(*rows)))' "$work/$label" "$label" |
    sed 's/total \([0-9.]*\) \([0-9.]*\) \([0-9.]*\) \([0-9.]*\)/total \1, setup \2, transfer \3, verify \4 ms/'
done
