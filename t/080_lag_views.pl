# 080_lag_views.pl -- the lag views (pg_logship.replication, .receiver, .lag_history) and
# pg_logship.health() on a primary, two standbys and a cascading standby.
#
#   primary --+-- s1  (synchronous: synchronous_standby_names = 'FIRST 1 (s1, s2)')
#             +-- s2  (potential) --- c1 (cascading, async)
#
# Checks:
#   topology   one row per standby in pg_logship.replication, with its sync_state: s1 sync and s2
#              potential on the primary, c1 async on s2; no receiver row on the primary.
#   idle       write/flush/replay_lag_seconds are 0 (not NULL), bottleneck 'none' and
#              catchup_eta_seconds 0 on the primary and on s2; the receiver views of the standbys
#              show link_ok, not paused, replay_delay_seconds 0.
#   paused     replay paused on s2 and WAL written on the primary: s2's row on the primary has
#              bottleneck 'standby_replay', not_replayed_bytes growing, replay_lag_seconds > 0;
#              on s2 the receiver view says replay_paused and health() warns about it.
#   resumed    back to not_replayed_bytes = 0 and lags 0; after more idle time still 0, not NULL.
#   link down  c1 loses its upstream (primary_conninfo = '', reload): link_ok false,
#              replay_delay_seconds > 0, at least how long the link has been down, and growing;
#              health() on c1 has a critical receiver row. Restoring the link clears it. The same
#              when s2 itself dies (immediate stop) while c1 keeps trying to reconnect.
#   history    on s1 (a read-only hot standby) lag_history has 'self' rows, more over time, with
#              strictly increasing sample times; on the primary it has 'standby' rows of s1 and s2.
use strict;
use warnings;

use Time::HiRes qw(time usleep);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use PgLogshipTest;

# Settings of every node: the monitor (preloaded, 1 s sampling), standbys that report their
# positions every second (the primary sees replay catch up within a second when idle), and no
# autovacuum writing WAL behind the test's back.
my $common = qq(
shared_preload_libraries = 'pg_logship'
pg_logship.sample_interval = '1s'
wal_receiver_status_interval = '1s'
autovacuum = off
);

# ---- helpers --------------------------------------------------------------------------------

# A streaming standby of $upstream from $backup (taken on the primary), application_name $name.
sub new_standby
{
	my ($name, $upstream, $from, $backup) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init_from_backup($from, $backup);
	$node->append_conf('postgresql.conf', primary_conninfo_line($upstream, $name));
	$node->set_standby_mode;
	$node->start;
	return $node;
}

sub primary_conninfo_line
{
	my ($upstream, $name) = @_;
	return "primary_conninfo = '" . $upstream->connstr . " application_name=$name'\n";
}

# Columns of pg_logship.replication for one standby, as a hash.
my @repl_cols = qw(application_name sync_state state not_sent_bytes not_written_bytes
  not_flushed_bytes not_replayed_bytes total_lag_bytes write_lag_seconds flush_lag_seconds
  replay_lag_seconds bottleneck catchup_eta_seconds);

sub repl_row
{
	my ($node, $app) = @_;
	my $cols = join(', ', map { "coalesce(${_}::text, 'NULL')" } @repl_cols);
	my $out  = $node->safe_psql('postgres',
		"SELECT $cols FROM pg_logship.replication WHERE application_name = '$app'");
	my %h;
	@h{@repl_cols} = split /\|/, $out, -1;
	return \%h;
}

