# 091_archive_workers.pl -- parallel look-ahead archiving with pg_logship.archive_workers.
#
# A primary with two archive workers and lz4 builds a backlog while its archive directory is
# missing, then drains it: the workers archive most files, every archived file decodes to the
# bytes still in pg_wal, and verify --deep is clean. Then, draining a second backlog, worker
# processes are killed with SIGKILL again and again mid-write (the postmaster restarts the
# cluster each time): no torn or damaged file is ever under a final name, archiving resumes and
# completes, and the next archiver sweeps the dead workers' temp files. Finally a point-in-time
# recovery from a base backup taken before all this, restoring with --prefetch, reaches the last
# row (row count and md5).
use strict;
use warnings;
use File::Path qw(rmtree);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PgLogshipTest;

my $bin     = pgls_bin();
my $archive = new_archive_dir('archive');
mkdir "$archive/root" or die "mkdir: $!";

my $node = PostgreSQL::Test::Cluster->new('primary');
$node->init(allows_streaming => 1);
$node->append_conf('postgresql.conf',
	archive_conf("$archive/root", server => 'primary',
		extra => "pg_logship.archive_workers = 2\npg_logship.compression = lz4\n"
		  . "wal_keep_size = '2GB'\nmax_wal_size = '2GB'\nautovacuum = off\n"
		  . "restart_after_crash = on\n"));
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_logship');
$node->safe_psql('postgres', 'CREATE TABLE t (id int PRIMARY KEY, payload text)');
$node->backup('bk');

my $next_id = 1;

# Inserts rows and switches WAL $n times; returns the last segment switched from.
sub make_segments
{
	my ($n) = @_;
	my $last;
	for (1 .. $n)
	{
		my $to = $next_id + 9999;
		$last = $node->safe_psql('postgres',
			"INSERT INTO t SELECT g, md5(g::text) || repeat(md5((g * 7)::text), 8) "
			  . "FROM generate_series($next_id, $to) g; "
			  . "SELECT pg_walfile_name(pg_current_wal_lsn()); SELECT pg_switch_wal()");
		($last) = split /\n/, $last;
		$next_id = $to + 1;
	}
	return $last;
}

sub ready_count
{
	my $dir = $node->data_dir . '/pg_wal/archive_status';
	opendir(my $dh, $dir) or return -1;
	my $n = grep { /\.ready$/ } readdir($dh);
	closedir($dh);
	return $n;
}

sub wait_drained
{
	for (1 .. 1800)
	{
		return 1 if ready_count() == 0;
		select(undef, undef, undef, 0.1);
	}
	die 'the .ready backlog did not drain';
}

# Whether an archived segment decodes to the bytes of pg_wal's copy.
sub same_as_pg_wal
{
	my ($file) = @_;
	return archived_md5("$archive/root/wal", $file) eq
	  file_md5($node->data_dir . "/pg_wal/$file");
}

sub segments_in_archive
{
	return grep { /^[0-9A-F]{24}$/ } archive_files("$archive/root/wal");
}

# ---- 1: a backlog drained by the workers ------------------------------------------------------
$node->safe_psql('postgres', "ALTER SYSTEM SET pg_logship.archive_dir = ''");
$node->reload;
my $last1 = make_segments(16);
cmp_ok(ready_count(), '>=', 16, 'a backlog of at least 16 files waits');

$node->safe_psql('postgres', 'ALTER SYSTEM RESET pg_logship.archive_dir');
$node->reload;
wait_drained();
my $st = archive_status($node);
is($st->{archive_workers}, 2, 'two archive workers configured');
is($st->{workers_running}, 2, 'two archive workers running');
cmp_ok($st->{worker_files}, '>', 0, "the workers archived files ($st->{worker_files})");
is($st->{worker_files} + $st->{inline_files}, $st->{archived_count},
	'every archived file was archived by a worker or by the archiver itself');
is($st->{published_count}, $st->{archived_count}, 'each file was published once');
is($st->{failed_count}, 0, 'no failure');
cmp_ok($st->{compression_ratio}, '>', 1, "compressed (ratio $st->{compression_ratio})");
my @segs = segments_in_archive();
cmp_ok(scalar(@segs), '>=', 16, 'the segments are in the archive');
my $mismatch = grep { !same_as_pg_wal($_) } @segs;
is($mismatch, 0, 'every archived segment decodes to the bytes in pg_wal');

