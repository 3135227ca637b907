# 082_status_cli.pl -- `pg_logship status`: the replication picture of a primary with a sync and an
# async standby, in plain, --json and terminal mode.
#
#   both standbys listed with their state and sync state, caught up (plain and --json)
#   the async standby's replay paused: its lag grows (bytes, then seconds, read again and larger),
#     the bottleneck is standby_replay, and after resume it returns to 0
#   exit codes equal `pg_logship check`'s on the same server: ok 0, a lagging standby 1, a paused
#     standby 1, a missing archive directory 2, nothing listening 3, no extension 3
#   the sparkline has one point per sample of the history in --since (history frozen by a long
#     sample_interval, the count read from lag_history_since)
#   colour and Unicode under a terminal (script(1)), NO_COLOR, none when piped; --watch redraws,
#     in place on a terminal (a pty)
use strict;
use warnings;

use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use PgLogshipTest;

my $bin = pgls_bin();

sub conninfo
{
	my ($node, $db) = @_;
	return 'host=' . $node->host . ' port=' . $node->port . ' dbname=' . ($db // 'postgres');
}

# `pg_logship status -d CONNINFO ARGS...` -> (exit code, stdout, stderr)
sub status
{
	my ($node, @args) = @_;
	my $conn = ref $node ? conninfo($node) : $node;
	return run_cmd($bin, 'status', '-d', $conn, @args);
}

sub status_json
{
	my ($node, @args) = @_;
	my ($rc, $out, $err) = status($node, '--json', @args);
	my $doc = eval { decode_json($out) };
	die "status --json: exit $rc, no JSON: $out$err" unless $doc;
	return ($rc, $doc);
}

sub standby_of
{
	my ($doc, $name) = @_;
	my ($r) = grep { ($_->{application_name} // '') eq $name } @{ $doc->{replication} };
	return $r;
}

sub check_rc
{
	my ($conn) = @_;
	my ($rc) = run_cmd($bin, 'check', '-d', $conn);
	return $rc;
}

# ---- a primary, a sync standby with a slot, an async standby ---------------------------------

my $archive = new_archive_dir();
my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf',
	archive_conf($archive, server => 'primary') . qq(
pg_logship.lag_warning_seconds = '3s'
autovacuum = off
));
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION pg_logship');
$primary->safe_psql('postgres', 'CREATE TABLE t (i int, s text)');
# A slot that holds no WAL (a reserved one draws a disk-full forecast from setup's WAL rate).
$primary->safe_psql('postgres', "SELECT pg_create_physical_replication_slot('spare')");
$primary->backup('b1');

my %standby;
for my $name (qw(sync1 async1))
{
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init_from_backup($primary, 'b1');
	$node->append_conf('postgresql.conf',
		"primary_conninfo = '" . $primary->connstr . " application_name=$name'\n");
	$node->set_standby_mode;
	$node->start;
	$standby{$name} = $node;
}
# sync1 becomes synchronous once it streams (before, commits would wait for it).
$primary->wait_for_catchup($_) for qw(sync1 async1);
$primary->append_conf('postgresql.conf', "synchronous_standby_names = 'sync1'\n");
$primary->reload;
$primary->poll_query_until('postgres',
	"SELECT sync_state = 'sync' FROM pg_stat_replication WHERE application_name = 'sync1'")
  or die 'sync1 did not become synchronous';
$primary->safe_psql('postgres', 'INSERT INTO t VALUES (1, 1)');
$primary->wait_for_catchup($_) for qw(sync1 async1);
$primary->poll_query_until('postgres', "SELECT bool_and(severity = 'ok') FROM pg_logship.health()")
  or die 'the cluster did not become healthy';

# ---- caught up ------------------------------------------------------------------------------

my ($rc, $out, $err) = status($primary);
is($rc, 0, 'healthy: exit 0');
is($err, '', 'healthy: nothing on stderr');
like($out, qr/^Server: primary, primary, timeline 1, WAL [0-9A-F]+\/[0-9A-F]+ at /m,
	'plain: the server line names the server, its role and timeline');
like($out, qr/^Archive: ok\n  \Q$archive\E \(shared\), lz4/m, 'plain: the archive, ok');
for my $name (qw(sync1 async1))
{
	my $sync = $name eq 'sync1' ? 'sync' : 'async';
	like($out, qr/^  $name +streaming +$sync +0 B +0\.0 s +\[\.{10}\] +none +caught up$/m,
		"plain: $name streaming, $sync, caught up");
}
like($out, qr/^  spare +physical +no +- /m, 'plain: the slot');
like($out, qr/^Health: OK\n  ok  pg_logship: no problems found$/m, 'plain: health ok');
unlike($out, qr/\e/, 'piped: no escape sequences');
unlike($out, qr/[^\x00-\x7f]/, 'piped: ASCII only');

my $doc;
($rc, $doc) = status_json($primary);
is($rc, 0, 'json: exit 0');
is($doc->{status}, 'ok', 'json: status ok');
is(join(',', map { "$_->{application_name}:$_->{sync_state}:$_->{state}" } @{ $doc->{replication} }),
	'sync1:sync:streaming,async1:async:streaming',
	'json: both standbys, sync first, with the view\'s column names');
is(standby_of($doc, 'async1')->{total_lag_bytes}, 0, 'json: async1 total_lag_bytes 0');
is($doc->{slots}[0]{slot_name}, 'spare', 'json: the slot');
is($doc->{server}{role}, 'primary', 'json: role');

# ---- the async standby stops replaying --------------------------------------------------------

my $async = $standby{async1};
$async->safe_psql('postgres', 'SELECT pg_wal_replay_pause()');
$primary->safe_psql('postgres',
	'INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 20000) g');
my $target = $primary->lsn('flush');
$async->poll_query_until('postgres',
	"SELECT pg_last_wal_receive_lsn() >= '$target' AND pg_get_wal_replay_pause_state() = 'paused'")
  or die 'async1 did not receive the WAL or did not pause';

($rc, $doc) = status_json($primary);
my $first = standby_of($doc, 'async1');
cmp_ok($first->{total_lag_bytes}, '>', 0, 'paused: async1 lags in bytes');
cmp_ok($first->{not_replayed_bytes}, '>', 0, 'paused: the bytes are not replayed');
is(standby_of($doc, 'sync1')->{total_lag_bytes}, 0, 'paused: sync1 still caught up');

# The lag in seconds grows while replay stays paused, and once the replay it did before the
# pause has left the recent window, there is no catch-up estimate (no timing: read until both).
my $later;
for (1 .. 600)
{
	(undef, $doc) = status_json($primary);
	$later = standby_of($doc, 'async1');
	last
	  if $later->{replay_lag_seconds} > $first->{replay_lag_seconds} + 3.5
	  && !defined $later->{catchup_eta_seconds};
	select(undef, undef, undef, 0.2);
}
cmp_ok($later->{replay_lag_seconds}, '>', $first->{replay_lag_seconds} + 3.5,
	'paused: the lag in seconds grows');
is($later->{catchup_eta_seconds}, undef, 'paused: no catch-up estimate');
cmp_ok($later->{total_lag_bytes}, '>=', $first->{total_lag_bytes}, 'paused: the byte lag stays');
is($later->{bottleneck}, 'standby_replay', 'paused: the bottleneck is standby_replay');

($rc, $out) = status($primary);
like($out, qr/^  async1 +streaming +async +\d+(\.\d)? [kM]B +\d+(\.\d)? s +\[#+\.*[\]>] +standby_replay +not catching up$/m,
	'plain: async1 lags, with its bar and bottleneck');
like($out, qr/^Health: WARNING\n  warning  replication: standby async1 lags /m,
	'plain: the finding, worst first');
is($rc, 1, 'lagging standby: status exits 1');
is(check_rc(conninfo($primary)), $rc, 'lagging standby: check exits the same');

# On the paused standby itself: its receiver, replay paused.
($rc, $out) = status($async);
like($out, qr/^Receiver: streaming from .* link ok/m, 'standby: the receiver');
like($out, qr/^  received [0-9A-F\/]+, replayed [0-9A-F\/]+, \S+ [kM]B and .* behind .*replay paused$/m,
	'standby: received, replayed, how far behind, replay paused');
like($out, qr/^Standbys: none$/m, 'standby: no standbys of its own');
is($rc, 1, 'paused standby: status exits 1');
is(check_rc(conninfo($async)), $rc, 'paused standby: check exits the same');

# ---- resumed: back to 0 -----------------------------------------------------------------------

$async->safe_psql('postgres', 'SELECT pg_wal_replay_resume()');
$primary->wait_for_catchup('async1');
for (1 .. 600)
{
	(undef, $doc) = status_json($primary);
	last if standby_of($doc, 'async1')->{replay_lag_seconds} == 0;
	select(undef, undef, undef, 0.2);
}
my $back = standby_of($doc, 'async1');
is($back->{total_lag_bytes},    0, 'resumed: total_lag_bytes 0');
is($back->{replay_lag_seconds}, 0, 'resumed: replay_lag_seconds 0');
($rc, $out) = status($primary);
like($out, qr/^  async1 +streaming +async +0 B +0\.0 s +\[\.{10}\] +none +caught up$/m,
	'plain: async1 caught up again');
is($rc, 0, 'resumed: status exits 0');
is(check_rc(conninfo($primary)), 0, 'resumed: check exits 0');
is(check_rc(conninfo($async)),   0, 'resumed: check on the standby exits 0');
($rc) = status($async);
is($rc, 0, 'resumed: status on the standby exits 0');

# ---- the sparkline: one point per sample in --since --------------------------------------------

# Freeze the history, once it holds enough samples of sync1: no more samples after the reload.
$primary->poll_query_until('postgres',
	"SELECT count(*) >= 8 FROM pg_logship.lag_history WHERE application_name = 'sync1'")
  or die 'the history did not fill';
$primary->append_conf('postgresql.conf', "pg_logship.sample_interval = '1h'\n");
$primary->reload;
my $written = -1;
for (1 .. 300)
{
	my $now = $primary->safe_psql('postgres', 'SELECT samples_written FROM pg_logship.monitor_stats()');
	last if $now == $written;
	$written = $now;
	select(undef, undef, undef, 1.2);
}
my $count = sub {
	my ($since) = @_;
	return $primary->safe_psql('postgres',
		"SELECT count(*) FROM pg_logship.lag_history_since(now() - interval '$since') "
		  . "WHERE source = 'standby' AND application_name = 'sync1'");
};
my $spark = sub {
	my ($text) = @_;
	$text =~ /^  sync1 .*\n    history \[([^\]]*)\] max /m or return undef;
	return length $1;
};
my $samples = $count->('1 hour');
cmp_ok($samples, '>=', 8, "the history holds $samples samples of sync1");
{
	local $ENV{COLUMNS} = 400;    # room for 360 points: one per sample
	($rc, $out) = status($primary, '--since', '1 hour');
}
is($spark->($out), $samples, 'sparkline: one point per sample of the last hour');
($rc, $doc) = status_json($primary, '--since', '1 hour');

# A window that ends between the 5th and 6th newest samples (frozen: they are a second apart).
my $ages = $primary->safe_psql('postgres',
	"SELECT extract(epoch FROM clock_timestamp() - sample_time) FROM pg_logship.lag_history "
	  . "WHERE source = 'standby' AND application_name = 'sync1' ORDER BY sample_time DESC LIMIT 6");
my @age = split /\n/, $ages;
my $since = sprintf('%.3f seconds', ($age[4] + $age[5]) / 2);
{
	local $ENV{COLUMNS} = 400;
	($rc, $out) = status($primary, '--since', $since);
}
is($spark->($out), 5, "sparkline: --since '$since' shows the 5 samples in it");
is($count->($since), 5, 'the history holds 5 samples in that window');

# ---- a terminal: colours and Unicode; NO_COLOR --------------------------------------------------

sub under_terminal
{
	my ($env) = @_;
	my $cmd = "env TERM=xterm LANG=C.UTF-8 $env $bin status -d '" . conninfo($primary) . "'";
	my ($r, $o) = run_cmd('script', '-qec', $cmd, '/dev/null');
	return $o;
}
$out = under_terminal('');
like($out, qr/\e\[32mstreaming\e\[0m/, 'terminal: colours (streaming in green)');
like($out, qr/\x{e2}\x{96}[\x{81}-\x{88}]/, 'terminal: Unicode blocks in the sparkline');
$out = under_terminal('NO_COLOR=1');
unlike($out, qr/\e\[/, 'terminal with NO_COLOR: no colours');
like($out, qr/\x{e2}\x{96}[\x{81}-\x{88}]/, 'terminal with NO_COLOR: still Unicode');

# ---- --watch redraws until interrupted ------------------------------------------------------------

for my $json (0, 1)
{
	my ($wout, $werr) = ('', '');
	my @cmd = ($bin, 'status', '-d', conninfo($primary), '--watch', '0.2', $json ? '--json' : ());
	my $h = IPC::Run::start(\@cmd, '>', \$wout, '2>', \$werr, IPC::Run::timeout(120));
	my $frame = $json ? qr/^\{.*\}\n/m : qr/^Server: /m;
	my $frames = sub { my @f = $wout =~ /$frame/g; scalar @f };
	$h->pump until $frames->() >= 2;
	$h->signal('INT');
	$h->finish;
	is($h->result(0), 0, ($json ? '--json ' : '') . '--watch: redraws, exits 0 on interrupt');
	if ($json)
	{
		my @lines = split /\n/, $wout;
		is(scalar(grep { eval { decode_json($_)->{status} eq 'ok' } } @lines), scalar(@lines),
			'--json --watch: one document a line');
	}
}

# On a terminal, --watch redraws in place: home, each line cleared to its end.
{
	local $ENV{TERM} = 'xterm';
	local $ENV{LANG} = 'C.UTF-8';
	my ($pin, $pout) = ('', '');
	my $h = IPC::Run::start([ $bin, 'status', '-d', conninfo($primary), '--watch', '0.2' ],
		'<pty<', \$pin, '>pty>', \$pout, IPC::Run::timeout(120));
	$h->pump until (() = $pout =~ /\e\[H/g) >= 2;
	$h->signal('INT');
	$h->finish;
	is($h->result(0), 0, 'terminal --watch: exits 0 on interrupt');
	like($pout, qr/\A\e\[H\e\[2J\e\[2mEvery 0\.2s: pg_logship status/,
		'terminal --watch: clears the screen once, then a watch(1)-like title');
	like($pout, qr/\e\[H(?:(?!\e\[2J).)*Server:/s, 'terminal --watch: later frames start at home');
	like($pout, qr/\e\[K\r?\n/, 'terminal --watch: lines cleared to their end');
}

# ---- critical and unknown exit codes, as check's ------------------------------------------------

my $missing = "$archive/does-not-exist";
$primary->append_conf('postgresql.conf', "pg_logship.archive_dir = '$missing'\n");
$primary->reload;
$primary->poll_query_until('postgres',
	"SELECT archive_dir = '$missing' FROM pg_logship.archive_status")
  or die 'the new archive_dir did not take effect';
($rc, $out) = status($primary);
like($out, qr/^Archive: pg_logship.archive_dir "\Q$missing\E" does not exist$/m,
	'missing archive dir: the archive line says it in words');
is($rc, 2, 'missing archive dir: status exits 2');
is(check_rc(conninfo($primary)), 2, 'missing archive dir: check exits 2');

my $closed = PostgreSQL::Test::Cluster::get_free_port();
my $nowhere = 'host=' . $primary->host . " port=$closed dbname=postgres";
($rc, $out, $err) = status($nowhere);
is($rc, 3, 'closed port: status exits 3');
like($err, qr/^pg_logship status: error: cannot connect: /, 'closed port: says why');
is(check_rc($nowhere), 3, 'closed port: check exits 3');

$primary->safe_psql('postgres', 'CREATE DATABASE noext');
($rc, $out, $err) = status(conninfo($primary, 'noext'));
is($rc, 3, 'no extension: status exits 3');
like($err, qr/pg_logship\.status\(\) failed: .*pg_logship/, 'no extension: says why');
is(check_rc(conninfo($primary, 'noext')), 3, 'no extension: check exits 3');

($rc, $out, $err) = status($primary, '--since', 'soon');
is($rc, 3, 'bad --since: exit 3');
like($err, qr/invalid input syntax for type interval/, 'bad --since: the server says why');
($rc, $out, $err) = status($primary, '--watch', '0');
is($rc, 3, 'bad --watch: exit 3');
like($err, qr/invalid --watch "0"/, 'bad --watch: named');

done_testing();
