# 095_prefetch_restore.pl -- restore --prefetch end to end: a point-in-time recovery and a
# restore-only standby that are served from the spool in pg_wal by the prefetcher.
#
# Part 1: a primary archives (lz4) about 30 segments of inserts after a base backup. A PITR from
# the backup with --prefetch 8 reaches the last row (row count and checksum equal to the
# primary's); the log shows the segments restored; the prefetcher's .stats shows that most were
# served from the spool, and that served + direct is every segment restored. Once recovery has
# ended and the prefetcher has been idle, it has exited, and no segment and no temp file is left
# in pg_wal or in the spool. A damaged archived segment is reported by a --prefetch restore call
# exactly as without it (exit 126 with --on-damage abort), and nothing is spooled.
#
# Part 2: a standby (standby.signal, no primary_conninfo) with --prefetch 4 catches up a backlog
# through the spool, then keeps up while the primary goes on writing WAL; asking the CLI for a
# segment that is not archived yet returns 1 in well under a second while its prefetcher runs.
use strict;
use warnings;

use Fcntl qw(:flock);
use File::Copy qw(copy);
use File::Find;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

use PgLogshipTest;

my $bin      = pgls_bin();
my $SEG_SIZE = 16 * 1024 * 1024;
my $IDLE     = 2;                   # --prefetch-idle: seconds before an idle prefetcher exits

# ---- helpers --------------------------------------------------------------------------------

# restore_command with prefetching.
sub prefetch_restore_conf
{
	my ($archive, $depth) = @_;
	my $cmd = "$bin restore --archive-dir '$archive' --prefetch $depth --prefetch-idle $IDLE %f %p";
	$cmd =~ s/'/''/g;
	return "restore_command = '$cmd'\n";
}

sub spool_dir { return $_[0]->data_dir . '/pg_wal/pgls_prefetch'; }

# The prefetcher's .stats as a hash ({} when there is none).
sub read_stats
{
	my ($node) = @_;
	my $path = spool_dir($node) . '/.stats';
	return {} unless -f $path;
	my %h = map { /^(\w+): ?(.*)$/ ? ($1 => $2) : () } split /\n/, slurp_file($path);
	return \%h;
}

# Whether a prefetcher holds the spool's lock.
sub prefetcher_running
{
	my ($node) = @_;
	my $lock = spool_dir($node) . '/.lock';
	return 0 unless -e $lock;
	open(my $fh, '<', $lock) or die "open $lock: $!";
	my $free = flock($fh, LOCK_EX | LOCK_NB);
	close $fh;
	return !$free;
}

sub wait_prefetcher_gone
{
	my ($node) = @_;
	for (1 .. 600)
	{
		return 1 unless prefetcher_running($node);
		select(undef, undef, undef, 0.1);
	}
	return 0;
}

# Files under $dir whose name matches $re.
sub files_matching
{
	my ($dir, $re) = @_;
	my @found;
	find(sub { push @found, $File::Find::name if -f $_ && /$re/ }, $dir) if -d $dir;
	return @found;
}

# WAL segment names directly in the spool.
sub spooled_segments
{
	my ($node) = @_;
	my $dir = spool_dir($node);
	return () unless -d $dir;
	opendir(my $dh, $dir) or die "opendir $dir: $!";
	my @segs = grep { /^[0-9A-F]{24}$/ } readdir($dh);
	closedir($dh);
	return @segs;
}

my $next_id = 1;

# Inserts rows until the primary has written $n more segments' worth of WAL, then switches.
# Returns the name of the last segment it completed.
sub write_segments
{
	my ($node, $n) = @_;
	my $start = $node->safe_psql('postgres', 'SELECT pg_current_wal_lsn()');
	for (;;)
	{
		my $from = $next_id;
		my $to   = $next_id + 19999;
		$next_id = $to + 1;
		my $done = $node->safe_psql('postgres',
			"INSERT INTO t SELECT g, md5(g::text) || repeat('x', 200) FROM generate_series($from, $to) g;"
			  . "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '$start') >= $n * $SEG_SIZE");
		last if $done eq 't';
	}
	return $node->safe_psql('postgres', 'SELECT pg_walfile_name(pg_switch_wal())');
}

sub count_matches
{
	my ($text, $re) = @_;
	my $n = () = $text =~ /$re/g;
	return $n;
}

# ============================ part 1: point-in-time recovery =================================

