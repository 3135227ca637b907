#!/usr/bin/env bash
# scripts/pg-root.sh MAJOR {TARGET...|--prepare} -- make TARGETs against PostgreSQL MAJOR in a
# Debian root, for a major version this machine's own Debian suite does not have
# (make test PG_MAJOR=17 and the like come here; see the Makefile).
#
#  1. The root: $PGLS_ROOTS/<suite> (default /var/cache/pg_logship/roots/<suite>; 17: trixie,
#     18: sid, from scripts/deps.sh --suite). Built once with mmdebstrap from the Debian mirror
#     this machine's apt sources use (or $PGLS_DEBIAN_MIRROR), with the packages of
#     scripts/deps.sh --list for MAJOR. Every run then re-runs scripts/deps.sh inside it, so a
#     package added to deps.sh reaches roots built before (it installs only what is missing).
#     Building and refreshing hold $PGLS_ROOTS/<suite>.lock; a failed build leaves nothing.
#  2. The run: a copy of this tree (as scripts/as-pg-user.sh copies it: no .git, build outputs or
#     objects) goes to <root>/var/tmp/pg_logship.XXXXXX; then, in a private mount and PID
#     namespace (unshare), /proc, a tmpfs on /dev/shm, a devpts instance on /dev/pts (ptys for
#     the test user) and a /tmp of the run's own are mounted in the root and, chrooted,
#     "make TARGET... PG_MAJOR=MAJOR PGLS_IN_ROOT=1" runs there as root, exactly as on a machine
#     of that suite (deps, build, unit tests; servers as the user pglogship). The mounts exist
#     only in that namespace and every process in it ends with the run, however it ends
#     (failure, Ctrl-C, kill): nothing stays mounted or running.
#  3. After it: the run's build/failed-logs and build/artifacts are copied to <repo>/build/, the
#     copy in the root is removed, and the exit code is make's.
#
# --prepare builds or refreshes the root only (CI times it separately).
# Not root: uses sudo for mmdebstrap, unshare and chroot (as deps.sh does for apt-get).
#
# Env passed into the root: CI, TERM, PROVE_TESTS, PROVE_FLAGS, PG_TEST_*, PGLS_* (not
# PGLS_ROOTS, PGLS_OUT, PGLS_DEBIAN_MIRROR).
# Env: PGLS_ROOTS          where the roots are kept
#      PGLS_DEBIAN_MIRROR  the Debian mirror URI (default: from /etc/apt/sources*)
set -euo pipefail

me="pg-root"
die() {
	echo "$me: $*" >&2
	exit 1
}

[ "$#" -ge 2 ] || {
	echo "usage: $0 MAJOR {TARGET...|--prepare}" >&2
	exit 2
}
major=$1
shift
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
suite=$(bash "$repo/scripts/deps.sh" --suite "$major") || exit 1

if [ "$(id -u)" = 0 ]; then
	sudo=()
elif command -v sudo >/dev/null 2>&1; then
	sudo=(sudo)
else
	die "building and entering a Debian root needs root: run as root or install sudo"
fi
as_root() { "${sudo[@]}" "$@"; }

roots=${PGLS_ROOTS:-/var/cache/pg_logship/roots}
root="$roots/$suite"
marker="$root/etc/pg_logship-root"

