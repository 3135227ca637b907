# 020_concurrent_archivers.pl -- many archivers offering the same files at once publish exactly
# one intact copy of each.
#
# A source server builds a backlog of .ready segments while archiving is held back (its
# pg_logship.archive_dir does not exist), then stops cleanly. Each round, eight clones of its data
# directory (same system identifier, same .ready segments, byte-identical segment files) start
# with their own server_name and an archive_dir that does not exist yet: their archivers fail
# (three attempts each, counted) and wait. Then the archive directory is created and all eight archivers are woken by one kill(SIGHUP)
# call, so they race on every segment, oldest first (with pg_logship.archive_workers, each
# clone's archive workers join the race with look-ahead jobs). Afterwards each segment must be in
# <archive>/wal exactly once with the source's bytes, exactly one clone must have published each
# file (sum of published_count == number of files), every clone must have archived or
# acknowledged every file, and there must be no temp file, no conflict, no quarantine and no
# failed attempt after the directory was created.
# Archived files carry a header and may be compressed: "the source's bytes" means what
# `pg_logship restore` decodes (and checks) from them. Odd rounds use the default compression on
# every clone; even rounds give the clones different compressions (none, lz4, zstd), which must
# still agree that they archive the same content (no conflict).
use strict;
use warnings;
use File::Path qw(rmtree);
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PgLogshipTest;

my $n_clones   = 8;
my $n_rounds   = 4;
my $n_segments = 6;
my $seg_size   = 16 * 1024 * 1024;

sub archiver_pid
{
	my ($node) = @_;
	my $pid;
	for (1 .. 300)
	{
		$pid = $node->safe_psql('postgres',
			q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'archiver'});
		return $pid if $pid =~ /^\d+$/;
		select(undef, undef, undef, 0.1);
	}
	die 'no archiver process on ' . $node->name;
}

my $base = PostgreSQL::Test::Utils::tempdir('concurrent');

# --- the source: a backlog of segments that were never archived ------------------------------
my $src = PostgreSQL::Test::Cluster->new('source');
$src->init(allows_streaming => 1);
$src->append_conf('postgresql.conf',
	archive_conf("$base/never", server => 'source') . "wal_keep_size = '1GB'\n");
$src->start;
$src->safe_psql('postgres', 'CREATE EXTENSION pg_logship');
$src->safe_psql('postgres', 'CREATE TABLE t (i int, filler text)');
for my $i (1 .. $n_segments)
{
	$src->safe_psql('postgres',
		"INSERT INTO t SELECT g, repeat('x', 100) FROM generate_series(1, 2000 * $i) g; SELECT pg_switch_wal()"
	);
}
$src->stop;

# At least one segment per pg_switch_wal (the inserts may fill one more on their own).
my @segments = ready_files($src);
cmp_ok(scalar(@segments), '>=', $n_segments, "source has at least $n_segments .ready segments")
  or diag explain \@segments;
$n_segments = scalar(@segments);
my %src_md5;
for my $seg (@segments)
{
	my $path = $src->data_dir . "/pg_wal/$seg";
	is(-s $path, $seg_size, "source segment $seg is a full segment");
	$src_md5{$seg} = file_md5($path);
}
ok(!-e "$base/never", 'the source never created its archive dir');
$src->backup_fs_cold('cold');

my $lost_races = 0;
my @clones = map { PostgreSQL::Test::Cluster->new("clone$_") } 1 .. $n_clones;

