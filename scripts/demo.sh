#!/usr/bin/env bash
# scripts/demo.sh -- `make demo`: pg_logship archiving a small cluster through a failover;
# with --s3 (`make demo-s3`) the same story with the shared archive in a bucket of S3-compatible
# object storage instead of a directory.
#
# In a temp dir, on loopback and free ports, it starts a primary and two streaming standbys
# (pg_basebackup -R), all with archive_mode=always and archive_library='pg_logship' writing into
# ONE shared archive, and restore_command = the pg_logship CLI. Then:
#   pgbench load -> archive status on every node -> the primary crashes (immediate stop) ->
#   standby1 is promoted, standby2 follows it -> more load -> archive status again ->
#   `pg_logship verify --deep` on the archive -> a summary -> `pg_logship status` of the new
#   primary. Servers are stopped and the temp dir is removed on the way out, also on failure
#   (trap).
# With --s3 it first starts a throwaway Ceph RADOS Gateway on 127.0.0.1 (scripts/rgw.sh: one
# mon, one memstore OSD, radosgw, a user and the bucket "pgls-test"; about 5 s; a watchdog
# kills it if this script dies by SIGKILL); the archive is s3://pgls-test/demo for the servers
# and the CLI, and after the load it shows what the bucket holds (ListObjectsV2, and a HEAD of
# one segment: its content id in the object's metadata).
#
# Must run as a non-root user (as root: bash scripts/as-pg-user.sh scripts/demo.sh [--s3]).
# --s3 needs the gateway's Debian packages (ceph-mon ceph-osd radosgw ceph-common; scripts/deps.sh).
# Exit status: 0 when the archive verifies and no server reported a conflict, else non-zero.
#
# Env: PGLS_OUT      output dir (temp dir parent; the transcript goes to $PGLS_OUT/artifacts)
#      PG_CONFIG     pg_config to use (default pg_config)
#      PGLS_DEMO_SCALE / PGLS_DEMO_SECONDS   pgbench scale (2) and run time (10)
#      PGLS_KEEP_DEMO=1  keep the temp dir (servers and gateway are still stopped)
set -euo pipefail

s3=""
case "${1:-}" in
"") ;;
--s3) s3=1 ;;
*)
	echo "usage: scripts/demo.sh [--s3]" >&2
	exit 2
	;;
esac
me="demo${s3:+-s3}"
scale=${PGLS_DEMO_SCALE:-2}
seconds=${PGLS_DEMO_SECONDS:-10}
[[ "$scale" =~ ^[1-9][0-9]*$ && "$seconds" =~ ^[1-9][0-9]*$ ]] || {
	echo "$me: PGLS_DEMO_SCALE and PGLS_DEMO_SECONDS must be positive integers" >&2
	exit 2
}

if [ "$(id -u)" = 0 ]; then
	echo "$me: PostgreSQL refuses to run as root; use: bash scripts/as-pg-user.sh $0" >&2
	exit 2
fi
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
for tool in ${s3:+radosgw ceph-mon ceph-osd curl}; do
	command -v "$tool" >/dev/null || {
		echo "$me: $tool not found (scripts/deps.sh installs the gateway's packages)" >&2
		exit 2
	}
done

pg_config_cmd=${PG_CONFIG:-pg_config}
bindir=$("$pg_config_cmd" --bindir) || {
	echo "$me: '$pg_config_cmd' not found (make deps)" >&2
	exit 2
}
export PATH="$bindir:$PATH"
pgls="$bindir/pg_logship"
for tool in initdb pg_ctl pg_basebackup psql pgbench "$pgls"; do
	command -v "$tool" >/dev/null || {
		echo "$me: $tool not found (make install-ext?)" >&2
		exit 2
	}
done
pkglibdir=$("$pg_config_cmd" --pkglibdir)
[ -f "$pkglibdir/pg_logship.so" ] || {
	echo "$me: pg_logship.so is not installed in $pkglibdir (make install-ext)" >&2
	exit 2
}

out_root=${PGLS_OUT:-/tmp}
mkdir -p "$out_root"
work=$(mktemp -d "$out_root/pg_logship-$me.XXXXXX")
gw="" gw_up=""
if [ -n "$s3" ]; then
	# The gateway's dir: a short path (Ceph's admin sockets are Unix sockets).
	gw=$(mktemp -d /tmp/pgls-demo-rgw.XXXXXX)
