#!/usr/bin/env bash
# End-to-end benchmarks: WarrenMQ (from its jar) and RabbitMQ (Debian's rabbitmq-server, as its own
# node with its own port and temporary directories) side by side, driven by PerfTest. Each scenario
# runs against both brokers alternately (W R W R ...) so that the ratios come from one run under
# the same conditions. Prints a markdown table on stdout; progress goes to stderr.
#
# Environment (all optional):
#   BENCH_DURATION     seconds per run (default 20)
#   BENCH_ROUNDS       runs per broker and scenario, alternating (default 2)
#   BENCH_SCENARIOS    which scenarios, e.g. "1 3 6" (default: all, 1 to 9); scenario 9 runs
#                      WarrenMQ as a three-node cluster on ports WARREN_PORT, WARREN_PORT+201
#                      and +202 (cluster ports WARREN_PORT+100 to +102) against RabbitMQ's
#                      single node
#   BENCH_IDLE         connections in scenario 8 (default 1000)
#   WARREN_PORT        (default 5792)   RABBIT_PORT (default 5793; its distribution port is +20000)
#   WARREN_JAVA_OPTS   JVM options for WarrenMQ (default -Xmx1g)
#   BENCH_JFR          a directory: record a JFR profile of WarrenMQ for every WarrenMQ run
#   BENCH_KEEP         1 keeps the temporary directory (broker logs, PerfTest output)
#   BENCH_SKIP_BUILD   1 uses the jars already built
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
duration=${BENCH_DURATION:-20}
rounds=${BENCH_ROUNDS:-2}
scenarios=${BENCH_SCENARIOS:-"1 2 3 4 5 6 7 8 9"}
idle=${BENCH_IDLE:-1000}
warren_port=${WARREN_PORT:-5792}
rabbit_port=${RABBIT_PORT:-5793}
warren_opts=${WARREN_JAVA_OPTS:--Xmx1g}
jfr_dir=${BENCH_JFR:-}
rabbit_bin=/usr/lib/rabbitmq/bin

log() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }

# ---------------------------------------------------------------- prerequisites

if [[ ! -x $rabbit_bin/rabbitmq-server ]]; then
  log "installing rabbitmq-server"
  if [[ $(id -u) -ne 0 ]]; then
    echo "rabbitmq-server is missing; run as root or install it first" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q rabbitmq-server >&2
  # The package starts a system node on 5672; the benchmark runs its own.
  service rabbitmq-server stop >&2 || true
fi

if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
  log "building the broker and the bench module"
  (cd "$root" && mvn -B -q -Pbench -pl bench -am package -DskipTests >&2)
fi
jar=$root/broker/target/warren-broker.jar
cp="$root/bench/target/classes:$(cat "$root/bench/target/classpath.txt")"

work=$(mktemp -d -t warren-bench.XXXXXX)
warren_pid=
warren_pids=
rabbit_pid=
rabbit_node=bench-rabbit-$$@localhost

export RABBITMQ_NODENAME=$rabbit_node
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT=$rabbit_port
export RABBITMQ_DIST_PORT=$((rabbit_port + 20000))
export RABBITMQ_MNESIA_BASE=$work/rabbit/mnesia
export RABBITMQ_LOG_BASE=$work/rabbit/log
export RABBITMQ_ENABLED_PLUGINS_FILE=$work/rabbit/enabled_plugins
export RABBITMQ_CONFIG_FILE=$work/rabbit/rabbitmq.conf
export RABBITMQ_ADVANCED_CONFIG_FILE=$work/rabbit/advanced.config
export RABBITMQ_PID_FILE=$work/rabbit/pid
# Erlang VMs (the node and rabbitmqctl) write crash dumps to their working directory otherwise.
export ERL_CRASH_DUMP=$work/erl_crash.dump

