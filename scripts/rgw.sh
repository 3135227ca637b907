#!/usr/bin/env bash
# scripts/rgw.sh -- a throwaway Ceph RADOS Gateway (S3) on 127.0.0.1, for tests and benchmarks.
#
#   rgw.sh start DIR [--tls] [--owner PID] [--store memstore|bluestore]
#                     one mon, one OSD, one radosgw (no mgr), all under DIR (created; must not
#                     hold a running gateway), on free ports; a user with known keys and a bucket.
#                     Returns when a PUT into the bucket has succeeded. Prints the environment
#                     (as "env" does).
#   rgw.sh env DIR    prints PGLS_S3_ENDPOINT (path style), PGLS_S3_HOST_ENDPOINT (host style:
#                     http://localhost:PORT, buckets as BUCKET.localhost), PGLS_S3_TLS_ENDPOINT
#                     (with --tls), PGLS_S3_CA_FILE, PGLS_S3_REGION, PGLS_S3_BUCKET,
#                     PGLS_S3_ACCESS_KEY, PGLS_S3_SECRET_KEY, PGLS_S3_CREDENTIALS_FILE (a [default]
#                     profile, mode 0600), PGLS_S3_DIR; one NAME=VALUE a line.
#   rgw.sh stop DIR   SIGKILLs every daemon of DIR (and its watchdog); DIR is kept.
#   rgw.sh kill-rgw DIR      SIGKILLs radosgw only (the cluster and its data stay).
#   rgw.sh start-rgw DIR     starts radosgw again on the same ports; returns when a PUT works.
#
# Runs as any user, root included (nothing is written outside DIR; no --setuser). With
# --owner PID a watchdog SIGKILLs the daemons when process PID is gone, so a test that dies, even
# by SIGKILL, leaves nothing running. Stopping is SIGKILL: a clean OSD stop takes ~7 s and the
# data is thrown away anyway.
#
# Storage: "memstore" (the default) keeps objects in the OSD's memory (about twice the data
# stored): fast to start, and enough for tests. The data survives a restart of radosgw (kill-rgw,
# start-rgw), not of the OSD. "bluestore" keeps them in a sparse file DIR/osd.0.block (no loop
# device; memory stays flat): for make bench, which stores more.
#
# Needs: ceph-mon ceph-osd radosgw ceph-common (scripts/deps.sh), perl, curl, openssl (--tls).
# Works with the Ceph of Debian bookworm (16.2), trixie (18.2) and sid (20.2): the PostgreSQL 15,
# 17 and 18 test runs (scripts/pg-root.sh).
set -euo pipefail

me="rgw"
die() {
	echo "$me: $*" >&2
	# A start that fails leaves nothing running.
	[ "${starting:-0}" = 0 ] || cmd_stop
	exit 1
}

access_key=PGLSTESTACCESSKEY000
secret_key=pglsTestSecretKey0000000000000000000000
bucket=pgls-test
region=us-east-1

usage() {
	sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit 2
}

# A free TCP port on 127.0.0.1 (the kernel's choice; a small race with other starters, which the
# daemon's bind then reports).
free_port() {
	perl -MIO::Socket::INET -e \
		'my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1", LocalPort => 0, ReuseAddr => 1) or die "$!\n"; print $s->sockport, "\n"'
}

now_ms() { date +%s%3N; }

# Reads DIR/ports into mon_port, http_port, https_port.
read_ports() {
	[ -f "$dir/ports" ] || die "$dir holds no gateway (no $dir/ports)"
	# shellcheck disable=SC1091
	. "$dir/ports"
}