for my $round (1 .. $n_rounds)
{
	my $archive = "$base/archive$round";
	my $waldir  = "$archive/wal";
	my $mixed   = $round % 2 == 0;

	# Fresh clones of the source's data directory, archiving into a directory not there yet.
	for my $i (0 .. $#clones)
	{
		my $c = $clones[$i];
		rmtree($c->data_dir);
		$c->init_from_backup($src, 'cold');
		my $compression =
		  $mixed
		  ? "pg_logship.compression = '" . (qw(none lz4 zstd))[ $i % 3 ] . "'\n"
		  : '';
		$c->append_conf(
			'postgresql.conf', qq(
pg_logship.archive_dir = '$archive'
pg_logship.server_name = 'clone@{[$i + 1]}'
shared_buffers = '16MB'
max_connections = 10
wal_keep_size = '1GB'
$compression));
		$c->start;
	}

	# Every archiver is up, has found the archive dir missing, and waits (after its third
	# failed attempt, up to a minute).
	my (@pids, %before);
	for my $c (@clones)
	{
		$c->wait_for_log(qr/pg_logship\.archive_dir "\Q$archive\E" does not exist/);
		$c->wait_for_log(qr/failed too many times, will try again later/);
		push @pids, archiver_pid($c);
		is_deeply([ ready_files($c) ], \@segments,
			"round $round: " . $c->name . ' has the source\'s .ready segments');
	}
	ok(!-e $archive, "round $round: nothing archived before the archive dir exists");
	wait_archiver_resting(@clones);
	$before{ $_->name } = archive_status($_) for @clones;

	# Make the archive possible and wake every archiver at once.
	mkdir($archive) or die "mkdir $archive: $!";
	is(kill('HUP', @pids), $n_clones, "round $round: woke $n_clones archivers");

	pgls_wait_ready_empty($_) for @clones;

	# Exactly one intact copy of each segment, nothing else.
	is_deeply([ archive_files($waldir) ], \@segments,
		"round $round: the archive holds each segment exactly once");
	for my $seg (@segments)
	{
		is(archived_md5($waldir, $seg), $src_md5{$seg},
			"round $round: archived $seg restores to the source's bytes");
	}
	my ($vout, $verr) = ('', '');
	IPC::Run::run([ pgls_bin(), 'verify', '--deep', '--archive-dir', $archive ],
		'>', \$vout, '2>', \$verr);
	is($? >> 8, 0, "round $round: pg_logship verify --deep finds the archive sound")
	  or diag "$vout\n$verr";
	my ($stored) = $vout =~ /^(stored: .*)$/m;
	is_deeply([ archive_temp_files($archive) ], [], "round $round: no temp files left");
	ok(!-e "$archive/quarantine", "round $round: nothing quarantined");
	opendir(my $dh, $waldir) or die "opendir $waldir: $!";
	my @all = sort grep { !/^\.\.?$/ } readdir($dh);
	closedir($dh);
	is_deeply(\@all, \@segments, "round $round: no other entries in the wal folder");

	my ($published, $copies, @publishers) = (0, 0);
	for my $c (@clones)
	{
		my $s    = archive_status($c);
		my $name = $c->name;
		$published += $s->{published_count};
		# Whole segments copied into temp files, whether or not the link won.
		$copies += int($s->{bytes_original} / $seg_size);
		push @publishers, "$name=$s->{published_count}" if $s->{published_count} > 0;
		is($s->{published_count} + $s->{acknowledged_count},
			$n_segments, "round $round: $name published or acknowledged every segment");
		is($s->{conflict_count},   0, "round $round: $name saw no conflict");
		is($s->{io_failure_count}, $before{$name}{io_failure_count},
			"round $round: $name had no I/O failure once the directory existed");
		is($s->{refused_count},    0, "round $round: $name refused nothing");
		is($s->{quarantined_files} // 0, 0, "round $round: $name quarantined nothing");
		is($s->{failed_count}, $before{$name}{failed_count},
			"round $round: $name: no failed archive call once the directory existed");
		is($s->{archived_count}, $n_segments, "round $round: $name: archived_count");
	}
	is($published, $n_segments,
		"round $round: each segment was published by exactly one archiver");
	# Copies beyond the published ones were temp files that lost the link(2) race.
	my $lost = $copies - $published;
	$lost_races += $lost;
	diag "round $round"
	  . ($mixed ? ' (mixed compression)' : '')
	  . ": publishers: @publishers; temp copies that lost the link race: $lost; "
	  . ($stored // 'no "stored:" line');

	$_->stop for @clones;
}

# The race is real: across the rounds some archivers wrote a full temp copy and then found the
# name taken by another (link(2) -> EEXIST -> compare -> acknowledged).
cmp_ok($lost_races, '>', 0, 'some archivers lost a link race and acknowledged instead');

done_testing();
