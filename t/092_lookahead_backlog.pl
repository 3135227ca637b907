# 092_lookahead_backlog.pl -- the look-ahead reads pg_wal/archive_status once per batch, not once
# per file.
#
# A primary with 1 MiB segments (initdb --wal-segsize=1) builds a backlog of 2,000 segments while
# pg_logship.archive_dir is not set (check_configured is false: the archiver makes no attempt),
# then archives it with two archive workers. Before, every offered file made the look-ahead read
# the whole directory: 2,000 scans of up to 2,000 names. Now one scan fills a batch of 64 names:
#
#   - every segment of the backlog is archived (the exact set of names), sampled segments decode
#     to the bytes still in pg_wal (md5), and the workers did part of the work;
#   - archive_status.lookahead_scans is far below the number of files archived (at most one scan
#     per 16 files; about one per 64 is expected, plus a few at the end of the backlog).
# No timing is asserted.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PgLogshipTest;

my $backlog = 2000;
my $archive = new_archive_dir('archive');

my $node = PostgreSQL::Test::Cluster->new('primary');
$node->init(allows_streaming => 1, extra => ['--wal-segsize=1']);
$node->append_conf(
	'postgresql.conf',
	archive_conf(
		'', server => 'primary',
		extra => "pg_logship.archive_workers = 2\npg_logship.compression = lz4\n"
		  . "max_wal_size = '4GB'\nmin_wal_size = '8MB'\ncheckpoint_timeout = '1h'\n"
		  . "autovacuum = off\n"));
$node->start;

# The backlog: a logical message before each switch, so that every switch ends a segment.
$node->safe_psql('postgres',
	"DO \$\$ BEGIN FOR i IN 1..$backlog LOOP
		PERFORM pg_logical_emit_message(false, 'pgls-test', 'x');
		PERFORM pg_switch_wal();
	 END LOOP; END \$\$");
my @ready = ready_files($node);
cmp_ok(scalar(@ready), '>=', $backlog, scalar(@ready) . " files wait to be archived");
my %md5;
for my $i (map { int($_ * $#ready / 19) } 0 .. 19)
{
	$md5{ $ready[$i] } = file_md5($node->data_dir . "/pg_wal/$ready[$i]");
}

$node->safe_psql('postgres', 'CREATE EXTENSION pg_logship');
is($node->safe_psql('postgres', 'SELECT archived_count FROM pg_stat_archiver'),
	0, 'nothing was archived while archive_dir was not set');

$node->safe_psql('postgres', "ALTER SYSTEM SET pg_logship.archive_dir = '$archive'");
$node->reload;
pgls_wait_ready_empty($node);

my $st = archive_status($node);
is_deeply([ grep { $_ le $ready[-1] } archive_files("$archive/wal") ],
	\@ready, 'every file of the backlog is in the archive');
cmp_ok($st->{archived_count}, '>=', scalar(@ready), "archived_count $st->{archived_count}");
is($st->{failed_count}, 0, 'no failed attempt');
cmp_ok($st->{worker_files}, '>', 0, "the workers archived files ($st->{worker_files})");
my $bad = grep { archived_md5("$archive/wal", $_) ne $md5{$_} } sort keys %md5;
is($bad, 0, 'sampled segments decode to the bytes in pg_wal');

cmp_ok($st->{lookahead_scans}, '>', 0, "the look-ahead scanned ($st->{lookahead_scans} times)");
cmp_ok($st->{lookahead_scans} * 16,
	'<=', $st->{archived_count},
	"one directory scan per batch: $st->{lookahead_scans} scans for $st->{archived_count} files");

$node->stop;
done_testing();
