#!/usr/bin/env bash
# bench/monitor.sh -- what the lag monitor costs: view latency and the sampler's CPU.
#
# Starts a primary with pg_logship preloaded (Unix socket only, in a temp dir under $PGLS_OUT),
# 10 walsenders (10 pg_receivewal processes, application_name recv1..recv10) and a light,
# rate-limited pgbench load, then measures:
#   (a) the latency of SELECT * FROM pg_logship.replication, pg_logship.receiver,
#       pg_logship.lag_history (last 60 s) and pg_logship.health(), with pgbench -n -c 1 -T N,
#       beside the core pg_stat_replication's (ratio);
#   (b) the monitor's CPU at 1 s sampling over a window: pg_logship.monitor_stats() deltas
#       (sampler_usec / wall time) and the "pg_logship monitor" process's CPU from /proc
#       (schedstat run time when available, utime+stime in clock ticks otherwise).
# Prints a table: metric, value, target (view < 0.5 ms; monitor < 0.5 % of a core), PASS/over.
# Over-target numbers are reported, not failed: exits 0 unless the setup fails.
#
# Runs as a non-root user (make bench: scripts/as-pg-user.sh). Env:
#   PGLS_OUT                 writable output dir (default ./build); the table is also written to
#                            $PGLS_OUT/artifacts/bench-monitor.txt
#   PG_CONFIG                pg_config to use (default pg_config)
#   PGLS_BENCH_QUERY_SECONDS pgbench -T per query (default 3; PGLS_BENCH_QUICK=1: 1)
#   PGLS_BENCH_CPU_SECONDS   CPU window (default 10; PGLS_BENCH_QUICK=1: 5)
#   PGLS_BENCH_SENDERS       number of pg_receivewal walsenders (default 10)
#   PGLS_BENCH_PREFILL       seconds of 100 ms sampling before measuring, to fill the history
#                            ring further (default 0; the ring holds 3600 samples)
set -euo pipefail

me="bench/monitor"
die() {
	echo "$me: $*" >&2
	exit 1
}
[ "$(id -u)" != 0 ] || die "refusing to run as root (PostgreSQL will not); use scripts/as-pg-user.sh"

if [ "${PGLS_BENCH_QUICK:-0}" = 1 ]; then
	query_s=${PGLS_BENCH_QUERY_SECONDS:-1}
	cpu_s=${PGLS_BENCH_CPU_SECONDS:-5}
else
	query_s=${PGLS_BENCH_QUERY_SECONDS:-3}
	cpu_s=${PGLS_BENCH_CPU_SECONDS:-10}
fi
n_senders=${PGLS_BENCH_SENDERS:-10}
prefill_s=${PGLS_BENCH_PREFILL:-0}

pg_config_cmd=${PG_CONFIG:-pg_config}
bindir=$("$pg_config_cmd" --bindir) || die "'$pg_config_cmd' not found"
export PATH="$bindir:$PATH"
for b in initdb pg_ctl psql pgbench pg_receivewal; do
	command -v "$b" >/dev/null || die "$b not found in $bindir"
done
out_root=${PGLS_OUT:-build}
mkdir -p "$out_root"
out_root=$(cd "$out_root" && pwd)
export LANG=C.UTF-8
unset LC_ALL

work=$(mktemp -d "$out_root/monitor-bench.XXXXXX")
data="$work/data"
sock="$work/sock"
# Unix socket paths are limited to ~107 bytes ("$sock/.s.PGSQL.NNNNN").
if [ "${#sock}" -gt 80 ]; then
	sock=$(mktemp -d /tmp/pgls-sock.XXXXXX)
else
	mkdir -p "$sock"
fi
port=$((40000 + RANDOM % 10000))
log="$work/server.log"
recv_pids=()
load_pid=""
started=0

cleanup() {
	local rc=$?
	set +e
	[ -z "$load_pid" ] || kill "$load_pid" 2>/dev/null
	for p in "${recv_pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	if [ "$started" = 1 ]; then
		pg_ctl -D "$data" -m immediate -w stop >/dev/null 2>&1
	fi
	[ -z "$load_pid" ] || wait "$load_pid" 2>/dev/null
	for p in "${recv_pids[@]}"; do
		wait "$p" 2>/dev/null
	done
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 130 ] && [ -f "$log" ]; then
		echo "$me: failed (exit $rc); last lines of the server log:" >&2
		tail -n 20 "$log" >&2
	fi
	rm -rf "$work"
	[[ "$sock" != /tmp/pgls-sock.* ]] || rm -rf "$sock"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export PGHOST="$sock" PGPORT="$port" PGDATABASE=postgres
