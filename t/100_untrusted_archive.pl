# 100_untrusted_archive.pl -- archive entries are untrusted: what is not a regular file never
# hangs or misleads a server or the CLI, and restore never lets PostgreSQL end a recovery early.
#
# Part 1, the archiver: a FIFO, a symlink, a directory and a socket under the names of the next
# segments. Each attempt fails with an error naming what the entry is (a FIFO used to block the
# archiver in open(), and pg_ctl stop -m fast with it), failed_count rises, the WAL stays in
# pg_wal, `pg_ctl stop -m fast` works, and once the entries are gone everything is archived with
# PostgreSQL's bytes.
# Part 2, cleanup: a FIFO named like a .backup file used to hang archive_cleanup() (past
# statement_timeout, cancel and terminate) and `pg_logship cleanup --keep-backups`. Both refuse
# now, naming it; a damaged (zeroed magic) .backup file is refused by restore and reported by
# verify --deep.
# Part 3, restore's exit codes: 1 only for a file simply absent from a readable archive; a
# missing --server folder, an unreadable folder, bad usage: 2/3 outside recovery and on a standby,
# 126 in an archive recovery without standby.signal. A real point-in-time recovery with a wrong
# --server stops with FATAL instead of ending early and promoting; a standby keeps retrying.
# Part 4, verify on a live archive: run in a loop while a primary and a standby archive under
# load, it exits 0 every time (writes in progress are not problems).
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IO::Socket::UNIX;
use POSIX ();
use Socket qw(SOCK_STREAM);
use Cwd ();

use PgLogshipTest;

my $bin     = pgls_bin();
my $archive = new_archive_dir('untrusted');
my $wal     = "$archive/wal";
my $scratch = PostgreSQL::Test::Utils::tempdir('scratch');

# Runs a command with a time limit: a hang fails the test instead of stopping the suite.
sub run_limited
{
	my ($seconds, @cmd) = @_;
	my ($out, $err) = ('', '');
	my $ok = eval {
		IPC::Run::run(\@cmd, '>', \$out, '2>', \$err, IPC::Run::timeout($seconds));
		1;
	};
	return (-1, $out, "timed out after $seconds s") unless $ok;
	my $rc = $? >> 8;
	note(join(' ', @cmd) . " -> exit $rc" . ($err ne '' ? "\n  stderr: $err" : ''));
	return ($rc, $out, $err);
}

# ============================ part 1: the archiver ============================================

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', archive_conf($archive, server => 'primary'));
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION pg_logship; CREATE TABLE t (id int)');
my $first = switch_wal($primary);
wait_for_archived($primary, $first);

# The names the next four segments will have.
my ($tli, $segno) = parse_seg($first);
my @next = map { seg_name($tli, $segno + $_) } 1 .. 4;
my %kind = ($next[0] => 'FIFO', $next[1] => 'symbolic link', $next[2] => 'directory',
	$next[3] => 'socket');
POSIX::mkfifo("$wal/$next[0]", 0600) or die "mkfifo: $!";
symlink("$scratch/elsewhere", "$wal/$next[1]") or die "symlink: $!";
mkdir("$wal/$next[2]") or die "mkdir: $!";
# A socket's path is limited to 108 bytes: bind it by its name, from within the folder.
my $cwd = Cwd::getcwd();
chdir $wal or die "chdir: $!";
my $sock = IO::Socket::UNIX->new(Type => SOCK_STREAM, Local => $next[3], Listen => 1)
  or die "socket: $!";
chdir $cwd or die "chdir: $!";

my $failed_before =
  $primary->safe_psql('postgres', 'SELECT failed_count FROM pg_stat_archiver');
for my $i (0 .. 3)
{
	$primary->safe_psql('postgres', "INSERT INTO t SELECT generate_series(1, 1000)");
	switch_wal($primary);
}
for my $name (@next[0 .. 0])
{
	$primary->wait_for_log(qr/"\Q$wal\/$name\E" is a \Q$kind{$name}\E, not a regular file/, 0);
}
pass('the archiver names the FIFO and does not block on it');
$primary->poll_query_until('postgres',
	"SELECT failed_count >= $failed_before + 2 FROM pg_stat_archiver")
  or die 'failed_count did not rise';
