#!/usr/bin/env bash
# scripts/pg-tests.sh {regress|tap|all} -- pg_regress and TAP tests against real PostgreSQL servers.
#
# Must run as a non-root user (PostgreSQL refuses root): as root, use
#   bash scripts/as-pg-user.sh scripts/pg-tests.sh all
# It assumes the extension is installed (make install-ext). Unit tests are run by the Makefile.
#
#   regress  stages sql_tests/*.sql and expected/*.out into $PGLS_OUT/regress/{sql,expected}
#            (PG 15's pg_regress has no --expecteddir) and runs pg_regress on a temporary
#            instance configured with sql_tests/regress.conf. Test order: sql_tests/schedule if
#            present (every sql_tests/*.sql must be listed in it), else all files sorted.
#            On failure prints regression.diffs.
#   tap      prove --timer ${PROVE_TESTS:-t/*.pl} with PostgreSQL::Test::* on the include path;
#            each run starts from a fresh $PGLS_OUT/tap/tmp_check (node logs in tmp_check/log).
#   all      regress, then tap; last line "pg-tests: regress ok, tap ok" (or FAILED/skipped).
#
# Env: PGLS_OUT     output dir (default <repo>/build; as-pg-user.sh sets it)
#      PG_CONFIG    pg_config to use (default pg_config)
#      PROVE_TESTS  TAP scripts to run (default t/*.pl); PROVE_FLAGS extra prove flags (e.g. -v)
#      PGLS_REGRESS_PORT  port for the pg_regress temp instance (default random 58000-58999)
# TAP scripts get TESTDIR, PG_REGRESS, PGLS_BINDIR and PATH=<bindir>:$PATH.
set -euo pipefail

me="pg-tests"
die() {
	echo "$me: $*" >&2
	exit 1
}
# For use inside the runners: report and return 1, so that "all" still runs the other one.
err() {
	echo "$me: $*" >&2
	return 1
}

mode=${1:-}
case "$mode" in
regress | tap | all) ;;
*)
	echo "usage: $0 {regress|tap|all}" >&2
	exit 2
	;;
esac

if [ "$(id -u)" = 0 ]; then
	die "refusing to run as root (PostgreSQL will not); use: bash scripts/as-pg-user.sh $0 $mode"
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
PGLS_OUT=${PGLS_OUT:-$root/build}
mkdir -p "$PGLS_OUT"
PGLS_OUT=$(cd "$PGLS_OUT" && pwd)

pg_config_cmd=${PG_CONFIG:-pg_config}
bindir=$("$pg_config_cmd" --bindir) || die "'$pg_config_cmd' not found: run scripts/deps.sh"
pgxs_dir=$(dirname "$("$pg_config_cmd" --pgxs)")
pg_regress=$pgxs_dir/../../src/test/regress/pg_regress
perl_lib=$pgxs_dir/../../src/test/perl
# Normalise the paths when they exist (messages stay readable); checked where used.
[ ! -d "${pg_regress%/*}" ] || pg_regress=$(cd "${pg_regress%/*}" && pwd)/pg_regress
[ ! -d "$perl_lib" ] || perl_lib=$(cd "$perl_lib" && pwd)
version=$("$pg_config_cmd" --version)
[ -z "${PG_MAJOR:-}" ] || [[ "$version" == "PostgreSQL $PG_MAJOR."* ]] ||
	echo "$me: warning: $pg_config_cmd is '$version', not $PG_MAJOR" >&2

# Deterministic locale for initdb and messages, whoever runs this.
export LANG=C.UTF-8
unset LC_ALL LANGUAGE LC_COLLATE LC_CTYPE LC_MESSAGES LC_MONETARY LC_NUMERIC LC_TIME
export PATH="$bindir:$PATH"

