# 040_kill_archiver.pl -- kill -9 of the archiver while it writes, again and again: a final name
# never holds a torn file, archiving resumes, and stale temp files are swept.
#
# A backlog of segments is built while archiving is held back (the archive dir does not exist
# yet: each attempt fails), their bytes are recorded, then archiving is let go and the archiver
# is killed with SIGKILL, 15 times. Between kills archiving is held back again (archive root
# chmod 0500: attempts fail as "not writable") while new segments are queued and the new
# archiver starts; it is then released with a reload that wakes the archiver. Every other kill comes 20-300 ms (random) after the release, the others
# are aimed: they wait for a temp file shorter than a segment to appear (a write in progress). With pg_logship.archive_workers the archiver's
# workers write too; the crash takes them down with it.
#
# Killing the archiver is a crash for the postmaster. PostgreSQL will not start a new archiver
# within 10 s of the last start (PGARCH_RESTART_INTERVAL), so in-place reinitialization
# (restart_after_crash = on) costs >= 10 s per kill. Phase 1 (12 kills) runs with
# restart_after_crash = off: the postmaster shuts down and the test starts it again (crash
# recovery, a new archiver at once). Phase 2 (3 kills) switches restart_after_crash on and lets
# the postmaster reinitialize itself. The server starts with pg_logship.compression = none and
# each restart of phase 1 switches between none, zstd and lz4, so torn writes of every format are
# seen.
#
# After every kill, and at the end, every file under a final name must restore (`pg_logship
# restore` decodes it and checks its checksum) to a complete segment with the bytes of that
# segment in pg_wal. At the end the archive must be complete (no gap), hold no temp file (the last
# kill's temp files, and those planted for its dead pid in the wal and quarantine folders, are
# swept by the next archiver's first call; one planted for another server is left alone), and
# pass `pg_logship verify --deep`.
use strict;
use warnings;
use IPC::Run;
use Time::HiRes qw(usleep);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PgLogshipTest;

my $n_backlog       = 25;
my $n_kills_restart = 12;    # phase 1: the test restarts the server
my $n_kills_reinit  = 3;     # phase 2: the postmaster reinitializes in place
my $n_kills         = $n_kills_restart + $n_kills_reinit;
my $n_per_kill      = 4;     # segments queued after each kill
my $seg_size        = 16 * 1024 * 1024;
# Compression for the next start: uncompressed and zstd writes take long enough to be hit often.
my @compressions = qw(none zstd lz4);

my $base    = PostgreSQL::Test::Utils::tempdir('kill');
my $archive = "$base/archive";
my $waldir  = "$archive/wal";

# Waits for an archiver process other than $not_pid and returns its pid. Each attempt is a
# connection, which also wakes the postmaster to (re)start the archiver.
sub archiver_pid
{
	my ($node, $not_pid) = @_;
	$not_pid //= 0;
	for (1 .. 1200)
	{
		my ($ret, $pid) = $node->psql('postgres',
			q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'archiver'});
		return $pid if $ret == 0 && $pid =~ /^\d+$/ && $pid != $not_pid;
		usleep(50_000);
	}
	die 'no (new) archiver process';
}

# $n more segments: a little WAL, then a switch, $n times. Returns the last segment completed.
sub make_segments
{
	my ($node, $n) = @_;
	return $node->safe_psql(
		'postgres', qq{
DO \$\$
BEGIN
  FOR i IN 1 .. $n LOOP
    INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 200) g;
    IF i < $n THEN
      PERFORM pg_switch_wal();
    END IF;
  END LOOP;
END
\$\$;
SELECT pg_walfile_name(pg_switch_wal())});
}

my $node = PostgreSQL::Test::Cluster->new('victim');
$node->init(allows_streaming => 1);
$node->append_conf(
	'postgresql.conf',
	archive_conf($archive, server => 'victim') . qq(
restart_after_crash = off
pg_logship.compression = 'none'
wal_keep_size = '8GB'
max_wal_size = '1GB'
));
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_logship');
$node->safe_psql('postgres', 'CREATE TABLE t (i int, s text)');
make_segments($node, $n_backlog);

# The backlog, and the bytes each segment must have in the archive.
my @backlog = ready_files($node);
cmp_ok(scalar(@backlog), '>=', $n_backlog, "a backlog of at least $n_backlog segments");
my %md5;
$md5{$_} = file_md5($node->data_dir . "/pg_wal/$_") for @backlog;
ok(!-e $archive, 'nothing archived while the archive dir is missing');