pass('pg_stat_archiver counts the failed attempts');
ok((grep { $_ eq $next[0] } ready_files($primary)), "$next[0] waits in pg_wal (.ready)");

# Shutdown works while the archiver fails on a FIFO (it used to hang in open()).
my $stopped = eval { $primary->stop('fast'); 1 };
ok($stopped, 'pg_ctl stop -m fast works with a FIFO in the archive');

# Each entry in turn is named, then removed; in the end every segment is archived intact.
$primary->start;
my $oracle = "$scratch/oracle";
mkdir $oracle;
for my $i (0 .. 3)
{
	my $name = $next[$i];
	$primary->wait_for_log(qr/"\Q$wal\/$name\E" is a \Q$kind{$name}\E, not a regular file/, 0);
	pass("the archiver names the $kind{$name} at $name");
	PostgreSQL::Test::Utils::system_or_bail('cp', $primary->data_dir . "/pg_wal/$name",
		"$oracle/$name");
	if ($kind{$name} eq 'directory') { rmdir "$wal/$name" or die "rmdir: $!"; }
	else                             { unlink "$wal/$name" or die "unlink: $!"; }
	# A new segment wakes the archiver from its wait after three failures.
	$primary->safe_psql('postgres', 'INSERT INTO t VALUES (0)');
	switch_wal($primary);
	wait_for_archived($primary, $name);
}
for my $name (@next)
{
	is(archived_md5($wal, $name), file_md5("$oracle/$name"), "$name archived with its bytes");
}
close $sock;

# ============================ part 2: cleanup =================================================

$primary->backup('bk');
my $backup_file;
for (1 .. 1800)
{
	($backup_file) = grep { /\.backup$/ } archive_files($wal);
	last if defined $backup_file;
	select(undef, undef, undef, 0.1);
}
ok(defined $backup_file, "the base backup's .backup file is archived");
switch_wal($primary);
pgls_wait_ready_empty($primary);

my $fifo_backup = seg_name($tli, $segno) . '.00000028.backup';
POSIX::mkfifo("$wal/$fifo_backup", 0600) or die "mkfifo: $!";
my ($ok, $out, $err) = $primary->psql('postgres',
	"SET statement_timeout = '60s'; SELECT * FROM pg_logship.archive_cleanup_boundary()");
like($out . $err, qr/is a FIFO, not a regular file/,
	'archive_cleanup_boundary() names the FIFO under a .backup name instead of hanging');
unlike($err, qr/statement timeout/, 'archive_cleanup_boundary() did not run into the timeout');
($ok, $out, $err) = $primary->psql('postgres',
	"SET statement_timeout = '60s'; SELECT count(*) FROM pg_logship.archive_cleanup(false)");
like($err, qr/archive cleanup refused: cannot read .* is a FIFO, not a regular file/,
	'archive_cleanup() refuses, naming the FIFO');
like($err, qr/Nothing was removed/, 'archive_cleanup() removes nothing');
unlike($err, qr/statement timeout/, 'archive_cleanup() did not hang');

my ($rc, $o, $e) = run_limited(60, $bin, 'cleanup', '--archive-dir', $archive,
	'--keep-backups', '1', $next[3]);
is($rc, 2, 'cleanup --keep-backups with a FIFO .backup entry: exit 2');
like($e, qr/is a FIFO, not a regular file/, 'cleanup names the FIFO');
ok(-e "$wal/$first", 'cleanup removed nothing');
unlink "$wal/$fifo_backup";

# A directory named like a segment does not stop cleanup: skipped, with a warning.
mkdir "$wal/" . seg_name($tli, 0) or die;
($rc, $o, $e) = run_limited(60, $bin, 'cleanup', '--archive-dir', $archive, '--dry-run', $next[0]);
is($rc, 0, 'cleanup --dry-run with a directory named like a segment: exit 0');
like($e, qr/skipping .*\Q@{[seg_name($tli, 0)]}\E \(a directory\): not a regular file/,
	'the directory is skipped, named');
like($o, qr/\Q$first\E/, 'the segments before the boundary are listed');
rmdir "$wal/" . seg_name($tli, 0);

