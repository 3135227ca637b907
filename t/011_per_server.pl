# 011_per_server.pl -- archive_layout = per_server: a primary and two streaming standbys, each
# archiving (archive_mode = always) into its own folder <archive>/servers/<name>/; failover to
# standby1.
#
# Checks that each server's folder holds exactly what that server archived (its counters, its
# pg_wal/archive_status/*.done files, byte-identical to what is still in its pg_wal), that the
# standbys' folders hold the segments they received, that the same file is identical in every
# folder holding it, that `pg_logship verify --layout per_server --server X` passes for each, and
# that a point-in-time recovery from the primary's and standby1's folders reaches the last
# committed row.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use PgLogshipTest;

my $archive = new_archive_dir('archive');
sub folder { return "$archive/servers/$_[0]" }

my $common = qq(
shared_buffers = 16MB
autovacuum = off
wal_keep_size = 128MB
);

# ---- helpers --------------------------------------------------------------------------------

# Full segment numbers of timeline $tli in a list of names.
sub segnos
{
	my ($tli, @names) = @_;
	my @n;
	for (@names)
	{
		next unless /^[0-9A-F]{24}$/;
		my ($t, $s) = parse_seg($_);
		push @n, $s if $t == $tli;
	}
	return sort { $a <=> $b } @n;
}

sub add_known_rows
{
	my ($node, $from, $to) = @_;
	$node->safe_psql('postgres',
		"INSERT INTO known SELECT g, md5(g::text) FROM generate_series($from, $to) g");
}

sub checksums
{
	my ($node) = @_;
	return {
		accounts => table_checksum($node, 'pgbench_accounts', 'aid'),
		history  => table_checksum($node, 'pgbench_history',  't::text'),
		known    => table_checksum($node, 'known',            'id'),
	};
}

# Names of the files $node's archive_status says were archived (.done) and still in its pg_wal.
# restore options for server $server's folder.
sub per_server
{
	my ($server) = @_;
	return ('--archive-dir', $archive, '--layout', 'per_server', '--server', $server);
}

sub done_files
{
	my ($node) = @_;
	my $dir = $node->data_dir . '/pg_wal/archive_status';
	opendir(my $dh, $dir) or die "opendir $dir: $!";
	my @done = sort grep { -f $node->data_dir . "/pg_wal/$_" } map { /^(.+)\.done$/ ? $1 : () }
	  readdir($dh);
	closedir($dh);
	return @done;
}

sub run_verify
{
	my ($server, @more) = @_;
	my ($out, $err) = ('', '');
	my $ok = IPC::Run::run(
		[
			pgls_bin(),  'verify', '--archive-dir', $archive, '--layout',
			'per_server', '--server', $server, @more
		],
		'>', \$out, '2>', \$err);
	return ($ok, $out, $err);
}

# ---- primary, base backup, standbys ---------------------------------------------------------

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf',
	archive_conf($archive, mode => 'always', layout => 'per_server', server => 'primary',
		extra => $common));
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION pg_logship');
$primary->safe_psql('postgres', 'CREATE TABLE known (id int PRIMARY KEY, payload text)');
add_known_rows($primary, 1, 100);
$primary->backup('early');

# Standbys fall back on the primary's folder, then the new primary's.
my $restore = restore_conf($archive, layout => 'per_server', servers => [ 'primary', 'standby1' ]);
my @standbys;
for my $name ('standby1', 'standby2')
{
	my $s = PostgreSQL::Test::Cluster->new($name);
	$s->init_from_backup($primary, 'early', has_streaming => 1);
	# standby2 stores without compression: folders are compared by restored content.
	my $extra = $name eq 'standby2' ? "pg_logship.compression = 'none'\n" : '';
	$s->append_conf('postgresql.conf', "pg_logship.server_name = '$name'\n$extra" . $restore);
	$s->start;
	push @standbys, $s;
}
my ($standby1, $standby2) = @standbys;

# ---- load on timeline 1 ---------------------------------------------------------------------

$primary->command_ok([ 'pgbench', '-i', '-s', '1', '-q', 'postgres' ], 'pgbench -i -s 1');
switch_wal($primary);
$primary->command_ok([ 'pgbench', '-T', '2', '-c', '2', '-j', '2', 'postgres' ],
	'pgbench -T 2 on the primary');
add_known_rows($primary, 101, 1000);
switch_wal($primary);
add_known_rows($primary, 1001, 1500);
my $last_tl1_switched = switch_wal($primary);
add_known_rows($primary, 1501, 1510);

$primary->wait_for_catchup($_) for @standbys;
wait_archived($_, $last_tl1_switched) for ($primary, @standbys);
my $primary_status = archive_status($primary);
my $primary_end = $primary->safe_psql('postgres', 'SELECT pg_current_wal_insert_lsn()');
my %received;

