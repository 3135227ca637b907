#!/usr/bin/env bash
# bench/backlog.sh WORKDIR -- the look-ahead on a long backlog: 2,000 small files.
#
# pg_logship's look-ahead finds the next .ready files in pg_wal/archive_status. Reading the whole
# directory for every offered file costs O(n) per file, O(n^2) over a backlog of n; it now keeps
# a batch of 64 names per scan, as PostgreSQL's own archiver does. This phase measures a backlog
# long enough for that to matter, with files small enough that the copying does not hide it:
#
#   1. a cluster initdb'd with --wal-segsize=1 (1 MiB segments), archiving paused as for the
#      main template (run.sh), PGLS_BENCH_BACKLOG (2000; quick: 300) pg_switch_wal() calls with
#      a logical message before each (so that every switch makes a segment), stopped cleanly;
#   2. basic_archive and pg_logship (lz4; 2 workers, and inline) each drain a copy of it, the
#      same way as drain.sh (archive directory set, reload, poll until no .ready is left),
#      PGLS_BENCH_REPEAT passes;
#   3. for pg_logship, pg_logship.archive_status.lookahead_scans: the directory scans the
#      look-ahead made (one per offered file before the batch).
#
# Writes WORKDIR/results/backlog.tsv, one line per variant and pass: key, label, status, note,
# files, seconds, look-ahead scans (empty for basic_archive), archived_count, failed_count.
# shellcheck disable=SC2153 # the F_* variables come from WORKDIR/features.env
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

bl_phase "$0" "$@"

TPL=$BL_WORK/backlog-template

generate() {
	local log=$BL_LOGS/backlog-generate.log
	bl_initdb "$TPL" --wal-segsize=1
	bl_pg_start "$TPL" "$log"
	bl_psql "DO \$\$ BEGIN FOR i IN 1..$BL_BACKLOG LOOP
		PERFORM pg_logical_emit_message(false, 'pgls-bench', 'x');
		PERFORM pg_switch_wal();
		END LOOP; END \$\$" >/dev/null
	bl_pg_stop "$TPL"
	sync
	bl_log "backlog: $(bl_ready_count "$TPL") files of 1 MiB are .ready"
}

# drain_backlog KEY LABEL KIND [WORKERS]: KIND basic or pgls.
drain_backlog() {
	local key=$1 label=$2 kind=$3 workers=${4:-0}
	local base=$BL_WORK/backlog/$key d a log=$BL_LOGS/backlog-$key.log reload files
	d=$base/data a=$base/archive
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
			"pg_logship.compression = 'lz4'" "pg_logship.archive_workers = $workers"
		reload="pg_logship.archive_dir = '$a'"
		;;
	esac
	files=$(bl_ready_count "$d")
	bl_pg_start "$d" "$log"
	bl_conf "$d" "$reload"
	local t0=$EPOCHREALTIME
	"$BL_BINDIR/pg_ctl" -D "$d" reload >/dev/null
	bl_wait_archived "$d" "$log" "$BL_STALL" || bl_die "$(cat "$BL_WORK/last_error")"
	local secs
	secs=$(bl_elapsed "$t0")
	local stats archived failed scans=''
	stats=$(bl_psql "SELECT archived_count, failed_count FROM pg_stat_archiver")
	IFS='|' read -r archived failed <<<"$stats"
	[ "$archived" -ge "$files" ] || bl_die "pg_stat_archiver: $archived archived, expected $files"
	if [ "$kind" = pgls ]; then
		bl_psql "CREATE EXTENSION IF NOT EXISTS pg_logship" >/dev/null
		scans=$(bl_psql "SELECT lookahead_scans FROM pg_logship.archive_status" 2>/dev/null || true)
	fi
	bl_pg_stop "$d" immediate
	rm -rf "$base"
	bl_log "backlog: $label: $files files in $secs s${scans:+, $scans look-ahead scans}"
	bl_result backlog "$key" "$label" ok "" "$files" "$secs" "$scans" "$archived" "$failed"
}

if [ "$F_LIB" != 1 ] && [ "$F_BASIC_ARCHIVE" != 1 ]; then
	bl_log "backlog: neither pg_logship nor basic_archive is installed: skipped"
	exit 0
fi
generate
for ((rep = 1; rep <= BL_REPEAT; rep++)); do
	bl_log "backlog: pass $rep of $BL_REPEAT"
	if [ "$F_BASIC_ARCHIVE" = 1 ]; then
		bl_run_variant backlog basic "basic_archive" drain_backlog basic "basic_archive" basic
	elif [ "$rep" = 1 ]; then
		bl_na backlog basic "basic_archive" "basic_archive.so not installed (postgresql-contrib)"
	fi
	if [ "$F_LIB" = 1 ]; then
		bl_run_variant backlog pgls_0 "pg_logship, lz4, inline" \
			drain_backlog pgls_0 "pg_logship, lz4, inline" pgls 0
		if [ "$F_WORKERS" = 1 ]; then
			bl_run_variant backlog pgls_2 "pg_logship, lz4, 2 workers" \
				drain_backlog pgls_2 "pg_logship, lz4, 2 workers" pgls 2
		elif [ "$rep" = 1 ]; then
			bl_na backlog pgls_2 "pg_logship, lz4, 2 workers" "n/a (not built): pg_logship.archive_workers"
		fi
	fi
done
rm -rf "$TPL"