fi

# Transcript for later (as-pg-user.sh copies $PGLS_OUT/artifacts back).
transcript=""
if [ -n "${PGLS_OUT:-}" ] && mkdir -p "$PGLS_OUT/artifacts" 2>/dev/null; then
	transcript="$PGLS_OUT/artifacts/$me-output.txt"
	: >"$transcript"
	exec > >(tee -a "$transcript") 2>&1
fi

export LANG=C.UTF-8 PGDATABASE=postgres PGHOST=127.0.0.1 PGCONNECT_TIMEOUT=5
unset LC_ALL PGPORT PGUSER PGSERVICE

nodes=(primary standby1 standby2)
declare -A port=() running=()

# ---- output helpers --------------------------------------------------------------------------

step_no=0
step() {
	step_no=$((step_no + 1))
	printf '\n==> %d. %s\n' "$step_no" "$*"
}
say() { printf '    %s\n' "$*"; }
indent() { sed 's/^/    /'; }
die() {
	echo "$me: ERROR: $*" >&2
	exit 1
}

# ---- cleanup --------------------------------------------------------------------------------

# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
	local rc=$?
	set +e
	trap - EXIT INT TERM
	if [ "$rc" -ne 0 ]; then
		echo
		echo "$me: failed (exit $rc); last lines of the server logs:"
		for n in "${nodes[@]}"; do
			[ -f "$work/$n.log" ] || continue
			echo "---- $n.log"
			tail -n 15 "$work/$n.log"
		done
		if [ -n "$gw" ] && [ -f "$gw/log/client.rgw.a.log" ]; then
			echo "---- radosgw log"
			tail -n 10 "$gw/log/client.rgw.a.log"
		fi
	fi
	for n in "${nodes[@]}"; do
		if [ -n "${running[$n]:-}" ] && [ -f "$work/$n/postmaster.pid" ]; then
			pg_ctl -D "$work/$n" -m fast -w stop >/dev/null 2>&1 ||
				pg_ctl -D "$work/$n" -m immediate -w stop >/dev/null 2>&1
		fi
	done
	[ -z "$gw_up" ] || bash "$repo/scripts/rgw.sh" stop "$gw" >/dev/null 2>&1
	if [ "${PGLS_KEEP_DEMO:-0}" = 1 ]; then
		echo "    servers ${gw:+and gateway }stopped; kept $work${gw:+ and $gw} (PGLS_KEEP_DEMO=1)"
	else
		rm -rf "$work" ${gw:+"$gw"}
		echo "    servers ${gw:+and gateway }stopped, $work${gw:+ and $gw} removed"
	fi
	[ -z "$transcript" ] || echo "    transcript: $transcript"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- server helpers -------------------------------------------------------------------------

# A TCP port on 127.0.0.1 nobody listens on (and not handed out already).
free_port() {
	local p i taken
	for i in $(seq 1 200); do
		p=$((20000 + RANDOM % 30000))
		taken=0
		for n in "${!port[@]}"; do [ "${port[$n]}" = "$p" ] && taken=1; done
		[ "$taken" = 0 ] || continue
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	die "no free port found"
}

q() { # q NODE SQL -- one value
	local n=$1
	shift
	psql -X -At -v ON_ERROR_STOP=1 -p "${port[$n]}" -c "$*"
}

table() { # table NODE SQL -- aligned output, indented
	local n=$1
	shift
	psql -X -P pager=off -P footer=off -v ON_ERROR_STOP=1 -p "${port[$n]}" -c "$*" | sed '/^$/d' | indent
}

start_node() {
	local n=$1
	pg_ctl -D "$work/$n" -l "$work/$n.log" -w -t 60 start >/dev/null ||
		die "$n did not start (see its log above)"
	running[$n]=1
}

# wait_until NODE SQL WHAT [SECONDS] -- polls until SQL returns t.
wait_until() {
	local n=$1 sql=$2 what=$3 limit=${4:-120} i
	for ((i = 0; i < limit * 5; i++)); do
		[ "$(q "$n" "$sql" 2>/dev/null || true)" = t ] && return 0
		sleep 0.2
	done
	die "timed out after ${limit}s waiting for $what"
}