my $archive = new_archive_dir('archive');
my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf',
	archive_conf($archive, server => 'primary',
		extra => "pg_logship.compression = lz4\nwal_keep_size = 2GB\nmax_wal_size = 2GB\n"
		  . "autovacuum = off\n"));
$primary->start;
$primary->safe_psql('postgres', 'CREATE TABLE t (id int PRIMARY KEY, payload text)');
$primary->backup('bk');
my $backup_seg = $primary->safe_psql('postgres', 'SELECT pg_walfile_name(pg_current_wal_lsn())');

my $t0       = time;
my $last_seg = write_segments($primary, 30);
wait_for_archived($primary, $last_seg);
pgls_wait_ready_empty($primary);
note(sprintf('primary wrote %s .. %s in %.1f s', $backup_seg, $last_seg, time - $t0));
my $want = table_checksum($primary, 't', 'id');
my @archived = grep { /^[0-9A-F]{24}$/ } archive_files("$archive/wal");
cmp_ok(scalar(@archived), '>=', 30, scalar(@archived) . ' segments archived');

my $pitr = PostgreSQL::Test::Cluster->new('pitr');
$pitr->init_from_backup($primary, 'bk');
$pitr->append_conf('postgresql.conf', prefetch_restore_conf($archive, 8) . "archive_mode = off\n");
$pitr->set_recovery_mode;
$t0 = time;
$pitr->start;
$pitr->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()')
  or die 'the point-in-time recovery did not finish';
note(sprintf('PITR with --prefetch 8 done in %.1f s', time - $t0));
is(table_checksum($pitr, 't', 'id'), $want, 'the recovery reached the last row (count and md5)');

my $log      = slurp_file($pitr->logfile);
my $restored = count_matches($log, qr/restored log file "[0-9A-F]{24}" from archive/);
like($log, qr/restored log file "\Q$last_seg\E" from archive/, "the recovery restored $last_seg");
cmp_ok($restored, '>=', 30, "$restored segments restored");
unlike($log, qr/pg_logship restore: (?:error|warning)/, 'no restore error or warning');

# The prefetcher served the recovery, then went idle, cleared the spool and exited.
ok(wait_prefetcher_gone($pitr), 'the prefetcher exited after recovery');
my $st = read_stats($pitr);
note(join(', ', map { "$_=$st->{$_}" } sort keys %$st));
is($st->{state}, 'exited', '.stats: exited');
is($st->{exit},  'idle',   '.stats: it exited because it was idle');
is($st->{workers}, 2, '.stats: 2 workers, the default for a directory');
cmp_ok($st->{served_from_spool}, '>=', 10, "$st->{served_from_spool} segments served from the spool");
is($st->{served_from_spool} + $st->{restored_direct},
	$restored, 'every restored segment went through the spool path (served + direct)');
cmp_ok($st->{fetched}, '>=', $st->{served_from_spool}, 'fetched at least what was served');
is($st->{damaged}, '0', 'no damaged segment');
is($st->{errors},  '0', 'no prefetch error');
is_deeply([ spooled_segments($pitr) ], [], 'no segment left in the spool');
is_deeply([ files_matching($pitr->data_dir . '/pg_wal', qr/pgls-tmp/) ],
	[], 'no temp file in pg_wal or the spool');
$pitr->stop;

# A damaged archived segment is not spooled: the restore call reports it as without prefetching.
{
	my $scratch = PostgreSQL::Test::Utils::tempdir('damaged');
	mkdir "$scratch/$_" or die "mkdir: $!" for qw(archive archive/wal pg_wal);
	my $victim = $archived[-1];
	copy("$archive/wal/$victim", "$scratch/archive/wal/$victim") or die "copy: $!";
	open(my $fh, '+<', "$scratch/archive/wal/$victim") or die "open: $!";
	binmode $fh;
	my $off = 64 + int(((-s $fh) - 64) / 2);
	sysseek($fh, $off, 0) or die;
	sysread($fh, my $b, 1) == 1 or die;
	sysseek($fh, $off, 0) or die;
	syswrite($fh, chr(ord($b) ^ 0x01)) == 1 or die;
	close $fh;
	my ($out, $err) = ('', '');
	IPC::Run::run(
		[
			$bin, 'restore', '--archive-dir', "$scratch/archive", '--prefetch', '4',
			'--on-damage', 'abort', $victim, 'pg_wal/RECOVERYXLOG'
		],
		'>', \$out, '2>', \$err,
		init => sub { chdir $scratch or die "chdir: $!" });
	is($? >> 8, 126, 'damaged segment with --prefetch: exit 126 (--on-damage abort)');
	like($err, qr/\Q$victim\E/, 'the message names the damaged file');
	ok(!-e "$scratch/pg_wal/RECOVERYXLOG", 'nothing installed');
	is_deeply([ files_matching("$scratch/pg_wal", qr/^[0-9A-F]{24}|pgls-tmp/) ], [],
		'nothing spooled, no temp file');
}