# ---- failover -------------------------------------------------------------------------------

$primary->stop('immediate');
$received{$_->name} = $_->safe_psql('postgres', 'SELECT pg_last_wal_receive_lsn()') for @standbys;
note("primary ended at $primary_end; received: "
	  . join(', ', map { "$_ $received{$_}" } sort keys %received));

$standby1->promote;
$standby1->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()')
  or die 'standby1 did not finish promotion';

$standby1->command_ok([ 'pgbench', '-T', '2', '-c', '2', '-j', '2', 'postgres' ],
	'pgbench -T 2 on the new primary');
add_known_rows($standby1, 1511, 2000);
switch_wal($standby1);
add_known_rows($standby1, 2001, 2500);
$standby1->safe_psql('postgres', "UPDATE known SET payload = 'updated' WHERE id % 3 = 0");
my $last_tl2_switched = switch_wal($standby1);
wait_archived($standby1, $last_tl2_switched);
my $want = checksums($standby1);
is($want->{known} =~ /^(\d+):/ ? $1 : -1, 2500, 'the new primary has all known rows');

# standby2 follows timeline 2 from standby1's folder.
# (If the crash cut the stream so that standby2 got more than standby1, it cannot follow: a race
# too rare to fail for, but it skips those checks.)
my $follows = $standby2->safe_psql('postgres',
	"SELECT '$received{standby2}'::pg_lsn <= '$received{standby1}'::pg_lsn") eq 't';
SKIP:
{
	skip 'standby2 received more WAL than standby1 before the crash; it cannot follow', 1
	  unless $follows;
	ok( $standby2->poll_query_until('postgres',
			"SELECT count(*) || ':' || md5(string_agg(t::text, ',' ORDER BY id)) FROM known t",
			$want->{known}),
		'standby2 followed timeline 2 through standby1\'s folder');
	# archive_mode = always archives what was restored, into standby2's own folder.
	wait_archived($standby2, $last_tl2_switched);
}

# ---- the folders ----------------------------------------------------------------------------

ok(!-e "$archive/wal",        'nothing in the shared folder');
ok(!-e "$archive/quarantine", 'no quarantine');
is_deeply([ archive_temp_files($archive) ], [], 'no temp files under the archive');
opendir(my $dh, "$archive/servers") or die;
is_deeply([ sort grep { !/^\./ } readdir($dh) ], [qw(primary standby1 standby2)],
	'one folder per server');
closedir($dh);

my %status = (primary => $primary_status, map { $_->name => archive_status($_) } @standbys);
my %files = map { $_ => [ archive_files(folder($_)) ] } qw(primary standby1 standby2);
for my $n (sort keys %files)
{
	note("$n: @{ $files{$n} }");
}

my (undef, $last_tl1_segno) = parse_seg($last_tl1_switched);
my (undef, $last_tl2_segno) = parse_seg($last_tl2_switched);
my $history = slurp_file($standby1->data_dir . '/pg_wal/00000002.history');
my ($switch_lsn) = $history =~ m{^1\t([0-9A-F]+/[0-9A-F]+)\t} or die "bad history: $history";
my $switch_seg = lsn_segno($switch_lsn);
is($switch_seg, lsn_segno($primary_end), 'the switch point is in the primary\'s last segment');
note("switch point $switch_lsn, segment " . seg_name(1, $switch_seg));