# The Debian mirror of this machine's apt sources: the first URI serving main from a suite that
# is not a security suite (deb822 .sources files first, then one-line sources.list files).
detect_mirror() {
	local f uri
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		uri=$(awk '
			/^[[:space:]]*$/ { if (uri != "" && types ~ /(^| )deb( |$)/ && suites !~ /security/) { print uri; exit } uri = ""; types = ""; suites = ""; next }
			/^URIs:/ { uri = $2 } /^Types:/ { $1 = ""; types = $0 } /^Suites:/ { $1 = ""; suites = $0 }
			END { if (uri != "" && types ~ /(^| )deb( |$)/ && suites !~ /security/) print uri }' "$f" | head -n 1)
		[ -z "$uri" ] || {
			echo "$uri"
			return
		}
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		uri=$(awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
			if ($(i + 1) !~ /security/) { print $i; exit } }' "$f")
		[ -z "$uri" ] || {
			echo "$uri"
			return
		}
	done
	echo http://deb.debian.org/debian
}

# Runs a command chrooted into the root, in a private mount and PID namespace with /proc, a
# /dev/shm tmpfs and a devpts instance of its own mounted (newinstance: the host's ptys are not
# seen; ptmxmode=0666 and /dev/ptmx bound to pts/ptmx, so that an unprivileged user can open a
# pty, as script(1) and IPC::Run's pty do in the tests), and a clean environment (the rest of
# the arguments are NAME=VALUE pairs, then --, then the command).
in_root() {
	local envs=()
	while [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	shift
	# --kill-child: when unshare ends (it dies of a signal, or is killed), the namespace's first
	# process gets SIGKILL and the kernel ends every process of the namespace with it. That
	# first process ignores signals it has no handler for (and make re-raises them to itself),
	# so this is what stops a run. Run in the background and waited for, so that a signal to
	# this script is handled at once (trap below) instead of after the run.
	as_root unshare --mount --pid --fork --kill-child=SIGKILL --propagation private \
		--mount-proc="$root/proc" \
		bash -c 'mount -t tmpfs -o mode=1777 tmpfs "$1/dev/shm" &&
			mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts "$1/dev/pts" &&
			mount --bind "$1/dev/pts/ptmx" "$1/dev/ptmx" &&
			{ [ -z "$2" ] || mount --bind "$2" "$1/tmp"; } && root=$1 && shift 2 &&
			exec chroot "$root" /usr/bin/env -i "$@"' \
		_ "$root" "${run_tmp:-}" PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 "${envs[@]}" "$@" &
	ns_pid=$!
	local rc=0
	wait "$ns_pid" || rc=$?
	ns_pid=""
	return "$rc"
}
ns_pid=""
# On a signal: end the namespace (unshare ends its child), wait for it, then exit.
stop_run() {
	if [ -n "$ns_pid" ]; then
		as_root kill -TERM "$ns_pid" 2>/dev/null || true
		wait "$ns_pid" 2>/dev/null || true
	fi
	exit "$1"
}
trap 'stop_run 130' INT
trap 'stop_run 143' TERM

build_root() {
	bash "$repo/scripts/deps.sh" root
	local mirror=${PGLS_DEBIAN_MIRROR:-$(detect_mirror)}
	local include
	include=$(PG_MAJOR=$major bash "$repo/scripts/deps.sh" --list | paste -sd, -)
	local opts=(--variant=apt --include="$include"
		# No daemon a package installs starts inside the root, now or when deps.sh adds packages.
		--customize-hook='printf "#!/bin/sh\nexit 101\n" > "$1/usr/sbin/policy-rc.d"; chmod 755 "$1/usr/sbin/policy-rc.d"')
	# sid's Release file carries a Valid-Until that a mirror frozen in time is past: apt refuses
	# it otherwise (kept in the root's apt.conf.d for deps.sh's apt-get update there).
	[ "$suite" != sid ] || opts+=(--aptopt='Acquire::Check-Valid-Until "false"')
	local tmp="$root.tmp.$$"
	as_root rm -rf "$tmp"
	echo "$me: building the $suite root for PostgreSQL $major in $root (mirror $mirror)"
	local start=$SECONDS log
	log=$(mktemp /tmp/pg_logship-root.XXXXXX.log)
	if ! as_root mmdebstrap "${opts[@]}" "$suite" "$tmp" "$mirror" </dev/null >"$log" 2>&1; then
		tail -n 30 "$log" >&2
		as_root rm -rf "$tmp"
		die "mmdebstrap failed (full log: $log)"
	fi
	rm -f "$log"
	printf 'suite=%s\nmirror=%s\nbuilt=%s\n' "$suite" "$mirror" "$(date -u +%FT%TZ)" |
		as_root tee "$tmp/etc/pg_logship-root" >/dev/null
	as_root mv "$tmp" "$root"
	echo "$me: built the $suite root in $((SECONDS - start)) s ($(as_root du -sh "$root" | cut -f1))"
}

# Build if missing, then bring its packages up to deps.sh's list, under the root's lock.
prepare_root() {
	as_root mkdir -p "$roots"
	local lock="$roots/$suite.lock"
	[ -e "$lock" ] || as_root touch "$lock"
	as_root chmod 666 "$lock" 2>/dev/null || true
	exec 9<"$lock"
	flock 9
	[ -f "$marker" ] || build_root
	as_root cp "$repo/scripts/deps.sh" "$root/tmp/pg_logship-deps.sh"
	in_root PG_MAJOR="$major" -- bash /tmp/pg_logship-deps.sh ||
		die "scripts/deps.sh failed inside $root"
	exec 9<&-
}

start=$SECONDS
prepare_root
echo "$me: the $suite root is ready ($((SECONDS - start)) s)"
[ "$1" != --prepare ] || exit 0

# ---- the run ----------------------------------------------------------------------------------

stage=$(as_root mktemp -d "$root/var/tmp/pg_logship.XXXXXX")
inside=${stage#"$root"}
# The run's own /tmp (bind-mounted over the root's in its namespace): what the run leaves there
# (scripts/as-pg-user.sh keeps a failed run's stage) goes with it, and concurrent runs do not meet.
run_tmp=$stage.tmp
as_root mkdir -m 1777 "$run_tmp"
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -d "$stage/build/failed-logs" ] || [ -d "$stage/build/artifacts" ]; then
		mkdir -p "$repo/build"
		local d
		for d in failed-logs artifacts; do
			[ -d "$stage/build/$d" ] || continue
			rm -rf "${repo:?}/build/$d"
			as_root cp -a "$stage/build/$d" "$repo/build/$d"
			[ "${#sudo[@]}" -eq 0 ] || as_root chown -R "$(id -u):$(id -g)" "$repo/build/$d"
			echo "$me: copied $d to $repo/build/$d"
		done
	fi
	as_root rm -rf "$stage" "$run_tmp"
	exit "$rc"
}
trap cleanup EXIT

tar -C "$repo" -cf - \
	--exclude=./.git --exclude=./build --exclude=./bin --exclude=./tmp_check \
	--exclude=./results --exclude='*.o' --exclude='*.bc' --exclude='*.d' --exclude='*.so' . |
	as_root tar -C "$stage" -xf -

envs=(PG_MAJOR="$major" PGLS_IN_ROOT=1)
while IFS= read -r name; do
	case "$name" in
	PGLS_ROOTS | PGLS_OUT | PGLS_DEBIAN_MIRROR | PGLS_IN_ROOT) ;;
	CI | TERM | PROVE_TESTS | PROVE_FLAGS | PG_TEST_* | PGLS_*) envs+=("$name=${!name}") ;;
	esac
done < <(compgen -e)

echo "$me: make $* PG_MAJOR=$major in the $suite root ($inside)"
rc=0
in_root "${envs[@]}" -- bash -c 'cd "$1" && shift && exec make "$@"' _ "$inside" \
	"$@" PG_MAJOR="$major" PGLS_IN_ROOT=1 || rc=$?
exit "$rc"
