#!/usr/bin/env bash
# scripts/as-pg-user.sh CMD [ARGS...] -- run CMD where PostgreSQL servers may be started.
#
# PostgreSQL refuses to run as root, and CI runs as root.
#  - Not root: runs CMD as is, in the repo root, with PGLS_OUT=<repo>/build.
#  - Root: makes sure the system user "pglogship" exists, copies the repo (without .git, build/,
#    bin/, objects) into a fresh stage dir /tmp/pg_logship-run.XXXXXX owned by that user, and
#    runs CMD there as that user (runuser) with PGLS_OUT=<stage>/build and a clean environment.
#    Exits with CMD's exit code. On success the stage is removed; on failure the stage's logs
#    (tmp_check/log, regression.diffs/.out, pg_regress's results/, *.log) are copied into
#    <repo>/build/failed-logs/ and the stage is kept for inspection. Either way,
#    <stage>/build/artifacts/ (if CMD made it) is copied back to <repo>/build/artifacts/: the
#    place for results that should outlive the run (bench numbers, demo output).
#
# CMD sees: cwd = the (staged or real) repo root; PGLS_OUT = a writable output dir (created);
# PATH = PostgreSQL's bindir first. As root, the environment passed on is only HOME, USER,
# LOGNAME, SHELL, PATH, LANG, TERM, TZ and PROVE_TESTS, PROVE_FLAGS, CI, PG_CONFIG, PG_MAJOR, PG_TEST_*,
# PGLS_* (e.g. PGLS_KEEP_STAGE=1 keeps the stage even on success).
set -euo pipefail

me="as-pg-user"
pg_user="pglogship"

if [ "$#" -eq 0 ]; then
	echo "usage: $0 CMD [ARGS...]" >&2
	exit 2
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pg_config_cmd=${PG_CONFIG:-pg_config}
if ! bindir=$("$pg_config_cmd" --bindir 2>/dev/null); then
	echo "$me: '$pg_config_cmd' not found: run scripts/deps.sh (make deps) first" >&2
	exit 1
fi

# A script that lost its executable bit (e.g. copied without modes) is still runnable.
cmd=("$@")
if [ -f "$root/$1" ] && [ ! -x "$root/$1" ] && [[ "$1" == *.sh ]]; then
	cmd=(bash "$@")
fi

if [ "$(id -u)" != 0 ]; then
	cd "$root"
	export PGLS_OUT="$root/build"
	mkdir -p "$PGLS_OUT"
	export PATH="$bindir:$PATH"
	exec "${cmd[@]}"
fi

# --- root: run as $pg_user from a staged copy -----------------------------------------------

if ! id -u "$pg_user" >/dev/null 2>&1; then
	useradd --system --create-home --shell /bin/bash "$pg_user"
	echo "$me: created system user $pg_user"
fi

stage=$(mktemp -d /tmp/pg_logship-run.XXXXXX)
# Copy the tree: everything but VCS data, build outputs and objects (tar: no rsync needed).
tar -C "$root" -cf - \
	--exclude=./.git --exclude=./build --exclude=./bin --exclude=./tmp_check \
	--exclude=./results --exclude='*.o' --exclude='*.bc' . |
	tar -C "$stage" -xf -
mkdir -p "$stage/build"
chown -R "$pg_user:" "$stage"

# PATH: PostgreSQL's bindir, then root's PATH less the entries under /root (not readable there).
user_path=$bindir
IFS=: read -r -a path_dirs <<<"$PATH"
for d in "${path_dirs[@]}"; do
	case "$d" in /root | /root/* | "") ;; *) user_path+=":$d" ;; esac
done
env_args=(
	HOME="$stage" USER="$pg_user" LOGNAME="$pg_user" SHELL=/bin/bash
	PATH="$user_path" LANG="${LANG:-C.UTF-8}" PGLS_OUT="$stage/build"
)
while IFS= read -r name; do
	case "$name" in
	PROVE_TESTS | PROVE_FLAGS | CI | PG_CONFIG | PG_MAJOR | TERM | TZ | PG_TEST_* | PGLS_*)
		[ "$name" = PGLS_OUT ] || env_args+=("$name=${!name}")
		;;
	esac
done < <(compgen -e)

echo "$me: running '${cmd[*]}' as $pg_user in $stage"
rc=0
(cd "$stage" && runuser -u "$pg_user" -- env -i "${env_args[@]}" "${cmd[@]}") || rc=$?

if [ -d "$stage/build/artifacts" ]; then
	mkdir -p "$root/build"
	rm -rf "$root/build/artifacts"
	cp -a "$stage/build/artifacts" "$root/build/artifacts"
	echo "$me: copied artifacts to $root/build/artifacts"
fi

if [ "$rc" -eq 0 ]; then
	if [ "${PGLS_KEEP_STAGE:-0}" = 1 ]; then
		echo "$me: kept stage $stage (PGLS_KEEP_STAGE=1)"
	else
		rm -rf "$stage"
	fi
	exit 0
fi

dest="$root/build/failed-logs"
rm -rf "$dest"
mkdir -p "$dest"
(
	cd "$stage"
	find . -path ./.git -prune -o -type f \
		\( -path '*/tmp_check/log/*' -o -name regression.diffs -o -name regression.out \
		-o -path '*/regress/results/*' -o -name '*.log' \) -print0 |
		xargs -0 -r cp --parents -t "$dest"
)
if [ -n "$(ls -A "$dest")" ]; then
	echo "$me: '${cmd[*]}' failed (exit $rc); logs copied to $dest, stage kept at $stage" >&2
else
	rmdir "$dest"
	echo "$me: '${cmd[*]}' failed (exit $rc); no logs found, stage kept at $stage" >&2
fi
exit "$rc"
