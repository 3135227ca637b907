# 120_s3_failover.pl -- the shared layout in S3: a primary and two streaming standbys archive into
# one bucket (archive_mode = always) on a real Ceph RADOS Gateway; the primary dies, standby1 is
# promoted and carries on, standby2 follows the new timeline through `pg_logship restore` from
# the bucket.
#
# Checks, on the objects in the bucket: every segment of timeline 1 up to the switch point (the
# last one as .partial), every segment of timeline 2, the history file; each object published by
# exactly one server (sum of published_count), the standbys acknowledging the rest; no conflict,
# no quarantine; each archived object restores to the bytes a server has in pg_wal and carries
# its original size and checksum as object metadata; `pg_logship verify --deep` on the bucket
# is happy; and a point-in-time recovery from a base backup, with `restore --prefetch` from the
# bucket, reaches the last committed row.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use Fcntl qw(:flock);
use PgLogshipTest;
use PgLogshipS3;

my $gw     = PgLogshipS3->start;
my $prefix = 'prod';
my $common = "shared_buffers = 16MB\nautovacuum = off\nwal_keep_size = 128MB\n";
my $scratch = PostgreSQL::Test::Utils::tempdir('scratch');
my @from_bucket = ('--archive-dir', $gw->location($prefix), $gw->cli_args);    # restore options

sub add_rows
{
	my ($node, $from, $to) = @_;
	$node->safe_psql('postgres',
		"INSERT INTO known SELECT g, md5(g::text) FROM generate_series($from, $to) g");
}

# ---- primary, base backup, standbys ---------------------------------------------------------

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf',
	$gw->archive_conf($prefix, mode => 'always', server => 'primary', extra => $common));
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION pg_logship');
$primary->safe_psql('postgres', 'CREATE TABLE known (id int PRIMARY KEY, payload text)');
add_rows($primary, 1, 100);
$primary->backup('early');

my @standbys;
for my $name ('standby1', 'standby2')
{
	my $s = PostgreSQL::Test::Cluster->new($name);
	$s->init_from_backup($primary, 'early', has_streaming => 1);
	my $extra = $name eq 'standby2' ? "pg_logship.compression = 'zstd'\n" : '';
	$s->append_conf('postgresql.conf',
		"pg_logship.server_name = '$name'\n$extra" . $gw->restore_conf($prefix));
	$s->start;
	push @standbys, $s;
}
my ($standby1, $standby2) = @standbys;

# ---- load on timeline 1 ---------------------------------------------------------------------

# Each switch follows rows, so it completes a segment: a switch with nothing written since the
# last one may do nothing yet name the current segment (seen on 17 and 18), which is never
# archived then.
my $last_tl1;
for my $i (1 .. 5)
{
	add_rows($primary, 100 + ($i - 1) * 2000 + 1, 100 + $i * 2000);
	$primary->safe_psql('postgres', "INSERT INTO known SELECT -g, repeat('x', 500) FROM generate_series(1, 20000) g ON CONFLICT DO NOTHING") if $i == 3;
	$last_tl1 = switch_wal($primary);
}
add_rows($primary, 20001, 20010);    # the failover comes mid-segment
$primary->wait_for_catchup($_) for @standbys;
wait_archived($_, $last_tl1) for ($primary, @standbys);
my %before = map { $_->name => archive_status($_) } ($primary, @standbys);
is($before{primary}{archive_dir}, $gw->location($prefix), 'archive_status shows the s3:// location');
cmp_ok($before{primary}{published_count}, '>', 0, 'the primary published segments');
is($before{$_}{failed_count}, '0', "$_: no failed attempt") for sort keys %before;

# ---- failover -------------------------------------------------------------------------------

my $primary_end = $primary->safe_psql('postgres', 'SELECT pg_current_wal_insert_lsn()');
$primary->stop('immediate');
my %received = map { $_->name => $_->safe_psql('postgres', 'SELECT pg_last_wal_receive_lsn()') }
  @standbys;
$standby1->promote;
$standby1->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()')
  or die 'standby1 did not finish promotion';
is(current_tli($standby1), 2, 'standby1 is on timeline 2');

for my $i (1 .. 3)
{
	add_rows($standby1, 30000 + $i * 1000, 30000 + $i * 1000 + 999);
	switch_wal($standby1);
}
$standby1->safe_psql('postgres', 'DELETE FROM known WHERE id % 7 = 0');
my $last_tl2 = switch_wal($standby1);
wait_archived($standby1, $last_tl2);
my $want = table_checksum($standby1, 'known', 'id');