# Every final name must hold a whole segment with the bytes pg_wal has. Files already checked
# are skipped (a final name is never rewritten; the end of the test checks all of them again).
my %checked;
my $torn = 0;

sub check_final_files
{
	my ($when) = @_;
	for my $f (archive_files($waldir))
	{
		next if $checked{$f};
		my $want = $md5{$f} //= file_md5($node->data_dir . "/pg_wal/$f");
		my ($got, $size) = archived_content($waldir, $f);
		$got  //= 'unrestorable';
		$size //= -1;
		if ($size != $seg_size || $got ne $want)
		{
			$torn++;
			diag "$when: $f is torn or wrong: restored size $size, md5 $got, expected $want";
		}
		$checked{$f} = 1;
	}
	return;
}

# Busy-polls the wal folder until a temp file shorter than a segment shows up (one being
# written, not one being fsynced or linked), or $timeout seconds pass.
sub wait_for_temp_file
{
	my ($timeout) = @_;
	my $until = time() + $timeout;
	while (time() < $until)
	{
		opendir(my $dh, $waldir) or next;
		my @tmp = grep { /\.pgls-tmp\./ } readdir($dh);
		closedir($dh);
		for my $t (@tmp)
		{
			my $size = -s "$waldir/$t";
			return 1 if defined $size && $size < $seg_size;
		}
	}
	return 0;
}

# Between kills, archiving is held back (archive root not writable) while new segments are
# queued and the new archiver starts; then it is released with a reload, which wakes the
# archiver at once: every kill comes at a known point after the archiver started on a backlog.
sub hold_archiving
{
	chmod(0500, $archive) or die "chmod $archive: $!";
	return;
}

sub release_archiving
{
	chmod(0700, $archive) or die "chmod $archive: $!";
	$node->safe_psql('postgres', 'SELECT pg_reload_conf()');
	return;
}

mkdir $archive or die "mkdir $archive: $!";
hold_archiving();

# A write in progress under the same name by a server on another host (another instance id; its pid
# does not exist here).
my $other_temp =
  "$waldir/" . temp_name($backlog[1], 'victim', '00000000000000ff', dead_pid(), 44);
my ($kills_with_temp, $targeted_hits, $temps_seen, $last_offset) = (0, 0, 0, 0);
my (@archived_at_kill, @temp_sizes);
my $pid = archiver_pid($node);
for my $k (1 .. $n_kills)
{
	my $reinit = $k > $n_kills_restart;
	if ($k == $n_kills_restart + 1)
	{
		$node->safe_psql('postgres',
			'ALTER SYSTEM SET restart_after_crash = on; SELECT pg_reload_conf()');
		$node->poll_query_until('postgres', 'SHOW restart_after_crash', 'on');
	}
	my $postmaster = $node->{_pid};
	my $targeted   = $k % 2 == 0;
	release_archiving();
	if ($targeted)
	{
		# Aim: kill as soon as the archiver has a temp file open (mid-copy or mid-fsync).
		wait_for_temp_file(5);
	}
	else
	{
		usleep(20_000 + int(rand(280_000)));
	}
	$last_offset = -s $node->logfile;
	is(kill('KILL', $pid), 1,
		"kill $k: SIGKILL to archiver $pid" . ($targeted ? ' (while it writes)' : ''));

	# Before anything was restarted: what did the kill leave behind?
	my @tmp = archive_temp_files($archive);
	$temps_seen += @tmp;
	$kills_with_temp++ if @tmp;
	$targeted_hits++ if @tmp && $targeted;
	push @temp_sizes, map { -s $_ } @tmp;
	note "kill $k left: "
	  . join(', ', map { (split m{/}, $_)[-1] . ' (' . (-s $_) . ' bytes)' } @tmp)
	  if @tmp;
	push @archived_at_kill, scalar(archive_files($waldir));
	check_final_files("after kill $k");

	if ($k == $n_kills)
	{
		# Temp files of the dead archiver in its wal and quarantine folders, whatever it was
		# doing when killed: the next archiver's first call must sweep them. A temp file of
		# another instance, whose pid means nothing here, must be left alone (it is not old).
		mkdir "$archive/quarantine";
		mkdir "$archive/quarantine/victim";
		my $instance = instance_id($node) // die 'the victim has no instance id';
		for my $planted (
			"$waldir/" . temp_name($backlog[0], 'victim', $instance, $pid, 42),
			"$archive/quarantine/victim/" . temp_name($backlog[0], 'victim', $instance, $pid, 43),
			$other_temp)
		{
			open(my $fh, '>', $planted) or die "create $planted: $!";
			print $fh 'half a segment';
			close $fh;
		}
	}

	$node->wait_for_log(qr/archiver process \(PID $pid\) was terminated by signal 9/,
		$last_offset);
	if ($reinit)
	{
		$node->wait_for_log(qr/all server processes terminated; reinitializing/, $last_offset);
	}
	else
	{
		$node->wait_for_log(qr/shutting down because "?restart_after_crash"? is off/, $last_offset);
		for (1 .. 600)
		{
			last unless kill(0, $postmaster);
			usleep(50_000);
		}
		ok(!kill(0, $postmaster), "kill $k: the postmaster shut down");
		$node->_update_pid(-1);
		$node->append_conf('postgresql.conf',
			"pg_logship.compression = '$compressions[$k % 3]'\n");
		$node->start;
	}
	$node->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()')
	  or die 'server did not come back';
	# Work for the next archiver, held back until the next release.
	hold_archiving();
	make_segments($node, $n_per_kill);
	$pid = archiver_pid($node, $pid);
}
release_archiving();
diag "temp files found right after a kill: $temps_seen (after $kills_with_temp of $n_kills kills, "
  . "$targeted_hits of them aimed), their sizes: @temp_sizes; "
  . "final files at each kill: @archived_at_kill";