cleanup() {
  set +e
  for pid in $warren_pids; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  if [[ -n $rabbit_pid ]]; then
    $rabbit_bin/rabbitmqctl -n "$rabbit_node" stop >/dev/null 2>&1 || kill "$rabbit_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$rabbit_pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$rabbit_pid" 2>/dev/null
  fi
  if [[ ${BENCH_KEEP:-0} == 1 ]]; then
    log "kept $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- brokers

# One WarrenMQ node: start_warren_node INDEX [FLAGS...]; its pid joins warren_pids.
start_warren_node() {
  local i=$1
  shift
  local port=$((i == 0 ? warren_port : warren_port + 200 + i))
  mkdir -p "$work/warren"
  # shellcheck disable=SC2086
  java $warren_opts -jar "$jar" --host 127.0.0.1 --port "$port" \
    --data-dir "$work/warren/data$i" "$@" >"$work/warren/broker$i.log" 2>&1 &
  local pid=$!
  warren_pids="$warren_pids $pid"
  for _ in $(seq 300); do
    if grep -q "WarrenMQ listening for AMQP" "$work/warren/broker$i.log"; then return; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  cat "$work/warren/broker$i.log" >&2
  echo "WarrenMQ did not start" >&2
  exit 1
}

start_warren() {
  warren_pids=
  start_warren_node 0
  warren_pid=${warren_pids# }
}

# Three nodes on one machine as one cluster: clients use the first; CPU counts all three.
start_warren_cluster() {
  warren_pids=
  local c=$((warren_port + 100))
  start_warren_node 0 --node w0@localhost --cluster-port "$c"
  start_warren_node 1 --node w1@localhost --cluster-port "$((c + 1))" --join "127.0.0.1:$c"
  start_warren_node 2 --node w2@localhost --cluster-port "$((c + 2))" --join "127.0.0.1:$c"
  warren_pid=${warren_pids# }
  warren_pid=${warren_pid%% *}
}

start_rabbit() {
  mkdir -p "$work/rabbit/mnesia" "$work/rabbit/log"
  echo '[].' >"$RABBITMQ_ENABLED_PLUGINS_FILE"
  : >"$RABBITMQ_CONFIG_FILE"
  echo '[].' >"$RABBITMQ_ADVANCED_CONFIG_FILE"
  $rabbit_bin/rabbitmq-server >"$work/rabbit/server.log" 2>&1 &
  rabbit_pid=$!
  if ! $rabbit_bin/rabbitmqctl -n "$rabbit_node" wait --timeout 120 "$RABBITMQ_PID_FILE" \
    >"$work/rabbit/wait.log" 2>&1; then
    cat "$work/rabbit/wait.log" >&2
    cat "$work/rabbit/server.log" >&2
    echo "RabbitMQ did not start" >&2
    exit 1
  fi
  rabbit_pid=$($rabbit_bin/rabbitmqctl -n "$rabbit_node" eval 'os:getpid().' | tr -dc '0-9')
}

rabbit_version() {
  $rabbit_bin/rabbitmqctl -n "$rabbit_node" version 2>/dev/null || dpkg-query -W -f '${Version}' rabbitmq-server
}

# ---------------------------------------------------------------- measuring

# Peak RSS of one run: reset the high-water mark (clear_refs 5) before, read VmHWM after. Where the
# reset is not allowed, a poller keeps the largest VmRSS seen instead.
rss_kib() { awk -v f="$2" '$1 == f":" {print $2}' "/proc/$1/status"; }

rss_start() {
  local pid=$1
  rss_poller=
  if echo 5 >"/proc/$pid/clear_refs" 2>/dev/null; then
    rss_mode=hwm
  else
    rss_mode=poll
    (
      max=0
      while kill -0 "$pid" 2>/dev/null; do
        v=$(rss_kib "$pid" VmRSS)
        ((v > max)) && max=$v && echo "$max" >"$work/rss.max"
        sleep 0.2
      done
    ) &
    rss_poller=$!
  fi
}

rss_stop() {
  local pid=$1
  if [[ $rss_mode == hwm ]]; then
    rss_kib "$pid" VmHWM
  else
    kill "$rss_poller" 2>/dev/null
    wait "$rss_poller" 2>/dev/null || true
    cat "$work/rss.max"
  fi
}

# CPU time (user + system) the broker has used, in clock ticks: fields 14 and 15 of stat, counted
# after the command name, which is in parentheses and may hold spaces.
# With several pids (a cluster's nodes), their sum.
cpu_ticks() {
  local total=0 pid
  for pid in "$@"; do
    total=$((total + $(sed 's/^.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}')))
  done
  echo "$total"
}

perftest() {
  java -Xmx1g -cp "$cp" com.rabbitmq.perf.PerfTest "$@"
}

# PerfTest's closing summary: "sending rate avg: N msg/s", "receiving rate avg: N msg/s",
# "consumer latency min/median/75th/95th/99th a/b/c/d/e µs".
parse_perftest() {
  awk '
    /sending rate avg:/ {for (i = 1; i <= NF; i++) if ($i == "avg:") sent = $(i + 1)}
    /receiving rate avg:/ {for (i = 1; i <= NF; i++) if ($i == "avg:") recv = $(i + 1)}
    /consumer latency min\/median/ {
      for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\/[0-9]+\/[0-9]+\/[0-9]+\/[0-9]+$/) {
        split($i, p, "/"); median = p[2]; p99 = p[5]; unit = $(i + 1)
      }
    }
    END {
      # Latencies in microseconds whatever unit PerfTest chose.
      f = (unit == "ms") ? 1000 : 1
      printf "%s %s %s %s -\n", sent + 0, recv + 0, median * f, p99 * f
    }' "$1"
}

# One scenario run against one broker; prints "sent recv median_us p99_us p999_us rss_kib cpu_s".
run_once() {
  local scenario=$1 broker=$2 port=$3 pid=$4 out=$5 cpu_pids=${6:-$4}
  local uri="amqp://guest:guest@127.0.0.1:$port"
  # The machine's load when the run starts, to judge how noisy the numbers are.
  cut -d' ' -f1 /proc/loadavg >>"$work/load"
  local common=(-h "$uri" -z "$duration" -i 5)
  rss_start "$pid"
  local cpu0
  # shellcheck disable=SC2086
  cpu0=$(cpu_ticks $cpu_pids)
  case $scenario in
    1) perftest "${common[@]}" -x 1 -y 1 -s 1024 -a >"$out" 2>&1 ;;
    2) perftest "${common[@]}" -x 1 -y 1 -s 1024 -q 100 >"$out" 2>&1 ;;
    3) perftest "${common[@]}" -x 1 -y 1 -s 1024 -f persistent -c 100 -q 100 >"$out" 2>&1 ;;
    4) perftest "${common[@]}" -t fanout -e bench.fanout -x 1 -y 4 -s 1024 -a >"$out" 2>&1 ;;
    5)
      perftest "${common[@]}" -x 10 -y 10 -s 16 -a \
        --queue-pattern 'bench-%d' --queue-pattern-from 1 --queue-pattern-to 10 >"$out" 2>&1
      ;;
    6)
      java -cp "$cp" io.warrenmq.bench.FixedRateLatency "$uri" 1000 1024 "$duration" 3 \
        >"$out" 2>&1
      ;;
    7) perftest "${common[@]}" -x 1 -y 1 -s 1048576 -a >"$out" 2>&1 ;;
    9)
      perftest "${common[@]}" -x 1 -y 1 -s 1024 -f persistent -c 100 -q 100 \
        --quorum-queue -u bench.quorum >"$out" 2>&1
      ;;
    8)
      local before
      before=$(rss_kib "$pid" VmRSS)
      coproc IDLE { java -cp "$cp" io.warrenmq.bench.IdleConnections "$uri" "$idle" 2>&1; }
      local line=
      read -r -t 300 line <&"${IDLE[0]}" || true
      # Let the broker settle, then sample the resident set with every connection open.
      sleep 5
      local after
      after=$(rss_kib "$pid" VmRSS)
      echo "$line before_kib=$before after_kib=$after" >"$out"
      eval "exec ${IDLE[1]}>&-"
      wait "$IDLE_PID" 2>/dev/null || true
      ;;
  esac
  local rss
  rss=$(rss_stop "$pid")
  local cpu1
  # shellcheck disable=SC2086
  cpu1=$(cpu_ticks $cpu_pids)
  case $scenario in
    6)
      sed -n 's/.*send_rate=\([0-9.]*\) receive_rate=\([0-9.]*\) median_us=\([0-9-]*\) p99_us=\([0-9-]*\) p999_us=\([0-9-]*\).*/\1 \2 \3 \4 \5/p' "$out" \
        | tr '\n' ' '
      ;;
    8)
      local a
      a=$(sed -n 's/.*after_kib=\([0-9]*\).*/\1/p' "$out")
      grep -q "^ready $idle" "$out" || log "$broker: not every idle connection opened: $(head -c 300 "$out")"
      rss=$a
      printf -- '- - - - - '
      ;;
    *) parse_perftest "$out" | tr '\n' ' ' ;;
  esac
  echo "$rss $(awk -v a="$cpu0" -v b="$cpu1" -v t="$(getconf CLK_TCK)" 'BEGIN {print (b - a) / t}')"
}