# A .backup file whose archive header's magic was zeroed reads as a raw file: it must be a
# backup label, and is not.
{
	my $path = "$wal/$backup_file";
	PostgreSQL::Test::Utils::system_or_bail('cp', $path, "$scratch/$backup_file.good");
	open(my $fh, '+<', $path) or die "open: $!";
	binmode $fh;
	syswrite($fh, "\0" x 8) == 8 or die "write: $!";
	close $fh;
	($rc, $o, $e) = run_limited(60, $bin, 'restore', '--archive-dir', $archive, $backup_file,
		"$scratch/out.backup");
	is($rc, 2, 'restore of a .backup file with a zeroed magic: exit 2');
	like($e, qr/has no archive header and is not a valid backup file/, 'restore says why');
	ok(!-e "$scratch/out.backup", 'nothing written');
	($rc, $o, $e) = run_limited(120, $bin, 'verify', '--archive-dir', $archive, '--deep');
	is($rc, 1, 'verify --deep: exit 1');
	like($o, qr/problem: \Q$backup_file\E: has no archive header/, 'verify --deep reports it');
	PostgreSQL::Test::Utils::system_or_bail('cp', "$scratch/$backup_file.good", $path);
	($rc, $o, $e) = run_limited(120, $bin, 'verify', '--archive-dir', $archive, '--deep');
	is($rc, 0, 'verify --deep: exit 0 with the good copy back');
}

# ============================ part 3: restore's exit codes ====================================

# A fake data directory to run restore in (its working directory is the data directory).
my $pgdata = "$scratch/pgdata";
mkdir $pgdata;
mkdir "$pgdata/pg_wal";

# restore in $pgdata with signal files (none, 'recovery' or 'standby'): (exit, stderr).
sub restore_in
{
	my ($signals, @args) = @_;
	unlink "$pgdata/recovery.signal", "$pgdata/standby.signal";
	if ($signals ne 'none')
	{
		open(my $fh, '>', "$pgdata/recovery.signal") or die;
		close $fh;
	}
	if ($signals eq 'standby')
	{
		open(my $fh, '>', "$pgdata/standby.signal") or die;
		close $fh;
	}
	my ($out, $err) = ('', '');
	IPC::Run::run([ $bin, 'restore', @args ], '>', \$out, '2>', \$err,
		init => sub { chdir $pgdata or die "chdir: $!" });
	my $rc = $? >> 8;
	note("restore @args in $signals -> $rc: $err");
	return ($rc, $err);
}

my $missing = seg_name($tli, $segno + 1000);
my %expect = (
	'absent from a readable archive' =>
	  [ [ '--archive-dir', $archive, $missing, 'pg_wal/RECOVERYXLOG' ], 1, 1, 1 ],
	'a --server folder that does not exist' => [
		[ '--archive-dir', $archive, '--layout', 'per_server', '--server', 'nosuch', $missing,
		  'pg_wal/RECOVERYXLOG' ], 2, 126, 2 ],
	'an archive root that does not exist' =>
	  [ [ '--archive-dir', "$scratch/none", $missing, 'pg_wal/RECOVERYXLOG' ], 2, 126, 2 ],
	'bad usage' => [ [ '--archive-dir', $archive, '--bogus', $missing, 'pg_wal/X' ], 3, 126, 3 ],
	'--help as %f' => [ [ '--archive-dir', $archive, '--help', 'pg_wal/X' ], 3, 126, 3 ],
	'--help with other arguments' =>
	  [ [ '--help', '--archive-dir', $archive, $missing, 'pg_wal/X' ], 3, 126, 3 ],
	'an invalid file name' =>
	  [ [ '--archive-dir', $archive, '../../etc/passwd', 'pg_wal/X' ], 3, 126, 3 ],
);
for my $what (sort keys %expect)
{
	my ($args, $plain, $pitr, $standby) = @{ $expect{$what} };
	my %want = (none => $plain, recovery => $pitr, standby => $standby);
	for my $signals (qw(none recovery standby))
	{
		my ($rc2, $err2) = restore_in($signals, @$args);
		is($rc2, $want{$signals}, "restore, $what, $signals: exit $want{$signals}");
		is($err2, '', "restore, $what, $signals: silent") if $want{$signals} == 1;
	}
}
# An unreadable folder: EACCES is not "absent".
chmod 0000, $wal or die;
my ($rc_acc, $err_acc) = restore_in('recovery', '--archive-dir', $archive, $missing, 'pg_wal/X');
chmod 0700, $wal or die;
is($rc_acc, 126, 'restore with an unreadable archive folder in a PITR: exit 126');
like($err_acc, qr/Permission denied/, 'and says why');