unset PGUSER PGPASSWORD PGSERVICE PGOPTIONS
psql_q() { psql -XAtq -v ON_ERROR_STOP=1 -c "$1"; }

# ---- setup ----------------------------------------------------------------------------------

echo "$me: primary on socket $sock port $port, $n_senders pg_receivewal walsenders"
initdb -D "$data" -A trust -N >"$work/initdb.log" 2>&1 || {
	cat "$work/initdb.log" >&2
	die "initdb failed"
}
cat >>"$data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$sock'
port = $port
shared_preload_libraries = 'pg_logship'
pg_logship.sample_interval = '1s'
wal_level = replica
max_wal_senders = $((n_senders + 5))
max_replication_slots = $((n_senders + 5))
max_connections = 40
shared_buffers = 64MB
fsync = off
synchronous_commit = off
max_wal_size = 1GB
wal_keep_size = 256MB
log_min_messages = warning
EOF
pg_ctl -D "$data" -l "$log" -w start >/dev/null || die "server did not start"
started=1
psql_q "CREATE EXTENSION pg_logship" >/dev/null
pgbench -i -q -s 1 >"$work/pgbench-init.log" 2>&1 || {
	cat "$work/pgbench-init.log" >&2
	die "pgbench -i failed"
}

for i in $(seq 1 "$n_senders"); do
	mkdir -p "$work/recv$i"
	pg_receivewal -D "$work/recv$i" --no-sync --no-loop \
		-d "host=$sock port=$port application_name=recv$i" >"$work/recv$i.log" 2>&1 &
	recv_pids+=("$!")
done
for _ in $(seq 1 100); do
	n=$(psql_q "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
	[ "$n" -ge "$n_senders" ] && break
	sleep 0.1
done
[ "$n" -ge "$n_senders" ] || {
	cat "$work"/recv*.log >&2
	die "only $n of $n_senders pg_receivewal walsenders are streaming"
}

# Light background load: 1 client, rate-limited.
pgbench -n -c 1 -R 50 -T 600 >"$work/pgbench-load.log" 2>&1 &
load_pid=$!

pm_pid=$(head -n 1 "$data/postmaster.pid")
mon_pid=$(ps -o pid=,args= --ppid "$pm_pid" | awk '/pg_logship monitor/ { print $1; exit }')
[ -n "$mon_pid" ] || die "no \"pg_logship monitor\" process under postmaster $pm_pid"

if [ "$prefill_s" -gt 0 ]; then
	echo "$me: prefilling the history ring: ${prefill_s}s at 100 ms sampling"
	psql_q "ALTER SYSTEM SET pg_logship.sample_interval = '100ms'" >/dev/null
	psql_q "SELECT pg_reload_conf()" >/dev/null
	sleep "$prefill_s"
	psql_q "ALTER SYSTEM RESET pg_logship.sample_interval" >/dev/null
	psql_q "SELECT pg_reload_conf()" >/dev/null
fi
sleep 2 # a few samples in the ring

# ---- (a) view latency -----------------------------------------------------------------------

# Average latency in ms of one query, run by pgbench -c 1 for $query_s seconds.
latency_ms() {
	local name=$1 sql=$2 f="$work/q-$1.sql" res
	printf '%s;\n' "$sql" >"$f"
	res=$(pgbench -n -c 1 -T "$query_s" -f "$f" 2>&1) || {
		echo "$res" >&2
		die "pgbench on $name failed"
	}
	echo "$res" | awk '/^latency average/ { print $4 }'
}

names=(pg_stat_replication replication receiver lag_history health)
declare -A sql=(
	[pg_stat_replication]="SELECT * FROM pg_stat_replication"
	[replication]="SELECT * FROM pg_logship.replication"
	[receiver]="SELECT * FROM pg_logship.receiver"
	[lag_history]="SELECT * FROM pg_logship.lag_history WHERE sample_time > now() - interval '60 s'"
	[health]="SELECT * FROM pg_logship.health()"
)
declare -A lat
for n in "${names[@]}"; do
	lat[$n]=$(latency_ms "$n" "${sql[$n]}")
	[ -n "${lat[$n]}" ] || die "no latency for $n"
done

# ---- (b) monitor CPU ------------------------------------------------------------------------

proc_cpu_ns() {
	local st
	st=$(cut -d' ' -f1 "/proc/$mon_pid/schedstat" 2>/dev/null || true)
	if [ -n "$st" ] && [ "$st" != 0 ]; then
		echo "schedstat $st"
	else
		# Fields 14 and 15 (utime, stime) after the "(comm)" field, which may hold spaces.
		awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "ticks %d\n", ($12 + $13) * 1e9 / hz }' \
			"/proc/$mon_pid/stat"
	fi
}
stats() { psql_q "SELECT sampler_passes, sampler_usec, samples_written, history_size FROM pg_logship.monitor_stats()"; }