describe() {
  case $1 in
    1) echo "1 producer, 1 consumer, 1 KB, auto-ack" ;;
    2) echo "1 producer, 1 consumer, 1 KB, manual ack, prefetch 100" ;;
    3) echo "persistent, durable queue, confirms (100 in flight), manual ack, prefetch 100" ;;
    4) echo "fanout to 4 queues, 4 consumers, 1 KB, auto-ack" ;;
    5) echo "10 producers, 10 consumers, 10 queues, 16 B, auto-ack" ;;
    6) echo "fixed rate 1000 msg/s, 1 KB, auto-ack: latency" ;;
    7) echo "1 producer, 1 consumer, 1 MB, auto-ack" ;;
    8) echo "$idle idle connections, one channel each: broker RSS" ;;
    9) echo "quorum queue, persistent, confirms (100 in flight), manual ack, prefetch 100: WarrenMQ 3 nodes, RabbitMQ 1" ;;
  esac
}

# ---------------------------------------------------------------- run

for port in "$warren_port" "$rabbit_port" "$((rabbit_port + 20000))"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port is already in use; set WARREN_PORT / RABBIT_PORT to free ones" >&2
    exit 1
  fi
done
log "starting WarrenMQ ($warren_opts) on $warren_port"
start_warren
log "starting RabbitMQ node $rabbit_node on $rabbit_port"
start_rabbit
log "WarrenMQ pid $warren_pid, RabbitMQ pid $rabbit_pid, RabbitMQ $(rabbit_version)"