# "-" writes to standard output; a destination that is a symlink is never replaced.
{
	my ($out, $err2) = ('', '');
	IPC::Run::run([ $bin, 'restore', '--archive-dir', $archive, $next[0], '-' ],
		'>', "$scratch/stdout.seg", '2>', \$err2);
	is($? >> 8, 0, 'restore FILE -: exit 0');
	is(file_md5("$scratch/stdout.seg"), file_md5("$oracle/$next[0]"), 'restore FILE -: the bytes');
	symlink("$scratch/target", "$scratch/link") or die;
	($rc, $o, $e) = run_limited(60, $bin, 'restore', '--archive-dir', $archive, $next[0],
		"$scratch/link");
	is($rc, 2, 'restore onto a symlink: exit 2');
	ok(-l "$scratch/link" && !-e "$scratch/target", 'the symlink was left alone');
}

# A real point-in-time recovery with a wrong --server stops; a standby keeps trying.
$primary->safe_psql('postgres', 'INSERT INTO t SELECT generate_series(1, 100)');
switch_wal($primary);
pgls_wait_ready_empty($primary);
{
	my $pitr = PostgreSQL::Test::Cluster->new('pitr_wrong_server');
	$pitr->init_from_backup($primary, 'bk');
	$pitr->append_conf('postgresql.conf',
		restore_conf($archive, layout => 'per_server', servers => ['nosuch'])
		  . "archive_mode = off\n");
	$pitr->set_recovery_mode;
	$pitr->start(fail_ok => 1);
	my $log = '';
	for (1 .. 300)
	{
		$log = slurp_file($pitr->logfile);
		last if $log =~ /database system is shut down|startup process .* exited with exit code/;
		select(undef, undef, undef, 0.1);
	}
	like($log, qr/archive folder ".*servers\/nosuch" does not exist/, 'PITR: restore names the folder');
	like($log, qr/startup process .* exited with exit code 1/, 'PITR: the startup process stopped');
	unlike($log, qr/archive recovery complete|database system is ready to accept connections/,
		'PITR: no promotion short of the archive');
	$pitr->{_pid} = undef;

	my $standby = PostgreSQL::Test::Cluster->new('standby_wrong_server');
	$standby->init_from_backup($primary, 'bk');
	$standby->append_conf('postgresql.conf',
		restore_conf($archive, layout => 'per_server', servers => ['nosuch'])
		  . "archive_mode = off\n");
	$standby->set_standby_mode;
	$standby->start;
	$standby->wait_for_log(qr/archive folder ".*servers\/nosuch" does not exist/, 0);
	is($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'), 't',
		'standby: stays in recovery and retries');
	$standby->stop('immediate');
}

# ============================ part 4: verify on a live archive ================================

my $standby = PostgreSQL::Test::Cluster->new('standby');
$primary->backup('bk2');
$standby->init_from_backup($primary, 'bk2', has_streaming => 1);
$standby->append_conf('postgresql.conf', archive_conf($archive, mode => 'always', server => 'standby'));
$standby->start;

my $load = IPC::Run::start(
	[ 'psql', '-X', '-q', '-d', $primary->connstr('postgres'), '-c',
	  q{DO $$ BEGIN FOR i IN 1..40 LOOP INSERT INTO t SELECT generate_series(1, 20000);
	    PERFORM pg_switch_wal(); COMMIT; END LOOP; END $$} ],
	'>', \my $load_out, '2>', \my $load_err);
my ($runs, $clean) = (0, 0);
while ($load->pumpable && $runs < 200)
{
	($rc, $o, $e) = run_limited(120, $bin, 'verify', '--archive-dir', $archive);
	$runs++;
	$clean++ if $rc == 0;
	diag("verify during load: exit $rc\n$o") if $rc != 0;
	$load->pump_nb;
}
$load->finish;
cmp_ok($runs, '>=', 3, "verify ran $runs times during the load");
is($clean, $runs, 'verify exits 0 every time while servers archive');

$standby->stop;
$primary->stop;
done_testing();
