# 123_s3_retention.pl -- slot-aware retention and safe archive cleanup on an S3 archive.
#
# A primary archives into a bucket, with a slot "sb" whose standby has stopped, the policy
# advance_archived and a retention limit, and pg_logship.keep_backups = 1. Checks:
#   slots      retained_archived is true for sb (the folder is listed in the bucket), and the
#              policy advances sb over WAL that is in the bucket, keeping the hold at its standby
#   cleanup    archive_cleanup() lists exactly the objects older than what the hold and the newest
#              backup need, removes exactly those (DeleteObjects) and never a .backup object
#   CLI        `pg_logship cleanup --archive-dir s3://...` removes what %r no longer needs, and
#              --dry-run first lists the same
#   standby    the stopped standby starts again and catches up from the bucket (restore_command)
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use PgLogshipTest;
use PgLogshipS3;

my $gw     = PgLogshipS3->start;
my $prefix = 'retention';
my $SEG    = 16 * 1024 * 1024;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf(
	'postgresql.conf',
	$gw->archive_conf(
		$prefix,
		server => 'primary',
		extra  => qq(
shared_buffers = 16MB
autovacuum = off
max_wal_size = 64MB
min_wal_size = 32MB
checkpoint_timeout = 1h
pg_logship.sample_interval = '1s'
pg_logship.slot_retention_limit = '48MB'
pg_logship.slot_retention_policy = advance_archived
pg_logship.keep_backups = 1
pg_logship.archive_keep_min_age = 0
)));
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION pg_logship');
$primary->safe_psql('postgres', 'CREATE TABLE data (id int PRIMARY KEY, payload text)');
$primary->safe_psql('postgres', q{SELECT pg_create_physical_replication_slot('sb', true)});
$primary->backup('b1');

my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'b1', has_streaming => 1);
$standby->append_conf('postgresql.conf',
	"primary_slot_name = 'sb'\npg_logship.server_name = 'standby'\narchive_mode = off\n"
	  . $gw->restore_conf($prefix));
$standby->start;
$primary->wait_for_catchup($standby);
$standby->stop;
my $r_b = $primary->safe_psql('postgres',
	q{SELECT restart_lsn FROM pg_replication_slots WHERE slot_name = 'sb'});

my $next_id = 1;
# Writes rows and switches, n times; returns the last segment completed. (A switch with nothing
# written since the last one may do nothing yet name the current segment, on 17 and 18.)
sub write_segments
{
	my ($n) = @_;
	my $seg;
	for (1 .. $n)
	{
		$seg = $primary->safe_psql('postgres',
			"INSERT INTO data SELECT g, md5(g::text) FROM generate_series($next_id, $next_id + 499) g;"
			  . 'SELECT pg_walfile_name(pg_switch_wal());');
		$next_id += 500;
	}
	return $seg;
}

sub bucket_segments
{
	return map { m{^\Q$prefix\E/wal/([0-9A-F]{24}(\.partial)?)$} ? $1 : () }
	  $gw->s3_keys("$prefix/wal/");
}

my $last = write_segments(5);
wait_archived($primary, $last);

# ---- slots: retained_archived through the bucket, and the policy's advance -----------------

$primary->poll_query_until('postgres',
	q{SELECT last_action = 'advanced' FROM pg_logship.slots WHERE slot_name = 'sb'})
  or die 'sb was not advanced';
pass('the policy advanced sb over WAL that is in the bucket');
is( $primary->safe_psql(
		'postgres', q{SELECT standby_needs_lsn FROM pg_logship.slots WHERE slot_name = 'sb'}),
	$r_b,
	'the hold keeps the position of sb\'s standby');
$primary->safe_psql('postgres', q{SELECT pg_create_physical_replication_slot('sc', true)});
$last = write_segments(1);
wait_archived($primary, $last);
is( $primary->safe_psql(
		'postgres', q{SELECT retained_archived FROM pg_logship.slots WHERE slot_name = 'sc'}),
	't',
	'retained_archived: sc\'s completed segments are all in the bucket');

# ---- server-side cleanup -------------------------------------------------------------------

$primary->backup('b2', backup_options => [ '-X', 'none' ]);
$last = write_segments(2);
wait_archived($primary, $last);
pgls_wait_ready_empty($primary);

my $boundary = $primary->safe_psql('postgres',
	'SELECT oldest_kept || \' \' || kept_by FROM pg_logship.archive_cleanup_boundary()');
note("boundary: $boundary");
like($boundary, qr/slot "sb"/, 'the boundary is kept by sb\'s standby (the hold)');
my $b_segno = lsn_segno($r_b);
my @expected = grep { (parse_seg($_))[1] < $b_segno } bucket_segments();
cmp_ok(scalar(@expected), '>', 0, 'some objects are older than the hold');
my @before = bucket_segments();
my $listed = $primary->safe_psql('postgres',
	q{SELECT string_agg(file_name, ' ' ORDER BY file_name) FROM pg_logship.archive_cleanup()});
is($listed, join(' ', @expected), 'archive_cleanup() lists exactly the objects before the hold');
is_deeply([ bucket_segments() ], \@before, 'the dry run removed nothing');
my $removed = $primary->safe_psql('postgres',
	q{SELECT string_agg(file_name, ' ' ORDER BY file_name) FROM pg_logship.archive_cleanup(false) WHERE removed});
is($removed, $listed, 'archive_cleanup(false) removed what it listed');
my %left = map { $_ => 1 } bucket_segments();
ok(!grep({ $left{$_} } @expected), 'those objects are gone from the bucket');
cmp_ok(scalar(keys %left), '>', 0, 'the rest is still there');
is(scalar(grep { /\.backup$/ } $gw->s3_keys("$prefix/wal/")), 2, 'both .backup objects stay');

# ---- the stopped standby comes back from the bucket -----------------------------------------

$standby->start;
$primary->wait_for_catchup($standby);
is(table_checksum($standby, 'data', 'id'), table_checksum($primary, 'data', 'id'),
	'the standby caught up (from the bucket, then streaming): identical rows');
$standby->stop;

# ---- the CLI's cleanup on the bucket --------------------------------------------------------

my @now = bucket_segments();
my $keep = $now[ int(@now / 2) ];
my @doomed = grep { substr($_, 8) lt substr($keep, 8) } @now;
my ($rc, $out, $err) = run_cmd(pgls_bin(), 'cleanup', '--archive-dir', $gw->location($prefix),
	$gw->cli_args, '--dry-run', $keep);
is($rc, 0, 'cleanup --dry-run on the bucket: exit 0');
is_deeply([ map { m{/([^/]+)$} ? $1 : () } split /\n/, $out ], \@doomed,
	'cleanup --dry-run lists what %r no longer needs');
is_deeply([ bucket_segments() ], \@now, '--dry-run removed nothing');
($rc, $out, $err) = run_cmd(pgls_bin(), 'cleanup', '--archive-dir', $gw->location($prefix),
	$gw->cli_args, $keep);
is($rc, 0, 'cleanup on the bucket: exit 0');
is_deeply([ bucket_segments() ], [ grep { substr($_, 8) ge substr($keep, 8) } @now ],
	'cleanup removed exactly those objects');

$primary->stop;
$gw->stop;
done_testing();