# Waits until NODE archived WALFILE (or later) and has nothing waiting in pg_wal.
wait_archived() {
	local n=$1 walfile=$2
	wait_until "$n" "SELECT last_archived_wal >= '$walfile' AND ready_count = 0
		FROM pg_logship.archive_status" "$n to archive $walfile"
}

# Waits until a standby replayed everything up to LSN.
wait_replayed() {
	local n=$1 lsn=$2
	wait_until "$n" "SELECT pg_last_wal_replay_lsn() >= '$lsn'" "$n to replay up to $lsn"
}

# run_pgbench NODE ARGS... -- runs pgbench, shows its progress and result lines.
run_pgbench() {
	local n=$1
	shift
	pgbench -p "${port[$n]}" "$@" >"$work/pgbench.log" 2>&1 ||
		{ indent <"$work/pgbench.log"; die "pgbench $* on $n failed"; }
	grep -E "^(done in|progress|number of transactions actually|tps)" "$work/pgbench.log" | indent
}

status_sql="SELECT server_name, archived_count, published_count, acknowledged_count,
	conflict_count, failed_count, ready_count, coalesce(last_archived_wal, '-')
	FROM pg_logship.archive_status"
status_fmt='    %-10s %8s %9s %12s %9s %6s %7s  %s\n'

# One line per running node of pg_logship.archive_status (a column subset).
show_status() {
	local n row
	# shellcheck disable=SC2059 # the format is ours
	printf "$status_fmt" server archived published acknowledged conflicts failed waiting \
		last_archived_wal
	for n in "$@"; do
		[ -n "${running[$n]:-}" ] || continue
		row=$(psql -X -At -F '|' -v ON_ERROR_STOP=1 -p "${port[$n]}" -c "$status_sql")
		IFS='|' read -r -a f <<<"$row"
		# shellcheck disable=SC2059
		printf "$status_fmt" "${f[@]}"
	done
}

# ---- the bucket, seen from outside ------------------------------------------------------------

# s3_curl METHOD PATH [CURL ARGS]: a request to the gateway signed by curl (SigV4), for looking
# at the bucket from outside pg_logship; prints the body.
s3_curl() {
	local method=$1 path=$2
	shift 2
	curl -sS -f -X "$method" --max-time 30 --aws-sigv4 "aws:amz:$s3_region:s3" \
		--user "$s3_key:$s3_secret" \
		-H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
		"$@" "$s3_endpoint$path"
}

# s3_objects PREFIX: "key size" of every object under PREFIX (ListObjectsV2, all pages; the
# prefixes and keys here need no escaping but "/").
s3_objects() {
	local prefix=${1//\//%2F} token='' q body
	while :; do
		q="list-type=2&prefix=$prefix"
		[ -z "$token" ] || q="continuation-token=$(printf '%s' "$token" | sed 's|/|%2F|g')&$q"
		body=$(s3_curl GET "/$s3_bucket?$q") || die "could not list the bucket"
		printf '%s' "$body" | awk 'BEGIN { RS = "<Contents>" } NR > 1 {
			k = $0; sub(/.*<Key>/, "", k); sub(/<\/Key>.*/, "", k)
			z = $0; sub(/.*<Size>/, "", z); sub(/<\/Size>.*/, "", z)
			print k, z }'
		case $body in
		*'<NextContinuationToken>'*)
			token=${body#*<NextContinuationToken>}
			token=${token%%</NextContinuationToken>*}
			;;
		*) break ;;
		esac
	done
}

# ---- 1. the cluster (and the gateway) -----------------------------------------------------

