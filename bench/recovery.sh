#!/usr/bin/env bash
# bench/recovery.sh WORKDIR -- archive-recovery time of the same WAL with each restore_command.
#
# Run by bench/run.sh after drain.sh. WORKDIR/base is the cluster as it was cleanly stopped
# before the WAL was generated (the base backup); WORKDIR/archives/<key> hold the archives that
# drain.sh filled with that WAL. For each restore_command:
#   1. copy the base to a fresh data dir, add recovery.signal, archive_mode = off,
#      hot_standby = off and the restore_command (`sync` after the copy);
#   2. start the server: it replays every archived segment, finds no more, ends recovery
#      (timeline 2), writes the end-of-recovery checkpoint and opens;
#   3. record "redo done at LSN ... elapsed: X s" from the log (the replay time, the figure
#      compared), and the wall time from start until "ready to accept connections".
# Variants: cp, pgBackRest archive-get async (process-max 2, from the async lz4 repository),
# pg_logship restore with and without --prefetch, from the uncompressed and the lz4 archives,
# and the WAL preseeded in pg_wal with restore_command = 'false' (the replay limit).
#
# All of them PGLS_BENCH_REPEAT times, in passes.
#
# Writes WORKDIR/results/recovery.tsv, one line per variant and pass: key, label, status, note,
# segments, redo seconds, seconds until open, LSN of the last record replayed.
# shellcheck disable=SC2153 # the F_* variables come from WORKDIR/features.env
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

bl_phase "$0" "$@"

BASE=$BL_WORK/base
ARCH=$BL_WORK/archives
SEGMENTS=$(cat "$BL_WORK/segments")
LAST=$(bl_last_ready "$BL_WORK/template")
# A generous bound: replay is several segments per second.
TIMEOUT=$((120 + SEGMENTS * 5))

