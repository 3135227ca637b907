# shellcheck shell=bash disable=SC2034
# bench/lib.sh -- shared functions of the benchmark scripts (sourced, never run).
#
# Conventions:
#  - One work dir per run ($BL_WORK, created by run.sh) holds every data directory, archive, log
#    and the result files; every phase script gets it as its first argument.
#  - Only one PostgreSQL server runs at a time, on $BL_PORT with its socket in $BL_WORK/sock.
#    Every server started through bl_pg_start is listed in $BL_WORK/running; bl_cleanup (the
#    EXIT trap of every script) stops all of them with "immediate".
#  - Results are tab-separated lines appended to $BL_WORK/results/<phase>.tsv; run.sh formats
#    them (bl_table). Fields never contain tabs.
#  - Times come from $EPOCHREALTIME (bash 5, no fork); arithmetic on fractions uses awk.
#
# Environment (all optional):
#   PGLS_BENCH_QUICK=1        small run (16 segments, short pgbench) to check that all works
#   PGLS_BENCH_SEGMENTS=N     WAL segments in the backlog (default 64, quick 16)
#   PGLS_BENCH_TPS_SECONDS=N  length of each pgbench TPS run (default 20, quick 5)
#   PGLS_BENCH_REPEAT=N       passes over all drain and recovery variants, interleaved; the
#                             tables show the median and the range (default 3, quick 1)
#   PGLS_BENCH_TPS_ROUNDS=N   alternating off/on rounds, averaged (default 2, quick 1)
#   PGLS_BENCH_PREFETCH=N     pg_logship restore --prefetch N (default 8)
#   PGLS_BENCH_PORT=N         port for the servers (default 55432)
#   PGLS_BENCH_WORK=DIR       work dir (default $PGLS_OUT/bench-work); removed at the end
#   PGLS_BENCH_KEEP=1         keep the work dir
#   PGLS_BENCH_STALL=N        give up on a variant after N s without progress (default 60)
#   PGLS_BENCH_BACKLOG=N      files in the long backlog of backlog.sh (default 2000, quick 300)

BL_BINDIR=${BL_BINDIR:-$(pg_config --bindir)}
BL_PKGLIBDIR=${BL_PKGLIBDIR:-$(pg_config --pkglibdir)}
BL_PORT=${PGLS_BENCH_PORT:-55432}
BL_STALL=${PGLS_BENCH_STALL:-60}
BL_USER=$(id -un)

if [ "${PGLS_BENCH_QUICK:-0}" = 1 ]; then
	BL_SEGMENTS=${PGLS_BENCH_SEGMENTS:-16}
	BL_TPS_SECONDS=${PGLS_BENCH_TPS_SECONDS:-5}
	BL_TPS_ROUNDS=${PGLS_BENCH_TPS_ROUNDS:-1}
	BL_REPEAT=${PGLS_BENCH_REPEAT:-1}
	BL_BACKLOG=${PGLS_BENCH_BACKLOG:-300}
else
	BL_SEGMENTS=${PGLS_BENCH_SEGMENTS:-64}
	BL_TPS_SECONDS=${PGLS_BENCH_TPS_SECONDS:-20}
	BL_TPS_ROUNDS=${PGLS_BENCH_TPS_ROUNDS:-2}
	BL_REPEAT=${PGLS_BENCH_REPEAT:-3}
	BL_BACKLOG=${PGLS_BENCH_BACKLOG:-2000}
fi
BL_PREFETCH=${PGLS_BENCH_PREFETCH:-8}
BL_TPS_SCALE=10
BL_TPS_CLIENTS=4

# --- messages ---------------------------------------------------------------------------------