run_regress() {
	shopt -s nullglob
	local files=(sql_tests/*.sql)
	shopt -u nullglob
	if [ "${#files[@]}" -eq 0 ]; then
		echo "$me: regress: no sql_tests/*.sql yet, nothing to run"
		return 3
	fi
	[ -x "$pg_regress" ] || { err "regress: no pg_regress at $pg_regress (postgresql-server-dev-NN?)"; return 1; }
	[ -f sql_tests/regress.conf ] || { err "regress: sql_tests/regress.conf is missing"; return 1; }

	local names=() f n
	for f in "${files[@]}"; do
		n=$(basename "$f" .sql)
		names+=("$n")
	done

	local order_args=()
	if [ -f sql_tests/schedule ]; then
		# Every test file must be scheduled, or it would silently never run.
		local scheduled missing=()
		scheduled=" $(sed -n 's/#.*//; s/^[[:space:]]*test:[[:space:]]*//p' sql_tests/schedule |
			tr -s '[:space:]' ' ') "
		for n in "${names[@]}"; do
			[[ "$scheduled" == *" $n "* ]] || missing+=("$n")
		done
		if [ "${#missing[@]}" -gt 0 ]; then
			echo "$me: regress: not in sql_tests/schedule: ${missing[*]}" >&2
			return 1
		fi
		order_args=(--schedule="$root/sql_tests/schedule")
	else
		order_args=("${names[@]}")
	fi

	local out="$PGLS_OUT/regress"
	if ! { rm -rf "$out" && mkdir -p "$out/sql" "$out/expected" && cp sql_tests/*.sql "$out/sql/"; }; then
		err "regress: cannot stage tests into $out"
		return 1
	fi
	shopt -s nullglob
	local outs=(expected/*.out)
	shopt -u nullglob
	[ "${#outs[@]}" -eq 0 ] || cp "${outs[@]}" "$out/expected/" ||
		{ err "regress: cannot stage expected output into $out"; return 1; }
	# pg_regress aborts the whole run at a test without expected output; give it an empty one
	# so that every test runs, and the diff shows that test's whole output (results/NAME.out).
	local no_expected=()
	for n in "${names[@]}"; do
		if [ ! -f "expected/$n.out" ]; then
			no_expected+=("$n")
			: >"$out/expected/$n.out"
		fi
	done
	[ "${#no_expected[@]}" -eq 0 ] ||
		echo "$me: regress: no expected/NAME.out for: ${no_expected[*]} (will fail; output in $out/results/)" >&2

	# A fresh archive for the temporary instance, if regress.conf names one.
	local archive
	archive=$(sed -n "s/^[[:space:]]*pg_logship\.archive_dir[[:space:]]*=[[:space:]]*'\([^']*\)'.*/\1/p" \
		sql_tests/regress.conf | tail -n 1)
	if [ -n "$archive" ] && [ -e "$archive" ]; then
		rm -rf "$archive" 2>/dev/null || {
			err "regress: cannot clear $archive (owned by $(stat -c %U "$archive")); remove it"
			return 1
		}
	fi

	local port=${PGLS_REGRESS_PORT:-$((58000 + RANDOM % 1000))}
	echo "$me: regress: ${#names[@]} test file(s), temp instance on port $port"
	local rc=0
	"$pg_regress" \
		--inputdir="$out" --outputdir="$out" \
		--temp-instance="$out/tmp_check" \
		--temp-config="$root/sql_tests/regress.conf" \
		--bindir="$bindir" --port="$port" \
		"${order_args[@]}" || rc=$?
	if [ "$rc" -ne 0 ]; then
		if [ -s "$out/regression.diffs" ]; then
			echo "$me: regress: ---- $out/regression.diffs ----"
			cat "$out/regression.diffs"
			echo "$me: regress: ---- end of regression.diffs ----"
		fi
		[ ! -d "$out/tmp_check/log" ] || echo "$me: regress: server log in $out/tmp_check/log/"
		echo "$me: regress FAILED (pg_regress exit $rc)" >&2
		return 1
	fi
	return 0
}

run_tap() {
	local tests
	shopt -s nullglob
	# shellcheck disable=SC2206 # PROVE_TESTS is a list of globs, split and expanded on purpose
	tests=(${PROVE_TESTS:-t/*.pl})
	shopt -u nullglob
	if [ "${#tests[@]}" -eq 0 ]; then
		if [ -n "${PROVE_TESTS:-}" ]; then
			echo "$me: tap: PROVE_TESTS='$PROVE_TESTS' matches no file" >&2
			return 1
		fi
		echo "$me: tap: no t/*.pl yet, nothing to run"
		return 3
	fi
	[ -f "$perl_lib/PostgreSQL/Test/Cluster.pm" ] ||
		{ err "tap: no PostgreSQL::Test perl modules under $perl_lib"; return 1; }
	[ -x "$pg_regress" ] || { err "tap: no pg_regress at $pg_regress (postgresql-server-dev-NN?)"; return 1; }
	command -v prove >/dev/null || { err "tap: prove not found (perl)"; return 1; }

	local testdir="$PGLS_OUT/tap"
	if ! { rm -rf "$testdir/tmp_check" && mkdir -p "$testdir"; }; then
		err "tap: cannot prepare $testdir"
		return 1
	fi
	echo "$me: tap: ${#tests[@]} test file(s), logs in $testdir/tmp_check/log"
	local rc=0
	# shellcheck disable=SC2086 # PROVE_FLAGS may hold several flags
	# TESTDIR: PostgreSQL 15 and 16 put tmp_check/ under it; 17+ read TESTDATADIR and
	# TESTLOGDIR instead (else tmp_check/ and log/ are relative to the cwd).
	TESTDIR="$testdir" TESTDATADIR="$testdir/tmp_check" TESTLOGDIR="$testdir/tmp_check/log" \
		PG_REGRESS="$pg_regress" PGLS_BINDIR="$bindir" \
		prove --timer ${PROVE_FLAGS:-} -I "$perl_lib" -I "$root/t" "${tests[@]}" || rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "$me: tap FAILED (prove exit $rc); logs in $testdir/tmp_check/log" >&2
		return 1
	fi
	return 0
}

# Returns "ok", "FAILED" or "skipped" (no tests) for a runner's exit code.
verdict() {
	case "$1" in
	0) echo ok ;;
	3) echo skipped ;;
	*) echo FAILED ;;
	esac
}

case "$mode" in
regress | tap)
	rc=0
	"run_$mode" || rc=$?
	echo "$me: $mode $(verdict "$rc")"
	[ "$rc" -eq 0 ] || [ "$rc" -eq 3 ]
	;;
all)
	r_rc=0
	t_rc=0
	run_regress || r_rc=$?
	run_tap || t_rc=$?
	echo "$me: regress $(verdict "$r_rc"), tap $(verdict "$t_rc")"
	{ [ "$r_rc" -eq 0 ] || [ "$r_rc" -eq 3 ]; } && { [ "$t_rc" -eq 0 ] || [ "$t_rc" -eq 3 ]; }
	;;
esac
