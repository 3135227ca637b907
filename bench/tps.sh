#!/usr/bin/env bash
# bench/tps.sh WORKDIR -- pgbench TPS with archiving off and with pg_logship archiving on.
#
# Run by bench/run.sh. Builds WORKDIR/tps-template once from WORKDIR/base (pgbench -i at scale
# 10, archiving off, cleanly stopped). Then, for PGLS_BENCH_TPS_ROUNDS rounds, alternating:
#   - "off": a fresh copy of the template (archive_mode = off), no preload;
#   - "pg_logship": a fresh copy with pg_logship preloaded and archiving into an empty archive,
#     with lz4 and 2 workers when the build has them (else the closest it has);
# each started, then `pgbench -n -c 4 -j 2 -T S` (TPC-B like, synchronous commit). For the
# pg_logship run it also records how many segments were archived and how many were still
# waiting (.ready) when pgbench ended, and the archiving processes' (archiver and archive
# workers) share of all the CPU time the machine used during the run: when the run is
# CPU-bound, that is about what archiving can cost in TPS, a bound that the run-to-run spread
# of TPS itself is too wide to show.
#
# Writes WORKDIR/results/tps.tsv: key, label, status, note, mean TPS, TPS of each round
# (space-separated), segments archived, segments still .ready at the end (last round), archiving's
# share of the CPU in % (mean of the rounds; 0 for "off").
# shellcheck disable=SC2153 # the F_* variables come from WORKDIR/features.env
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

bl_phase "$0" "$@"

TPL=$BL_WORK/tps-template

make_template() {
	bl_copy_cluster "$BL_WORK/base" "$TPL"
	bl_conf "$TPL" "archive_mode = off"
	bl_pg_start "$TPL" "$BL_LOGS/tps-template.log"
	"$BL_BINDIR/pgbench" -i -s "$BL_TPS_SCALE" -q >"$BL_LOGS/tps-init.out" 2>&1 ||
		bl_die "pgbench -i failed (see $BL_LOGS/tps-init.out)"
	bl_psql "CHECKPOINT"
	bl_pg_stop "$TPL"
	sync
}

# The pg_logship configuration: lz4 and 2 workers, or the closest this build has.
PGLS_COMP=none
PGLS_WORKERS=''
bl_has_compression lz4 && PGLS_COMP=lz4
[ "$F_WORKERS" = 1 ] && PGLS_WORKERS=2
PGLS_LABEL="pg_logship on, $PGLS_COMP"
if [ -n "$PGLS_WORKERS" ]; then PGLS_LABEL+=", 2 workers"; else PGLS_LABEL+=", inline"; fi

# run_once KIND ROUND: one pgbench run; appends "tps archived ready" to $BL_WORK/tps-KIND.
run_once() {
	local kind=$1 round=$2
	local base=$BL_WORK/tps/$kind d=$BL_WORK/tps/$kind/data a=$BL_WORK/tps/$kind/archive
	local log=$BL_LOGS/tps-$kind-$round.log out=$BL_LOGS/tps-$kind-$round.out
	rm -rf "$base"
	mkdir -p "$base" "$a"
	bl_copy_cluster "$TPL" "$d"
	if [ "$kind" = pgls ]; then
		bl_conf "$d" "archive_mode = on" "shared_preload_libraries = 'pg_logship'" "archive_library = 'pg_logship'" \
			"pg_logship.archive_dir = '$a'" "pg_logship.archive_layout = 'shared'"
		[ -n "$F_COMPRESSION" ] && bl_conf "$d" "pg_logship.compression = '$PGLS_COMP'"
		[ -n "$PGLS_WORKERS" ] && bl_conf "$d" "pg_logship.archive_workers = $PGLS_WORKERS"
	fi
	bl_pg_start "$d" "$log"
	local pids='' arch_before=0 busy_before
	if [ "$kind" = pgls ]; then
		pids=$(bl_archiver_pids "$d")
		# shellcheck disable=SC2086
		arch_before=$(bl_cpu_ticks ${pids//,/ } | awk '{ print $1 + $2 }')
	fi
	busy_before=$(bl_machine_busy_ticks)
	"$BL_BINDIR/pgbench" -n -c "$BL_TPS_CLIENTS" -j 2 -T "$BL_TPS_SECONDS" >"$out" 2>&1 ||
		bl_die "pgbench failed (see $out)"
	# The archiving processes' share of all the CPU the machine used during the run.
	local busy share=0
	busy=$(($(bl_machine_busy_ticks) - busy_before))
	if [ "$kind" = pgls ]; then
		local arch
		# shellcheck disable=SC2086
		arch=$(($(bl_cpu_ticks ${pids//,/ } | awk '{ print $1 + $2 }') - arch_before))
		share=$(bl_calc "($busy > 0) ? 100 * $arch / $busy : 0")
	fi
	local tps archived=0 ready=0
	tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$out" | head -n 1)
	[ -n "$tps" ] || bl_die "no tps line in $out"
	if [ "$kind" = pgls ]; then
		ready=$(bl_ready_count "$d")
		archived=$(bl_psql "SELECT archived_count FROM pg_stat_archiver")
		local failed
		failed=$(bl_psql "SELECT failed_count FROM pg_stat_archiver")
		[ "$failed" = 0 ] || bl_die "archiving failed $failed times during pgbench (log: $log)"
	fi
	bl_pg_stop "$d"
	rm -rf "$base"
	if [ "$kind" = pgls ]; then
		bl_log "tps: $kind round $round: $tps TPS, $archived segments archived, $ready .ready left, archiving used $(bl_fmt '%.1f' "$share")% of the CPU"
	else
		bl_log "tps: $kind round $round: $tps TPS"
	fi
	echo "$tps $archived $ready $share" >>"$BL_WORK/tps-$kind"
}

# summarize KEY LABEL KIND: the result line of one configuration from its rounds.
summarize() {
	local key=$1 label=$2 kind=$3 f=$BL_WORK/tps-$3
	[ -s "$f" ] || bl_die "no successful run"
	local mean all archived ready share
	mean=$(awk '{ s += $1; n++ } END { printf "%.1f", s / n }' "$f")
	share=$(awk '{ s += $4; n++ } END { printf "%.2f", s / n }' "$f")
	all=$(awk '{ printf "%s%.0f", (NR > 1 ? " " : ""), $1 }' "$f")
	archived=$(tail -n 1 "$f" | awk '{ print $2 }')
	ready=$(tail -n 1 "$f" | awk '{ print $3 }')
	bl_result tps "$key" "$label" ok "" "$mean" "$all" "$archived" "$ready" "$share"
}

bl_log "tps: building the scale-$BL_TPS_SCALE template"
make_template
rm -f "$BL_WORK/tps-off" "$BL_WORK/tps-pgls"
for ((r = 1; r <= BL_TPS_ROUNDS; r++)); do
	bl_run_variant tps-runs off "archiving off, round $r" run_once off "$r"
	if [ "$F_LIB" = 1 ]; then
		bl_run_variant tps-runs pgls "$PGLS_LABEL, round $r" run_once pgls "$r"
	fi
done

bl_run_variant tps off "archiving off" summarize off "archiving off" off
if [ "$F_LIB" = 1 ]; then
	bl_run_variant tps pgls "$PGLS_LABEL" summarize pgls "$PGLS_LABEL" pgls
else
	bl_na tps pgls "pg_logship on" "pg_logship not installed"
fi