# What each server archived, by its own account: counters and the .done files in its pg_wal.
for my $node ($primary, @standbys)
{
	my $n  = $node->name;
	my $st = $status{$n};
	my @f  = @{ $files{$n} };
	note("$n: published $st->{published_count}, acknowledged $st->{acknowledged_count}, "
		  . "archived $st->{archived_count}, conflicts $st->{conflict_count}, "
		  . "last $st->{last_archived_wal}");
	is($st->{archive_layout}, 'per_server', "$n: layout per_server");
	is($st->{server_name},    $n,           "$n: server_name");
	is($st->{conflict_count}, '0',          "$n: no conflict");
	is($st->{failed_count},   '0',          "$n: no failed archive attempt");
	is($st->{archived_count}, $st->{published_count} + $st->{acknowledged_count},
		"$n: every archived file was published or acknowledged");
	is(scalar(@f), $st->{published_count}, "$n: its folder holds the files it published");
	ok(grep({ $_ eq $st->{last_archived_wal} } @f), "$n: last archived $st->{last_archived_wal} is in its folder");

	my @done = done_files($node);
	cmp_ok(scalar(@done), '>', 0, "$n: has .done files in pg_wal");
	my %in_folder = map { $_ => 1 } @f;
	my @missing = grep { !$in_folder{$_} } @done;
	is_deeply(\@missing, [], "$n: every .done file of its pg_wal is in its folder");
	my @differ = grep {
		$in_folder{$_}
		  && (restored_md5($_, per_server($n)) // 'failed') ne file_md5($node->data_dir . "/pg_wal/$_")
	} @done;
	is_deeply(\@differ, [],
		"$n: and restores identical to its pg_wal copy (" . scalar(@done) . ' compared)');

	# No gap in what it archived, per timeline.
	for my $tli (1, 2)
	{
		my @s = segnos($tli, @f);
		next unless @s;
		is_deeply(\@s, [ $s[0] .. $s[-1] ], "$n: timeline $tli segments have no gap");
	}
}

# The primary: timeline 1 from the first segment to the last it switched.
is_deeply([ segnos(1, @{ $files{primary} }) ], [ 1 .. $last_tl1_segno ],
	"primary: timeline 1 from the first segment to $last_tl1_switched");
is_deeply([ segnos(2, @{ $files{primary} }) ], [], 'primary: nothing of timeline 2');

# The standbys: every complete timeline 1 segment they received, from the backup's start on.
my $backup_label = slurp_file($primary->backup_dir . '/early/backup_label');
my ($backup_start) = $backup_label =~ /^START WAL LOCATION: \S+ \(file ([0-9A-F]{24})\)/m
  or die "no start in backup_label";
my (undef, $backup_segno) = parse_seg($backup_start);
for my $n ('standby1', 'standby2')
{
	is_deeply([ segnos(1, @{ $files{$n} }) ], [ $backup_segno .. $switch_seg - 1 ],
		"$n: timeline 1 from the backup's $backup_start to the one before the switch point");
}
ok(grep({ $_ eq seg_name(1, $switch_seg) . '.partial' } @{ $files{standby1} }),
	'standby1: the switch segment as .partial');
ok(grep({ $_ eq '00000002.history' } @{ $files{standby1} }), 'standby1: 00000002.history');
is_deeply([ segnos(2, @{ $files{standby1} }) ], [ $switch_seg .. $last_tl2_segno ],
	"standby1: timeline 2 from the switch point to $last_tl2_switched");
SKIP:
{
	skip 'standby2 could not follow', 1 unless $follows;
	is_deeply([ segnos(2, @{ $files{standby2} }) ], [ $switch_seg .. $last_tl2_segno ],
		'standby2: timeline 2 as restored from standby1\'s folder');
}

# The same file is the same in every folder.
my %seen;
for my $n (sort keys %files)
{
	push @{ $seen{$_} }, $n for @{ $files{$n} };
}
my ($shared, @differ) = (0);
for my $f (sort keys %seen)
{
	my @in = @{ $seen{$f} };
	next if @in < 2;
	$shared++;
	my %md5 = map { (restored_md5($f, per_server($_)) // "failed in $_") => 1 } @in;
	push @differ, "$f (@in)" if keys %md5 > 1;
}
cmp_ok($shared, '>', 5, "$shared files are in more than one folder");
is_deeply(\@differ, [], 'and restore identical from each');

# ---- verify, each folder --------------------------------------------------------------------

for my $n (qw(primary standby1 standby2))
{
	my ($ok, $out, $err) = run_verify($n);
	note($out);
	ok($ok, "verify --layout per_server --server $n exits 0");
	like($out, qr/\narchive ok\n\z/, "verify --server $n: archive ok");
	like($out, qr{^archive folder: \Q$archive\E/servers/$n$}m, "verify --server $n: its folder");
	($ok, $out, $err) = run_verify($n, '--deep');
	ok($ok, "verify --deep --layout per_server --server $n exits 0");
	like($out, qr/\narchive ok\n\z/, "verify --deep --server $n: archive ok");
}
{
	# A folder that does not exist is not "ok".
	my ($ok, $out, $err) = run_verify('nobody');
	ok(!$ok, 'verify of a server without a folder fails');
}

# ---- point-in-time recovery from the primary's and standby1's folders -----------------------

my $pitr = PostgreSQL::Test::Cluster->new('pitr');
$pitr->init_from_backup($primary, 'early');
$pitr->append_conf('postgresql.conf',
	"archive_mode = off\npg_logship.server_name = 'pitr'\n"
	  . restore_conf($archive, layout => 'per_server', servers => [ 'primary', 'standby1' ])
	  . "recovery_target_timeline = 'latest'\n");
$pitr->set_recovery_mode;
$pitr->start;
$pitr->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()')
  or die 'point-in-time recovery did not end';
is( hex(substr($pitr->safe_psql('postgres', 'SELECT pg_walfile_name(pg_current_wal_lsn())'), 0, 8)),
	3, 'recovery followed timeline 2 and opened timeline 3');
is_deeply(checksums($pitr), $want, 'recovered tables match the new primary (counts and md5)');
ok(!-e folder('pitr'), 'the recovered node archived nothing');

$pitr->stop;
$standby2->stop;
$standby1->stop;

done_testing();
