#!/usr/bin/env bash
# bench/drain.sh WORKDIR -- backlog drain rate of each archiver, on the same WAL.
#
# Run by bench/run.sh after it generated WORKDIR/template: a cleanly stopped cluster whose
# pg_wal holds N segments marked .ready (archiving was paused). For each archiver:
#   1. copy the template to a fresh data dir (then `sync`, so the copy's write-back is over);
#   2. start it with archiving still paused, but everything else of the archiver in place
#      (shared_preload_libraries, archive_library, pg_logship.* settings); set up what the
#      archiver needs (pgBackRest: stanza-create);
#   3. set the one setting that was missing and reload: the clock starts. That is
#      archive_command for shell commands, and the archive directory for archive modules
#      (basic_archive.archive_directory, pg_logship.archive_dir: while it is empty the module's
#      check_configured callback returns false and the archiver waits). Not archive_library:
#      in PostgreSQL 15 changing it on reload makes the archiver exit, and the postmaster
#      starts a new one only on a later pass of its main loop, up to a minute later;
#   4. poll every 50 ms until no .ready file is left: the clock stops;
#   5. record segments, seconds, the archive's size (du -sb) and pg_stat_archiver's counts.
# Archivers: cp archive_command, basic_archive, pgBackRest archive-push sync and async
# (process-max 2, lz4), pg_logship with none/lz4/zstd compression, each inline (0 workers) and
# with 1 and 2 workers. Variants this pg_logship build has no setting for are recorded as "na".
# All of them PGLS_BENCH_REPEAT times, in passes (so that a slow spell of the machine spreads
# over all variants). The archives that recovery.sh restores from are kept, from the first
# pass, in WORKDIR/archives/<key>.
#
# Writes WORKDIR/results/drain.tsv, one line per variant and pass: key, label, status
# (ok|na|fail), note, segments, seconds, archive bytes, archived_count, failed_count.
# shellcheck disable=SC2153 # the F_* variables come from WORKDIR/features.env
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

bl_phase "$0" "$@"

TPL=$BL_WORK/template
SEGMENTS=$(bl_ready_count "$TPL")
LAST=$(bl_last_ready "$TPL")
mkdir -p "$BL_WORK/archives"

# drain KEY LABEL KIND [ARGS]: measure one archiver. KIND: cp, basic, pgbr SYNC|ASYNC,
# pgls COMPRESSION WORKERS.
drain() {
	local key=$1 label=$2 kind=$3
	shift 3
	local base=$BL_WORK/drain/$key
	local d=$base/data a=$base/archive log=$BL_LOGS/drain-$key.log conf=$base/pgbackrest.conf
	local reload=()
	rm -rf "$base"
	mkdir -p "$base" "$a"
	bl_copy_cluster "$TPL" "$d"
	# Autovacuum would start on the tables pgbench left behind, in the middle of the measurement.
	bl_conf "$d" "autovacuum = off"

	case $kind in
	cp)
		reload=("archive_command = 'test ! -f $a/%f && cp %p $a/%f'")
		;;
	basic)
		bl_conf "$d" "archive_library = 'basic_archive'"
		reload=("basic_archive.archive_directory = '$a'")
		;;
	pgbr)
		local async=n
		[ "$1" = async ] && async=y
		bl_pgbr_conf "$conf" "$d" "$a" "$base/spool" "$async" lz4
		reload=("archive_command = 'pgbackrest --config=$conf --stanza=bench archive-push %p'")
		;;
	pgls)
		local comp=$1 workers=$2
		bl_conf "$d" "shared_preload_libraries = 'pg_logship'" "archive_library = 'pg_logship'" \
			"pg_logship.archive_layout = 'shared'"
		[ -n "$F_COMPRESSION" ] && bl_conf "$d" "pg_logship.compression = '$comp'"
		[ "$F_WORKERS" = 1 ] && bl_conf "$d" "pg_logship.archive_workers = $workers"
		reload=("pg_logship.archive_dir = '$a'")
		;;
	esac

	bl_pg_start "$d" "$log"
	[ "$(bl_ready_count "$d")" = "$SEGMENTS" ] ||
		bl_die "$(bl_ready_count "$d") .ready files after start, expected $SEGMENTS"
	case $kind in
	pgbr)
		pgbackrest --config="$conf" --stanza=bench stanza-create >>"$BL_LOGS/pgbackrest-$key.out" 2>&1 ||
			bl_die "pgbackrest stanza-create failed: $(tail -n 1 "$BL_LOGS/pgbackrest-$key.out")"
		;;
	pgls)
		# pg_settings, not SHOW: SHOW also answers for a placeholder the module never defined.
		local got
		if [ -n "$F_COMPRESSION" ]; then
			got=$(bl_psql "SELECT setting FROM pg_settings WHERE name = 'pg_logship.compression'")
			[ "$got" = "$comp" ] || bl_die "pg_logship.compression is '$got', not '$comp'"
		fi
		if [ "$F_WORKERS" = 1 ]; then
			got=$(bl_psql "SELECT setting FROM pg_settings WHERE name = 'pg_logship.archive_workers'")
			[ "$got" = "$workers" ] || bl_die "pg_logship.archive_workers is '$got', not $workers"
		fi
		;;
	esac
	# Nothing may have been archived before the clock starts.
	[ -z "$(find "$a" -type f -name '0000*' -print -quit)" ] ||
		bl_die "WAL was archived before archiving was turned on"

	bl_conf "$d" "${reload[@]}"
	local t0=$EPOCHREALTIME
	"$BL_BINDIR/pg_ctl" -D "$d" reload >/dev/null
	bl_wait_archived "$d" "$log" "$BL_STALL" || bl_die "$(cat "$BL_WORK/last_error")"
	local secs
	secs=$(bl_elapsed "$t0")

	local stats archived failed last note=''
	stats=$(bl_psql "SELECT archived_count, failed_count, coalesce(last_archived_wal, '')
		FROM pg_stat_archiver")
	IFS='|' read -r archived failed last <<<"$stats"
	# A check of the measurement itself: every segment of the backlog, and the last one last.
	if [ "$last" != "$LAST" ] || [ "$archived" != "$SEGMENTS" ]; then
		bl_die "pg_stat_archiver: $archived archived, the last $last; expected $SEGMENTS, the last $LAST"
	fi
	[ "$failed" = 0 ] || note="$failed failed attempts"
	local bytes
	bytes=$(bl_du "$a")
	# Immediate: a clean shutdown would switch to a new segment and archive it, so the archive
	# would end with a segment of this copy's own (each copy's differs), not the template's WAL.
	bl_pg_stop "$d" immediate
	rm -rf "$d"
	if [ -n "${KEEP_AS:-}" ]; then
		rm -rf "$BL_WORK/archives/$KEEP_AS"
		mv "$a" "$BL_WORK/archives/$KEEP_AS"
		[ "$kind" = pgbr ] && cp "$conf" "$BL_WORK/archives/$KEEP_AS.conf"
	fi
	rm -rf "$base"
	bl_log "drain: $label: $SEGMENTS segments in $secs s"
	bl_result drain "$key" "$label" ok "$note" "$SEGMENTS" "$secs" "$bytes" "$archived" "$failed"
}

