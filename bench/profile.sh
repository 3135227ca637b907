#!/usr/bin/env bash
# bench/profile.sh WORKDIR -- where the CPU goes while a backlog drains: a perf profile of the
# archiving processes themselves, for basic_archive and for pg_logship (lz4, 2 workers).
#
# Run by bench/run.sh after drain.sh, on the same template. For each of the two archivers it
# starts a fresh copy of the backlog as drain.sh does, attaches `perf record -e cpu-clock:u` to
# the archiver (and pg_logship's archive workers), turns archiving on and waits until no .ready
# file is left. It reads each process's user and kernel CPU time from /proc/<pid>/stat before
# and after. perf samples user space only (no privileges needed: the processes are ours), so
# kernel time (reading the segment, writing the archive, fsync, the page cache) is one figure,
# from /proc.
#
# Writes WORKDIR/profile.txt: per archiver, the wall time, the CPU time per segment split into
# kernel and the top user-space functions, and what that means for 2 cores. Without a working
# `perf` (Debian: linux-perf) it writes why, and exits 0.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

bl_phase "$0" "$@"
OUT=$BL_WORK/profile.txt
TPL=$BL_WORK/template
SEGMENTS=$(bl_ready_count "$TPL")
TICK=$(getconf CLK_TCK)

if ! command -v perf >/dev/null 2>&1 ||
	! perf record -q -e cpu-clock:u -o "$BL_WORK/perf-check.data" -- true >/dev/null 2>&1; then
	{
		echo "(profile skipped: perf is not installed or may not run here. Debian: apt-get install"
		echo " linux-perf; an unprivileged user needs kernel.perf_event_paranoid <= 2, it is"
		echo " $(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null || echo unknown))"
	} >"$OUT"
	exit 0
fi

# profile KEY LABEL KIND: KIND basic or pgls (lz4, 2 workers).
profile() {
	local key=$1 label=$2 kind=$3
	local base=$BL_WORK/profile/$key d a log=$BL_LOGS/profile-$key.log data reload pids
	d=$base/data a=$base/archive data=$base/perf.data
	rm -rf "$base"
	mkdir -p "$base" "$a"
	bl_copy_cluster "$TPL" "$d"
	bl_conf "$d" "autovacuum = off"
	case $kind in
	basic)
		bl_conf "$d" "archive_library = 'basic_archive'"
		reload="basic_archive.archive_directory = '$a'"
		;;
	pgls)
		bl_conf "$d" "shared_preload_libraries = 'pg_logship'" "archive_library = 'pg_logship'" \
			"pg_logship.compression = 'lz4'" "pg_logship.archive_workers = 2"
		reload="pg_logship.archive_dir = '$a'"
		;;
	esac
	bl_pg_start "$d" "$log"
	pids=$(bl_archiver_pids "$d")
	[ -n "$pids" ] || bl_die "profile: no archiver process found"

	perf record -q -e cpu-clock:u -F 2000 -p "$pids" -o "$data" >/dev/null 2>&1 &
	local perf_pid=$!
	sleep 0.5
	local before after t0 secs
	# shellcheck disable=SC2086
	before=$(bl_cpu_ticks ${pids//,/ })
	bl_conf "$d" "$reload"
	t0=$EPOCHREALTIME
	"$BL_BINDIR/pg_ctl" -D "$d" reload >/dev/null
	bl_wait_archived "$d" "$log" "$BL_STALL" || bl_die "$(cat "$BL_WORK/last_error")"
	secs=$(bl_elapsed "$t0")
	# shellcheck disable=SC2086
	after=$(bl_cpu_ticks ${pids//,/ })
	kill -INT "$perf_pid" 2>/dev/null || true
	wait "$perf_pid" 2>/dev/null || true
	bl_pg_stop "$d" immediate

	local ub kb ua ka
	read -r ub kb <<<"$before"
	read -r ua ka <<<"$after"
	local user_s kern_s
	user_s=$(bl_calc "($ua - $ub) / $TICK")
	kern_s=$(bl_calc "($ka - $kb) / $TICK")
	{
		printf '%s: %d segments in %.2f s (%.1f segments/s), %s process(es)\n' "$label" \
			"$SEGMENTS" "$secs" "$(bl_calc "$SEGMENTS / $secs")" "$(tr ',' '\n' <<<"$pids" | wc -l)"
		printf '  CPU: %.2f s = %.0f%% of %d cores over the drain; %.1f ms per segment\n' \
			"$(bl_calc "$user_s + $kern_s")" "$(bl_calc "100 * ($user_s + $kern_s) / $secs / $(nproc)")" \
			"$(nproc)" "$(bl_calc "1000 * ($user_s + $kern_s) / $SEGMENTS")"
		printf '  %-52s %8s %10s\n' "where (perf cpu-clock; kernel from /proc)" "of CPU" "ms/segment"
		printf '  %-52s %7.0f%% %10.1f\n' "kernel: read, write, fsync, page cache" \
			"$(bl_calc "100 * $kern_s / ($user_s + $kern_s)")" "$(bl_calc "1000 * $kern_s / $SEGMENTS")"
		# Functions with at least 1% of all the CPU time.
		perf report -q -i "$data" --sort dso,sym --stdio 2>/dev/null |
			awk -v user="$user_s" -v kern="$kern_s" -v segs="$SEGMENTS" '
				$1 ~ /%$/ {
					pct = substr($1, 1, length($1) - 1)
					dso = $2; sym = $4
					for (i = 5; i <= NF; i++) sym = sym " " $i
					share = pct / 100 * user
					if (100 * share / (user + kern) < 1) next
					printf "  %-52s %7.0f%% %10.1f\n", substr(sym " (" dso ")", 1, 52),
						100 * share / (user + kern), 1000 * share / segs
				}'
		echo
	} >>"$OUT"
	rm -rf "$base"
	bl_calc "1000 * ($user_s + $kern_s) / $SEGMENTS" >"$BL_WORK/profile-$key.ms"
}

: >"$OUT"
profile basic "basic_archive" basic
profile pgls "pg_logship, lz4, 2 workers" pgls
basic_ms=$(cat "$BL_WORK/profile-basic.ms")
pgls_ms=$(cat "$BL_WORK/profile-pgls.ms")
{
	printf 'CPU per segment: basic_archive %.1f ms, pg_logship lz4 %.1f ms. With every core busy and\n' \
		"$basic_ms" "$pgls_ms"
	printf 'nothing else running, %d cores drain at most %.1fx what one basic_archive process\n' \
		"$(nproc)" "$(bl_calc "$(nproc) * $basic_ms / $pgls_ms")"
	printf 'does when it is CPU-bound (it is, when fsync is cheap).\n'
} >>"$OUT"
bl_log "profile: written to $OUT"
