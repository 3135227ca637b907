#!/usr/bin/env bash
# scripts/deps.sh -- install what pg_logship needs to build and test on Debian bookworm.
#
# Idempotent: every package is checked with dpkg-query and only the missing ones are installed
# (apt-get update runs once, and only when something is missing). Uses sudo when not root.
# Works without a terminal (CI: no stdin). Prints one line: what it installed, or
# "deps: all present". Finally checks that pg_config (or $PG_CONFIG) is PostgreSQL 15.
#
# "scripts/deps.sh bench" also installs what make bench compares against (pgBackRest, and the
# AWS CLI for the object store), perf (linux-perf) for its profile, and hyperfine for the CLI's
# start-up.
#
# Env: PG_CONFIG  pg_config to check (default: pg_config on PATH, i.e. postgresql-common's
#                 /usr/bin/pg_config wrapper, which picks the newest postgresql-server-dev-NN).
set -euo pipefail

me="deps"

packages=(
	# toolchain
	build-essential g++ make
	# server, initdb, pgbench, contrib modules (basic_archive), client
	postgresql-15 postgresql-contrib postgresql-client-15
	# PGXS, server headers, pg_regress, PostgreSQL::Test perl modules; libpq for the CLI
	postgresql-server-dev-15 libpq-dev
	# libraries: Boost.Lockfree (headers), GoogleTest, compression, hashing
	libboost-dev libgtest-dev liblz4-dev libzstd-dev libxxhash-dev
	# TAP tests: prove (perl), IPC::Run
	perl libipc-run-perl
	# the S3 client: libcurl (OpenSSL flavour) and libcrypto, loaded at run time; their headers
	libcurl4-openssl-dev libssl-dev
	# the throwaway S3 gateway of the tests (scripts/rgw.sh): Ceph's mon, OSD and RADOS Gateway;
	# curl to create its bucket, openssl for its self-signed certificate
	ceph-mon ceph-osd radosgw ceph-common curl openssl
	# pg_logship status: JSON in the CLI (header-only); its TAP tests run it under script(1)
	# (bsdutils) and on a pty (IO::Pty) for a terminal, and start postgres_exporter themselves
	# on loopback ports (the package's own service is not used)
	nlohmann-json3-dev bsdutils libio-pty-perl prometheus-postgres-exporter
	# useradd (passwd), runuser (util-linux) for scripts/as-pg-user.sh; mktemp (coreutils)
	passwd util-linux coreutils
)
if [ "${1:-}" = bench ]; then
	# the peers make bench measures pg_logship against (awscli: `aws s3 cp` as archive_command);
	# perf for its CPU profile
	packages+=(pgbackrest awscli linux-perf hyperfine)
fi

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	if [ "$status" != "install ok installed" ]; then
		missing+=("$p")
	fi
done

if [ "${#missing[@]}" -eq 0 ]; then
	echo "$me: all present"
else
	if [ "$(id -u)" = 0 ]; then
		sudo=()
	elif command -v sudo >/dev/null 2>&1; then
		sudo=(sudo)
	else
		echo "$me: missing packages (${missing[*]}), not root and no sudo: install them as root" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	# -o Dpkg::...: never stop to ask about configuration files (no stdin in CI).
	apt_opts=(-y -q --no-install-recommends
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
	log=$(mktemp /tmp/pg_logship-deps.XXXXXX.log)
	if ! { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
		"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" \
			"${missing[@]}"; } </dev/null >"$log" 2>&1; then
		tail -n 40 "$log" >&2
		echo "$me: apt-get failed installing: ${missing[*]} (full log: $log)" >&2
		exit 1
	fi
	rm -f "$log"
	echo "$me: installed ${missing[*]}"
fi

# pg_config must be PostgreSQL 15: the Makefile and the test scripts build and run against it.
pg_config_cmd=${PG_CONFIG:-pg_config}
if ! version=$("$pg_config_cmd" --version 2>/dev/null); then
	echo "$me: '$pg_config_cmd' does not run (expected /usr/bin/pg_config from postgresql-common)" >&2
	exit 1
fi
case "$version" in
PostgreSQL\ 15.*) ;;
*)
	echo "$me: '$pg_config_cmd' ($(command -v "$pg_config_cmd")) is '$version', not PostgreSQL 15;" \
		"run with PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config" >&2
	exit 1
	;;
esac