bl_log() { printf '%s bench: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
bl_die() {
	printf 'bench: ERROR: %s\n' "$*" >&2
	[ -n "${BL_WORK:-}" ] && printf '%s\n' "$*" >"$BL_WORK/last_error"
	exit 1
}

# bl_calc EXPR: print an awk expression's value (awk does the floating point).
bl_calc() { awk "BEGIN { printf \"%s\", $1 }" </dev/null; }
# bl_fmt FORMAT EXPR: printf-format an awk expression.
bl_fmt() { awk "BEGIN { printf \"$1\", $2 }" </dev/null; }
# bl_elapsed T0 [T1]: seconds between two $EPOCHREALTIME readings (T1 defaults to now).
bl_elapsed() { bl_calc "${2:-$EPOCHREALTIME} - $1"; }

# --- work dir ---------------------------------------------------------------------------------

# bl_setup WORKDIR: set the paths every script uses.
bl_setup() {
	BL_WORK=$1
	BL_SOCK=$BL_WORK/sock
	BL_RESULTS=$BL_WORK/results
	BL_LOGS=${PGLS_OUT:-$BL_WORK}/bench-logs
	mkdir -p "$BL_SOCK" "$BL_RESULTS" "$BL_LOGS"
	touch "$BL_WORK/running"
	export PGHOST=$BL_SOCK PGPORT=$BL_PORT PGDATABASE=postgres PGUSER=$BL_USER
	unset PGOPTIONS
}

# bl_phase SCRIPT ARGS...: how each phase script (drain.sh, profile.sh, recovery.sh, tps.sh)
# starts: its one argument is the work dir; sets the paths (bl_setup), reads what the
# pg_logship build offers (WORKDIR/features.env, written by run.sh) and stops every server it
# started when it exits.
bl_phase() {
	local script=$1
	shift
	[ "$#" -eq 1 ] || bl_die "usage: $script WORKDIR"
	bl_setup "$1"
	# shellcheck source=/dev/null
	. "$BL_WORK/features.env"
	trap bl_cleanup EXIT
}

# bl_cleanup: stop every server this run started (EXIT trap). Never fails.
bl_cleanup() {
	local d
	[ -n "${BL_WORK:-}" ] && [ -f "$BL_WORK/running" ] || return 0
	while IFS= read -r d; do
		if [ -f "$d/postmaster.pid" ]; then
			"$BL_BINDIR/pg_ctl" -D "$d" stop -m immediate -w -t 30 >/dev/null 2>&1 || true
		fi
	done <"$BL_WORK/running"
	: >"$BL_WORK/running"
	return 0
}

# bl_result PHASE FIELD...: append one tab-separated line to results/PHASE.tsv.
bl_result() {
	local phase=$1
	shift
	local IFS=$'\t'
	printf '%s\n' "$*" >>"$BL_RESULTS/$phase.tsv"
}

# --- clusters ---------------------------------------------------------------------------------

# bl_initdb DATADIR [INITDB_ARG...]: a new cluster with the settings every server of the
# benchmark shares. Archiving is on but paused (no archive_command or archive_library): .ready
# files accumulate.
bl_initdb() {
	local d=$1
	shift
	"$BL_BINDIR/initdb" -D "$d" -A trust -U "$BL_USER" --no-instructions "$@" >/dev/null
	cat >>"$d/postgresql.conf" <<EOF

# --- pg_logship bench: common settings ---
listen_addresses = ''
port = $BL_PORT
unix_socket_directories = '$BL_SOCK'
max_wal_size = 8GB
min_wal_size = 1GB
checkpoint_timeout = 30min
wal_level = replica
archive_mode = on
archive_command = ''
archive_library = ''
log_checkpoints = on
log_line_prefix = '%m [%p] '
# --- variant settings follow (later lines win) ---
EOF
}

# bl_conf DATADIR "name = value"...: append settings to postgresql.conf (later lines win).
bl_conf() {
	local d=$1
	shift
	printf '%s\n' "$@" >>"$d/postgresql.conf"
}

# bl_copy_cluster SRC DST: copy a stopped cluster, then flush the page cache's dirty pages so
# the copy's write-back does not compete with the measurement that follows.
bl_copy_cluster() {
	rm -rf "$2"
	cp -a "$1" "$2"
	rm -f "$2/postmaster.pid" "$2/postmaster.opts"
	sync
}

# bl_pg_start DATADIR LOG [wait]: start a server; with "wait" (default) until it accepts
# connections.
bl_pg_start() {
	local d=$1 log=$2 wait=${3:-wait}
	echo "$d" >>"$BL_WORK/running"
	if [ "$wait" = wait ]; then
		if ! "$BL_BINDIR/pg_ctl" -D "$d" -l "$log" -w -t 300 start >/dev/null; then
			tail -n 20 "$log" >&2
			bl_die "server $d did not start (log: $log)"
		fi
	else
		"$BL_BINDIR/pg_ctl" -D "$d" -l "$log" start >/dev/null
	fi
}

# bl_pg_stop DATADIR [MODE]: stop a server (fast by default) and wait for it.
bl_pg_stop() {
	local d=$1 mode=${2:-fast}
	[ -f "$d/postmaster.pid" ] || return 0
	"$BL_BINDIR/pg_ctl" -D "$d" stop -m "$mode" -w -t 300 >/dev/null
}

# bl_psql SQL: run SQL on the running server, unaligned, tuples only.
bl_psql() { "$BL_BINDIR/psql" -X -qAt -v ON_ERROR_STOP=1 -c "$1"; }

# bl_ready_files DATADIR: set the array BL_READY to the .ready files, sorted (a glob, no fork).
# nullglob, not a test of the first name: the archiver may rename it to .done in between.
bl_ready_files() {
	local had_nullglob=0
	shopt -q nullglob && had_nullglob=1
	shopt -s nullglob
	BL_READY=("$1"/pg_wal/archive_status/*.ready)
	[ "$had_nullglob" = 1 ] || shopt -u nullglob
}

# bl_ready_count DATADIR: number of .ready files.
bl_ready_count() {
	bl_ready_files "$1"
	echo "${#BL_READY[@]}"
}

# bl_last_ready DATADIR: name of the newest segment waiting to be archived.
bl_last_ready() {
	bl_ready_files "$1"
	[ "${#BL_READY[@]}" -gt 0 ] || return 0
	local last=${BL_READY[${#BL_READY[@]} - 1]}
	last=${last##*/}
	echo "${last%.ready}"
}

# bl_cpu_ticks PID...: "user kernel" CPU clock ticks used so far by the processes (fields 14 and 15
# of /proc/<pid>/stat), summed; a process that is gone counts 0.
bl_cpu_ticks() {
	local pid u=0 k=0 stat rest
	for pid in "$@"; do
		stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
		rest=${stat##*) }
		# shellcheck disable=SC2086
		set -- $rest
		u=$((u + ${12})) k=$((k + ${13}))
	done
	echo "$u $k"
}

# bl_machine_busy_ticks: CPU clock ticks the whole machine spent busy so far (all but idle and
# iowait, /proc/stat).
bl_machine_busy_ticks() {
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# bl_archiver_pids DATADIR: the archiver's and pg_logship's archive workers' pids, comma-separated.
bl_archiver_pids() {
	ps --ppid "$(head -n 1 "$1/postmaster.pid")" -o pid=,args= |
		awk '/archiver|pg_logship archive worker/ { print $1 }' | paste -sd, -
}

# bl_du DIR: size in bytes of everything below DIR.
bl_du() { du -sb "$1" | awk '{ print $1 }'; }

# bl_wait_archived DATADIR LOG STALL: poll every 50 ms until no .ready file is left. Fails
# (returns 1) when the number of .ready files has not dropped for STALL seconds, when the archiver
# logged that a file "failed too many times" (checked each second), or when the server died.
bl_wait_archived() {
	local d=$1 log=$2 stall=$3 n last_n=-1 last_change=$EPOCHREALTIME polls=0
	while :; do
		bl_ready_files "$d"
		n=${#BL_READY[@]}
		[ "$n" -eq 0 ] && return 0
		if [ "$n" != "$last_n" ]; then
			last_n=$n
			last_change=$EPOCHREALTIME
		elif awk "BEGIN { exit !($EPOCHREALTIME - $last_change > $stall) }"; then
			echo "no progress for ${stall}s, $n .ready files left" >"$BL_WORK/last_error"
			return 1
		fi
		if [ $((++polls % 20)) -eq 0 ]; then
			if [ ! -f "$d/postmaster.pid" ]; then
				echo "server died (log: $log)" >"$BL_WORK/last_error"
				return 1
			fi
			if grep -q 'failed too many times' "$log"; then
				echo "archiving failed: $(grep -m1 -E 'ERROR|FATAL|failed' "$log" | cut -c1-200)" \
					>"$BL_WORK/last_error"
				return 1
			fi
		fi
		sleep 0.05
	done
}

# --- features of the pg_logship build ---------------------------------------------------------

# bl_detect_features TEMPLATE: start a copy of TEMPLATE with pg_logship preloaded and write
# $BL_WORK/features.env: which settings and options this build has.
bl_detect_features() {
	local tpl=$1 d=$BL_WORK/detect out=$BL_WORK/features.env
	local has_lib=0 has_cli=0 compression='' workers=0 level=0 prefetch=0
	[ -f "$BL_PKGLIBDIR/pg_logship.so" ] && has_lib=1
	[ -x "$BL_BINDIR/pg_logship" ] && has_cli=1
	if [ "$has_lib" = 1 ]; then
		bl_copy_cluster "$tpl" "$d"
		bl_conf "$d" "shared_preload_libraries = 'pg_logship'" "archive_mode = off"
		bl_pg_start "$d" "$BL_LOGS/detect.log"
		compression=$(bl_psql "SELECT array_to_string(enumvals, ',') FROM pg_settings
			WHERE name = 'pg_logship.compression'")
		# A text setting (no enumvals) still counts as present.
		if [ -z "$compression" ] && [ "$(bl_psql "SELECT count(*) FROM pg_settings
			WHERE name = 'pg_logship.compression'")" = 1 ]; then
			compression='none,lz4,zstd'
		fi
		workers=$(bl_psql "SELECT count(*) FROM pg_settings WHERE name = 'pg_logship.archive_workers'")
		level=$(bl_psql "SELECT count(*) FROM pg_settings WHERE name = 'pg_logship.compression_level'")
		bl_pg_stop "$d"
		rm -rf "$d"
	fi
	if [ "$has_cli" = 1 ] && "$BL_BINDIR/pg_logship" restore --help 2>&1 | grep -q -- '--prefetch'; then
		prefetch=1
	fi
	cat >"$out" <<EOF
F_LIB=$has_lib
F_CLI=$has_cli
F_COMPRESSION='$compression'
F_WORKERS=$workers
F_LEVEL=$level
F_PREFETCH=$prefetch
F_PGBACKREST=$(command -v pgbackrest >/dev/null 2>&1 && echo 1 || echo 0)
F_BASIC_ARCHIVE=$([ -f "$BL_PKGLIBDIR/basic_archive.so" ] && echo 1 || echo 0)
EOF
}

# bl_has_compression ALGO: the build offers pg_logship.compression = ALGO.
bl_has_compression() { [[ ",$F_COMPRESSION," == *",$1,"* ]]; }

# --- pgBackRest -------------------------------------------------------------------------------

# bl_pgbr_conf FILE DATADIR REPO SPOOL ASYNC COMPRESS: write a pgBackRest config, stanza "bench".
bl_pgbr_conf() {
	local f=$1 d=$2 repo=$3 spool=$4 async=$5 compress=$6
	mkdir -p "$repo" "$spool" "$BL_WORK/pgbr-lock" "$BL_LOGS/pgbackrest"
	cat >"$f" <<EOF
[global]
repo1-path=$repo
spool-path=$spool
lock-path=$BL_WORK/pgbr-lock
log-path=$BL_LOGS/pgbackrest
log-level-console=warn
log-level-stderr=warn
log-level-file=info
archive-async=$async
process-max=2
compress-type=$compress
start-fast=y

[bench]
pg1-path=$d
pg1-port=$BL_PORT
pg1-socket-path=$BL_SOCK
pg1-user=$BL_USER
EOF
}

# bl_aggregate FIELD...: read result lines (key, label, status, note, ...) of several passes on
# stdin; print one line per key, in the order keys first appear, with the median over the "ok"
# passes of each numeric FIELD (1-based) and the other fields of the last ok pass, followed by
# four fields: ok passes, all passes, min and max of the first FIELD. Failed passes of a key
# that also succeeded are counted in the note. A key with no ok pass keeps its last line.
bl_aggregate() {
	awk -F'\t' -v OFS='\t' -v fields="$*" '
		function median(k, f,   n, i, j, t, a) {
			n = cnt[k]
			for (i = 1; i <= n; i++) a[i] = val[k, f, i]
			for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
			return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		}
		BEGIN { nf = split(fields, fl, " ") }
		{
			k = $1
			if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
			total[k]++
			if ($3 == "ok") {
				c = ++cnt[k]
				line[k] = $0
				for (i = 1; i <= nf; i++) val[k, fl[i], c] = $(fl[i])
			} else {
				if ($3 == "fail") { nfail[k]++; why[k] = $4 }
				if (!(k in line)) last[k] = $0
			}
		}
		END {
			for (o = 1; o <= nk; o++) {
				k = order[o]
				if (!(k in line)) { print last[k], 0, total[k], "", ""; continue }
				n = split(line[k], r, "\t")
				lo = hi = val[k, fl[1], 1]
				for (i = 2; i <= cnt[k]; i++) {
					v = val[k, fl[1], i]
					if (v < lo) lo = v
					if (v > hi) hi = v
				}
				for (i = 1; i <= nf; i++) r[fl[i]] = median(k, fl[i])
				if (nfail[k]) r[4] = r[4] (r[4] != "" ? "; " : "") nfail[k] " of " total[k] " passes failed: " why[k]
				out = r[1]
				for (i = 2; i <= n; i++) out = out OFS r[i]
				print out, cnt[k], total[k], lo, hi
			}
		}'
}

# --- tables -----------------------------------------------------------------------------------

# bl_table: read a markdown table (header row, then body rows, cells separated by "|" with no
# outer pipes) on stdin; print it as a markdown table with padded columns. The second line
# gives each column's alignment: l or r.
bl_table() {
	awk -F'|' '
		NR == 1 { nc = NF; for (i = 1; i <= NF; i++) { h[i] = $i; w[i] = length($i) } next }
		NR == 2 { for (i = 1; i <= NF; i++) a[i] = $i; next }
		{ n++; for (i = 1; i <= nc; i++) { c[n, i] = $i; if (length($i) > w[i]) w[i] = length($i) } }
		function cell(s, i) { return a[i] == "r" ? sprintf("%*s", w[i], s) : sprintf("%-*s", w[i], s) }
		END {
			line = "|"; for (i = 1; i <= nc; i++) line = line " " cell(h[i], i) " |"; print line
			line = "|"
			for (i = 1; i <= nc; i++) {
				d = ""; for (j = 0; j < w[i]; j++) d = d "-"
				if (a[i] == "r") d = substr(d, 2) ":"
				line = line " " d " |"
			}
			print line
			for (r = 1; r <= n; r++) {
				line = "|"; for (i = 1; i <= nc; i++) line = line " " cell(c[r, i], i) " |"; print line
			}
		}'
}

# --- variants ---------------------------------------------------------------------------------

# bl_run_variant PHASE KEY LABEL CMD...: run CMD (a function that measures one variant and
# writes its result line) in a subshell with errexit in force. If it fails, stop whatever it left
# running and record a "fail" line with the reason it gave to bl_die. Never fails itself.
bl_run_variant() {
	local phase=$1 key=$2 label=$3 rc why
	shift 3
	rm -f "$BL_WORK/last_error"
	bl_log "$phase: $label"
	set +e
	(
		set -e
		"$@"
	)
	rc=$?
	set -e
	if [ "$rc" -ne 0 ]; then
		why="exit $rc"
		[ -s "$BL_WORK/last_error" ] && why=$(head -n 1 "$BL_WORK/last_error")
		bl_log "$phase: $label FAILED: $why"
		bl_cleanup
		bl_result "$phase" "$key" "$label" fail "$why"
	fi
	return 0
}

# bl_na PHASE KEY LABEL WHY: record a variant that cannot run with this build or machine.
bl_na() {
	bl_log "$1: $3: n/a ($4)"
	bl_result "$1" "$2" "$3" na "$4"
}