pids_of() {
	local f
	for f in "$dir"/run/*.pid "$dir"/run/watchdog.pid; do
		[ -f "$f" ] && cat "$f"
	done 2>/dev/null | sort -u
}

kill_pidfile() {
	local f=$1 pid
	[ -f "$f" ] || return 0
	pid=$(cat "$f" 2>/dev/null) || return 0
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
	rm -f "$f"
}

# Waits (up to $2 s) until a signed PUT of a small object into the bucket returns 200.
# $1: what we wait for (for the message).
wait_for_put() {
	local what=$1 limit_s=$2 start status
	start=$(now_ms)
	while :; do
		status=$(s3_request PUT "/$bucket/.pgls-rgw-ready" 2>/dev/null || true)
		[ "$status" = 200 ] && return 0
		if ! kill -0 "$(cat "$dir/run/client.rgw.a.pid" 2>/dev/null || echo 0)" 2>/dev/null &&
			[ $(($(now_ms) - start)) -gt 3000 ]; then
			tail -n 20 "$dir/log/client.rgw.a.log" >&2 || true
			die "radosgw is not running ($what; log: $dir/log/client.rgw.a.log)"
		fi
		if [ $(($(now_ms) - start)) -gt $((limit_s * 1000)) ]; then
			tail -n 20 "$dir/log/client.rgw.a.log" >&2 || true
			die "no successful PUT within ${limit_s} s ($what; last HTTP status '$status'; logs in $dir/log)"
		fi
		sleep 0.1
	done
}

# s3_request METHOD PATH: a SigV4-signed request with an empty body to the http endpoint;
# prints the HTTP status. No body option (--data-binary): curl would add a Content-Type it does
# not sign, and RGW 20.2.4 refuses any unsigned Content-Type (403, "'content-type' supplied but
# not in CanonicalHeaders"); an empty "Content-Type:" to drop it gets signed by curl 7.88.
s3_request() {
	local method=$1 path=$2
	curl -s -o /dev/null -w '%{http_code}' -X "$method" --max-time 5 \
		--aws-sigv4 "aws:amz:$region:s3" --user "$access_key:$secret_key" \
		-H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
		-H 'Content-Length: 0' \
		"http://127.0.0.1:$http_port$path"
}

start_rgw() {
	rm -f "$dir/run/client.rgw.a.pid"
	radosgw -c "$dir/ceph.conf" -n client.rgw.a >>"$dir/log/start.log" 2>&1 ||
		die "radosgw did not start (see $dir/log/client.rgw.a.log)"
}

cmd_start() {
	local tls=0 owner="" store=memstore
	while [ $# -gt 0 ]; do
		case "$1" in
		--tls) tls=1 ;;
		--owner) owner=${2:?}; shift ;;
		--store) store=${2:?}; shift ;;
		*) usage ;;
		esac
		shift
	done
	case "$store" in memstore | bluestore) ;; *) die "--store must be memstore or bluestore" ;; esac
	for b in monmaptool ceph-mon ceph-osd radosgw radosgw-admin ceph ceph-conf curl perl; do
		command -v "$b" >/dev/null || die "$b not found: run scripts/deps.sh"
	done
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	if [ -n "$(pids_of)" ]; then
		for p in $(pids_of); do
			kill -0 "$p" 2>/dev/null && die "$dir already runs a gateway (pid $p); stop it first"
		done
	fi
	rm -rf "$dir/mon" "$dir/osd" "$dir/run" "$dir/log" "$dir/osd.0.block"
	mkdir -p "$dir/mon" "$dir/osd/0" "$dir/run" "$dir/log"
	starting=1
	local t0 fsid osd_uuid
	t0=$(now_ms)
	fsid=$(cat /proc/sys/kernel/random/uuid)
	osd_uuid=$(cat /proc/sys/kernel/random/uuid)
	mon_port=$(free_port)
	http_port=$(free_port)
	https_port=""
	[ "$tls" = 0 ] || https_port=$(free_port)
	printf 'mon_port=%s\nhttp_port=%s\nhttps_port=%s\n' "$mon_port" "$http_port" "$https_port" >"$dir/ports"

	# tcp_nodelay: without it a small GET waits ~40 ms for a delayed ACK (Nagle on radosgw's side).
	local frontends="beast endpoint=127.0.0.1:$http_port tcp_nodelay=1"
	if [ "$tls" = 1 ]; then
		command -v openssl >/dev/null || die "openssl not found: run scripts/deps.sh"
		# A self-signed certificate for 127.0.0.1 and localhost, valid 10 years; its own CA file.
		openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=127.0.0.1 \
			-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
			-keyout "$dir/rgw.key" -out "$dir/rgw.crt" >"$dir/log/openssl.log" 2>&1 ||
			die "openssl could not make a certificate (see $dir/log/openssl.log)"
		cat "$dir/rgw.crt" "$dir/rgw.key" >"$dir/rgw.pem"
		chmod 600 "$dir/rgw.key" "$dir/rgw.pem"
		frontends+=" ssl_endpoint=127.0.0.1:$https_port ssl_certificate=$dir/rgw.pem"
	fi

	local store_conf="osd objectstore = memstore
memstore device bytes = $((8 << 30))"
	if [ "$store" = bluestore ]; then
		truncate -s 64G "$dir/osd.0.block"
		store_conf="osd objectstore = bluestore
bluestore block path = $dir/osd.0.block
bluestore block create = false
bluestore fsck on mkfs = false
bluestore cache size = 128M"
	fi

	# The OSD's object classes (cls_rgw and others; without them radosgw cannot create its zone:
	# "failed to create zone with (95) Operation not supported"). Ceph 20 in Debian sid has a
	# relative default (lib/x86_64-linux-gnu/rados-classes): make it absolute.
	local class_dir
	class_dir=$(ceph-conf -D 2>/dev/null | sed -n 's/^osd_class_dir = //p')
	case "$class_dir" in /*) ;; *) class_dir=/usr/$class_dir ;; esac
	[ -e "$class_dir/libcls_rgw.so" ] || die "the OSD's object classes (libcls_rgw.so) are not in $class_dir"

	cat >"$dir/ceph.conf" <<EOF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$mon_port
public addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
ms bind msgr1 = false
run dir = $dir/run
admin socket = $dir/run/\$name.asok
pid file = $dir/run/\$name.pid
log file = $dir/log/\$name.log
keyring = $dir/keyring
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon data avail crit = 1
mon data avail warn = 2
[mon]
mon data = $dir/mon/\$name
paxos propose interval = 0.1
[osd]
osd data = $dir/osd/\$id
$store_conf
osd max object size = 1G
osd class dir = $class_dir
[client.rgw.a]
rgw frontends = $frontends
# host-style addressing (bucket.localhost: libcurl resolves *.localhost to 127.0.0.1 itself)
rgw dns name = localhost
rgw data = $dir/rgw
rgw enable usage log = false
EOF
	: >"$dir/keyring"

	monmaptool --create --clobber --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" \
		"$dir/monmap" >"$dir/log/start.log" 2>&1 || die "monmaptool failed (see $dir/log/start.log)"
	ceph-mon -c "$dir/ceph.conf" --mkfs -i a --monmap "$dir/monmap" >>"$dir/log/start.log" 2>&1 ||
		die "ceph-mon --mkfs failed (see $dir/log/start.log)"
	ceph-mon -c "$dir/ceph.conf" -i a >>"$dir/log/start.log" 2>&1 || die "ceph-mon did not start"

	# The watchdog: SIGKILLs the daemons when the owner is gone (stop kills the watchdog too).
	if [ -n "$owner" ]; then
		(
			trap '' HUP INT TERM
			while kill -0 "$owner" 2>/dev/null && [ -d "$dir/run" ]; do sleep 1; done
			for f in "$dir"/run/*.pid; do
				[ "$f" = "$dir/run/watchdog.pid" ] || kill_pidfile "$f"
			done
			rm -f "$dir/run/watchdog.pid"
		) </dev/null >/dev/null 2>&1 &
		echo $! >"$dir/run/watchdog.pid"
		disown
	fi

	ceph -c "$dir/ceph.conf" --connect-timeout 20 osd new "$osd_uuid" 0 >>"$dir/log/start.log" 2>&1 ||
		die "ceph osd new failed (see $dir/log/start.log)"
	ceph-osd -c "$dir/ceph.conf" -i 0 --mkfs --osd-uuid "$osd_uuid" >>"$dir/log/start.log" 2>&1 ||
		die "ceph-osd --mkfs failed (see $dir/log/start.log)"
	ceph-osd -c "$dir/ceph.conf" -i 0 >>"$dir/log/start.log" 2>&1 || die "ceph-osd did not start"
	start_rgw
	radosgw-admin -c "$dir/ceph.conf" -n client.admin user create --uid pgls --display-name pgls \
		--access-key "$access_key" --secret-key "$secret_key" >>"$dir/log/start.log" 2>&1 ||
		die "radosgw-admin user create failed (see $dir/log/start.log)"

	# The bucket (the first PUT that works also tells that the gateway serves requests). 409: a
	# try whose answer was lost had created it already.
	local status="" start
	start=$(now_ms)
	while [ "$status" != 200 ]; do
		status=$(s3_request PUT "/$bucket" 2>/dev/null || true)
		[ "$status" != 409 ] || status=200
		[ $(($(now_ms) - start)) -lt 60000 ] ||
			die "could not create bucket $bucket within 60 s (last HTTP status '$status'; logs in $dir/log)"
		[ "$status" = 200 ] || sleep 0.1
	done
	wait_for_put "start" 60

	umask 077
	printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
		"$access_key" "$secret_key" >"$dir/credentials"
	starting=0
	echo "$me: gateway up in $(($(now_ms) - t0)) ms ($store), logs in $dir/log" >&2
	cmd_env
}

cmd_env() {
	read_ports
	echo "PGLS_S3_ENDPOINT=http://127.0.0.1:$http_port"
	echo "PGLS_S3_HOST_ENDPOINT=http://localhost:$http_port"
	if [ -n "$https_port" ]; then
		echo "PGLS_S3_TLS_ENDPOINT=https://127.0.0.1:$https_port"
		echo "PGLS_S3_CA_FILE=$dir/rgw.crt"
	fi
	echo "PGLS_S3_REGION=$region"
	echo "PGLS_S3_BUCKET=$bucket"
	echo "PGLS_S3_ACCESS_KEY=$access_key"
	echo "PGLS_S3_SECRET_KEY=$secret_key"
	echo "PGLS_S3_CREDENTIALS_FILE=$dir/credentials"
	echo "PGLS_S3_DIR=$dir"
}

cmd_stop() {
	local f
	for f in "$dir"/run/*.pid; do
		[ -f "$f" ] && kill_pidfile "$f"
	done
	return 0
}

cmd_kill_rgw() {
	kill_pidfile "$dir/run/client.rgw.a.pid"
	# Wait until its port is free again, so that start-rgw can bind it.
	read_ports
	local i
	for i in $(seq 1 50); do
		(echo >"/dev/tcp/127.0.0.1/$http_port") 2>/dev/null || return 0
		sleep 0.1
	done
}

cmd_start_rgw() {
	read_ports
	start_rgw
	wait_for_put "restart" 60
	echo "$me: radosgw up again" >&2
}

[ $# -ge 2 ] || usage
cmd=$1
dir=$2
shift 2
case "$cmd" in
start) cmd_start "$@" ;;
env) dir=$(cd "$dir" && pwd) && cmd_env ;;
stop) [ -d "$dir" ] && cmd_stop ;;
kill-rgw) cmd_kill_rgw ;;
start-rgw) cmd_start_rgw ;;
*) usage ;;
esac