# ---- 2: workers killed mid-write, repeatedly --------------------------------------------------
# zstd at a high level makes each file take long enough to be killed in the middle of it.
$node->safe_psql('postgres', "ALTER SYSTEM SET pg_logship.archive_dir = ''");
$node->safe_psql('postgres', "ALTER SYSTEM SET pg_logship.compression = 'zstd'");
$node->safe_psql('postgres', 'ALTER SYSTEM SET pg_logship.compression_level = 17');
$node->reload;
my $last2 = make_segments(12);
$node->safe_psql('postgres', 'ALTER SYSTEM RESET pg_logship.archive_dir');
$node->reload;

# This node's archive workers only (other tests may run clusters as the same user).
sub worker_pids
{
	my $pm  = $node->{_pid} or return ();
	my $out = `ps -o pid=,args= --ppid $pm`;
	return map { /^\s*(\d+)\s/ ? $1 : () } grep { /pg_logship archive worker/ } split /\n/, $out;
}

my $kills = 0;
for my $round (1 .. 8)
{
	last if ready_count() == 0;
	select(undef, undef, undef, 0.2 + rand(0.5));
	my @pids = worker_pids();
	next unless @pids;
	kill 'KILL', $pids[ int(rand(@pids)) ] and $kills++;
	# The postmaster restarts the cluster: wait for it to accept connections again.
	$node->poll_query_until('postgres', 'SELECT 1', '1')
	  or die 'the server did not come back after a worker was killed';
}
cmp_ok($kills, '>=', 3, "killed archive workers mid-backlog $kills time(s)");
$node->wait_for_log(qr/pg_logship archive worker.*terminated by signal 9/, 0);
pass('the postmaster saw the workers die');
wait_drained();

# One more file through a fresh archiver: its first call sweeps dead writers' temp files.
$node->safe_psql('postgres', 'ALTER SYSTEM RESET pg_logship.compression');
$node->safe_psql('postgres', 'ALTER SYSTEM RESET pg_logship.compression_level');
$node->reload;
my $last3 = make_segments(1);
wait_drained();
@segs = segments_in_archive();
my @expect = sort grep { /^[0-9A-F]{24}$/ && $_ le $last3 }
  do { opendir(my $d, $node->data_dir . '/pg_wal') or die; readdir($d) };
my %in = map { $_ => 1 } @segs;
my @missing = grep { !$in{$_} && $_ ge $segs[0] } @expect;
is_deeply(\@missing, [], 'no segment is missing from the archive');
$mismatch = grep { !same_as_pg_wal($_) } @segs;
is($mismatch, 0, 'after the kills every archived segment still decodes to the bytes in pg_wal');
is_deeply([ archive_temp_files("$archive/root") ], [], 'no temp file left in the archive');
my ($rc) = system($bin, 'verify', '--archive-dir', "$archive/root", '--deep') >> 8;
is($rc, 0, 'verify --deep: archive ok');

# ---- 3: point-in-time recovery from the archive, with prefetching restore ---------------------
my $want = table_checksum($node, 't', 'id');
$node->stop;
my $pitr = PostgreSQL::Test::Cluster->new('pitr');
$pitr->init_from_backup($node, 'bk');
my $restore = "$bin restore --archive-dir $archive/root --prefetch 8 %f %p";
$pitr->append_conf('postgresql.conf',
	"restore_command = '$restore'\narchive_mode = off\nrecovery_target_action = 'promote'\n");
$pitr->set_recovery_mode;
$pitr->start;
$pitr->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()')
  or die 'recovery did not finish';
is(table_checksum($pitr, 't', 'id'), $want,
	'PITR with --prefetch from the archive has every row (count and md5)');
my $stats = slurp_file($pitr->data_dir . '/pg_wal/pgls_prefetch/.stats');
my ($served) = $stats =~ /^served_from_spool: ?(\d+)$/m;
cmp_ok($served // 0, '>', 0, 'segments were served from the prefetch spool');
$pitr->stop;

done_testing();
