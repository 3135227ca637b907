#!/usr/bin/env bash
# bench/s3.sh WORKDIR -- the archive in S3-compatible object storage: backlog drain into a
# bucket and archive recovery from it, pg_logship against its peers, on the same WAL.
#
# Run by bench/run.sh after the other phases, on WORKDIR/template (the backlog) and WORKDIR/base
# (the base backup). Starts one throwaway Ceph RADOS Gateway for the phase (bench/s3lib.sh:
# bluestore on a sparse file, https with a self-signed certificate) and stops it on exit.
#
# Drain (as drain.sh: a fresh copy of the backlog, archiving turned on by one setting and a
# reload, the clock stops when no .ready file is left):
#   - pg_logship, lz4, 2 workers, into a local directory: the reference, and the local archive
#     that recovery compares with;
#   - pg_logship, lz4, 1, 2 and 4 workers, into the bucket (https, certificate checked);
#   - pgBackRest 2.45 archive-push async, process-max 2, lz4, repo1-type=s3 on the same gateway;
#   - `aws s3 cp %p s3://.../%f` as archive_command (Debian's awscli: what a newcomer writes
#     first). One Python start and one upload per segment: timed over the first
#     PGLS_BENCH_S3_AWS_SEGMENTS segments (default 24, quick 8) of the backlog, in the first
#     pass only.
#   After each: pg_stat_archiver must count every segment, and the bucket must hold exactly one
#   object per segment under the variant's prefix (zero lost, nothing quarantined). The
#   requests radosgw served during the drain are counted by method (its access log), and the
#   CPU time its daemons used (/proc).
# Recovery (as recovery.sh: a copy of the base, recovery.signal, replay to the end of the
# archive; PostgreSQL's "redo done ... elapsed"), of the archives the first pass filled:
#   - pg_logship restore --prefetch N from the local archive (the reference);
#   - pg_logship restore from the bucket, without prefetch, with --prefetch N
#     --prefetch-workers 2 (the default for a directory) and with --prefetch N (for an s3://
#     archive 4 workers by default);
#   - pgBackRest archive-get async (process-max 2) from its S3 repository.
#   With prefetch, the prefetcher's counters (pg_wal/pgls_prefetch/.stats) are read before the
#   server stops: how many segments recovery found in the spool.
# All of them PGLS_BENCH_REPEAT times, in passes.
#
# Writes WORKDIR/results/s3drain.tsv (key, label, status, note, segments, seconds, stored
# bytes, objects, requests, gateway CPU ms a segment) and WORKDIR/results/s3recovery.tsv (key,
# label, status, note, segments, redo seconds, seconds until open, LSN, requests, gateway CPU
# ms a segment), and the two tables with the
# targets as markdown in WORKDIR/s3.md, which run.sh prints. Without the gateway's packages, or
# with a pg_logship build that has no S3, the tables say why.
# shellcheck disable=SC2153 # the F_* variables come from WORKDIR/features.env
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
# shellcheck source=bench/s3lib.sh
. bench/s3lib.sh

bl_phase "$0" "$@"

TPL=$BL_WORK/template
BASE=$BL_WORK/base
SEGMENTS=$(bl_ready_count "$TPL")
LAST=$(bl_last_ready "$TPL")
OUT=$BL_WORK/s3.md
KEPT=$BL_WORK/s3kept
mkdir -p "$KEPT"
if [ "${PGLS_BENCH_QUICK:-0}" = 1 ]; then
	AWS_SEGMENTS=${PGLS_BENCH_S3_AWS_SEGMENTS:-8}
else
	AWS_SEGMENTS=${PGLS_BENCH_S3_AWS_SEGMENTS:-24}
fi
[ "$AWS_SEGMENTS" -le "$SEGMENTS" ] || AWS_SEGMENTS=$SEGMENTS
TIMEOUT=$((120 + SEGMENTS * 5))
TICK=$(getconf CLK_TCK)
PGLS=$BL_BINDIR/pg_logship
AWS=$(command -v aws || true)
GW=''