s3_args=() s3_conf=""
if [ -n "$s3" ]; then
	step "Starting an S3 gateway: a throwaway Ceph RADOS Gateway on 127.0.0.1 (scripts/rgw.sh)"
	bash "$repo/scripts/rgw.sh" start "$gw" --owner $$ >"$work/rgw.env" 2>"$work/rgw-start.log" ||
		{ cat "$work/rgw-start.log"; die "the gateway did not start (logs in $gw/log)"; }
	gw_up=1
	while IFS='=' read -r k v; do
		case $k in
		PGLS_S3_ENDPOINT) s3_endpoint=$v ;;
		PGLS_S3_REGION) s3_region=$v ;;
		PGLS_S3_BUCKET) s3_bucket=$v ;;
		PGLS_S3_ACCESS_KEY) s3_key=$v ;;
		PGLS_S3_SECRET_KEY) s3_secret=$v ;;
		PGLS_S3_CREDENTIALS_FILE) s3_creds=$v ;;
		esac
	done <"$work/rgw.env"
	indent <"$work/rgw-start.log"
	say "endpoint $s3_endpoint (path-style), region $s3_region, bucket $s3_bucket"
	say "credentials: $s3_creds (an AWS credentials file, mode $(stat -c %a "$s3_creds"))"
	prefix=demo
	archive="s3://$s3_bucket/$prefix"
	s3_args=(--s3-endpoint "$s3_endpoint" --s3-region "$s3_region" --s3-uri-style path
		--s3-credentials-file "$s3_creds")
	s3_conf="pg_logship.s3_endpoint = '$s3_endpoint'
pg_logship.s3_region = '$s3_region'
pg_logship.s3_uri_style = 'path'
pg_logship.s3_credentials_file = '$s3_creds'"
else
	archive="$work/archive"
	mkdir -p "$archive"
fi

step "Setting up in $work"
for n in "${nodes[@]}"; do
	port[$n]=$(free_port)
done
say "PostgreSQL: $("$pg_config_cmd" --version), bin: $bindir"
say "archive:    $archive (shared layout: every server writes into $archive/wal)"
say "ports:      primary ${port[primary]}, standby1 ${port[standby1]}, standby2 ${port[standby2]}"