# The median of each field over the runs (the mean of the middle two for an even count), so that
# one run disturbed by something else on the machine does not move the result much.
median() {
  awk '{for (i = 1; i <= NF; i++) if ($i != "-") v[i, ++n[i]] = $i}
       END {
         for (i = 1; i <= 7; i++) {
           if (!n[i]) {printf "- "; continue}
           for (a = 1; a <= n[i]; a++) for (b = a + 1; b <= n[i]; b++)
             if (v[i, b] < v[i, a]) {t = v[i, a]; v[i, a] = v[i, b]; v[i, b] = t}
           m = n[i] % 2 ? v[i, (n[i] + 1) / 2] : (v[i, n[i] / 2] + v[i, n[i] / 2 + 1]) / 2
           printf "%s ", m
         }
         print ""
       }'
}

stop_warren() {
  local pid
  for pid in $warren_pids; do
    kill "$pid" && wait "$pid" 2>/dev/null || true
  done
  warren_pid= && warren_pids=
  rm -rf "$work/warren"
}

stop_brokers() {
  stop_warren
  $rabbit_bin/rabbitmqctl -n "$rabbit_node" stop >/dev/null 2>&1 || kill "$rabbit_pid"
  for _ in $(seq 100); do kill -0 "$rabbit_pid" 2>/dev/null || break; sleep 0.2; done
  warren_pid= && rabbit_pid=
  rm -rf "$work/warren" "$work/rabbit"
}