# shellcheck disable=SC2317 # called by the EXIT trap
s3_on_exit() {
	bl_cleanup
	if [ -n "$GW" ]; then
		bash scripts/rgw.sh stop "$GW" >/dev/null 2>&1 || true
		mkdir -p "$BL_LOGS/rgw"
		cp "$GW"/log/*.log "$BL_LOGS/rgw/" 2>/dev/null || true
		rm -rf "$GW"
	fi
}
trap s3_on_exit EXIT

# What can run: the gateway's packages, an S3-capable pg_logship, pgBackRest, awscli.
why_no_gw=''
for b in ceph-mon ceph-osd radosgw radosgw-admin curl openssl; do
	command -v "$b" >/dev/null 2>&1 || why_no_gw="$b not installed (scripts/deps.sh)"
done
why_no_pgls=''
if [ "$F_LIB" != 1 ] || [ "$F_CLI" != 1 ]; then
	why_no_pgls="pg_logship not installed"
elif ! "$PGLS" restore --help 2>&1 | grep -q -- '--s3-endpoint'; then
	why_no_pgls="n/a (not built): s3:// archives"
elif ! bl_has_compression lz4 || [ "$F_WORKERS" != 1 ]; then
	why_no_pgls="n/a (not built): pg_logship.compression = lz4 and archive_workers"
fi

# ---- drain ------------------------------------------------------------------------------------

# s3_drain KEY LABEL KIND PREFIX [ARG]: measure one archiver. KIND: local (pg_logship into a
# directory, ARG workers), pgls (into s3://BUCKET/PREFIX, ARG workers), pgbr (repository at
# /PREFIX), aws (archive_command into PREFIX, the first $AWS_SEGMENTS segments).
s3_drain() {
	local key=$1 label=$2 kind=$3 prefix=$4 arg=${5:-}
	local base=$BL_WORK/s3drain/$key
	local d=$base/data a=$base/archive log=$BL_LOGS/s3drain-$key.log conf=$base/pgbackrest.conf
	local reload=() want=$SEGMENTS
	rm -rf "$base"
	mkdir -p "$base" "$a"
	bl_copy_cluster "$TPL" "$d"
	bl_conf "$d" "autovacuum = off"
	case $kind in
	local | pgls)
		bl_conf "$d" "shared_preload_libraries = 'pg_logship'" "archive_library = 'pg_logship'" \
			"pg_logship.archive_layout = 'shared'" "pg_logship.compression = 'lz4'" \
			"pg_logship.archive_workers = $arg"
		if [ "$kind" = local ]; then
			reload=("pg_logship.archive_dir = '$a'")
		else
			# shellcheck disable=SC2046
			bl_conf "$d" "$(s3_pgls_conf)"
			reload=("pg_logship.archive_dir = 's3://$S3_BUCKET/$prefix'")
		fi
		;;
	pgbr)
		s3_pgbr_conf "$conf" "$d" "/$prefix" "$base/spool"
		reload=("archive_command = 'pgbackrest --config=$conf --stanza=bench archive-push %p'")
		;;
	aws)
		want=$AWS_SEGMENTS
		reload=("archive_command = '$AWS --endpoint-url $S3_TLS s3 cp --only-show-errors %p s3://$S3_BUCKET/$prefix/%f'")
		;;
	esac

	# aws reads its keys, region and CA bundle from the environment the server inherits.
	AWS_SHARED_CREDENTIALS_FILE=$S3_CREDS AWS_DEFAULT_REGION=$S3_REGION AWS_CA_BUNDLE=$S3_CA \
		AWS_CONFIG_FILE=/dev/null bl_pg_start "$d" "$log"
	[ "$(bl_ready_count "$d")" = "$SEGMENTS" ] ||
		bl_die "$(bl_ready_count "$d") .ready files after start, expected $SEGMENTS"
	if [ "$kind" = pgbr ]; then
		pgbackrest --config="$conf" --stanza=bench stanza-create >>"$BL_LOGS/s3-pgbackrest-$key.out" 2>&1 ||
			bl_die "pgbackrest stanza-create failed: $(tail -n 1 "$BL_LOGS/s3-pgbackrest-$key.out")"
	fi
	[ "$(bl_psql "SELECT archived_count FROM pg_stat_archiver")" = 0 ] ||
		bl_die "WAL was archived before archiving was turned on"

	bl_conf "$d" "${reload[@]}"
	local mark t0 secs ticks0 gw_ms
	mark=$(s3_log_mark)
	ticks0=$(s3_gateway_ticks)
	t0=$EPOCHREALTIME
	"$BL_BINDIR/pg_ctl" -D "$d" reload >/dev/null
	if [ "$want" = "$SEGMENTS" ]; then
		bl_wait_archived "$d" "$log" "$BL_STALL" || bl_die "$(cat "$BL_WORK/last_error")"
	else
		s3_wait_count "$d" "$log" "$want" "$BL_STALL" || bl_die "$(cat "$BL_WORK/last_error")"
	fi
	secs=$(bl_elapsed "$t0")
	gw_ms=$(bl_fmt '%.1f' "($(s3_gateway_ticks) - $ticks0) * 1000 / $TICK / $want")
	local requests
	requests=$(s3_requests "$mark")

	local stats archived failed last note=''
	stats=$(bl_psql "SELECT archived_count, failed_count, coalesce(last_archived_wal, '')
		FROM pg_stat_archiver")
	IFS='|' read -r archived failed last <<<"$stats"
	if [ "$want" = "$SEGMENTS" ] && { [ "$last" != "$LAST" ] || [ "$archived" != "$SEGMENTS" ]; }; then
		bl_die "pg_stat_archiver: $archived archived, the last $last; expected $SEGMENTS, the last $LAST"
	fi
	[ "$failed" = 0 ] || note="$failed failed attempts"
	bl_pg_stop "$d" immediate

	# What the store holds: one object per segment archived, nothing else that is WAL.
	local objects=0 bytes=0 listing
	if [ "$kind" = local ]; then
		objects=$(find "$a/wal" -type f -name '0000*' | wc -l)
		bytes=$(bl_du "$a")
		[ -z "$(find "$a" -path '*quarantine*' -type f -print -quit)" ] || bl_die "files in quarantine"
	else
		listing=$(s3_list "$prefix/")
		objects=$(awk -F'\t' '$1 ~ /\/0000000[0-9A-F]+(-[0-9a-f]+)?(\.lz4)?$/' <<<"$listing" | wc -l)
		bytes=$(awk -F'\t' '{ s += $2 } END { printf "%d", s }' <<<"$listing")
		! grep -q '/quarantine/' <<<"$listing" || bl_die "objects in quarantine under $prefix"
	fi
	if [ "$objects" -lt "$archived" ] || [ "$objects" -lt "$want" ]; then
		bl_die "$objects segment objects under $prefix for $archived archived segments"
	fi
	[ "$kind" = aws ] && note="${note:+$note; }first $want of the $SEGMENTS segments, one pass"

	rm -rf "$d"
	if [ -n "${KEEP_AS:-}" ]; then
		case $kind in
		local) rm -rf "$KEPT/local" && mv "$a" "$KEPT/local" ;;
		pgls) echo "$prefix" >"$KEPT/pgls" ;;
		pgbr) echo "$prefix" >"$KEPT/pgbr" ;;
		esac
	fi
	rm -rf "$base"
	bl_log "s3 drain: $label: $want segments in $secs s ($requests; gateway $gw_ms ms CPU a segment)"
	bl_result s3drain "$key" "$label" ok "$note" "$want" "$secs" "$bytes" "$objects" "$requests" "$gw_ms"
}

drain_pass() {
	local rep=$1 first='' w key label keep
	[ "$rep" = 1 ] && first=1
	if [ -n "$why_no_pgls" ]; then
		[ -z "$first" ] || bl_na s3drain pgls_local "pg_logship, lz4, 2 workers, local directory" "$why_no_pgls"
	else
		KEEP_AS=${first:+1} bl_run_variant s3drain pgls_local "pg_logship, lz4, 2 workers, local directory" \
			s3_drain pgls_local "pg_logship, lz4, 2 workers, local directory" local "" 2
	fi
	for w in 1 2 4; do
		key=pgls_s3_$w
		label="pg_logship, lz4, $w worker$([ "$w" = 1 ] || echo s)"
		if [ -n "$why_no_pgls" ]; then
			[ -z "$first" ] || bl_na s3drain "$key" "$label" "$why_no_pgls"
			continue
		fi
		keep=''
		[ -n "$first" ] && [ "$w" = 2 ] && keep=1
		KEEP_AS=$keep bl_run_variant s3drain "$key" "$label" \
			s3_drain "$key" "$label" pgls "bench/$key/p$rep" "$w"
	done
	label="pgBackRest archive-push async, process-max 2, lz4"
	if [ "$F_PGBACKREST" != 1 ]; then
		[ -z "$first" ] || bl_na s3drain pgbr "$label" "pgbackrest not installed (apt-get install pgbackrest)"
	else
		KEEP_AS=${first:+1} bl_run_variant s3drain pgbr "$label" \
			s3_drain pgbr "$label" pgbr "bench/pgbr/p$rep"
	fi
	label="aws s3 cp archive_command"
	if [ -z "$AWS" ]; then
		[ -z "$first" ] || bl_na s3drain aws "$label" "aws not installed (apt-get install awscli)"
	elif [ -n "$first" ]; then
		bl_run_variant s3drain aws "$label" s3_drain aws "$label" aws "bench/aws/p$rep"
	fi
}

# ---- recovery ---------------------------------------------------------------------------------

# s3_recover KEY LABEL RESTORE_COMMAND: measure one archive recovery (as recovery.sh's recover).
s3_recover() {
	local key=$1 label=$2 cmd=$3
	local base=$BL_WORK/s3rec/$key
	local d=$base/data log=$BL_LOGS/s3recovery-$key.log
	rm -rf "$base"
	mkdir -p "$base/spool"
	bl_copy_cluster "$BASE" "$d"
	bl_conf "$d" "archive_mode = off" "hot_standby = off" "restore_command = '${cmd//\'/\'\'}'" \
		"recovery_target_timeline = 'latest'"
	touch "$d/recovery.signal"
	rm -f "$log"

	local mark t0 ticks0
	mark=$(s3_log_mark)
	ticks0=$(s3_gateway_ticks)
	t0=$EPOCHREALTIME
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
	local open_s redo requests gw_ms note='' st=$d/pg_wal/pgls_prefetch/.stats
	open_s=$(bl_elapsed "$t0")
	gw_ms=$(bl_fmt '%.1f' "($(s3_gateway_ticks) - $ticks0) * 1000 / $TICK / $SEGMENTS")
	requests=$(s3_requests "$mark")
	redo=$(sed -n 's/.*redo done at \([0-9A-F]*\/[0-9A-F]*\) .*elapsed: \([0-9.]*\) s.*/\1 \2/p' "$log")
	# The prefetcher's counters: how many segments recovery found in the spool.
	if [ -f "$st" ]; then
		cp "$st" "$BL_LOGS/s3recovery-$key.stats"
		note=$(awk -F': ' '{ v[$1] = $2 } END { printf "spool served %d, restored direct %d, prefetch errors %d",
			v["served_from_spool"], v["restored_direct"], v["errors"] }' "$st")
	fi
	bl_pg_stop "$d" immediate
	rm -rf "$base"
	if [ -z "$redo" ]; then
		grep -q 'redo is not required' "$log" &&
			bl_die "nothing was replayed: the restore_command restored no WAL (see $log)"
		bl_die "no \"redo done\" line in $log"
	fi
	local lsn=${redo% *} secs=${redo#* }
	local hi=$((16#${lsn%/*})) lo=$((16#${lsn#*/}))
	if [ "$hi" != "$((16#${LAST:8:8}))" ] || [ "$((lo >> 24))" != "$((16#${LAST:16:8}))" ]; then
		bl_die "replay ended at $lsn, not in the last segment $LAST (see $log)"
	fi
	bl_log "s3 recovery: $label: redo $secs s, open after $open_s s, up to $lsn ($requests; gateway $gw_ms ms CPU a segment; $note)"
	bl_result s3recovery "$key" "$label" ok "$note" "$SEGMENTS" "$secs" "$open_s" "$lsn" "$requests" "$gw_ms"
}

recovery_pass() {
	local rep=$1 first='' label conf pf=$BL_PREFETCH
	[ "$rep" = 1 ] && first=1
	local s3args
	s3args=$(s3_cli_args)

	label="pg_logship restore --prefetch $pf, local directory"
	if [ -d "$KEPT/local" ]; then
		bl_run_variant s3recovery local_pf "$label" s3_recover local_pf "$label" \
			"$PGLS restore --prefetch $pf --archive-dir $KEPT/local %f \"%p\""
	else
		[ -z "$first" ] || bl_na s3recovery local_pf "$label" "${why_no_pgls:-no local archive (its drain failed)}"
	fi
	for p in 0 "$pf/2" "$pf"; do
		local key=s3_pf${p/\//_w} opts=''
		label="pg_logship restore"
		if [ "$p" != 0 ]; then
			label+=" --prefetch ${p%/*}"
			opts="--prefetch ${p%/*} "
		fi
		if [[ $p == */* ]]; then
			label+=" --prefetch-workers ${p#*/}"
			opts+="--prefetch-workers ${p#*/} "
		fi
		if [ -f "$KEPT/pgls" ]; then
			bl_run_variant s3recovery "$key" "$label" s3_recover "$key" "$label" \
				"$PGLS restore $opts--archive-dir s3://$S3_BUCKET/$(cat "$KEPT/pgls") $s3args %f \"%p\""
		else
			[ -z "$first" ] || bl_na s3recovery "$key" "$label" "${why_no_pgls:-no bucket archive (its drain failed)}"
		fi
	done
	label="pgBackRest archive-get async, process-max 2"
	if [ -f "$KEPT/pgbr" ]; then
		mkdir -p "$BL_WORK/s3rec/pgbr-conf"
		conf=$BL_WORK/s3rec/pgbr-conf/pgbackrest.conf
		s3_pgbr_conf "$conf" "$BL_WORK/s3rec/pgbr/data" "/$(cat "$KEPT/pgbr")" "$BL_WORK/s3rec/pgbr/spool"
		bl_run_variant s3recovery pgbr "$label" s3_recover pgbr "$label" \
			"pgbackrest --config=$conf --stanza=bench archive-get %f \"%p\""
	else
		[ -z "$first" ] || bl_na s3recovery pgbr "$label" \
			"$([ "$F_PGBACKREST" = 1 ] && echo "no repository (its drain failed)" || echo "pgbackrest not installed")"
	fi
}

# ---- report -----------------------------------------------------------------------------------

AWK_RANGE='function range(m, n, lo, hi) { return n > 1 ? sprintf("%.2f [%.2f-%.2f]", m, lo, hi) : sprintf("%.2f", m) }'

# s3drain.tsv aggregated: key label status note segments secs bytes objects requests gw_ms n_ok n
# lo hi
drain_table() {
	local agg=$BL_WORK/s3drain.agg.tsv
	bl_aggregate 6 7 10 <"$BL_RESULTS/s3drain.tsv" >"$agg"
	local pgbr aws
	pgbr=$(awk -F'\t' '$1 == "pgbr" && $3 == "ok" { printf "%.6f", $5 / $6 }' "$agg")
	aws=$(awk -F'\t' '$1 == "aws" && $3 == "ok" { printf "%.6f", $5 / $6 }' "$agg")
	echo "archiver|segments/s|seconds (median [range])|stored MiB|vs pgBackRest|vs aws s3 cp|requests per segment|gateway CPU ms/segment|note"
	echo "l|r|r|r|r|r|l|r|l"
	awk -F'\t' -v pgbr="$pgbr" -v aws="$aws" "$AWK_RANGE"'
		function ratio(r, ref) { return ref != "" ? sprintf("%.2fx", r / ref) : "n/a" }
		function per_segment(s, n,   i, k, p, out) {
			k = split(s, p, ", ")
			for (i = 1; i <= k; i++) {
				split(p[i], mc, " ")
				out = out (out ? ", " : "") sprintf("%s %.2f", mc[1], mc[2] / n)
			}
			return out
		}
		$3 == "ok" {
			rate = $5 / $6
			printf "%s|%.1f|%s|%.0f|%s|%s|%s|%s|%s\n", $2, rate, range($6, $11, $13, $14), $7 / 1048576,
				ratio(rate, pgbr), ratio(rate, aws), ($1 == "pgls_local" ? "-" : per_segment($9, $5)),
				($1 == "pgls_local" ? "-" : $10), $4
			next
		}
		{ printf "%s||||||||%s\n", $2, ($3 == "na" ? $4 : "FAILED: " $4) }' "$agg"
}

# s3recovery.tsv aggregated: key label status note segments redo open lsn requests gw_ms n_ok n
# lo hi
recovery_table() {
	local agg=$BL_WORK/s3recovery.agg.tsv ref lsn_ref
	bl_aggregate 6 7 10 <"$BL_RESULTS/s3recovery.tsv" >"$agg"
	ref=$(awk -F'\t' '$1 == "local_pf" && $3 == "ok" { print $6 }' "$agg")
	lsn_ref=$(awk -F'\t' '$3 == "ok" { print $8 }' "$BL_RESULTS/s3recovery.tsv" | sort | uniq -c | sort -rn | awk 'NR == 1 { print $2 }')
	echo "restore_command|redo s (median [range])|segments/s|until open (s)|redo vs local prefetch|requests per segment|gateway CPU ms/segment|note"
	echo "l|r|r|r|r|l|r|l"
	awk -F'\t' -v ref="$ref" -v lsn_ref="$lsn_ref" "$AWK_RANGE"'
		function per_segment(s, n,   i, k, p, out) {
			k = split(s, p, ", ")
			for (i = 1; i <= k; i++) {
				split(p[i], mc, " ")
				out = out (out ? ", " : "") sprintf("%s %.2f", mc[1], mc[2] / n)
			}
			return out
		}
		$3 != "ok" { printf "%s|||||||%s\n", $2, ($3 == "na" ? $4 : "FAILED: " $4); next }
		{
			note = $4
			if ($8 != lsn_ref) note = note (note ? "; " : "") "replayed up to " $8 ", the others to " lsn_ref
			vs = (ref != "" && ref > 0) ? sprintf("%.2fx", $6 / ref) : "n/a"
			printf "%s|%s|%.1f|%.2f|%s|%s|%s|%s\n", $2, range($6, $11, $13, $14), ($6 > 0 ? $5 / $6 : 0), $7, vs,
				($1 == "local_pf" ? "-" : per_segment($9, $5)), ($1 == "local_pf" ? "-" : $10), note
		}' "$agg"
}

# targets: one line per target of issue 9, from the aggregated tables.
targets() {
	local d=$BL_WORK/s3drain.agg.tsv r=$BL_WORK/s3recovery.agg.tsv
	awk -F'\t' '
		FILENAME == ARGV[1] && $3 == "ok" { rate[$1] = $5 / $6 }
		FILENAME == ARGV[2] && $3 == "ok" { redo[$1] = $6 }
		function verdict(ok) { return ok ? "met" : "NOT MET" }
		END {
			if (("pgls_s3_2" in rate) && ("pgbr" in rate))
				printf "- pg_logship lz4, 2 workers, drains %.2fx as fast as pgBackRest async (target >= 2x): %s\n",
					rate["pgls_s3_2"] / rate["pgbr"], verdict(rate["pgls_s3_2"] >= 2 * rate["pgbr"])
			if (("pgls_s3_2" in rate) && ("aws" in rate))
				printf "- ... and %.1fx as fast as the aws s3 cp archive_command (target >= 10x): %s\n",
					rate["pgls_s3_2"] / rate["aws"], verdict(rate["pgls_s3_2"] >= 10 * rate["aws"])
			if (("s3_pf'"$BL_PREFETCH"'" in redo) && ("local_pf" in redo))
				printf "- recovery from the bucket with prefetch takes %.2fx the redo time from the local archive (target <= 1.2x): %s\n",
					redo["s3_pf'"$BL_PREFETCH"'"] / redo["local_pf"], verdict(redo["s3_pf'"$BL_PREFETCH"'"] <= 1.2 * redo["local_pf"])
			if (("s3_pf'"$BL_PREFETCH"'" in redo) && ("pgbr" in redo))
				printf "- ... and %.2fx as fast as pgBackRest async archive-get from the same gateway\n",
					redo["pgbr"] / redo["s3_pf'"$BL_PREFETCH"'"]
		}' "$d" "$r"
}

report() {
	echo "### Object storage: archiving a backlog of $SEGMENTS segments into a bucket ($BL_REPEAT pass(es))"
	echo
	echo "One Ceph RADOS Gateway (Debian's radosgw 16, one bluestore OSD on a sparse file) on this"
	echo "machine, served over https with a self-signed certificate; every archiver uses it. The"
	echo "clock runs as in the drain table above. *requests per segment*: what radosgw served"
	echo "during the drain, by method (its access log)."
	echo
	drain_table | bl_table
	echo
	echo "### Object storage: archive recovery from the bucket ($BL_REPEAT pass(es))"
	echo
	echo "The same base backup and WAL as the recovery table above; the archives the first pass"
	echo "filled (pg_logship lz4 2 workers, pgBackRest's repository)."
	echo
	recovery_table | bl_table
	echo
	echo "Targets (issue 9):"
	echo
	targets
}

# ---- main -------------------------------------------------------------------------------------

if [ -n "$why_no_gw" ]; then
	bl_na s3drain gateway "S3 gateway" "$why_no_gw"
	bl_na s3recovery gateway "S3 gateway" "$why_no_gw"
else
	GW=$(mktemp -d /tmp/pgls-bench-rgw.XXXXXX)
	T0=$EPOCHREALTIME
	s3_gateway_start "$GW"
	bl_log "s3: gateway up in $(bl_fmt '%.1f' "$(bl_elapsed "$T0")") s: $S3_TLS"
	for ((rep = 1; rep <= BL_REPEAT; rep++)); do
		bl_log "s3 drain: pass $rep of $BL_REPEAT"
		drain_pass "$rep"
	done
	for ((rep = 1; rep <= BL_REPEAT; rep++)); do
		bl_log "s3 recovery: pass $rep of $BL_REPEAT"
		recovery_pass "$rep"
	done
fi
report >"$OUT"
