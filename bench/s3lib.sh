# shellcheck shell=bash disable=SC2034
# bench/s3lib.sh -- the object-store phase's helpers (sourced by bench/s3.sh after lib.sh).
#
# One throwaway Ceph RADOS Gateway (scripts/rgw.sh) serves the whole phase: bluestore on a
# sparse file (the phase stores a few GiB; memstore would keep twice that in memory), http and
# https (self-signed certificate: pgBackRest's S3 client speaks TLS only). Every archiver talks
# to the https endpoint. Each variant and pass writes under a prefix of its own in the one
# bucket, so that nothing it finds there was written by another run.

# s3_gateway_start DIR: start the gateway in DIR (a short path: Ceph's admin sockets) and set
# S3_ENDPOINT (http), S3_TLS (https), S3_CA, S3_REGION, S3_BUCKET, S3_KEY, S3_SECRET, S3_CREDS,
# S3_TLS_HOSTPORT, S3_DIR and S3_LOG (radosgw's log, one "beast:" line per request).
s3_gateway_start() {
	local dir=$1 out line
	out=$(bash scripts/rgw.sh start "$dir" --tls --store bluestore --owner "$$" 2>"$BL_LOGS/rgw-start.log") ||
		bl_die "the S3 gateway did not start: $(tail -n 1 "$BL_LOGS/rgw-start.log")"
	while IFS= read -r line; do
		case $line in
		PGLS_S3_ENDPOINT=*) S3_ENDPOINT=${line#*=} ;;
		PGLS_S3_TLS_ENDPOINT=*) S3_TLS=${line#*=} ;;
		PGLS_S3_CA_FILE=*) S3_CA=${line#*=} ;;
		PGLS_S3_REGION=*) S3_REGION=${line#*=} ;;
		PGLS_S3_BUCKET=*) S3_BUCKET=${line#*=} ;;
		PGLS_S3_ACCESS_KEY=*) S3_KEY=${line#*=} ;;
		PGLS_S3_SECRET_KEY=*) S3_SECRET=${line#*=} ;;
		PGLS_S3_CREDENTIALS_FILE=*) S3_CREDS=${line#*=} ;;
		esac
	done <<<"$out"
	[ -n "${S3_TLS:-}" ] || bl_die "scripts/rgw.sh printed no https endpoint"
	S3_TLS_HOSTPORT=${S3_TLS#https://}
	S3_DIR=$dir
	S3_LOG=$dir/log/client.rgw.a.log
}

# s3_curl METHOD PATH [CURL ARGS...]: a signed request to the http endpoint (a look from
# outside, not part of any measurement); the body on stdout.
s3_curl() {
	local method=$1 path=$2
	shift 2
	curl -sS -f -X "$method" --max-time 60 \
		--aws-sigv4 "aws:amz:$S3_REGION:s3" --user "$S3_KEY:$S3_SECRET" \
		-H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
		"$@" "$S3_ENDPOINT$path"
}

# s3_uri STRING: percent-encoded for a query string (RFC 3986 unreserved characters kept).
s3_uri() {
	local s=$1 out='' c i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in
		[A-Za-z0-9._~-]) out+=$c ;;
		*) out+=$(printf '%%%02X' "'$c") ;;
		esac
	done
	printf '%s' "$out"
}

# s3_list PREFIX: "key<TAB>size" of every object under PREFIX (all ListObjectsV2 pages).
# Keys and prefixes here are plain (letters, digits, "/", "-", "_", "."): no escaping needed.
s3_list() {
	local prefix=$1 token='' body q
	while :; do
		q="list-type=2&max-keys=1000&prefix=$(s3_uri "$prefix")"
		[ -z "$token" ] || q="continuation-token=$(s3_uri "$token")&$q"
		body=$(s3_curl GET "/$S3_BUCKET?$q") || bl_die "ListObjectsV2 of $prefix failed"
		printf '%s' "$body" | awk 'BEGIN { RS = "<Contents>" } NR > 1 {
			k = $0; sub(/.*<Key>/, "", k); sub(/<\/Key>.*/, "", k)
			s = $0; sub(/.*<Size>/, "", s); sub(/<\/Size>.*/, "", s)
			print k "\t" s }'
		case $body in
		*'<NextContinuationToken>'*)
			token=${body#*<NextContinuationToken>}
			token=${token%%</NextContinuationToken>*}
			;;
		*) break ;;
		esac
	done
}

