# 121_s3_races.pl -- many archivers of the same segments into one bucket publish exactly one copy
# of each, and a different object already under a segment's key is never overwritten.
#
# Part 1: a source server builds a backlog of .ready segments with archiving off, and stops. Four
# clones of its data directory (same system identifier, byte-identical segments) start with
# their own server names and no archive location (the archiver waits); then all four get the
# same s3:// location by one reload each, at once, and race on every segment. Afterwards every
# segment is in the bucket exactly once with the source's bytes, the clones' published_count
# sum to the number of objects (each conditional PUT that lost got 412 and compared instead of
# overwriting), every clone archived or acknowledged every file, and nothing conflicted. Round 2
# gives the clones different compressions: still one copy each, still no conflict.
#
# Part 2: a different object (another segment's archived copy) is put under a segment's key
# before a primary archives it. The primary reports the conflict, keeps its WAL, and saves its
# copy under quarantine/<server>/; the object under the key is byte for byte what was put there.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Digest::MD5 ();

use PgLogshipTest;
use PgLogshipS3;

my $gw       = PgLogshipS3->start;
my $n_clones = 4;
my $scratch  = PostgreSQL::Test::Utils::tempdir('scratch');

# ---- the source -----------------------------------------------------------------------------

my $src = PostgreSQL::Test::Cluster->new('source');
$src->init(allows_streaming => 1);
$src->append_conf('postgresql.conf',
	"shared_preload_libraries = 'pg_logship'\narchive_mode = on\narchive_library = 'pg_logship'\n"
	  . "wal_keep_size = '1GB'\n" . $gw->settings_conf);
$src->start;
$src->safe_psql('postgres', 'CREATE EXTENSION pg_logship; CREATE TABLE t (i int, filler text)');
for my $i (1 .. 5)
{
	$src->safe_psql('postgres',
		"INSERT INTO t SELECT g, repeat('x', 100) FROM generate_series(1, 2000 * $i) g; SELECT pg_switch_wal()");
}
$src->stop;
my @segments = ready_files($src);
cmp_ok(scalar(@segments), '>=', 5, 'the source has a backlog of .ready segments');
my %src_md5 = map { $_ => file_md5($src->data_dir . "/pg_wal/$_") } @segments;
$src->backup_fs_cold('cold');

# ---- part 1: the races ----------------------------------------------------------------------

my @clones = map { PostgreSQL::Test::Cluster->new("clone$_") } 1 .. $n_clones;
for my $round (1, 2)
{
	my $prefix = "race$round";
	for my $i (0 .. $#clones)
	{
		my $c = $clones[$i];
		$c->init_from_backup($src, 'cold');
		my $compression = $round == 2 ? (qw(none lz4 zstd))[ $i % 3 ] : 'lz4';
		$c->append_conf('postgresql.conf',
			"pg_logship.server_name = 'clone@{[$i + 1]}'\npg_logship.compression = '$compression'\n"
			  . "shared_buffers = '16MB'\nmax_connections = 10\n");
		$c->start;
		is_deeply([ ready_files($c) ], \@segments, "round $round: " . $c->name . ' has the backlog');
	}
	is_deeply([ $gw->s3_keys("$prefix/") ], [], "round $round: nothing archived yet");

	# One location for all, then every server reloads at once: the archivers race.
	for my $c (@clones)
	{
		open(my $fh, '>>', $c->data_dir . '/postgresql.conf') or die;
		print $fh "pg_logship.archive_dir = '" . $gw->location($prefix) . "'\n";
		close $fh;
	}
	kill 'HUP', map { $_->{_pid} } @clones;
	pgls_wait_ready_empty($_) for @clones;

	my @files = map { m{^\Q$prefix\E/wal/(.+)$} ? $1 : () } $gw->s3_keys("$prefix/");
	is_deeply(\@files, \@segments, "round $round: each segment once in the bucket");
	is(restored_md5($_, '--archive-dir', $gw->location($prefix),
			$gw->cli_args), $src_md5{$_}, "round $round: $_ has the source's bytes")
	  for @segments;
	my ($published, $conflicts) = (0, 0);
	for my $c (@clones)
	{
		my $st = archive_status($c);
		note($c->name . ": published $st->{published_count}, acknowledged $st->{acknowledged_count}");
		$published += $st->{published_count};
		$conflicts += $st->{conflict_count};
		is($st->{published_count} + $st->{acknowledged_count}, scalar(@segments),
			"round $round: " . $c->name . ' archived or acknowledged every segment');
	}
	is($published, scalar(@segments), "round $round: exactly one publisher per object");
	is($conflicts, 0, "round $round: no conflict");
	is_deeply([ grep { m{/quarantine/} } $gw->s3_keys("$prefix/") ], [],
		"round $round: nothing quarantined");
	$_->stop('immediate') for @clones;
	$_->{_pid} = undef for @clones;
	PostgreSQL::Test::Utils::system_or_bail('rm', '-rf', $_->data_dir) for @clones;
}

# ---- part 2: a different object under a segment's key ---------------------------------------

my $prefix = 'conflict';
my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init_from_backup($src, 'cold');
$primary->append_conf('postgresql.conf', "pg_logship.server_name = 'primary'\n");
# Another segment's archived object (from round 1) under the first segment's key.
my ($victim, $other) = @segments[ 0, 1 ];
my ($gs, $foreign) = $gw->s3_get("race1/wal/$other");
is($gs, 200, 'got an archived object to plant');
is($gw->s3_put("$prefix/wal/$victim", $foreign), 200, "planted a different object as $victim");
$primary->append_conf('postgresql.conf',
	"pg_logship.archive_dir = '" . $gw->location($prefix) . "'\n");
$primary->start;
$primary->wait_for_log(qr/archive already holds a different "\Q$victim\E"/);
pass('the primary reports the conflict');
my ($qs, $qcopy) = $gw->s3_get("$prefix/quarantine/primary/$victim");
is($qs, 200, "its copy is saved as quarantine/primary/$victim");
# What the quarantined object holds: restored from a local copy of it.
mkdir "$scratch/q";
mkdir "$scratch/q/wal";
open(my $qfh, '>', "$scratch/q/wal/$victim") or die;
binmode $qfh;
print $qfh $qcopy;
close $qfh;
my ($qrc) = run_cmd(pgls_bin(), 'restore', '--archive-dir', "$scratch/q", $victim, "$scratch/qout");
is($qrc, 0, 'the quarantined copy restores');
is(file_md5("$scratch/qout"), $src_md5{$victim}, 'the quarantined copy is the primary\'s segment');
my ($ks, $kept) = $gw->s3_get("$prefix/wal/$victim");
is($ks, 200, 'the planted object is still there');
is(Digest::MD5::md5_hex($kept), Digest::MD5::md5_hex($foreign), 'byte for byte (never overwritten)');
ok((grep { $_ eq $victim } ready_files($primary)), "$victim stays in pg_wal (.ready): the primary refuses");
my $st = archive_status($primary);
cmp_ok($st->{conflict_count}, '>=', 1, 'conflict_count counts it');
is($st->{last_conflict_file}, $victim, 'last_conflict_file names it');
my ($rc, $out) = run_cmd(pgls_bin(), 'verify', '--archive-dir', $gw->location($prefix), $gw->cli_args);
like($out, qr/problem: quarantine\/primary\/\Q$victim\E: server primary's copy/,
	'verify reports the quarantined copy');

$primary->stop('immediate');
$gw->stop;
done_testing();
