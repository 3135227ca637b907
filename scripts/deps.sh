#!/usr/bin/env bash
# scripts/deps.sh -- install what pg_logship needs to build and test on Debian, for one
# PostgreSQL major version (PG_MAJOR): on this machine, and inside the Debian roots that
# scripts/pg-root.sh builds for other versions (one package list for every version).
#
# Idempotent: every package is checked with dpkg-query and only the missing ones are installed
# (apt-get update runs once, and only when something is missing). Uses sudo when not root.
# Works without a terminal (CI: no stdin). Prints one line: what it installed, or
# "deps: all present". Finally checks that pg_config (or $PG_CONFIG) is PostgreSQL $PG_MAJOR.
#
#   scripts/deps.sh            build and test dependencies
#   scripts/deps.sh bench      also what make bench compares against (pgBackRest, and the AWS
#                              CLI for the object store), perf (linux-perf) for its profile,
#                              and hyperfine for the CLI's start-up
#   scripts/deps.sh root       only the host tools to build Debian roots (mmdebstrap)
#   scripts/deps.sh --list     print the build and test packages for PG_MAJOR, one a line
#   scripts/deps.sh --native-major   print the PostgreSQL major of this machine's Debian suite
#   scripts/deps.sh --suite N  print the Debian suite that has PostgreSQL N (none: exit 1)
#
# Env: PG_MAJOR   PostgreSQL major version (default: this machine's, --native-major)
#      PG_CONFIG  pg_config to check (default: /usr/lib/postgresql/$PG_MAJOR/bin/pg_config)
set -euo pipefail

me="deps"

# PostgreSQL major version <-> the Debian suite whose default it is (Debian ships one major a
# suite). 16 is in no Debian suite: it is built only (README "Supported versions").
suite_of_major() {
	case "$1" in
	15) echo bookworm ;;
	17) echo trixie ;;
	18) echo sid ;;
	*) return 1 ;;
	esac
}
native_major() {
	local codename=""
	[ ! -r /etc/os-release ] || codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	case "$codename" in
	trixie) echo 17 ;;
	forky | sid) echo 18 ;;
	*) echo 15 ;;
	esac
}

case "${1:-}" in
--native-major)
	native_major
	exit 0
	;;
--suite)
	suite_of_major "${2:-}" || {
		echo "$me: no Debian suite has PostgreSQL ${2:-?} (supported: 15 bookworm, 17 trixie, 18 sid)" >&2
		exit 1
	}
	exit 0
	;;
esac

major=${PG_MAJOR:-$(native_major)}
[[ "$major" =~ ^[0-9]+$ ]] || {
	echo "$me: PG_MAJOR must be a major version number such as 15, not '$major'" >&2
	exit 2
}

packages=(
	# toolchain
	build-essential g++ make
	# server, initdb, pgbench, contrib modules (basic_archive), client
	"postgresql-$major" "postgresql-client-$major"
	# PGXS, server headers, pg_regress, PostgreSQL::Test perl modules; libpq for the CLI
	"postgresql-server-dev-$major" libpq-dev
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
case "${1:-}" in
--list)
	printf '%s\n' "${packages[@]}"
	exit 0
	;;
bench)
	# the peers make bench measures pg_logship against (awscli: `aws s3 cp` as archive_command);
	# perf for its CPU profile
	packages+=(pgbackrest awscli linux-perf hyperfine)
	;;
root)
	# scripts/pg-root.sh: builds the roots (mmdebstrap), runs them in private namespaces
	# (unshare, util-linux)
	packages=(mmdebstrap util-linux)
	;;
"") ;;
*)
	echo "usage: $0 [bench|root|--list|--native-major|--suite N]" >&2
	exit 2
	;;
esac

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
	# DPkg::Lock::Timeout: wait for another apt run (another clone's make test) to finish.
	apt_opts=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=600
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
	log=$(mktemp /tmp/pg_logship-deps.XXXXXX.log)
	if ! { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q \
		-o DPkg::Lock::Timeout=600 &&
		"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" \
			"${missing[@]}"; } </dev/null >"$log" 2>&1; then
		tail -n 40 "$log" >&2
		echo "$me: apt-get failed installing: ${missing[*]} (full log: $log)" >&2
		exit 1
	fi
	rm -f "$log"
	echo "$me: installed ${missing[*]}"
fi

[ "${1:-}" != root ] || exit 0

# pg_config must be PostgreSQL $major: the Makefile and the test scripts build and run against it.
pg_config_cmd=${PG_CONFIG:-/usr/lib/postgresql/$major/bin/pg_config}
if ! version=$("$pg_config_cmd" --version 2>/dev/null); then
	echo "$me: '$pg_config_cmd' does not run (expected from postgresql-server-dev-$major)" >&2
	exit 1
fi
case "$version" in
"PostgreSQL $major."*) ;;
*)
	echo "$me: '$pg_config_cmd' ($(command -v "$pg_config_cmd")) is '$version', not PostgreSQL $major;" \
		"run with PG_CONFIG=/usr/lib/postgresql/$major/bin/pg_config" >&2
	exit 1
	;;
esac
