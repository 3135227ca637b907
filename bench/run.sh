#!/usr/bin/env bash
# bench/run.sh -- `make bench`: pg_logship against its peers, in one run, on one machine, on the
# same pgbench-generated WAL. Run as a user that may start PostgreSQL (make bench runs it through
# scripts/as-pg-user.sh), from the repository root, with PostgreSQL 15's bindir on PATH.
#
#   1. Generate the WAL once (generate_wal): initdb a primary with archiving paused
#      (archive_mode = on, no archive_command/library, so .ready files accumulate; max_wal_size
#      8GB, so nothing is recycled), stop it cleanly and keep that copy as the base backup
#      (WORKDIR/base). Start it again, `pgbench -i`, then rounds of CHECKPOINT + pgbench until
#      at least PGLS_BENCH_SEGMENTS (64; quick: 16) segments are .ready, pg_switch_wal(), stop
#      it cleanly: that is the template (WORKDIR/template).
#   2. Find out what this pg_logship build offers (bl_detect_features): pg_logship.compression,
#      .archive_workers, `pg_logship restore --prefetch`, pgBackRest, basic_archive.
#   3. bench/drain.sh: backlog drain rate of each archiver (copies of the template).
#      bench/backlog.sh: the look-ahead on a backlog of 2,000 small files, against basic_archive
#      (its own template of 1 MiB segments).
#   4. bench/recovery.sh: archive-recovery time of that WAL (copies of the base).
#      Both go over all their variants PGLS_BENCH_REPEAT times (3; quick: 1), in passes; the
#      tables show the median and the range.
#   5. bench/profile.sh: where the CPU goes while basic_archive and pg_logship (lz4, 2 workers)
#      drain the backlog (perf, when it can run; see the script).
#   6. bench/tps.sh: pgbench TPS with archiving off and with pg_logship on.
#   6b. bench/s3.sh: the same drain and recovery with the archive in a bucket of a throwaway
#      Ceph RADOS Gateway, against pgBackRest's S3 repository and `aws s3 cp`.
#   7. Print the tables, write them as markdown to $PGLS_OUT/artifacts/bench.md (raw results in
#      $PGLS_OUT/artifacts/bench-*.tsv), remove the work dir, then run bench/monitor.sh if it
#      exists.
# Every server is stopped on exit, whatever happens (bl_cleanup). Server logs are kept in
# $PGLS_OUT/bench-logs. Settings: see the header of bench/lib.sh (PGLS_BENCH_QUICK=1 for a quick
# check). Exit status: 0 when every variant that exists ran; 1 when something failed (the tables
# are printed anyway).
# shellcheck disable=SC2153 # the F_* variables come from WORKDIR/features.env
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

: "${PGLS_OUT:=$PWD/build}"
export PGLS_OUT
WORK=${PGLS_BENCH_WORK:-$PGLS_OUT/bench-work}
ART=$PGLS_OUT/artifacts
T_START=$EPOCHREALTIME

# shellcheck disable=SC2317 # called by the EXIT trap
on_exit() {
	bl_cleanup
	if [ "${PGLS_BENCH_KEEP:-0}" = 1 ]; then
		bl_log "kept the work dir $WORK (PGLS_BENCH_KEEP=1)"
	else
		rm -rf "$WORK"
	fi
}

rm -rf "$WORK" "$PGLS_OUT/bench-logs"
mkdir -p "$WORK" "$ART"
bl_setup "$WORK"
trap on_exit EXIT
trap 'exit 130' INT TERM

# --- 0. what is there -------------------------------------------------------------------------

pg_version=$("$BL_BINDIR/postgres" --version)
case $pg_version in
*" 15."*) ;;
*) bl_die "expected PostgreSQL 15, found '$pg_version' ($BL_BINDIR)" ;;
esac
if ! command -v pgbackrest >/dev/null 2>&1; then
	cat >&2 <<'EOF'