my $follows = $standby2->safe_psql('postgres',
	"SELECT '$received{standby2}'::pg_lsn <= '$received{standby1}'::pg_lsn") eq 't';
SKIP:
{
	skip 'standby2 received more WAL than standby1 before the crash; it cannot follow', 3
	  unless $follows;
	ok( $standby2->poll_query_until('postgres',
			"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY id)), '') FROM known t",
			$want),
		'standby2 followed timeline 2 through the bucket');
	ok($standby2->log_contains(qr/restored log file "00000002\.history" from archive/),
		'standby2 restored the history file from the bucket');
	wait_archived($standby2, $last_tl2);
	pass('standby2 acknowledged what it restored');
}

# ---- the bucket -----------------------------------------------------------------------------

my @keys = $gw->s3_keys("$prefix/");
note('bucket: ' . join(' ', @keys));
my @files = map { m{^\Q$prefix\E/wal/(.+)$} ? $1 : () } @keys;
my @elsewhere = grep { !m{^\Q$prefix\E/(wal|claims)/} } @keys;
is_deeply(\@elsewhere, [], 'nothing but wal/ and claims/ objects (no quarantine, no probe key)');
is_deeply([ map { m{/claims/(.+)$} ? $1 : () } @keys ], [ 'primary', 'standby1', 'standby2' ],
	'each server claimed its name');
my (%segs, %partials);
for my $f (@files)
{
	my ($tli, $segno) = parse_seg($f);
	next unless defined $tli;
	push @{ ($f =~ /\.partial$/ ? \%partials : \%segs)->{$tli} }, $segno;
}
my $history = slurp_file($standby1->data_dir . '/pg_wal/00000002.history');
my ($switch_lsn) = $history =~ m{^1\t([0-9A-F]+/[0-9A-F]+)\t};
my $switch_seg = lsn_segno($switch_lsn);
is_deeply([ sort { $a <=> $b } @{ $segs{1} } ], [ 1 .. $switch_seg - 1 ],
	'timeline 1: every segment up to the switch point once');
is_deeply($partials{1}, [$switch_seg], 'timeline 1: the switch segment as .partial');
my (undef, $last_tl2_segno) = parse_seg($last_tl2);
is_deeply([ sort { $a <=> $b } @{ $segs{2} } ], [ $switch_seg .. $last_tl2_segno ],
	'timeline 2: every segment once');
ok((grep { $_ eq '00000002.history' } @files), '00000002.history in the bucket');
is(restored_md5('00000002.history', @from_bucket), file_md5($standby1->data_dir . '/pg_wal/00000002.history'),
	'the history file restores to standby1\'s');

