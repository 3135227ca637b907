# 072_cleanup_responsive.pl -- archive cleanup of a big archive: sampling goes on, and the cleanup
# can be cancelled and stopped.
#
# A primary whose WAL position is far ahead (pg_resetwal -l before the first start), with 20,000
# segment names older than it in the archive (empty files: cleanup lists and removes them, it
# never reads segments), pg_logship.keep_backups = 0 and archive_keep_min_age = 0: a cleanup
# removes all of them. To look at a cleanup in the middle of its removals, the test holds the
# process that runs it (SIGSTOP) as soon as files start to disappear, and releases it (SIGCONT)
# later: a stand-in for a slow archive.
#
#  1. The worker's cleanup (archive_cleanup_interval = 1s) runs in "pg_logship retention", apart
#     from the sampler: while it is held for 2 s, and over the whole cleanup, lag_history
#     (sample_interval 200 ms) has no gap of more than 1 s between consecutive samples; then all
#     20,000 are removed and logged.
#  2. archive_cleanup(false) held, pg_cancel_backend, released: the statement is cancelled, the
#     cleanup stops between two files (files remain), and the log says how many it removed.
#  3. The same with statement_timeout (it expires while the cleanup is held).
#  4. The worker's cleanup held, pg_ctl stop -m fast, released: the worker exits at its next file
#     (files remain) and the server stops.
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PgLogshipTest;

my $n_files  = 20000;
my $archive  = new_archive_dir('archive');
my $wal      = "$archive/wal";
my $interval = 200;

my $node = PostgreSQL::Test::Cluster->new('primary');
$node->init(allows_streaming => 1);
# Far ahead of every name made below (1 .. 20,000 is below segment 0xFF/0x00).
system_or_bail('pg_resetwal', '-l', '00000001000000FF00000000', $node->data_dir);
$node->append_conf(
	'postgresql.conf',
	archive_conf(
		$archive,
		server => 'primary',
		extra  => qq(
pg_logship.keep_backups = 0
pg_logship.archive_keep_min_age = 0
pg_logship.sample_interval = '${interval}ms'
autovacuum = off
)));
mkdir $wal or die "mkdir $wal: $!";
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_logship');

sub make_files
{
	for my $i (1 .. $n_files)
	{
		open(my $fh, '>', "$wal/" . seg_name(1, $i)) or die "create: $!";
		close $fh;
	}
	return;
}

# The made files still in the archive.
sub files_left
{
	opendir(my $dh, $wal) or die "opendir $wal: $!";
	my $n = grep { /^00000001000000(?!FF)[0-9A-F]{10}$/ } readdir($dh);
	closedir($dh);
	return $n;
}

# Waits until files start to disappear; false if they were all gone before it could see it.
sub wait_removal_started
{
	my $deadline = time() + 180;
	while (time() < $deadline)
	{
		my $n = files_left();
		return $n > 0 if $n < $n_files;
		select(undef, undef, undef, 0.002);
	}
	die 'timed out waiting for the cleanup to start removing';
}

# Holds pid while files are being removed; returns the count left, after checking that it does
# not move while held.
sub hold
{
	my ($pid, $what) = @_;
	kill('STOP', $pid) or die "kill STOP $pid: $!";
	# Stopped for sure (state T) before counting.
	for (1 .. 1000)
	{
		my $stat = slurp_file("/proc/$pid/stat");
		last if $stat =~ /^\d+ \(.*\) T /s;
		select(undef, undef, undef, 0.01);
	}
	my $held = files_left();
	select(undef, undef, undef, 0.3);
	is(files_left(), $held, "$what: the process removing files is held ($held left)");
	return $held;
}

# The pid of this node's background worker with the given name.
sub worker_pid
{
	my ($name) = @_;
	my $pm  = $node->{_pid} or die 'no postmaster';
	my $out = `ps -o pid=,args= --ppid $pm`;
	my ($pid) = map { /^\s*(\d+)\s/ ? $1 : () } grep { /\Q$name\E/ } split /\n/, $out;
	return $pid;
}

# Max gap in ms between consecutive samples in [t0, t1], and their number.
sub sample_gaps
{
	my ($t0, $t1) = @_;
	return split /\|/, $node->safe_psql('postgres', qq{
		SELECT coalesce(round(max(gap)), 0), count(*) FROM (
		  SELECT extract(epoch FROM t - lag(t) OVER (ORDER BY t)) * 1000 AS gap FROM (
		    SELECT DISTINCT sample_time AS t FROM pg_logship.lag_history_since('$t0')
		     WHERE sample_time <= '$t1') s) g});
}