bench: pgbackrest is not installed: its rows are skipped. To include them:
bench:     apt-get install pgbackrest      (Debian's package, 2.45 on bookworm; sudo when not root)
EOF
fi
pgbr_version=$(pgbackrest version 2>/dev/null || echo 'not installed')

# --- 1. the WAL -------------------------------------------------------------------------------

generate_wal() {
	local p=$BL_WORK/template log=$BL_LOGS/generate.log
	local scale=$((BL_SEGMENTS / 2)) run_s=8 rounds=0 n
	[ "$scale" -ge 2 ] || scale=2
	[ "${PGLS_BENCH_QUICK:-0}" = 1 ] && run_s=3
	bl_initdb "$p"
	bl_pg_start "$p" "$log"
	bl_pg_stop "$p"
	bl_copy_cluster "$p" "$BL_WORK/base"

	bl_pg_start "$p" "$log"
	# synchronous_commit off: only makes the generation faster; the WAL is the same kind.
	PGOPTIONS='-c synchronous_commit=off' "$BL_BINDIR/pgbench" -i -s "$scale" -q \
		>"$BL_LOGS/generate-init.out" 2>&1 || bl_die "pgbench -i failed (see $BL_LOGS/generate-init.out)"
	bl_log "generate: pgbench -i -s $scale: $(bl_ready_count "$p") segments"
	while [ "$(bl_ready_count "$p")" -lt "$BL_SEGMENTS" ]; do
		[ "$rounds" -lt 100 ] || bl_die "could not generate $BL_SEGMENTS segments"
		# After a checkpoint, the first change of each page writes it whole (full-page writes).
		bl_psql "CHECKPOINT"
		PGOPTIONS='-c synchronous_commit=off' "$BL_BINDIR/pgbench" -n -c 4 -j 2 -T "$run_s" \
			>>"$BL_LOGS/generate-run.out" 2>&1 || bl_die "pgbench failed (see $BL_LOGS/generate-run.out)"
		rounds=$((rounds + 1))
	done
	bl_psql "SELECT pg_switch_wal()" >/dev/null
	bl_pg_stop "$p"
	sync
	n=$(bl_ready_count "$p")
	echo "$n" >"$BL_WORK/segments"
	echo "pgbench -i -s $scale, then $rounds x (CHECKPOINT; pgbench -c 4 -T $run_s)" >"$BL_WORK/wal-recipe"
	bl_log "generate: $n segments ($(bl_ready_count "$p") .ready, last $(bl_last_ready "$p")) in $(bl_fmt '%.0f' "$(bl_elapsed "$T_START")") s"
}

# pg_logship may be reinstalled while this runs (by another make): note it if it happens.
pgls_build_id() { cat "$BL_PKGLIBDIR/pg_logship.so" "$BL_BINDIR/pg_logship" 2>/dev/null | md5sum | cut -c1-12; }
BUILD_ID=$(pgls_build_id)

bl_log "generating the WAL (at least $BL_SEGMENTS segments)"
generate_wal
bl_detect_features "$BL_WORK/base"
# shellcheck source=/dev/null disable=SC2153 # F_* come from features.env
. "$BL_WORK/features.env"
bl_log "features: compression='${F_COMPRESSION:-not built}' archive_workers=$F_WORKERS" \
	"restore --prefetch=$F_PREFETCH pgbackrest=$F_PGBACKREST basic_archive=$F_BASIC_ARCHIVE"

# --- 2. the phases ----------------------------------------------------------------------------

failed_phases=()
# PGLS_BENCH_PHASES: the phases to run (default all), e.g. "s3" alone after a change there.
for phase in ${PGLS_BENCH_PHASES:-drain backlog profile recovery tps s3}; do
	T0=$EPOCHREALTIME
	bash "bench/$phase.sh" "$WORK" || failed_phases+=("$phase")
	bl_log "$phase: done in $(bl_fmt '%.0f' "$(bl_elapsed "$T0")") s"
done

# --- 3. the report ----------------------------------------------------------------------------

SEGMENTS=$(cat "$WORK/segments")

# fmt_range MEDIAN N LO HI (awk): "2.45" for one pass, "2.45 [2.31-2.60]" for several.
AWK_RANGE='function range(m, n, lo, hi) { return n > 1 ? sprintf("%.2f [%.2f-%.2f]", m, lo, hi) : sprintf("%.2f", m) }'

# drain.tsv aggregated: key label status note segments secs bytes archived failed n_ok n lo hi
drain_table() {
	local tsv=$BL_RESULTS/drain.tsv agg=$BL_WORK/drain.agg.tsv basic_rate=''
	[ -f "$tsv" ] || return 0
	bl_aggregate 6 7 <"$tsv" >"$agg"
	basic_rate=$(awk -F'\t' '$1 == "basic" && $3 == "ok" { printf "%.6f", $5 / $6 }' "$agg")
	echo "archiver|segments/s|MiB/s|seconds (median [range])|archive size (MiB)|vs basic_archive|note"
	echo "l|r|r|r|r|r|l"
	awk -F'\t' -v basic="$basic_rate" -v seg_mib=16 "$AWK_RANGE"'
		$3 == "ok" {
			rate = $5 / $6
			ratio = basic != "" ? sprintf("%.2fx", rate / basic) : "n/a"
			printf "%s|%.1f|%.0f|%s|%.0f|%s|%s\n", $2, rate, rate * seg_mib, range($6, $10, $12, $13),
				$7 / 1048576, ratio, $4
			next
		}
		{ printf "%s||||||%s\n", $2, ($3 == "na" ? $4 : "FAILED: " $4) }' "$agg"
}

# recovery.tsv aggregated: key label status note segments redo open lsn n_ok n lo hi
recovery_table() {
	local tsv=$BL_RESULTS/recovery.tsv agg=$BL_WORK/recovery.agg.tsv cp_s='' limit_s='' lsn_ref=''
	[ -f "$tsv" ] || return 0
	bl_aggregate 6 7 <"$tsv" >"$agg"
	cp_s=$(awk -F'\t' '$1 == "cp" && $3 == "ok" { print $6 }' "$agg")
	limit_s=$(awk -F'\t' '$1 == "preseed" && $3 == "ok" { print $6 }' "$agg")
	# Every run must replay the same WAL: the last record replayed is the same everywhere.
	lsn_ref=$(awk -F'\t' '$3 == "ok" { print $8 }' "$tsv" | sort | uniq -c | sort -rn | awk 'NR == 1 { print $2 }')
	echo "restore_command|redo s (median [range])|segments/s|until open (s)|speed vs cp|limit / redo|note"
	echo "l|r|r|r|r|r|l"
	awk -F'\t' -v cp="$cp_s" -v limit="$limit_s" -v lsn_ref="$lsn_ref" "$AWK_RANGE"'
		$3 != "ok" { printf "%s||||||%s\n", $2, ($3 == "na" ? $4 : "FAILED: " $4); next }
		{
			note = $4
			if ($8 != lsn_ref) note = note (note ? "; " : "") "replayed up to " $8 ", the others to " lsn_ref
			vs = (cp != "" && $6 > 0) ? sprintf("%.2fx", cp / $6) : "n/a"
			lim = (limit != "" && $6 > 0) ? sprintf("%.0f%%", 100 * limit / $6) : "n/a"
			printf "%s|%s|%.1f|%.2f|%s|%s|%s\n", $2, range($6, $9, $11, $12), ($6 > 0 ? $5 / $6 : 0), $7, vs, lim, note
		}' "$agg"
}

# backlog.tsv aggregated: key label status note files secs scans archived failed n_ok n lo hi
backlog_table() {
	local tsv=$BL_RESULTS/backlog.tsv agg=$BL_WORK/backlog.agg.tsv basic_rate=''
	[ -f "$tsv" ] || return 0
	bl_aggregate 6 <"$tsv" >"$agg"
	basic_rate=$(awk -F'\t' '$1 == "basic" && $3 == "ok" { printf "%.6f", $5 / $6 }' "$agg")
	echo "archiver|files/s|seconds (median [range])|vs basic_archive|look-ahead directory scans|files per scan|note"
	echo "l|r|r|r|r|r|l"
	awk -F'\t' -v basic="$basic_rate" "$AWK_RANGE"'
		$3 == "ok" {
			rate = $5 / $6
			ratio = basic != "" ? sprintf("%.2fx", rate / basic) : "n/a"
			scans = $7 != "" ? $7 : "-"
			per = ($7 != "" && $7 > 0) ? sprintf("%.0f", $5 / $7) : "-"
			printf "%s|%.0f|%s|%s|%s|%s|%s\n", $2, rate, range($6, $10, $12, $13), ratio, scans, per, $4
			next
		}
		{ printf "%s||||||%s\n", $2, ($3 == "na" ? $4 : "FAILED: " $4) }' "$agg"
}

tps_table() {
	local f=$BL_RESULTS/tps.tsv off=''
	[ -f "$f" ] || return 0
	off=$(awk -F'\t' '$1 == "off" && $3 == "ok" { print $5 }' "$f")
	echo "configuration|TPS (mean)|each run|vs off|WAL archived during the run|note"
	echo "l|r|r|r|l|l"
	awk -F'\t' -v off="$off" '
		$3 == "ok" {
			ratio = off != "" ? sprintf("%.2fx", $5 / off) : "n/a"
			arch = $1 == "off" ? "-" : sprintf("%d segments, %d still .ready at the end; archiving used %.1f%% of the CPU", $7, $8, $9)
			printf "%s|%.0f|%s|%s|%s|%s\n", $2, $5, $6, ratio, arch, $4
			next
		}
		{ printf "%s|||||%s\n", $2, ($3 == "na" ? $4 : "FAILED: " $4) }' "$f"
}

total_s=$(bl_fmt '%.0f' "$(bl_elapsed "$T_START")")
build_note="pg_logship build $BUILD_ID (md5 of pg_logship.so and the CLI)."
if [ "$(pgls_build_id)" != "$BUILD_ID" ]; then
	build_note="WARNING: pg_logship was reinstalled during the run (build $BUILD_ID at the start,"
	build_note+=" $(pgls_build_id) at the end): its rows may mix two builds."
	bl_log "$build_note"
fi
# Per-segment cost of each way of storing a segment, on one core (bench/encode_cost.cpp), on up to
# 24 of the template's segments. Run before the work dir is removed.
encode_cost() {
	local segs
	segs=$(find "$BL_WORK/template/pg_wal" -maxdepth 1 -name '0000000*' -size 16M | sort | head -24)
	if [ ! -x bench/encode_cost ] || [ -z "$segs" ]; then
		echo "(bench/encode_cost not built or no segments: skipped)"
		return
	fi
	# shellcheck disable=SC2086
	bench/encode_cost $segs
}
encode_cost >"$WORK/encode-cost.txt" 2>&1 || true

report() {
	local wal_mib=$((SEGMENTS * 16))
	echo "## Benchmarks"
	echo
	echo "One run of \`make bench\`$([ "${PGLS_BENCH_QUICK:-0}" = 1 ] && echo ' (quick mode)'), $(date -u '+%Y-%m-%d %H:%M UTC'):" \
		"$(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo)," \
		"PostgreSQL ${pg_version#postgres (PostgreSQL) }, ${pgbr_version}. The same WAL for every row:" \
		"$SEGMENTS segments ($wal_mib MiB) generated by $(cat "$WORK/wal-recipe")."
	echo
	echo "### Archiving a backlog of $SEGMENTS segments ($BL_REPEAT pass(es))"
	echo
	echo "A copy of the backlog is started with archiving configured but for one setting"
	echo "(archive_command, or the archive module's directory); that setting is added and the server"
	echo "reloaded; the time runs until no \`.ready\` file is left (polled every 50 ms). Rates are"
	echo "from the median time; the variants run in turn, pass after pass."
	echo
	drain_table | bl_table
	echo
	echo "### Archiving a backlog of $BL_BACKLOG small files ($BL_REPEAT pass(es))"
	echo
	echo "The look-ahead's cost on a long backlog (bench/backlog.sh): $BL_BACKLOG segments of 1 MiB"
	echo "(initdb --wal-segsize=1), drained as above. Before the batch, the look-ahead read all of"
	echo "pg_wal/archive_status for every file: $BL_BACKLOG scans of up to $BL_BACKLOG names each."
	echo
	backlog_table | bl_table
	echo
	echo "### Archive recovery of the same WAL ($BL_REPEAT pass(es))"
	echo
	echo "A base backup taken before the WAL was generated, \`recovery.signal\`, replay to the end of"
	echo "the archive. *redo* is PostgreSQL's \"redo done ... elapsed\"; *until open* adds start-up and"
	echo "the end-of-recovery checkpoint. *limit / redo*: how close to replaying from a preseeded pg_wal."
	echo
	recovery_table | bl_table
	echo
	echo "### pgbench TPS (scale $BL_TPS_SCALE, $BL_TPS_CLIENTS clients, ${BL_TPS_SECONDS} s per run, $BL_TPS_ROUNDS run(s) each, alternating)"
	echo
	tps_table | bl_table
	echo
	echo "### Where archiving time goes (one segment, one core)"
	echo
	echo "Reading a segment of this WAL and writing it durably (fsync) into a new file, on one core:"
	echo "a plain copy as basic_archive makes it, and pg_logship's encoder (checksum, compression,"
	echo "header). Two cores bound a compressing archiver at 2 x (copy time / encode time) times"
	echo "a single-process copier's rate (bench/encode_cost.cpp)."
	echo
	echo '```'
	cat "$WORK/encode-cost.txt"
	echo '```'
	echo
	echo "### Where the CPU goes while the backlog drains (perf, bench/profile.sh)"
	echo
	echo "The archiving processes of a fresh copy of the backlog, profiled while it drains: user"
	echo "space by perf (cpu-clock samples), kernel time from /proc/<pid>/stat."
	echo
	echo '```'
	cat "$WORK/profile.txt" 2>/dev/null || echo "(no profile: bench/profile.sh did not run)"
	echo '```'
	echo
	if [ -f "$WORK/s3.md" ]; then
		cat "$WORK/s3.md"
		echo
	fi
	echo "Total time of the run: ${total_s} s. $build_note"
}

report | tee "$ART/bench.md"
for phase in drain backlog recovery tps tps-runs s3drain s3recovery; do
	if [ -f "$BL_RESULTS/$phase.tsv" ]; then cp "$BL_RESULTS/$phase.tsv" "$ART/bench-$phase.tsv"; fi
done
echo
bl_log "tables written to $ART/bench.md; server logs in $PGLS_OUT/bench-logs"

rc=0
if [ "${#failed_phases[@]}" -gt 0 ]; then
	bl_log "phase scripts that failed: ${failed_phases[*]}"
	rc=1
fi
if grep -qh $'\tfail\t' "$BL_RESULTS"/*.tsv 2>/dev/null; then
	bl_log "some variants failed (see the tables and $PGLS_OUT/bench-logs)"
	rc=1
fi

# Free the disk before the next script.
bl_cleanup
if [ "${PGLS_BENCH_KEEP:-0}" != 1 ]; then rm -rf "$WORK"; fi

if [ -x bench/monitor.sh ] && [ -z "${PGLS_BENCH_PHASES:-}" ]; then
	bash bench/monitor.sh || rc=1
fi
exit "$rc"