s0=$(stats)
c0=$(proc_cpu_ns)
t0=$(date +%s%N)
sleep "$cpu_s"
s1=$(stats)
c1=$(proc_cpu_ns)
t1=$(date +%s%N)

IFS='|' read -r p0 u0 _ _ <<<"$s0"
IFS='|' read -r p1 u1 w1 cap <<<"$s1"
in_ring=$((w1 < cap ? w1 : cap))
cpu_src=${c0%% *}
wall_ns=$((t1 - t0))
passes=$((p1 - p0))
sampler_pct=$(awk -v u=$((u1 - u0)) -v w="$wall_ns" 'BEGIN { printf "%.3f", (u * 1000 * 100 / w) }')
proc_pct=$(awk -v c=$((${c1#* } - ${c0#* })) -v w="$wall_ns" 'BEGIN { printf "%.3f", (c * 100 / w) }')
per_pass_us=$(awk -v u=$((u1 - u0)) -v p="$passes" 'BEGIN { printf "%.0f", (p ? u / p : 0) }')

# ---- report ---------------------------------------------------------------------------------

hist_senders=$(psql_q "SELECT count(DISTINCT application_name) FROM pg_logship.lag_history WHERE source = 'standby'")
findings=$(psql_q "SELECT severity || ' ' || component || ': ' || message FROM pg_logship.health()" |
	sed 's/^/    /')

verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print ((v + 0 < t + 0) ? "PASS" : "over") }'; }

report=$(
	echo "pg_logship monitor benchmark: $n_senders pg_receivewal walsenders, pgbench -R 50 in the background"
	echo "  history ring: $in_ring of $cap samples, $hist_senders sender(s) per sample; latency: pgbench -c 1 -T $query_s"
	[ "$in_ring" -ge "$cap" ] ||
		echo "  (ring not full: costs that grow with the history are understated; PGLS_BENCH_PREFILL=$(((cap - in_ring) / 10 + 10)) fills it)"
	echo
	printf '%-44s %14s %10s %8s %6s\n' metric value target "x core" result
	printf '%-44s %14s %10s %8s %6s\n' "$(printf '%.0s-' {1..44})" "--------------" "----------" "--------" "------"
	base=${lat[pg_stat_replication]}
	printf '%-44s %11.3f ms %10s %8s %6s\n' "SELECT * FROM pg_stat_replication (core)" "$base" "-" "1.0" "-"
	for n in replication receiver lag_history health; do
		case $n in
		lag_history) label="pg_logship.lag_history (last 60 s)" ;;
		health) label="pg_logship.health()" ;;
		*) label="pg_logship.$n" ;;
		esac
		ratio=$(awk -v a="${lat[$n]}" -v b="$base" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')
		printf '%-44s %11.3f ms %10s %8s %6s\n' "$label" "${lat[$n]}" "< 0.5 ms" "$ratio" "$(verdict "${lat[$n]}" 0.5)"
	done
	printf '%-44s %12s %% %10s %8s %6s\n' "monitor CPU (sampler_usec)" \
		"$sampler_pct" "< 0.5 %" "" "$(verdict "$sampler_pct" 0.5)"
	printf '%-44s %12s %% %10s %8s %6s\n' "monitor CPU (/proc/$mon_pid $cpu_src)" \
		"$proc_pct" "< 0.5 %" "" "$(verdict "$proc_pct" 0.5)"
	echo
	echo "  CPU: % of one core over ${cpu_s}s, $passes sampler passes of ${per_pass_us} us on average."
	echo "  health() on this primary says:"
	echo "$findings"
)
echo "$report"
mkdir -p "$out_root/artifacts"
echo "$report" >"$out_root/artifacts/bench-monitor.txt"