sub describe
{
	my ($h) = @_;
	return join(', ', map { "$_=" . ($h->{$_} // 'undef') } sort keys %$h);
}

# The receiver view of a standby, as a hash (booleans as 'true'/'false').
my @recv_cols = qw(status received_lsn replayed_lsn receive_replay_lag_bytes
  replay_delay_seconds last_message_age_seconds link_ok replay_paused);

sub recv_row
{
	my ($node) = @_;
	my $cols = join(', ', map { "coalesce(${_}::text, 'NULL')" } @recv_cols);
	my $out = $node->safe_psql('postgres', "SELECT $cols FROM pg_logship.receiver");
	my %h;
	@h{@recv_cols} = split /\|/, $out, -1;
	return \%h;
}

# Polls until $cond holds for every row of pg_logship.replication on $node; on timeout shows the
# rows.
my $idle_cond = q{write_lag_seconds = 0 AND flush_lag_seconds = 0 AND replay_lag_seconds = 0
  AND not_replayed_bytes = 0 AND total_lag_bytes = 0 AND bottleneck = 'none'
  AND catchup_eta_seconds = 0};

sub poll_all_rows
{
	my ($node, $cond, $what) = @_;
	my $ok = $node->poll_query_until('postgres',
		"SELECT count(*) > 0 AND bool_and(coalesce($cond, false)) FROM pg_logship.replication");
	ok($ok, $what)
	  or diag($node->safe_psql('postgres', 'SELECT * FROM pg_logship.replication'));
	return $ok;
}

# Checks that every row of @apps on $node is idle: each lag exactly 0, not NULL. Rows read 0
# within a second of any WAL (a standby reports replay every wal_receiver_status_interval), so a
# few reads are allowed; the values of the last one are shown on failure.
sub check_idle_rows
{
	my ($node, $what, @apps) = @_;
	for my $app (@apps)
	{
		my ($r, $all_zero);
		for my $try (1 .. 6)
		{
			$r = repl_row($node, $app);
			$all_zero = !grep { $r->{$_} ne '0' }
			  qw(write_lag_seconds flush_lag_seconds replay_lag_seconds not_replayed_bytes
			  total_lag_bytes catchup_eta_seconds);
			last if $all_zero && $r->{bottleneck} eq 'none';
			usleep(500_000);
		}
		ok($all_zero && $r->{bottleneck} eq 'none',
			"$what: $app on " . $node->name . ': lags 0 (not NULL), bottleneck none, eta 0')
		  or diag(describe($r));
	}
	return;
}

# Waits until every walsender of $node has replayed all of $node's WAL (pg_stat_replication).
sub wait_replayed_all
{
	my ($node, $n) = @_;
	my $cur = $node->safe_psql('postgres',
		'SELECT CASE WHEN pg_is_in_recovery() THEN greatest(pg_last_wal_receive_lsn(), '
		  . 'pg_last_wal_replay_lsn()) ELSE pg_current_wal_flush_lsn() END');
	$node->poll_query_until('postgres',
		"SELECT count(*) = $n AND bool_and(replay_lsn >= '$cur') FROM pg_stat_replication")
	  or die 'timed out waiting for the standbys of ' . $node->name . ' to replay';
	return;
}

# Health rows of $node as "severity|component|message" lines.
sub health
{
	my ($node) = @_;
	return $node->safe_psql('postgres',
		'SELECT severity, component, message FROM pg_logship.health()');
}

# Waits until the last two samples of $node's own history saw the link up, so that a link lost
# afterwards is measured from now.
sub wait_sampled_link_up
{
	my ($node) = @_;
	$node->poll_query_until('postgres',
		q{SELECT count(*) = 2 AND bool_and(link_ok) FROM (SELECT link_ok FROM pg_logship.lag_history
		   WHERE source = 'self' ORDER BY sample_time DESC LIMIT 2) x})
	  or die 'the monitor of ' . $node->name . ' did not sample the link up';
	return;
}

# The replay delay of $node, read at once, with the time before and after the read.
sub read_delay
{
	my ($node) = @_;
	my $t0 = time;
	my $r  = recv_row($node);
	return ($r, $t0, time);
}

sub load
{
	my ($node, $rows) = @_;
	$node->safe_psql('postgres',
		"INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, $rows) g");
	return;
}

# ---- the cluster ----------------------------------------------------------------------------

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', $common);
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION pg_logship');
$primary->safe_psql('postgres', 'CREATE TABLE t (i int, s text)');
$primary->backup('b1');

my $s1 = new_standby('s1', $primary, $primary, 'b1');
my $s2 = new_standby('s2', $primary, $primary, 'b1');
my $c1 = new_standby('c1', $s2,      $primary, 'b1');

# Synchronous only now: commits before s1 was up would have waited for it.
$primary->append_conf('postgresql.conf', "synchronous_standby_names = 'FIRST 1 (s1, s2)'\n");
$primary->reload;
$primary->poll_query_until('postgres',
	q{SELECT string_agg(application_name || ':' || sync_state, ',' ORDER BY application_name)
	    FROM pg_stat_replication}, 's1:sync,s2:potential')
  or die 'standbys s1 and s2 did not connect with the expected sync states';
$s2->poll_query_until('postgres',
	q{SELECT count(*) = 1 FROM pg_stat_replication WHERE application_name = 'c1'
	  AND state = 'streaming'})
  or die 'c1 did not connect to s2';
load($primary, 100);
wait_replayed_all($primary, 2);
wait_replayed_all($s2,      1);

# ---- topology -------------------------------------------------------------------------------

is( $primary->safe_psql('postgres',
		q{SELECT string_agg(application_name || ':' || sync_state || ':' || state, ','
		    ORDER BY application_name) FROM pg_logship.replication}),
	's1:sync:streaming,s2:potential:streaming',
	'primary: one row per standby, s1 sync, s2 potential');
is( $s2->safe_psql('postgres',
		q{SELECT string_agg(application_name || ':' || sync_state || ':' || state, ',')
		    FROM pg_logship.replication}),
	'c1:async:streaming',
	'cascading standby s2: one row, c1, async');
is($s1->safe_psql('postgres', 'SELECT count(*) FROM pg_logship.replication'),
	'0', 's1 (no standbys of its own) has no replication row');
is($primary->safe_psql('postgres', 'SELECT count(*) FROM pg_logship.receiver'),
	'0', 'no receiver row on the primary');
is( $primary->safe_psql(
		'postgres', q{SELECT count(*) FROM pg_logship.replication r
		  JOIN pg_stat_replication p USING (pid) WHERE r.application_name = p.application_name}),
	'2',
	'replication rows match pg_stat_replication by pid');

# ---- idle -----------------------------------------------------------------------------------

sleep 3;    # idle for several seconds
poll_all_rows($primary, $idle_cond, 'idle: primary rows read 0 lag, bottleneck none, eta 0');
poll_all_rows($s2,      $idle_cond, 'idle: s2 (cascading) row reads 0 lag, bottleneck none, eta 0');
check_idle_rows($primary, 'idle', 's1', 's2');
check_idle_rows($s2, 'idle', 'c1');

for my $sb ($s1, $s2, $c1)
{
	my $name = $sb->name;
	ok( $sb->poll_query_until('postgres',
			q{SELECT link_ok AND NOT replay_paused AND replay_delay_seconds = 0
			    AND receive_replay_lag_bytes = 0 AND status = 'streaming'
			    FROM pg_logship.receiver}),
		"idle: receiver on $name streams, link_ok, not paused, replay_delay_seconds 0")
	  or diag(describe(recv_row($sb)));
	is(health($sb), 'ok|pg_logship|no problems found', "idle: health() on $name is ok");
}
is(health($primary), 'ok|pg_logship|no problems found', 'idle: health() on the primary is ok');

# ---- replay paused on s2 (the async one: commits on the primary do not wait for it) ---------

$s2->safe_psql('postgres', 'SELECT pg_wal_replay_pause()');
load($primary, 30_000);    # a few MB of WAL
$s2->poll_query_until('postgres', q{SELECT pg_get_wal_replay_pause_state() = 'paused'})
  or die 's2 did not pause';

ok( $primary->poll_query_until('postgres',
		q{SELECT bottleneck = 'standby_replay' AND not_replayed_bytes > 0
		    AND not_sent_bytes + not_written_bytes + not_flushed_bytes = 0
		    AND replay_lag_seconds > 0 FROM pg_logship.replication WHERE application_name = 's2'}),
	'paused: s2 on the primary has bottleneck standby_replay and replay_lag_seconds > 0')
  or diag(describe(repl_row($primary, 's2')));
my $before = repl_row($primary, 's2');
note('s2 paused, first read: ' . describe($before));
cmp_ok($before->{not_replayed_bytes}, '>=', 1024 * 1024,
	'paused: s2 has at least 1 MB not replayed');
cmp_ok($before->{replay_lag_seconds}, '>', 0, 'paused: s2 replay_lag_seconds > 0');
is($before->{not_sent_bytes} + $before->{not_written_bytes} + $before->{not_flushed_bytes},
	0, 'paused: everything was sent, written and flushed by s2');

sleep 2;    # more than one sample interval: the estimate of when s2's position passed is settled
load($primary, 10_000);
ok( $primary->poll_query_until('postgres',
		qq{SELECT not_replayed_bytes > $before->{not_replayed_bytes}
		    AND bottleneck = 'standby_replay'
		    FROM pg_logship.replication WHERE application_name = 's2'}),
	'paused: s2 not_replayed_bytes grows with more WAL');
my $after = repl_row($primary, 's2');
note('s2 paused, second read: ' . describe($after));
cmp_ok($after->{replay_lag_seconds}, '>', $before->{replay_lag_seconds},
	'paused: s2 replay_lag_seconds grows');
my $s1_row = repl_row($primary, 's1');
is($s1_row->{sync_state}, 'sync', 'paused: s1 still sync');

my $r2 = recv_row($s2);
is($r2->{replay_paused}, 'true', 'paused: receiver on s2 says replay_paused');
is($r2->{link_ok},       'true', 'paused: receiver on s2 says link_ok');
cmp_ok($r2->{receive_replay_lag_bytes}, '>', 0, 'paused: s2 receive_replay_lag_bytes > 0');
cmp_ok($r2->{replay_delay_seconds},     '>', 0, 'paused: s2 replay_delay_seconds > 0');
my $h2 = health($s2);
like($h2, qr/^warning\|receiver\|WAL replay is paused$/m,
	'paused: health() on s2 has a warning receiver row about replay paused');
unlike($h2, qr/^(ok|critical)\|/m, 'paused: no ok or critical row on s2');

# ---- resume ---------------------------------------------------------------------------------

$s2->safe_psql('postgres', 'SELECT pg_wal_replay_resume()');
ok( $primary->poll_query_until('postgres',
		q{SELECT not_replayed_bytes = 0 AND replay_lag_seconds = 0 AND write_lag_seconds = 0
		    AND flush_lag_seconds = 0 AND bottleneck = 'none'
		    FROM pg_logship.replication WHERE application_name = 's2'}),
	'resumed: s2 back to not_replayed_bytes 0 and lags 0')
  or diag(describe(repl_row($primary, 's2')));
is(recv_row($s2)->{replay_paused}, 'false', 'resumed: receiver on s2 no longer paused');

wait_replayed_all($primary, 2);
wait_replayed_all($s2,      1);
sleep 4;    # idle again
poll_all_rows($primary, $idle_cond, 'idle again: primary rows read 0, not NULL');
poll_all_rows($s2,      $idle_cond, 'idle again: s2 row reads 0, not NULL');
check_idle_rows($primary, 'idle again', 's1', 's2');
check_idle_rows($s2, 'idle again', 'c1');
is(health($s2), 'ok|pg_logship|no problems found', 'resumed: health() on s2 is ok again');

# ---- link down: c1 loses its upstream -------------------------------------------------------

wait_sampled_link_up($c1);
my $t_down  = time;
my $ts_down = $c1->safe_psql('postgres', 'SELECT now()');
$c1->append_conf('postgresql.conf', "primary_conninfo = ''\n");
$c1->reload;
ok($c1->poll_query_until('postgres', 'SELECT NOT link_ok FROM pg_logship.receiver'),
	'link down: receiver on c1 has link_ok = false')
  or diag(describe(recv_row($c1)));
$s2->poll_query_until('postgres', 'SELECT count(*) = 0 FROM pg_stat_replication')
  or die 'c1 is still connected to s2';
sleep 2;
my ($d1, $t_read, $t_after) = read_delay($c1);
note(sprintf('c1 link down %.2f s, first read: %s', $t_read - $t_down, describe($d1)));
is($d1->{link_ok}, 'false', 'link down: link_ok false');
cmp_ok($d1->{replay_delay_seconds}, '>', 0, 'link down: replay_delay_seconds > 0');
# The link went down after $t_down (+ the reload's latency, < 1 s): the delay is at least the time
# since. The monitor saw it up within one sample interval (1 s) before it went down: at most that
# much more (+ 1 s for scheduling on a busy machine).
cmp_ok($d1->{replay_delay_seconds}, '>=', $t_read - $t_down - 1,
	'link down: replay_delay_seconds is at least how long the link has been down');
cmp_ok($d1->{replay_delay_seconds}, '<=', $t_after - $t_down + 2,
	'link down: replay_delay_seconds is at most that plus a sample interval');
sleep 2;
my $d2 = recv_row($c1);
note('c1 link down, second read: ' . describe($d2));
cmp_ok($d2->{replay_delay_seconds}, '>', $d1->{replay_delay_seconds} + 1,
	'link down: replay_delay_seconds grows');
my $hc = health($c1);
like($hc, qr/^critical\|receiver\|no streaming from upstream/m,
	'link down: health() on c1 has a critical receiver row');
like($hc, qr/\Acritical\|/, 'link down: the critical row comes first');

# The upstream comes back.
$c1->append_conf('postgresql.conf', primary_conninfo_line($s2, 'c1'));
$c1->reload;
ok( $c1->poll_query_until('postgres',
		q{SELECT link_ok AND replay_delay_seconds = 0 FROM pg_logship.receiver}),
	'link up again: link_ok true, replay_delay_seconds 0')
  or diag(describe(recv_row($c1)));
is(health($c1), 'ok|pg_logship|no problems found', 'link up again: health() on c1 is ok');

# Its upstream dies: c1's walreceiver keeps trying to reconnect, the link is still down.
wait_sampled_link_up($c1);
$t_down = time;
$s2->stop('immediate');
ok($c1->poll_query_until('postgres', 'SELECT NOT link_ok FROM pg_logship.receiver'),
	'upstream killed: receiver on c1 has link_ok = false')
  or diag(describe(recv_row($c1)));
sleep 2;
($d1, $t_read, $t_after) = read_delay($c1);
note(sprintf('c1 upstream down %.2f s, first read: %s', $t_read - $t_down, describe($d1)));
cmp_ok($d1->{replay_delay_seconds}, '>=', $t_read - $t_down - 1,
	'upstream killed: replay_delay_seconds is at least how long the link has been down');
cmp_ok($d1->{replay_delay_seconds}, '<=', $t_after - $t_down + 2,
	'upstream killed: replay_delay_seconds is at most that plus a sample interval');
sleep 1;
$d2 = recv_row($c1);
note('c1 upstream down, second read: ' . describe($d2));
cmp_ok($d2->{replay_delay_seconds}, '>', $d1->{replay_delay_seconds} + 0.5,
	'upstream killed: replay_delay_seconds grows');
like(health($c1), qr/\Acritical\|receiver\|no streaming from upstream/,
	'upstream killed: health() on c1 has a critical receiver row');
$s2->start;
ok( $c1->poll_query_until('postgres',
		q{SELECT link_ok AND replay_delay_seconds = 0 FROM pg_logship.receiver}),
	'upstream back: c1 link_ok true, replay_delay_seconds 0')
  or diag(describe(recv_row($c1)));

# ---- history --------------------------------------------------------------------------------

# Sample times of the 'self' rows of $node's lag_history, in the order the view returns them.
sub self_sample_times
{
	my ($node) = @_;
	my $out = $node->safe_psql('postgres',
		q{SELECT (extract(epoch FROM sample_time) * 1000000)::bigint
		    FROM pg_logship.lag_history WHERE source = 'self'});
	return split /\n/, $out;
}

is($s1->safe_psql('postgres', 'SELECT pg_is_in_recovery()'), 't', 's1 is a hot standby');
my @h1 = self_sample_times($s1);
sleep 3;
my @h2 = self_sample_times($s1);
note(scalar(@h1) . ' then ' . scalar(@h2) . " 'self' samples on s1");
cmp_ok(scalar(@h1), '>=', 5, "history: s1 has 'self' rows");
cmp_ok(scalar(@h2), '>', scalar(@h1), "history: s1's 'self' rows accumulate");
my $increasing = 1;
for my $i (1 .. $#h2)
{
	next if $h2[$i] > $h2[ $i - 1 ];
	$increasing = 0;
	diag("sample $i: $h2[$i] after $h2[$i - 1]");
}
ok($increasing, "history: s1's sample times are strictly increasing");
is( $s1->safe_psql('postgres',
		q{SELECT count(*) FROM pg_logship.lag_history WHERE source = 'self' AND state <> 'standby'}),
	'0', "history: s1's 'self' rows say standby");
is( $s1->safe_psql('postgres',
		q{SELECT count(*) FROM pg_logship.lag_history WHERE source = 'standby'}),
	'0', 'history: s1 (no walsenders) has no standby rows');

# (A sample taken during a base backup also holds pg_basebackup's WAL stream, named after the
# test script: not a standby.)
is( $primary->safe_psql('postgres',
		q{SELECT string_agg(DISTINCT application_name, ',' ORDER BY application_name)
		    FROM pg_logship.lag_history WHERE source = 'standby'
		     AND application_name <> '080_lag_views.pl'}),
	's1,s2',
	"history: primary has 'standby' rows of s1 and s2");
cmp_ok(
	$primary->safe_psql('postgres',
		q{SELECT count(*) FROM pg_logship.lag_history
		   WHERE source = 'standby' AND application_name = 's2' AND replay_lag_seconds > 0
		     AND not_replayed_bytes > 0}),
	'>', 0, "history: the primary kept s2's lag while it was paused");
is( $s2->safe_psql('postgres',
		q{SELECT string_agg(DISTINCT application_name, ',') FROM pg_logship.lag_history
		   WHERE source = 'standby'}),
	'c1',
	"history: s2 has 'standby' rows of c1");
cmp_ok(
	$c1->safe_psql('postgres',
		qq{SELECT count(*) FROM pg_logship.lag_history
		   WHERE source = 'self' AND sample_time > '$ts_down' AND NOT link_ok
		     AND replay_lag_seconds > 0}),
	'>=', 3, "history: c1 kept samples of its link being down, with a replay delay");

my $stats = $primary->safe_psql('postgres',
	'SELECT sampler_passes, samples_written FROM pg_logship.monitor_stats()');
my ($passes, $written) = split /\|/, $stats;
cmp_ok($passes, '>=', 10, "monitor_stats: the sampler ran ($passes passes)");
cmp_ok(abs($written - $passes), '<=', 1, "monitor_stats: one sample per pass ($written samples)");

for my $node ($primary, $s1, $s2, $c1)
{
	my $log = slurp_file($node->logfile);
	unlike($log,
		qr/PANIC:|terminated by signal|"pg_logship monitor" .*exited|ERROR: .*pg_logship/,
		'no crash, monitor exit or pg_logship error in the log of ' . $node->name);
}

done_testing();