# ============================ part 2: a restore-only standby =================================

$primary->backup('bk2');
my $backlog_seg = write_segments($primary, 10);
wait_for_archived($primary, $backlog_seg);

my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'bk2');
$standby->append_conf('postgresql.conf',
	prefetch_restore_conf($archive, 4)
	  . "archive_mode = off\nwal_retrieve_retry_interval = '200ms'\n");
$standby->set_standby_mode;
$standby->start;
$standby->poll_query_until('postgres',
	"SELECT pg_last_wal_replay_lsn() >= '" . seg_end_lsn($backlog_seg) . "'")
  or die 'the standby did not catch up the backlog';
pass('the standby replayed the backlog');

# WAL keeps coming: the standby follows, and asks for segments not archived yet.
my @probe_ms;
for my $round (1 .. 4)
{
	my $seg     = write_segments($primary, 3);
	my $current = next_seg($seg);
	# The segment after the switch: not archived yet, the primary is writing it. Ask the CLI in
	# the standby's data directory, so that it sees the standby's spool (and prefetcher).
	my ($out, $err) = ('', '');
	my $start = time;
	IPC::Run::run(
		[
			$bin, 'restore', '--archive-dir', $archive, '--prefetch', '4', $current,
			'pg_wal/pgls_probe'
		],
		'>', \$out, '2>', \$err,
		init => sub { chdir $standby->data_dir or die "chdir: $!" });
	my $rc = $? >> 8;
	push @probe_ms, int((time - $start) * 1000);
	is($rc, 1, "round $round: $current, not archived yet, exits 1");
	is($out . $err, '', "round $round: quietly");
	wait_for_archived($primary, $seg);
	$standby->poll_query_until('postgres',
		"SELECT pg_last_wal_replay_lsn() >= '" . seg_end_lsn($seg) . "'")
	  or die "the standby did not replay $seg";
}
note('not-archived probe times (ms): ' . join(', ', @probe_ms));
cmp_ok((sort { $b <=> $a } @probe_ms)[0], '<', 1000, 'each not-archived probe took < 1 s');
ok(!-e $standby->data_dir . '/pg_wal/pgls_probe', 'the probe wrote nothing');
pass('the standby kept up with the primary');

my $stb = read_stats($standby);
note(join(', ', map { "$_=$stb->{$_}" } sort keys %$stb));
cmp_ok($stb->{served_from_spool}, '>=', 5,
	"the standby had $stb->{served_from_spool} segments served from the spool");
is($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'), 't', 'still a standby');

# Every row was written before a switch: the standby has them all.
is(table_checksum($standby, 't', 'id'), table_checksum($primary, 't', 'id'),
	'the standby has the primary\'s rows');

$standby->stop;
ok(wait_prefetcher_gone($standby), 'the standby\'s prefetcher exited once idle');
is_deeply([ spooled_segments($standby) ], [], 'no segment left in the standby\'s spool');
is_deeply([ files_matching($standby->data_dir . '/pg_wal', qr/pgls-tmp/) ],
	[], 'no temp file in the standby\'s pg_wal');
$primary->stop;

done_testing();

# The next segment's name on the same timeline (16 MB segments).
sub next_seg
{
	my ($name) = @_;
	my ($tli, $hi, $lo) =
	  (hex(substr($name, 0, 8)), hex(substr($name, 8, 8)), hex(substr($name, 16, 8)));
	$lo++;
	($hi, $lo) = ($hi + 1, 0) if $lo == 0x100;
	return sprintf('%08X%08X%08X', $tli, $hi, $lo);
}

# End LSN of a segment: the start of the next one.
sub seg_end_lsn
{
	my $next = next_seg($_[0]);
	return sprintf('%X/%X', hex(substr($next, 8, 8)), hex(substr($next, 16, 8)) * $SEG_SIZE);
}
