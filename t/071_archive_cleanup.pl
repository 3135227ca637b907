# 071_archive_cleanup.pl -- safe archive cleanup, and safe_wal_size on a standby.
#
#   primary --+-- A  (slot sa, streaming; has a cascading slot "casc" of its own)
#             +-- B  (slot sb, stopped early: the policy advances its slot, its standby needs
#                     the archive)
#
# Backups b1 (the standbys' base), b2 and b3 (-X none: they need the archive) with
# pg_logship.keep_backups = 2. Checks:
#
#   standby    on A, pg_logship.slots' safe_wal_size of "casc" shrinks by the WAL A received;
#              the core view's stays the same (it measures from 0 during recovery)
#   boundary   with B stopped and its slot advanced, archive_cleanup_boundary() keeps from where
#              B really is (the hold), not from the slot's advanced restart_lsn
#   dry run    archive_cleanup() lists exactly the archived segments older than that, and
#              removes nothing; a pg_monitor member may list but not remove
#   real run   removes exactly what the dry run listed; .backup files stay
#   CLI        `pg_logship cleanup --keep-backups 2` keeps what b2 needs where plain %r would not;
#              an unreadable .backup file makes it exit 2 and remove nothing
#   standby B  started: catches up from the archive and streams, identical rows
#   refusal    an unreadable .backup file in the archive: the worker refuses, slot_health() says
#              so, nothing is removed; once it is gone the worker removes what b1 alone needed
#   PITR       from b2, the oldest kept backup, to a restore point after b3: identical rows
#   holds      an unreadable hold file (slot state): archive_cleanup() refuses, removes nothing
#   standby    archive_cleanup() on a standby is refused
use strict;
use warnings;

use File::Copy qw(copy);
use File::Path qw(make_path);
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use PgLogshipTest;

my $MB      = 1024 * 1024;
my $SEG     = 16 * $MB;
my $archive = new_archive_dir('archive');
my $wal     = "$archive/wal";

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf(
	'postgresql.conf',
	archive_conf(
		$archive,
		mode   => 'on',
		server => 'primary',
		extra  => qq(
shared_buffers = 16MB
autovacuum = off
max_wal_size = 64MB
min_wal_size = 32MB
checkpoint_timeout = 1h
pg_logship.sample_interval = '1s'
wal_receiver_status_interval = '1s'
pg_logship.slot_retention_limit = '64MB'
pg_logship.slot_retention_policy = advance_archived
pg_logship.keep_backups = 2
pg_logship.archive_keep_min_age = 0
pg_logship.archive_cleanup_interval = 0
)));
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION pg_logship');
$primary->safe_psql('postgres', 'CREATE TABLE data (id int PRIMARY KEY, payload text)');
$primary->safe_psql('postgres', q{SELECT pg_create_physical_replication_slot('sa', true)});
$primary->safe_psql('postgres', q{SELECT pg_create_physical_replication_slot('sb', true)});
$primary->backup('b1');

my %standby;
for my $name ('a', 'b')
{
	my $node = PostgreSQL::Test::Cluster->new("standby_$name");
	$node->init_from_backup($primary, 'b1', has_streaming => 1);
	$node->append_conf('postgresql.conf',
		"primary_slot_name = 's$name'\npg_logship.server_name = 'standby_$name'\n"
		  . "max_slot_wal_keep_size = '256MB'\n"
		  # The policy would act on A's own slot "casc" too; the safe_wal_size check wants it still.
		  . "pg_logship.slot_retention_limit = -1\n" . restore_conf($archive));
	$node->start;
	$standby{$name} = $node;
}
my ($sa, $sb) = @standby{ 'a', 'b' };
$primary->wait_for_catchup($_) for ($sa, $sb);

# ---- helpers --------------------------------------------------------------------------------

my $next_id = 1;

sub write_segments
{
	my ($segments) = @_;
	for (1 .. $segments)
	{
		my ($from, $to) = ($next_id, $next_id + 499);
		$next_id = $to + 1;
		$primary->safe_psql('postgres',
			"INSERT INTO data SELECT g, md5(g::text) FROM generate_series($from, $to) g;"
			  . 'SELECT pg_switch_wal();');
	}
}

# Segment number of a segment or .partial name (16 MB segments); undef for other files.
sub segno
{
	my ($name) = @_;
	$name =~ /^[0-9A-F]{8}([0-9A-F]{8})([0-9A-F]{8})(\.partial)?$/ or return undef;
	return hex($1) * 256 + hex($2);
}

sub segments_before
{
	my ($limit_segno) = @_;
	return sort grep { defined segno($_) && segno($_) < $limit_segno } archive_files($wal);
}