# one_pass REP: every variant once. Variants that cannot run are recorded in the first pass only;
# the archives recovery.sh needs are kept from the first pass.
one_pass() {
	local rep=$1 keep
	local pgbr_sync="pgBackRest archive-push sync, lz4"
	local pgbr_async="pgBackRest archive-push async, process-max 2, lz4"
	local first=''
	[ "$rep" = 1 ] && first=1

	# --- peers ---
	keep=${first:+cp}
	KEEP_AS=$keep bl_run_variant drain cp "cp archive_command (no fsync)" drain cp "cp archive_command (no fsync)" cp

	if [ "$F_BASIC_ARCHIVE" = 1 ]; then
		bl_run_variant drain basic "basic_archive" drain basic "basic_archive" basic
	elif [ -n "$first" ]; then
		bl_na drain basic "basic_archive" "basic_archive.so not installed (postgresql-contrib)"
	fi

	if [ "$F_PGBACKREST" = 1 ]; then
		bl_run_variant drain pgbr_sync "$pgbr_sync" drain pgbr_sync "$pgbr_sync" pgbr sync
		keep=${first:+pgbr}
		KEEP_AS=$keep bl_run_variant drain pgbr_async "$pgbr_async" drain pgbr_async "$pgbr_async" pgbr async
	elif [ -n "$first" ]; then
		bl_na drain pgbr_sync "$pgbr_sync" "pgbackrest not installed (apt-get install pgbackrest)"
		bl_na drain pgbr_async "$pgbr_async" "pgbackrest not installed (apt-get install pgbackrest)"
	fi

	# --- pg_logship ---
	# The archives kept for restore (uncompressed and lz4): those with the most workers this
	# build has.
	local keep_workers=0 comp workers key label why
	[ "$F_WORKERS" = 1 ] && keep_workers=2
	for comp in none lz4 zstd; do
		for workers in 0 1 2; do
			key=pgls_${comp}_$workers
			if [ "$workers" = 0 ]; then
				label="pg_logship, $comp, inline"
			else
				label="pg_logship, $comp, $workers worker$([ "$workers" = 1 ] || echo s)"
			fi
			why=''
			if [ "$F_LIB" != 1 ]; then
				why="pg_logship not installed"
			elif [ "$comp" != none ] && ! bl_has_compression "$comp"; then
				why="n/a (not built): pg_logship.compression = $comp"
			elif [ "$workers" != 0 ] && [ "$F_WORKERS" != 1 ]; then
				why="n/a (not built): pg_logship.archive_workers"
			fi
			if [ -n "$why" ]; then
				[ -z "$first" ] || bl_na drain "$key" "$label" "$why"
				continue
			fi
			keep=''
			if [ -n "$first" ] && [ "$comp" != zstd ] && [ "$workers" = "$keep_workers" ]; then
				keep=pgls_$comp
			fi
			KEEP_AS=$keep bl_run_variant drain "$key" "$label" drain "$key" "$label" pgls "$comp" "$workers"
		done
	done
}

for ((rep = 1; rep <= BL_REPEAT; rep++)); do
	bl_log "drain: pass $rep of $BL_REPEAT"
	one_pass "$rep"
done
