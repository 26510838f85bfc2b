#!/bin/bash
# Redis saturation probe: one redis-server, a hot 64 KB key read by concurrent clients,
# probe GETs of other (900-byte) keys from one client; Redis CPU from INFO.
P=${PORT:-46391}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
redis-server --port $P --save "" --appendonly no > /dev/null 2>&1 &
RS=$!
sleep 1
redis-benchmark -p $P -t set -d 65536 -n 100 -r 1 -q > /dev/null
redis-benchmark -p $P -t set -d 900 -n 20000 -r 10000 -q > /dev/null
cpu() { redis-cli -p $P INFO cpu | awk -F: '/used_cpu_(user|sys):/ {s+=$2} END {printf "%.3f", s}'; }
cmds() { redis-cli -p $P INFO stats | awk -F: '/total_commands_processed/ {printf "%d", $2}'; }
for conf in none "-c 1 -P 1" "-c 8 -P 1" "-c 50 -P 16"; do
  HP=""
  if [ "$conf" != none ]; then
    timeout 10 redis-benchmark -p $P -t get -d 65536 -r 1 -n 100000000 $conf -q > "$T/hot.txt" 2>&1 &
    HP=$!
    sleep 1
  fi
  c0=$(cpu); n0=$(cmds); t0=$(date +%s.%N)
  redis-benchmark -p $P -t get -c 1 -n 3000 -r 10000 --precision 3 > "$T/probe.txt" 2>&1
  c1=$(cpu); n1=$(cmds); t1=$(date +%s.%N)
  [ -n "$HP" ] && kill $HP 2>/dev/null && wait $HP 2>/dev/null
  echo "hot load: $conf | redis CPU $(echo "($c1-$c0)/($t1-$t0)" | bc -l | cut -c1-5) of its thread, $(echo "($n1-$n0)/($t1-$t0)" | bc -l | cut -d. -f1) commands/s, CPU per command $(echo "($c1-$c0)*1000000/($n1-$n0)" | bc -l | cut -c1-5) us"
  grep -A2 "latency summary" "$T/probe.txt" | tail -1 | awk '{print "  probe GETs (other keys, 1 client): avg " $1 " p50 " $3 " p95 " $4 " p99 " $5 " max " $6 " ms"}'
done
kill $RS; wait $RS