restore_cmd="$pgls restore --archive-dir '$archive'${s3:+ ${s3_args[*]}} %f %p"
restore_cmd_conf=${restore_cmd//\'/\'\'} # quotes doubled inside the postgresql.conf string

step "Creating the primary"
initdb -D "$work/primary" -A trust -N --no-instructions >"$work/initdb.log" 2>&1 ||
	{ cat "$work/initdb.log"; die "initdb failed"; }
cat >>"$work/primary/postgresql.conf" <<EOF

# ---- pg_logship demo ----
listen_addresses = '127.0.0.1'
unix_socket_directories = '$work'
port = ${port[primary]}
cluster_name = 'primary'
shared_buffers = 32MB
max_connections = 30
fsync = off
wal_level = replica
max_wal_senders = 10
wal_keep_size = 256MB
hot_standby = on
logging_collector = off
log_line_prefix = '%m [%p] '

shared_preload_libraries = 'pg_logship'
archive_mode = always
archive_library = 'pg_logship'
pg_logship.archive_dir = '$archive'
pg_logship.archive_layout = 'shared'
pg_logship.server_name = 'primary'
$s3_conf
restore_command = '$restore_cmd_conf'
EOF
start_node primary
q primary "CREATE EXTENSION pg_logship" >/dev/null
say "primary is up; CREATE EXTENSION pg_logship done (the standbys get it by replication)"
grep -E "^(archive_mode|archive_library|pg_logship\.|restore_command)" "$work/primary/postgresql.conf" | indent

step "Creating standby1 and standby2 with pg_basebackup -R"
for n in standby1 standby2; do
	pg_basebackup -h 127.0.0.1 -p "${port[primary]}" -D "$work/$n" -R -X stream \
		--checkpoint fast --no-sync >"$work/$n-basebackup.log" 2>&1 ||
		{ cat "$work/$n-basebackup.log"; die "pg_basebackup for $n failed"; }
	cat >>"$work/$n/postgresql.conf" <<EOF
port = ${port[$n]}
cluster_name = '$n'
pg_logship.server_name = '$n'
EOF
	start_node "$n"
	say "$n is up (port ${port[$n]})"
done
wait_until primary "SELECT count(*) = 2 FROM pg_stat_replication WHERE state = 'streaming'" \
	"both standbys to stream"
table primary "SELECT application_name AS standby, state, sync_state FROM pg_stat_replication ORDER BY 1"

# ---- 2. load --------------------------------------------------------------------------------

step "Running pgbench on the primary (scale $scale, ${seconds}s)"
run_pgbench primary -i -s "$scale" -q
run_pgbench primary -T "$seconds" -c 4 -j 2 -P 5
q primary "CREATE TABLE demo_events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	what text, at timestamptz DEFAULT now())" >/dev/null
q primary "INSERT INTO demo_events (what) SELECT 'before failover #' || g FROM generate_series(1, 1000) g" >/dev/null
last_tl1=$(q primary "SELECT pg_walfile_name(pg_switch_wal())")
q primary "INSERT INTO demo_events (what) VALUES ('last row on the old primary')" >/dev/null
say "switched WAL; the last complete segment is $last_tl1"

step "Waiting until every node has archived its WAL"
end_lsn=$(q primary "SELECT pg_current_wal_lsn()")
for n in standby1 standby2; do wait_replayed "$n" "$end_lsn"; done
for n in "${nodes[@]}"; do wait_archived "$n" "$last_tl1"; done
say "all three archived up to $last_tl1; nothing is waiting in pg_wal"
say "pg_logship.archive_status on each node: the primary publishes each segment, the standbys"
say "find the identical file already there and acknowledge it:"
show_status "${nodes[@]}"
declare -A before_pub before_ack
for n in "${nodes[@]}"; do
	before_pub[$n]=$(q "$n" "SELECT published_count FROM pg_logship.archive_status")
	before_ack[$n]=$(q "$n" "SELECT acknowledged_count FROM pg_logship.archive_status")
done

if [ -n "$s3" ]; then
	step "What the bucket holds (ListObjectsV2 of $prefix/, and a HEAD of $last_tl1)"
	s3_objects "$prefix/" >"$work/objects.txt"
	say "$(grep -c " " "$work/objects.txt") objects; the last few, with their sizes (lz4: pgbench's WAL compresses well):"
	grep "^$prefix/wal/" "$work/objects.txt" | tail -n 4 | awk '{ printf "      %-45s %9d bytes\n", $1, $2 }'
	other=$(grep -v "^$prefix/wal/" "$work/objects.txt" | awk '{ print $1 }' | paste -sd ' ' -)
	say "besides wal/: ${other:-nothing} (the servers' name claims)"
	s3_curl HEAD "/$s3_bucket/$prefix/wal/$last_tl1" -I >"$work/head.txt"
	say "HEAD $prefix/wal/$last_tl1: the original size and checksum travel as metadata, so a"
	say "server that finds the key taken can tell a different copy without downloading it:"
	grep -i '^x-amz-meta-pgls' "$work/head.txt" | tr -d '\r' | indent
fi

# ---- 3. failover ----------------------------------------------------------------------------

step "Crash: stopping the primary in immediate mode"
pg_ctl -D "$work/primary" -m immediate -w stop >/dev/null
running[primary]=""
say "primary is gone"

step "Promoting standby1; standby2 follows it"
pg_ctl -D "$work/standby1" -w -t 60 promote >/dev/null
wait_until standby1 "SELECT NOT pg_is_in_recovery()" "standby1 to finish promotion" 60
say "standby1 is the new primary, writing $(q standby1 "SELECT pg_walfile_name(pg_current_wal_lsn())")"
q standby2 "ALTER SYSTEM SET primary_conninfo = 'host=127.0.0.1 port=${port[standby1]} application_name=standby2'" >/dev/null
q standby2 "SELECT pg_reload_conf()" >/dev/null
wait_until standby1 "SELECT count(*) = 1 FROM pg_stat_replication WHERE application_name = 'standby2' AND state = 'streaming'" \
	"standby2 to stream from standby1"
say "standby2 streams from standby1 (it fetched 00000002.history with pg_logship restore)"

# ---- 4. load on the new primary -------------------------------------------------------------

step "Running pgbench on the new primary ($(((seconds + 1) / 2))s)"
run_pgbench standby1 -T $(((seconds + 1) / 2)) -c 4 -j 2 -P 5
q standby1 "INSERT INTO demo_events (what) SELECT 'after failover #' || g FROM generate_series(1, 1000) g" >/dev/null
last_tl2=$(q standby1 "SELECT pg_walfile_name(pg_switch_wal())")
say "switched WAL; the last complete segment is $last_tl2"

step "Waiting for archiving after the failover"
end_lsn=$(q standby1 "SELECT pg_current_wal_lsn()")
wait_replayed standby2 "$end_lsn"
wait_archived standby1 "$last_tl2"
wait_archived standby2 "$last_tl2"
say "pg_logship.archive_status (counters since each server started; the primary is down):"
show_status standby1 standby2
rows1=$(q standby1 "SELECT count(*) FROM demo_events")
rows2=$(q standby2 "SELECT count(*) FROM demo_events")
say "demo_events: $rows1 rows on standby1, $rows2 on standby2"
[ "$rows1" = "$rows2" ] || die "standby2 does not have the new primary's rows"

# ---- 5. verify ------------------------------------------------------------------------------

step "Checking the archive: pg_logship verify --deep --archive-dir $archive${s3:+ --s3-...}"
verify_rc=0
"$pgls" verify --deep --archive-dir "$archive" "${s3_args[@]}" >"$work/verify.out" 2>&1 || verify_rc=$?
indent <"$work/verify.out"

# ---- 6. summary -----------------------------------------------------------------------------

step "Summary"
if [ -n "$s3" ]; then
	mapfile -t files < <(s3_objects "$prefix/wal/" | awk '{ print $1 }')
	entries=objects
else
	shopt -s nullglob
	files=("$archive"/wal/*)
	shopt -u nullglob
	entries=files
fi
n_seg=0 n_partial=0 n_history=0 n_backup=0 n_temp=0
declare -A per_tli=()
for f in "${files[@]}"; do
	b=${f##*/}
	case "$b" in
	*.pgls-tmp.*) n_temp=$((n_temp + 1)) ;;
	*.history) n_history=$((n_history + 1)) ;;
	*.backup) n_backup=$((n_backup + 1)) ;;
	*.partial) n_partial=$((n_partial + 1)) ;;
	*)
		n_seg=$((n_seg + 1))
		t=$((16#${b:0:8}))
		per_tli[$t]=$((${per_tli[$t]:-0} + 1))
		;;
	esac
done
tl_text=""
for t in $(printf '%s\n' "${!per_tli[@]}" | sort -n); do
	tl_text+="${tl_text:+, }timeline $t: ${per_tli[$t]}"
done
say "archive $archive/wal${s3:+ (objects)}:"
say "  $n_seg segments ($tl_text), $n_partial .partial, $n_history history, $n_backup backup history, $n_temp temp files"
s1_pub=$(q standby1 "SELECT published_count FROM pg_logship.archive_status")
s1_ack=$(q standby1 "SELECT acknowledged_count FROM pg_logship.archive_status")
s2_pub=$(q standby2 "SELECT published_count FROM pg_logship.archive_status")
s2_ack=$(q standby2 "SELECT acknowledged_count FROM pg_logship.archive_status")
conflicts=$(($(q standby1 "SELECT conflict_count FROM pg_logship.archive_status") +
	$(q standby2 "SELECT conflict_count FROM pg_logship.archive_status")))
printf '    %-10s %10s %13s\n' server published acknowledged
printf '    %-10s %10s %13s   (until the crash)\n' primary "${before_pub[primary]}" "${before_ack[primary]}"
printf '    %-10s %10s %13s\n' standby1 "$s1_pub" "$s1_ack"
printf '    %-10s %10s %13s\n' standby2 "$s2_pub" "$s2_ack"
total_pub=$((before_pub[primary] + s1_pub + s2_pub))
if [ "$total_pub" -eq "${#files[@]}" ]; then
	say "files published: $total_pub, $entries in the archive: ${#files[@]}: each written once, by one server"
else
	say "files published: $total_pub, $entries in the archive: ${#files[@]}"
fi
say "conflicts on the surviving servers: $conflicts"

status=0
if [ "$verify_rc" -ne 0 ]; then
	say "RESULT: pg_logship verify FAILED (exit $verify_rc)"
	status=1
elif [ "$conflicts" -ne 0 ]; then
	say "RESULT: conflicts were reported"
	status=1
else
	say "RESULT: archive ok"
fi

step "The replication picture of the new primary: pg_logship status"
status_rc=0
"$pgls" status -d "host=127.0.0.1 port=${port[standby1]} dbname=postgres" \
	>"$work/status.out" 2>&1 || status_rc=$?
indent <"$work/status.out"
say "(pg_logship status exit code $status_rc: 0 ok, 1 warning, 2 critical, as pg_logship check)"

step "Stopping the servers${gw:+ and the gateway}, removing $work${gw:+ and $gw}"
exit "$status"