# ---- 1. the worker's cleanup does not stop the sampler ----------------------------------------
{
	make_files();
	is(files_left(), $n_files, "$n_files archived segment names made");
	my $retention = worker_pid('pg_logship retention');
	ok($retention, 'cleanup and retention run in their own worker, "pg_logship retention"');
	my $monitor = worker_pid('pg_logship monitor');
	ok($monitor && $retention && $monitor != $retention, 'the sampler runs in another one');

	my $offset = -s $node->logfile;
	my $t0     = $node->safe_psql('postgres', 'SELECT now()');
	$node->safe_psql('postgres', "ALTER SYSTEM SET pg_logship.archive_cleanup_interval = '1s'");
	$node->reload;
	my $started = wait_removal_started();
	SKIP:
	{
		skip 'the cleanup finished before it could be held', 2 unless $started && $retention;
		my $hold_t0 = $node->safe_psql('postgres', 'SELECT now()');
		hold($retention, 'worker');
		sleep 2;
		my $hold_t1 = $node->safe_psql('postgres', 'SELECT now()');
		kill('CONT', $retention);
		my (undef, $n) = sample_gaps($hold_t0, $hold_t1);
		cmp_ok($n, '>=', 5, "the sampler took $n samples while the cleanup was held for 2 s");
	}
	$node->wait_for_log(
		qr/pg_logship archive cleanup removed $n_files archived WAL file\(s\) older than/, $offset);
	is(files_left(), 0, 'the worker removed every file');
	my $t1 = $node->safe_psql('postgres', 'SELECT now()');
	my ($gap, $n) = sample_gaps($t0, $t1);
	cmp_ok($n, '>', 5, "$n samples over the cleanup");
	cmp_ok($gap, '<=', 1000,
		"no gap in lag_history: consecutive samples at most ${gap} ms apart (interval ${interval} ms)");
	$node->safe_psql('postgres', 'ALTER SYSTEM RESET pg_logship.archive_cleanup_interval');
	$node->reload;
}

# ---- 2 and 3. archive_cleanup() is cancellable -------------------------------------------------
for my $case (['cancel', 'canceling statement due to user request'],
	['statement_timeout', 'canceling statement due to statement timeout'])
{
	my ($how, $message) = @$case;
	make_files();
	my $offset = -s $node->logfile;
	my $bg     = $node->background_psql('postgres', on_error_stop => 0);
	my $pid    = $bg->query_safe('SELECT pg_backend_pid()');
	$bg->query_safe("SET statement_timeout = '3s'") if $how eq 'statement_timeout';
	$bg->query_until(qr/go/, "\\echo go\nSELECT count(*) FROM pg_logship.archive_cleanup(false);\n");
	ok(wait_removal_started(), "$how: archive_cleanup(false) started removing");
	my $held = hold($pid, $how);
	if ($how eq 'cancel')
	{
		$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
	}
	else
	{
		sleep 4;    # the timeout expires while it is held
	}
	kill('CONT', $pid);
	$bg->quit;
	like($bg->{stderr}, qr/ERROR:  \Q$message\E/, "$how: the statement fails: $message");
	my $left = files_left();
	cmp_ok($left, '>', 0, "$how: it stopped between two files ($left of $n_files left)");
	cmp_ok($left, '>=', $held - 1, "$how: at most one more file went after the interrupt");
	$node->wait_for_log(
		qr/LOG:  pg_logship archive cleanup was interrupted after removing (\d+) archived WAL file\(s\)/,
		$offset);
	my ($removed) = slurp_file($node->logfile, $offset) =~ /interrupted after removing (\d+) /;
	is($removed, $n_files - $left, "$how: the log says how many were removed ($removed)");
	# Remove the rest for the next case.
	$node->safe_psql('postgres', 'SELECT count(*) FROM pg_logship.archive_cleanup(false)');
	is(files_left(), 0, "$how: a second cleanup removes the rest");
}

# ---- 4. pg_ctl stop -m fast during the worker's cleanup ----------------------------------------
{
	make_files();
	my $offset    = -s $node->logfile;
	my $retention = worker_pid('pg_logship retention');
	$node->safe_psql('postgres', "ALTER SYSTEM SET pg_logship.archive_cleanup_interval = '1s'");
	$node->reload;
	ok(wait_removal_started(), 'stop: the worker started removing');
	hold($retention, 'stop');
	my $pgdata = $node->data_dir;
	system_or_bail('pg_ctl', '-D', $pgdata, '-m', 'fast', '-W', 'stop');
	select(undef, undef, undef, 0.5);
	kill('CONT', $retention);
	my $stopped = 0;
	for (1 .. 600)
	{
		if (!-e "$pgdata/postmaster.pid")
		{
			$stopped = 1;
			last;
		}
		select(undef, undef, undef, 0.1);
	}
	ok($stopped, 'pg_ctl stop -m fast: the server stopped');
	$node->_update_pid(0);
	cmp_ok(files_left(), '>', 0, 'stop: the worker left its cleanup at the next file');
	like(slurp_file($node->logfile, $offset),
		qr/terminating background worker "pg_logship retention" due to administrator command/,
		'stop: the log says the worker was terminated');
}

done_testing();