# recover KEY LABEL RESTORE_COMMAND [preseed]: measure one archive recovery.
recover() {
	local key=$1 label=$2 cmd=$3 mode=${4:-}
	local base=$BL_WORK/rec/$key
	local d=$base/data log=$BL_LOGS/recovery-$key.log
	rm -rf "$base"
	# base/spool: pgBackRest's spool (its prefetch queue), new for each run.
	mkdir -p "$base/spool"
	bl_copy_cluster "$BASE" "$d"
	bl_conf "$d" "archive_mode = off" "hot_standby = off" "restore_command = '$cmd'" \
		"recovery_target_timeline = 'latest'"
	touch "$d/recovery.signal"
	if [ "$mode" = preseed ]; then
		cp "$ARCH"/cp/0* "$d/pg_wal/"
		sync
	fi
	rm -f "$log"

	local t0=$EPOCHREALTIME
	bl_pg_start "$d" "$log" nowait
	while ! grep -q 'database system is ready to accept connections' "$log" 2>/dev/null; do
		if grep -qE '(FATAL|PANIC):' "$log" 2>/dev/null; then
			bl_die "$(grep -m1 -E '(FATAL|PANIC):' "$log" | cut -c1-200)"
		fi
		if awk "BEGIN { exit !($EPOCHREALTIME - $t0 > $TIMEOUT) }"; then
			bl_die "recovery did not finish in ${TIMEOUT}s"
		fi
		sleep 0.05
	done
	local open_s redo
	open_s=$(bl_elapsed "$t0")
	redo=$(sed -n 's/.*redo done at \([0-9A-F]*\/[0-9A-F]*\) .*elapsed: \([0-9.]*\) s.*/\1 \2/p' "$log")
	bl_pg_stop "$d" immediate
	rm -rf "$base"
	if [ -z "$redo" ]; then
		grep -q 'redo is not required' "$log" &&
			bl_die "nothing was replayed: the restore_command restored no WAL (see $log)"
		bl_die "no \"redo done\" line in $log"
	fi
	local lsn=${redo% *} secs=${redo#* }
	# The last record replayed must be in the archive's last segment (its pg_switch_wal()):
	# a restore_command that failed quietly would end recovery early, and look fast.
	local hi=$((16#${lsn%/*})) lo=$((16#${lsn#*/}))
	if [ "$hi" != "$((16#${LAST:8:8}))" ] || [ "$((lo >> 24))" != "$((16#${LAST:16:8}))" ]; then
		bl_die "replay ended at $lsn, not in the last segment $LAST (see $log)"
	fi
	bl_log "recovery: $label: redo $secs s, open after $open_s s, up to $lsn"
	bl_result recovery "$key" "$label" ok "" "$SEGMENTS" "$secs" "$open_s" "$lsn"
}

# one_pass REP: every variant once (variants that cannot run: recorded in the first pass only).
one_pass() {
	local first='' label conf src arch pf key opts
	[ "$1" = 1 ] && first=1

	# --- cp ---
	if [ -d "$ARCH/cp" ]; then
		bl_run_variant recovery cp "cp" recover cp "cp" "cp $ARCH/cp/%f \"%p\""
	else
		[ -z "$first" ] || bl_na recovery cp "cp" "no cp archive (its drain failed)"
	fi

	# --- pgBackRest archive-get, async, from the repository archive-push async filled ---
	label="pgBackRest archive-get async, process-max 2 (lz4 repo)"
	if [ "$F_PGBACKREST" != 1 ]; then
		[ -z "$first" ] || bl_na recovery pgbr "$label" "pgbackrest not installed (apt-get install pgbackrest)"
	elif [ ! -d "$ARCH/pgbr" ]; then
		[ -z "$first" ] || bl_na recovery pgbr "$label" "no pgBackRest repository (its drain failed)"
	else
		mkdir -p "$BL_WORK/rec/pgbr-conf"
		conf=$BL_WORK/rec/pgbr-conf/pgbackrest.conf
		# pg1-path and spool-path: where recover() puts the copy of the base and a new spool.
		bl_pgbr_conf "$conf" "$BL_WORK/rec/pgbr/data" "$ARCH/pgbr" "$BL_WORK/rec/pgbr/spool" y lz4
		bl_run_variant recovery pgbr "$label" recover pgbr "$label" \
			"pgbackrest --config=$conf --stanza=bench archive-get %f \"%p\""
	fi

	# --- pg_logship restore ---
	for src in none lz4; do
		arch=$ARCH/pgls_$src
		for pf in 0 "$BL_PREFETCH"; do
			key=pgls_${src}_pf$pf
			label="pg_logship restore"
			[ "$pf" = 0 ] || label+=" --prefetch $pf"
			label+=" ($src archive)"
			opts=''
			[ "$pf" = 0 ] || opts="--prefetch $pf "
			if [ "$F_CLI" != 1 ]; then
				[ -z "$first" ] || bl_na recovery "$key" "$label" "pg_logship not installed"
			elif [ "$pf" != 0 ] && [ "$F_PREFETCH" != 1 ]; then
				[ -z "$first" ] || bl_na recovery "$key" "$label" "n/a (not built): pg_logship restore --prefetch"
			elif [ "$src" = lz4 ] && ! bl_has_compression lz4; then
				[ -z "$first" ] || bl_na recovery "$key" "$label" "n/a (not built): pg_logship.compression = lz4"
			elif [ ! -d "$arch" ]; then
				[ -z "$first" ] || bl_na recovery "$key" "$label" "no $src archive (its drain failed or was not run)"
			else
				bl_run_variant recovery "$key" "$label" recover "$key" "$label" \
					"$BL_BINDIR/pg_logship restore ${opts}--archive-dir $arch %f \"%p\""
			fi
		done
	done

	# --- the limit: every segment already in pg_wal ---
	label="WAL preseeded in pg_wal (the limit)"
	if [ -d "$ARCH/cp" ]; then
		bl_run_variant recovery preseed "$label" recover preseed "$label" "false" preseed
	else
		[ -z "$first" ] || bl_na recovery preseed "$label" "no cp archive to take the segments from"
	fi
}

for ((rep = 1; rep <= BL_REPEAT; rep++)); do
	bl_log "recovery: pass $rep of $BL_REPEAT"
	one_pass "$rep"
done