declare -A result
for s in $scenarios; do
  if [[ $s == 8 ]]; then
    # Idle footprint is measured on fresh brokers: neither keeps what earlier scenarios grew.
    log "restarting both brokers for scenario 8"
    stop_brokers
    start_warren
    start_rabbit
    sleep 5
  fi
  if [[ $s == 9 ]]; then
    log "restarting WarrenMQ as a three-node cluster for scenario 9"
    stop_warren
    start_warren_cluster
    sleep 5
    # Three fresh JVMs compile the cluster's code paths for their first half minute or so (on two
    # cores that is most of the CPU); the other scenarios run on a JVM the earlier ones warmed.
    log "scenario 9: warm-up run on WarrenMQ (not counted)"
    run_once 9 warren "$warren_port" "$warren_pid" "$work/s9-warmup.warren.out" "$warren_pids" \
      >/dev/null
  fi
  : >"$work/s$s.warren" && : >"$work/s$s.rabbit"
  for r in $(seq "$rounds"); do
    log "scenario $s ($(describe "$s")), round $r: WarrenMQ"
    if [[ -n $jfr_dir ]]; then
      mkdir -p "$jfr_dir"
      jcmd "$warren_pid" JFR.start name="s$s-r$r" settings=profile \
        filename="$jfr_dir/warren-s$s-r$r.jfr" >/dev/null
    fi
    run_once "$s" warren "$warren_port" "$warren_pid" "$work/s$s-r$r.warren.out" "$warren_pids" \
      >>"$work/s$s.warren"
    if [[ -n $jfr_dir ]]; then
      jcmd "$warren_pid" JFR.stop name="s$s-r$r" >/dev/null
    fi
    log "  $(tail -1 "$work/s$s.warren")"
    log "scenario $s, round $r: RabbitMQ"
    run_once "$s" rabbit "$rabbit_port" "$rabbit_pid" "$work/s$s-r$r.rabbit.out" >>"$work/s$s.rabbit"
    log "  $(tail -1 "$work/s$s.rabbit")"
  done
  result[$s.warren]=$(median <"$work/s$s.warren")
  result[$s.rabbit]=$(median <"$work/s$s.rabbit")
done

# ---------------------------------------------------------------- table

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b}'; }
num() { awk -v a="$1" 'BEGIN {if (a == "-") print "-"; else printf "%.0f", a}'; }
per_msg() {
  awk -v c="$1" -v r="$2" -v d="$duration" 'BEGIN {if (c == "-" || r == "-" || r == 0) print "-"; else printf "%.1f", c * 1e6 / (r * d)}'
}
mib() { awk -v a="$1" 'BEGIN {if (a == "-") print "-"; else printf "%.0f", a / 1024}'; }

echo
echo "WarrenMQ: $warren_opts. Runs of ${duration} s, $rounds per broker and scenario, alternating;"
echo "values are the median of the runs. Latency in µs. CPU: broker CPU time per message received"
echo "(user + system; a fanout delivery counts once per queue). W/R = WarrenMQ / RabbitMQ."
echo "Load average (1 min) at the start of the runs: $(sort -n "$work/load" | sed -n '1p;$p' | paste -sd- -)"
echo "on $(nproc) cores."
echo
echo "| # | scenario | broker | sent msg/s | received msg/s | median µs | p99 µs | p99.9 µs | peak RSS MiB | CPU µs/msg |"
echo "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for s in $scenarios; do
  read -r ws wr wm wp wq wrss wcpu <<<"${result[$s.warren]}"
  read -r rs rr rm rp rq rrss rcpu <<<"${result[$s.rabbit]}"
  wc=$(per_msg "$wcpu" "$wr")
  rc=$(per_msg "$rcpu" "$rr")
  d=$(describe "$s")
  echo "| $s | $d | WarrenMQ | $(num "$ws") | $(num "$wr") | $(num "$wm") | $(num "$wp") | $(num "$wq") | $(mib "$wrss") | $wc |"
  echo "| | | RabbitMQ | $(num "$rs") | $(num "$rr") | $(num "$rm") | $(num "$rp") | $(num "$rq") | $(mib "$rrss") | $rc |"
  echo "| | | **W/R** | $(ratio "$ws" "$rs") | $(ratio "$wr" "$rr") | $(ratio "$wm" "$rm") | $(ratio "$wp" "$rp") | $(ratio "$wq" "$rq") | $(ratio "$wrss" "$rrss") | $(ratio "$wc" "$rc") |"
done
if [[ " $scenarios " == *" 8 "* ]]; then
  echo
  echo "Scenario 8, resident set before and after opening the connections (KiB), per run:"
  for f in "$work"/s8-r*.out; do
    [[ -f $f ]] && echo "- $(basename "$f" .out): $(cat "$f")"
  done
fi