# s3_gateway_ticks: CPU clock ticks (user + kernel) the gateway's daemons (mon, OSD, radosgw)
# used so far.
s3_gateway_ticks() {
	local f pids=()
	for f in "$S3_DIR"/run/*.pid; do
		[ "${f##*/}" = watchdog.pid ] || pids+=("$(cat "$f" 2>/dev/null)")
	done
	# shellcheck disable=SC2046
	set -- $(bl_cpu_ticks "${pids[@]}")
	echo $(($1 + $2))
}

# s3_log_mark: the current size of radosgw's log (where the next requests' lines start).
s3_log_mark() { stat -c %s "$S3_LOG"; }

# s3_requests MARK: the requests radosgw logged since MARK, by method, as "GET 64, HEAD 65,
# PUT 65" (beast's access lines: one per request).
s3_requests() {
	tail -c +"$(($1 + 1))" "$S3_LOG" |
		awk '/ beast: / && match($0, /"[A-Z]+ /) { n[substr($0, RSTART + 1, RLENGTH - 2)]++ }
			END { for (m in n) printf "%s %d\n", m, n[m] }' | sort | paste -sd, - | sed 's/,/, /g'
}

# s3_pgbr_conf FILE DATADIR REPO_PATH SPOOL: a pgBackRest config (stanza "bench") with its
# repository in the gateway's bucket: async, process-max 2, lz4, TLS without certificate
# checks (repo1-storage-port and repo1-storage-verify-tls are 2.45's names of repo1-s3-port
# and repo1-s3-verify-tls).
s3_pgbr_conf() {
	local f=$1 d=$2 repo=$3 spool=$4
	mkdir -p "$spool" "$BL_WORK/pgbr-lock" "$BL_LOGS/pgbackrest"
	cat >"$f" <<EOF
[global]
repo1-type=s3
repo1-path=$repo
repo1-s3-endpoint=${S3_TLS_HOSTPORT%:*}
repo1-storage-port=${S3_TLS_HOSTPORT##*:}
repo1-s3-uri-style=path
repo1-storage-verify-tls=n
repo1-s3-bucket=$S3_BUCKET
repo1-s3-key=$S3_KEY
repo1-s3-key-secret=$S3_SECRET
repo1-s3-region=$S3_REGION
spool-path=$spool
lock-path=$BL_WORK/pgbr-lock
log-path=$BL_LOGS/pgbackrest
log-level-console=warn
log-level-stderr=warn
log-level-file=info
archive-async=y
process-max=2
compress-type=lz4
start-fast=y

[bench]
pg1-path=$d
pg1-port=$BL_PORT
pg1-socket-path=$BL_SOCK
pg1-user=$BL_USER
EOF
	chmod 600 "$f"
}

# s3_pgls_conf: the pg_logship.s3_* settings for the https endpoint (certificate checked
# against the gateway's own CA file).
s3_pgls_conf() {
	printf '%s\n' "pg_logship.s3_endpoint = '$S3_TLS'" "pg_logship.s3_region = '$S3_REGION'" \
		"pg_logship.s3_uri_style = 'path'" "pg_logship.s3_ca_file = '$S3_CA'" \
		"pg_logship.s3_credentials_file = '$S3_CREDS'"
}

# s3_cli_args: the same for the pg_logship CLI, as one string for a restore_command.
s3_cli_args() {
	printf '%s' "--s3-endpoint $S3_TLS --s3-region $S3_REGION --s3-uri-style path" \
		" --s3-ca-file $S3_CA --s3-credentials-file $S3_CREDS"
}

# s3_wait_count DATADIR LOG K STALL: poll pg_stat_archiver every 100 ms until it counts K
# archived files. Fails like bl_wait_archived (no progress for STALL s, "failed too many
# times", the server gone).
s3_wait_count() {
	local d=$1 log=$2 k=$3 stall=$4 n last_n=-1 last_change=$EPOCHREALTIME polls=0
	while :; do
		n=$(bl_psql "SELECT archived_count FROM pg_stat_archiver" 2>/dev/null || echo -1)
		[ "$n" -ge "$k" ] && return 0
		if [ "$n" != "$last_n" ]; then
			last_n=$n
			last_change=$EPOCHREALTIME
		elif awk "BEGIN { exit !($EPOCHREALTIME - $last_change > $stall) }"; then
			echo "no progress for ${stall}s, $n of $k archived" >"$BL_WORK/last_error"
			return 1
		fi
		if [ $((++polls % 10)) -eq 0 ]; then
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
		sleep 0.1
	done
}