# Content: what the servers still hold in pg_wal, and the object metadata.
my $compared = 0;
for my $node (@standbys)
{
	my $pg_wal = $node->data_dir . '/pg_wal';
	for my $f (@files)
	{
		next unless -f "$pg_wal/$f" && -f "$pg_wal/archive_status/$f.done";
		is(restored_md5($f, @from_bucket), file_md5("$pg_wal/$f"), $node->name . ": $f restores identical");
		$compared++;
	}
}
cmp_ok($compared, '>', 0, "compared $compared objects with pg_wal copies");
my ($hs, $h) = $gw->s3_head("$prefix/wal/" . seg_name(2, $last_tl2_segno));
is($hs, 200, 'HEAD of a segment object');
is($h->{'x-amz-meta-pgls-original-size'}, 16 * 1024 * 1024, 'its original size is in its metadata');
like($h->{'x-amz-meta-pgls-xxh3-128'} // '', qr/^[0-9a-f]{32}$/, 'its XXH3-128 is in its metadata');

my %after = map { $_->name => archive_status($_) } @standbys;
$after{primary} = $before{primary};
my $published = 0;
for my $n (sort keys %after)
{
	my $st = $after{$n};
	is($st->{conflict_count}, '0', "$n: no conflict");
	is($st->{archived_count}, $st->{published_count} + $st->{acknowledged_count},
		"$n: every archived file published or acknowledged");
	$published += $st->{published_count};
}
is($published, scalar(@files), 'each object was published by exactly one server');
cmp_ok($after{standby1}{acknowledged_count}, '>', 0, 'standby1 acknowledged the primary\'s objects');

my ($rc, $out, $err) =
  run_cmd(pgls_bin(), 'verify', '--archive-dir', $gw->location($prefix), $gw->cli_args, '--deep');
is($rc, 0, 'verify --deep on the bucket: exit 0');
like($out, qr/\narchive ok\n\z/, 'verify --deep on the bucket: archive ok');
like($out, qr/^timeline 2: \Q@{[seg_name(2, $switch_seg)]} .. $last_tl2\E/m,
	'verify: timeline 2 summary');

# ---- point-in-time recovery from the bucket, prefetching -----------------------------------

my $pitr = PostgreSQL::Test::Cluster->new('pitr');
$pitr->init_from_backup($primary, 'early');
$pitr->append_conf('postgresql.conf',
	"archive_mode = off\npg_logship.server_name = 'pitr'\n"
	  . $gw->restore_conf($prefix, extra => '--prefetch 4')
	  . "recovery_target_timeline = 'latest'\n");
$pitr->set_recovery_mode;
$pitr->start;
$pitr->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()')
  or die 'point-in-time recovery did not end';
is(current_tli($pitr), 3, 'recovery followed timeline 2 and opened timeline 3');
is(table_checksum($pitr, 'known', 'id'), $want, 'recovered rows match the new primary (count and md5)');
# The prefetcher writes its counters to .stats as it goes.
my ($served, $errors, $workers) = (0, 0);
for (1 .. 600)
{
	my $path = $pitr->data_dir . '/pg_wal/pgls_prefetch/.stats';
	my $stats = -f $path ? slurp_file($path) : '';
	($served)  = $stats =~ /^served_from_spool: (\d+)$/m;
	($errors)  = $stats =~ /^errors: (\d+)$/m;
	($workers) = $stats =~ /^workers: (\d+)$/m;
	last if ($served // 0) > 0;
	select(undef, undef, undef, 0.1);
}
is($workers, 4, 'the prefetcher of an s3:// archive runs 4 workers by default');
cmp_ok($served // 0, '>', 0, 'restore served segments that the prefetcher fetched from the bucket');
is($errors // 0, 0, 'the prefetcher had no errors');

# A restore call that finds its segment in the spool sends nothing and loads no S3 library:
# loading libcurl and initialising it with OpenSSL took about 9 ms of each such call, on
# recovery's critical path. The dynamic linker says what it initialises (LD_DEBUG=libs). The
# spool's lock is held here, so that the call starts no prefetcher.
my $seg = $last_tl2;    # complete, and in standby1's pg_wal (wal_keep_size)
mkdir "$scratch/sp";
mkdir "$scratch/sp/pg_wal";
mkdir "$scratch/sp/pg_wal/pgls_prefetch";
PostgreSQL::Test::Utils::system_or_bail('cp', $standby1->data_dir . "/pg_wal/$seg", "$scratch/sp/orig");
PostgreSQL::Test::Utils::system_or_bail('cp', "$scratch/sp/orig", "$scratch/sp/pg_wal/pgls_prefetch/$seg");
open(my $lock, '>>', "$scratch/sp/pg_wal/pgls_prefetch/.lock") or die;
flock($lock, LOCK_EX) or die;
{
	local $ENV{LD_DEBUG} = 'libs';
	my ($rc, undef, $err) = run_cmd(pgls_bin(), 'restore', '--prefetch', '4', '--archive-dir',
		$gw->location($prefix), $gw->cli_args, $seg, "$scratch/sp/pg_wal/RECOVERYXLOG");
	is($rc, 0, 'a spooled segment restores with an s3:// archive');
	is(file_md5("$scratch/sp/pg_wal/RECOVERYXLOG"), file_md5("$scratch/sp/orig"),
		'the spooled segment is what recovery gets');
	unlike($err, qr/calling init: \S*libcurl/, 'serving it from the spool loads no libcurl');
	($rc, undef, $err) = run_cmd(pgls_bin(), 'restore', '--archive-dir', $gw->location($prefix),
		$gw->cli_args, $seg, "$scratch/sp/direct");
	is($rc, 0, 'the same segment restores from the bucket');
	like($err, qr/calling init: \S*libcurl/, 'which loads libcurl (the check above can fail)');
}
close $lock;

$pitr->stop;
$standby2->stop;
$standby1->stop;
$gw->stop;
done_testing();