# START WAL LOCATION of a backup taken with $primary->backup.
sub backup_start
{
	my ($name) = @_;
	my $label = slurp_file($primary->backup_dir . "/$name/backup_label");
	$label =~ /^START WAL LOCATION: (\S+)/m or die "no start in the backup_label of $name";
	return $1;
}

sub slot_value
{
	my ($node, $slot, $col) = @_;
	return $node->safe_psql('postgres',
		"SELECT $col FROM pg_logship.slots WHERE slot_name = '$slot'");
}

sub run_cli
{
	my @cmd = (pgls_bin(), @_);
	my ($out, $err) = ('', '');
	IPC::Run::run(\@cmd, '>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}

# ---- safe_wal_size on a standby -------------------------------------------------------------

$sa->safe_psql('postgres', q{SELECT pg_create_physical_replication_slot('casc', true)});
my $ours1 = slot_value($sa, 'casc', 'safe_wal_size');
my $core1 = $sa->safe_psql('postgres',
	q{SELECT safe_wal_size FROM pg_replication_slots WHERE slot_name = 'casc'});
my $recv1 = $sa->safe_psql('postgres', 'SELECT pg_last_wal_receive_lsn()');
write_segments(3);
$primary->wait_for_catchup($sa);
my $ours2 = slot_value($sa, 'casc', 'safe_wal_size');
my $core2 = $sa->safe_psql('postgres',
	q{SELECT safe_wal_size FROM pg_replication_slots WHERE slot_name = 'casc'});
my $recv2 = $sa->safe_psql('postgres', 'SELECT pg_last_wal_receive_lsn()');
note("standby A: safe_wal_size ours $ours1 -> $ours2, core $core1 -> $core2, received $recv1 -> $recv2");
cmp_ok($ours2, '<', $ours1, 'standby: safe_wal_size shrinks as WAL arrives');
cmp_ok($ours1 - $ours2, '>=', lsn_value($recv2) - lsn_value($recv1) - $SEG,
	'standby: by about the WAL received');
cmp_ok($ours1, '<=', 256 * $MB + $SEG, 'standby: within max_slot_wal_keep_size');
is($core2, $core1, 'standby: the core view shows a constant');
cmp_ok($core1, '>', $ours1, 'standby: the core view overstates it');
is(slot_value($sa, 'casc', 'wal_status'), 'reserved', 'standby: casc reserved');

# ---- B stops; backups b2, b3 ----------------------------------------------------------------

$primary->wait_for_catchup($sb);
$sb->stop;
my $r_b = $primary->safe_psql('postgres',
	q{SELECT restart_lsn FROM pg_replication_slots WHERE slot_name = 'sb'});
note("sb restart_lsn when B stopped: $r_b");

write_segments(3);
$primary->backup('b2', backup_options => [ '-X', 'none' ]);
write_segments(4);
$primary->backup('b3', backup_options => [ '-X', 'none' ]);
write_segments(2);
my $pitr_rows = table_checksum($primary, 'data', 'id');
$primary->safe_psql('postgres', q{SELECT pg_create_restore_point('after_b3')});
write_segments(2);
my $last = $primary->safe_psql('postgres', 'SELECT pg_walfile_name(pg_switch_wal())');
wait_for_archived($primary, $last);
pgls_wait_ready_empty($primary);

my ($b1_start, $b2_start, $b3_start) = map { backup_start($_) } qw(b1 b2 b3);
note("backups start at b1 $b1_start, b2 $b2_start, b3 $b3_start");
my $seg_rb = int(lsn_value($r_b) / $SEG);
my $seg_b2 = int(lsn_value($b2_start) / $SEG);
cmp_ok($seg_rb, '<', $seg_b2, 'B stopped before b2 started');

# The policy advanced sb past where B is; the hold keeps B's position.
$primary->poll_query_until('postgres',
	q{SELECT last_action = 'advanced' FROM pg_logship.slots WHERE slot_name = 'sb'})
  or die 'sb was not advanced';
is(slot_value($primary, 'sb', 'standby_needs_lsn'), $r_b, 'sb advanced; the hold is at B');
cmp_ok(int(lsn_value(slot_value($primary, 'sb', 'restart_lsn')) / $SEG),
	'>', $seg_b2, "sb's restart_lsn is now past b2's start");

# ---- boundary, dry run, real run ------------------------------------------------------------

my $boundary = $primary->safe_psql('postgres',
	q{SELECT oldest_kept || '|' || kept_by || '|' || kept_lsn || '|' || backups_kept
	    FROM pg_logship.archive_cleanup_boundary()});
note("boundary: $boundary");
my ($oldest_kept, $kept_by, $kept_lsn, $backups_kept) = split /\|/, $boundary;
is($kept_lsn, $r_b, 'boundary: kept from where B is');
like($kept_by, qr/^slot "sb" \(its standby/, 'boundary: kept for sb\'s standby');
is(segno($oldest_kept), $seg_rb, 'boundary: the oldest kept segment is B\'s');
is($backups_kept, 2, 'boundary: two backups kept');

my @before   = archive_files($wal);
my @expected = segments_before($seg_rb);
ok(@expected >= 2, 'dry run: there is something older than B\'s position (' . scalar(@expected) . ' files)');
my @listed = split /\n/, $primary->safe_psql('postgres',
	'SELECT file_name FROM pg_logship.archive_cleanup() ORDER BY 1');
is_deeply(\@listed, \@expected, 'dry run: lists exactly the segments older than B\'s position');
is_deeply([ archive_files($wal) ], \@before, 'dry run: removes nothing');
is($primary->safe_psql('postgres',
		'SELECT count(*) FROM pg_logship.archive_cleanup() WHERE removed'),
	'0', 'dry run: nothing marked removed');

$primary->safe_psql('postgres', 'CREATE ROLE watcher LOGIN IN ROLE pg_monitor');
my ($rc, $out, $err) = $primary->psql('postgres',
	'SET ROLE watcher; SELECT * FROM pg_logship.archive_cleanup(false)');
isnt($rc, 0, 'pg_monitor: may not remove');
like($err, qr/only a superuser may remove archived WAL/, 'pg_monitor: told why');
is($primary->safe_psql('postgres',
		'SET ROLE watcher; SELECT count(*) FROM pg_logship.archive_cleanup(true)'),
	scalar(@expected), 'pg_monitor: may list');
is_deeply([ archive_files($wal) ], \@before, 'pg_monitor: nothing removed');

my @removed = split /\n/, $primary->safe_psql('postgres',
	'SELECT file_name FROM pg_logship.archive_cleanup(dry_run => false) WHERE removed ORDER BY 1');
is_deeply(\@removed, \@expected, 'real run: removed exactly what the dry run listed');
my %gone = map { $_ => 1 } @removed;
is_deeply([ archive_files($wal) ], [ grep { !$gone{$_} } @before ],
	'real run: the archive holds everything else');
is(scalar(grep { /\.backup$/ } archive_files($wal)), 3, 'real run: the three .backup files stay');
ok(-f "$wal/" . (grep { defined segno($_) && segno($_) == $seg_rb } @before)[0],
	'real run: B\'s segment stays');

# ---- the CLI's --keep-backups ---------------------------------------------------------------

my $newest = (grep { defined segno($_) } archive_files($wal))[-1];
($rc, $out) = run_cli('cleanup', '--archive-dir', $archive, '--dry-run', $newest);
my @plain = sort map { s{.*/}{}r } grep { $_ ne '' } split /\n/, $out;
($rc, $out, $err) =
  run_cli('cleanup', '--archive-dir', $archive, '--keep-backups', '2', '--dry-run', $newest);
is($rc, 0, 'CLI --keep-backups: exit 0');
my @protected = sort map { s{.*/}{}r } grep { $_ ne '' } split /\n/, $out;
is_deeply(\@protected, [ segments_before($seg_b2) ],
	'CLI --keep-backups 2: keeps from the start of b2');
ok(scalar(@plain) > scalar(@protected),
	'CLI: plain %r would remove what b2 needs (' . scalar(@plain) . ' vs ' . scalar(@protected) . ')');

my $scratch = PostgreSQL::Test::Utils::tempdir('cli');
make_path("$scratch/wal");
copy("$wal/$_", "$scratch/wal/$_") or die "copy: $!" for segments_before($seg_b2 + 1);
open(my $fh, '>', "$scratch/wal/000000010000000000000001.00000028.backup") or die;
print $fh "garbage\n";
close $fh;
my @scratch_before = archive_files("$scratch/wal");
($rc, $out, $err) = run_cli('cleanup', '--archive-dir', $scratch, '--keep-backups', '2', $newest);
is($rc, 2, 'CLI: an unreadable .backup file: exit 2');
like($err, qr/000000010000000000000001\.00000028\.backup/, 'CLI: names the file');
is_deeply([ archive_files("$scratch/wal") ], \@scratch_before, 'CLI: removed nothing');

# ---- B comes back through the archive -------------------------------------------------------

$sb->start;
$primary->wait_for_catchup($sb, 'replay', $primary->lsn('insert'));
is(table_checksum($sb, 'data', 'id'), table_checksum($primary, 'data', 'id'),
	'B: identical rows after catching up');
ok($sb->log_contains(qr/restored log file "[0-9A-F]{24}" from archive/),
	'B: restored WAL from the archive');
$primary->poll_query_until('postgres',
	q{SELECT active AND standby_needs_lsn IS NULL FROM pg_logship.slots WHERE slot_name = 'sb'})
  or die 'sb did not become active';

# ---- the worker: refusal, then cleanup up to b2 ---------------------------------------------

my $garbage = "$wal/000000010000000000000001.00000028.backup";
open($fh, '>', $garbage) or die;
print $fh "not a backup history file\n";
close $fh;
@before = archive_files($wal);
$primary->safe_psql('postgres', q{ALTER SYSTEM SET pg_logship.archive_cleanup_interval = '1s'});
$primary->reload;
$primary->poll_query_until('postgres',
	q{SELECT count(*) > 0 FROM pg_logship.slot_health()
	   WHERE component = 'archive_cleanup' AND message LIKE '%refused%000000010000000000000001.00000028.backup%'})
  or die 'the worker did not report the refusal';
my @only_b1 = segments_before($seg_b2);
ok(@only_b1 > 0, 'refusal: there is WAL only b1 needed (' . scalar(@only_b1) . ' files)');
is_deeply([ archive_files($wal) ], \@before, 'refusal: the worker removed nothing');
($rc, $out, $err) = $primary->psql('postgres', 'SELECT * FROM pg_logship.archive_cleanup()');
like($err, qr/archive cleanup refused: cannot read backup history file/, 'refusal: the function says why');

unlink $garbage or die "unlink: $!";
$primary->poll_query_until('postgres',
	q{SELECT count(*) = 0 FROM pg_logship.slot_health() WHERE component = 'archive_cleanup'})
  or die 'the worker did not clean up after the refusal';
$primary->safe_psql('postgres', q{ALTER SYSTEM SET pg_logship.archive_cleanup_interval = 0});
$primary->reload;
is_deeply([ segments_before($seg_b2) ], [], 'worker: removed everything older than b2');
ok(-f "$wal/" . (grep { defined segno($_) && segno($_) == $seg_b2 } @before)[0],
	'worker: kept b2\'s first segment');
is(scalar(grep { /\.backup$/ } archive_files($wal)), 3, 'worker: the .backup files stay');
ok($primary->log_contains(qr/pg_logship archive cleanup removed \d+ archived WAL file/),
	'worker: logged what it removed');

# ---- PITR from the oldest kept backup -------------------------------------------------------

my $pitr = PostgreSQL::Test::Cluster->new('pitr');
$pitr->init_from_backup($primary, 'b2');
$pitr->append_conf(
	'postgresql.conf', qq(
archive_mode = off
pg_logship.server_name = 'pitr'
pg_logship.archive_cleanup_interval = 0
recovery_target_name = 'after_b3'
recovery_target_action = 'promote'
) . restore_conf($archive));
$pitr->set_recovery_mode;
$pitr->start;
$pitr->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()')
  or die 'PITR did not finish';
is(table_checksum($pitr, 'data', 'id'), $pitr_rows, 'PITR from b2: the rows at the restore point');
ok($pitr->log_contains(qr/restored log file "[0-9A-F]{24}" from archive/),
	'PITR: replayed WAL from the archive');
$pitr->stop;

# ---- slot state that cannot be read: refused ------------------------------------------------

my $holds = $primary->data_dir . '/pg_logship/retention.state';
my $holds_text = -f $holds ? slurp_file($holds) : '';
open($fh, '>', $holds) or die "open $holds: $!";
print $fh "Bad Slot Name ??\n";
close $fh;
@before = archive_files($wal);
($rc, $out, $err) = $primary->psql('postgres', 'SELECT * FROM pg_logship.archive_cleanup(false)');
isnt($rc, 0, 'hold file unreadable: archive_cleanup() fails');
like($err, qr/refused: cannot read the retention hold file/, 'hold file unreadable: says why');
is_deeply([ archive_files($wal) ], \@before, 'hold file unreadable: nothing removed');
open($fh, '>', $holds) or die "open $holds: $!";
print $fh $holds_text;
close $fh;

# ---- never on a standby ---------------------------------------------------------------------

($rc, $out, $err) = $sa->psql('postgres', 'SELECT * FROM pg_logship.archive_cleanup()');
isnt($rc, 0, 'standby: archive_cleanup() fails');
like($err, qr/archive cleanup runs only on a primary/, 'standby: says why');

done_testing();