cmp_ok($kills_with_temp, '>=', 1, 'some kills interrupted a write (left a temp file)');
is($torn, 0, 'no final name ever held a torn or wrong file');

# Archiving resumes: the backlog drains, and one more switch is archived after that.
pgls_wait_ready_empty($node);
my $last = make_segments($node, 1);
wait_for_archived($node, $last);
pgls_wait_ready_empty($node);

%checked = ();
check_final_files('at the end');
is($torn, 0, 'at the end every archived segment equals pg_wal\'s');

# Complete: every segment from the first of the backlog to the last switched one, no more.
my @files = archive_files($waldir);
# (16MB segments: 256 per "log" number.)
my ($first_no, $last_no) =
  map { hex(substr($_, 16, 8)) + 256 * hex(substr($_, 8, 8)) } $backlog[0], $last;
my @expected =
  map { sprintf('00000001%08X%08X', int($_ / 256), $_ % 256) } $first_no .. $last_no;
is_deeply(\@files, \@expected, "the archive holds every segment $backlog[0] .. $last, no gap");

ok(-f $other_temp, 'the temp file of another instance under the same name was not swept');
unlink $other_temp;
is_deeply([ archive_temp_files($archive) ], [], 'no other temp file is left in the archive');
is_deeply([ archive_files("$archive/quarantine/victim") ], [], 'nothing was quarantined');

my $log = slurp_file($node->logfile, $last_offset);
like($log, qr/pg_logship removed ([2-9]|\d\d+) stale temp file\(s\) of server "victim"/,
	'the archiver restarted after the last kill swept the dead one\'s temp files');
my $st = archive_status($node);
cmp_ok($st->{temp_files_swept}, '>=', 2, 'temp_files_swept counts them');
is($st->{conflict_count},   0, 'no conflict');
# The holds make attempts fail ("not writable"); nothing else may have.
like($st->{last_error} // 'none', qr/^none$|pg_logship\.archive_dir "[^"]*" (is not writable|does not exist)/,
	'no I/O failure since the last restart but the holds');

my $full_log = slurp_file($node->logfile);
my $n_killed = () = $full_log =~ /archiver process \(PID \d+\) was terminated by signal 9/g;
is($n_killed, $n_kills, "the postmaster saw $n_kills archiver crashes");
my @failures = $full_log =~ /could not archive "[^"]*": ([^\n]*)/g;
my @other = grep { !/^pg_logship\.archive_dir "[^"]*" (is not writable|does not exist)/ } @failures;
is_deeply(\@other, [], 'no archive call failed but those held back ('
	  . scalar(@failures) . ' while the archive was missing or not writable)');

my ($stdout, $stderr);
IPC::Run::run([ pgls_bin(), 'verify', '--deep', '--archive-dir', $archive ],
	'>', \$stdout, '2>', \$stderr);
is($? >> 8, 0, 'pg_logship verify --deep exits 0') or diag "stdout:\n$stdout\nstderr:\n$stderr";
like($stdout, qr/^archive ok$/m, 'pg_logship verify: archive ok');
like($stdout, qr/timeline 1: \Q$backlog[0]\E \.\. \Q$last\E, @{[ scalar @files ]} segment\(s\)\n/,
	'pg_logship verify sees the whole range');

$node->stop;
done_testing();
