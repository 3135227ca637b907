# 030_conflict.pl -- a different file already in the archive under a segment's name is never
# replaced; the server's copy goes to quarantine.
#
# Primary: the conflicting segment is not archived (the callback fails, the archiver retries, the
# segment stays .ready and in pg_wal, later segments wait behind it); once the foreign copy is
# moved aside, the segment is archived with the primary's bytes and the backlog drains.
# A raw copy with the same bytes planted under another name counts as the same content: it is
# acknowledged, not replaced.
# Standby (archive_mode = always): the conflict is reported, the standby's copy is quarantined and
# the segment counts as archived (.done), and the standby goes on archiving later segments.
# Planted files are raw (no pg_logship header) and compared byte for byte; what pg_logship wrote
# (archive or quarantine) is compared by what `pg_logship restore` decodes from it.
use strict;
use warnings;
use Fcntl qw(O_WRONLY O_CREAT O_EXCL);
use File::Copy qw(copy move);
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PgLogshipTest;

my $seg_size = 16 * 1024 * 1024;

sub status_file
{
	my ($node, $seg, $suffix) = @_;
	return $node->data_dir . "/pg_wal/archive_status/$seg.$suffix";
}

# Writes $path: a copy of $src with a few bytes changed well past the segment header, so that
# the foreign file has the same size and the same header but other content.
sub write_altered_copy
{
	my ($src, $path) = @_;
	die "$path exists" if -e $path;
	copy($src, $path) or die "copy $src $path: $!";
	open(my $fh, '+<', $path) or die "open $path: $!";
	binmode $fh;
	seek($fh, 8 * 1024 * 1024, 0) or die "seek: $!";
	print $fh 'not the primary\'s WAL';
	close $fh or die "close $path: $!";
	return;
}

# Writes a 16MB file of a repeated pattern at $path.
sub write_bogus_segment
{
	my ($path) = @_;
	sysopen(my $fh, $path, O_WRONLY | O_CREAT | O_EXCL) or die "create $path: $!";
	binmode $fh;
	my $chunk = 'bogus segment ' x 4681;    # 65534 bytes
	$chunk .= 'xx';
	print $fh $chunk for 1 .. $seg_size / length($chunk);
	close $fh or die "close $path: $!";
	die "bogus segment size" unless -s $path == $seg_size;
	return;
}

sub insert_and_switch
{
	my ($node) = @_;
	my $seg = $node->safe_psql('postgres',
		q{INSERT INTO t SELECT g FROM generate_series(1, 1000) g;
		  SELECT pg_walfile_name(pg_current_wal_insert_lsn())});
	$node->safe_psql('postgres', 'SELECT pg_switch_wal()');
	return $seg;
}

my $base = PostgreSQL::Test::Utils::tempdir('conflict');

# ============================ primary ==========================================================
{
	my $archive = "$base/a";
	my $waldir  = "$archive/wal";
	my $node    = PostgreSQL::Test::Cluster->new('primary');
	$node->init(allows_streaming => 1);
	# Archiving held back: pg_logship.archive_dir is not set yet (no attempt is made).
	$node->append_conf('postgresql.conf',
		archive_conf('', server => 'primary')
		  . "wal_keep_size = '1GB'\narchive_timeout = 0\n");
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION pg_logship');
	$node->safe_psql('postgres', 'CREATE TABLE t (i int)');

	my $s  = insert_and_switch($node);
	my $s2 = insert_and_switch($node);
	ok(-e status_file($node, $s,  'ready'), "primary: $s is .ready");
	ok(-e status_file($node, $s2, 'ready'), "primary: $s2 is .ready");
	my $real_md5 = file_md5($node->data_dir . "/pg_wal/$s");

	# Another history's $s is already in the archive; so is an exact raw copy of $s2.
	mkdir $archive;
	mkdir $waldir;
	write_altered_copy($node->data_dir . "/pg_wal/$s", "$waldir/$s");
	copy($node->data_dir . "/pg_wal/$s2", "$waldir/$s2") or die "copy: $!";
	my $s2_md5 = file_md5($node->data_dir . "/pg_wal/$s2");
	my $bogus_md5 = file_md5("$waldir/$s");
	isnt($bogus_md5, $real_md5, 'the planted file differs from the primary\'s segment');
	is(-s "$waldir/$s", $seg_size, 'the planted file has a segment\'s size');

	my $log_offset = -s $node->logfile;
	$node->safe_psql('postgres',
		"ALTER SYSTEM SET pg_logship.archive_dir = '$archive'; SELECT pg_reload_conf()");

	# The archiver tries, conflicts, and retries: NUM_ARCHIVE_RETRIES = 3 attempts, then it
	# gives up for now.
	$node->wait_for_log(qr/archiving write-ahead log file "\Q$s\E" failed too many times/,
		$log_offset);
	my $st = archive_status($node);
	cmp_ok($st->{conflict_count}, '>=', 3, 'primary: conflict_count counts each attempt');
	is($st->{last_conflict_file}, $s,  'primary: last_conflict_file names the segment');
	is($st->{quarantined_files},  1,   'primary: one quarantined file (once per content)');
	is($st->{published_count},    0,   'primary: nothing published');
	is($st->{io_failure_count},   0,   'primary: the conflict is not an I/O failure');
	is($st->{last_failed_wal},    $s,  'primary: pg_stat_archiver.last_failed_wal');
	cmp_ok($st->{failed_count}, '>=', 3, 'primary: pg_stat_archiver.failed_count counts them');
	is($st->{archived_count}, 0, 'primary: pg_stat_archiver.archived_count = 0');

	is(file_md5("$waldir/$s"), $bogus_md5, 'primary: the archive\'s copy was not replaced');
	my $q = "$archive/quarantine/primary/$s";
	ok(-f $q, 'primary: its copy is in quarantine/primary/');
	is(archived_md5("$archive/quarantine/primary", $s),
		$real_md5, 'primary: the quarantined copy is the primary\'s segment');
	is_deeply([ archive_files("$archive/quarantine/primary") ],
		[$s], 'primary: a single quarantined version despite the retries');
	is_deeply([ archive_files($waldir) ], [ $s, $s2 ], 'primary: nothing archived past the conflict');
	is_deeply([ archive_temp_files($archive) ], [], 'primary: no temp files');

	ok(-e status_file($node, $s,  'ready'), "primary: $s is still .ready");
	ok(!-e status_file($node, $s, 'done'),  "primary: $s is not .done");
	ok(-e status_file($node, $s2, 'ready'), "primary: $s2 waits behind it");

	# A checkpoint must not remove the unarchived segment.
	$node->safe_psql('postgres', 'CHECKPOINT');
	ok(-f $node->data_dir . "/pg_wal/$s", "primary: $s is still in pg_wal after a checkpoint");
	is(file_md5($node->data_dir . "/pg_wal/$s"), $real_md5, "primary: $s in pg_wal unchanged");

	my $log = slurp_file($node->logfile, $log_offset);
	like($log, qr/ERROR:  archive already holds a different "\Q$s\E"/,
		'primary: the log reports the conflict');
	like($log, qr/DETAIL:  The archive's copy "\Q$waldir\/$s\E" was kept; this server's \(primary\) copy was saved as "\Q$q\E"/,
		'primary: the log says where each copy is');
	like($log, qr/HINT:  Archiving of this file is retried and WAL stays in pg_wal/,
		'primary: the hint says the file is retried');
	like($log, qr/WARNING:  archiving write-ahead log file "\Q$s\E" failed too many times/,
		'primary: the archiver reports the failed attempts');

	# Move the foreign copy aside: the primary's segment is archived, the backlog drains.
	move("$waldir/$s", "$base/moved_aside") or die "move: $!";
	my $s3 = insert_and_switch($node);    # also wakes the archiver
	pgls_wait_ready_empty($node);
	is_deeply([ archive_files($waldir) ], [ sort($s, $s2, $s3) ],
		'primary: after the foreign copy is gone, every segment is archived');
	is(archived_md5($waldir, $s), $real_md5, "primary: archived $s is the primary's");
	is(archived_md5($waldir, $s3), file_md5($node->data_dir . "/pg_wal/$s3"),
		"primary: archived $s3 equals pg_wal");
	is(file_md5("$waldir/$s2"), $s2_md5,
		"primary: the raw copy of $s2 was acknowledged and left as it was");
	ok(-e status_file($node, $s, 'done'), "primary: $s is .done");
	is(file_md5("$base/moved_aside"), $bogus_md5, 'primary: the moved-aside file is untouched');
	$st = archive_status($node);
	is($st->{published_count},    2, 'primary: two segments published');
	is($st->{acknowledged_count}, 1, 'primary: one acknowledged (the identical raw copy)');
	is($st->{archived_count},  3, 'primary: pg_stat_archiver.archived_count = 3');
	is_deeply([ archive_temp_files($archive) ], [], 'primary: still no temp files');
	$node->stop;
}

# ============================ standby ==========================================================
{
	my $archive = "$base/b";
	my $waldir  = "$archive/wal";
	my $primary = PostgreSQL::Test::Cluster->new('upstream');
	$primary->init(allows_streaming => 1);
	$primary->append_conf('postgresql.conf', "shared_preload_libraries = 'pg_logship'\n");
	$primary->start;
	$primary->safe_psql('postgres', 'CREATE EXTENSION pg_logship');
	$primary->safe_psql('postgres', 'CREATE TABLE t (i int)');
	$primary->backup('b1');

	my $standby = PostgreSQL::Test::Cluster->new('standby');
	$standby->init_from_backup($primary, 'b1', has_streaming => 1);
	$standby->append_conf('postgresql.conf',
		archive_conf($archive, mode => 'always', server => 'standby')
		  . "wal_keep_size = '1GB'\n");
	mkdir $archive;
	mkdir $waldir;
	$standby->start;
	$primary->wait_for_catchup($standby);

	# Archive whatever the standby already has to archive, so the planted name is the next one.
	insert_and_switch($primary);
	$primary->wait_for_catchup($standby);
	pgls_wait_ready_empty($standby);

	# The segment the primary is writing now reaches the standby next; plant a foreign copy.
	my $s = $primary->safe_psql('postgres', 'SELECT pg_walfile_name(pg_current_wal_insert_lsn())');
	ok(!-e "$waldir/$s", "standby: $s is not archived yet");
	write_bogus_segment("$waldir/$s");
	my $bogus_md5  = file_md5("$waldir/$s");
	my $log_offset = -s $standby->logfile;

	my $s_switched = insert_and_switch($primary);
	is($s_switched, $s, "standby: the primary completes $s");
	my $s2 = insert_and_switch($primary);
	$primary->wait_for_catchup($standby);
	pgls_wait_ready_empty($standby);
	wait_for_archived($standby, $s2);

	ok(-e status_file($standby, $s, 'done'), "standby: $s counts as archived (.done)");
	ok(!-e status_file($standby, $s, 'ready'), "standby: $s is not .ready");
	is(file_md5("$waldir/$s"), $bogus_md5, 'standby: the archive\'s copy was not replaced');
	my $q = "$archive/quarantine/standby/$s";
	ok(-f $q, 'standby: its copy is in quarantine/standby/');
	is(archived_md5("$archive/quarantine/standby", $s),
		file_md5($standby->data_dir . "/pg_wal/$s"),
		'standby: the quarantined copy is the standby\'s segment');
	is_deeply([ archive_files("$archive/quarantine/standby") ],
		[$s], 'standby: exactly one quarantined file');
	ok(-f "$waldir/$s2", "standby: later segment $s2 archived");
	is(archived_md5($waldir, $s2), file_md5($standby->data_dir . "/pg_wal/$s2"),
		"standby: archived $s2 equals the standby's pg_wal");
	is_deeply([ archive_temp_files($archive) ], [], 'standby: no temp files');

	my $st = archive_status($standby);
	is($st->{conflict_count},     1,  'standby: conflict_count = 1 (no retry)');
	is($st->{last_conflict_file}, $s, 'standby: last_conflict_file names the segment');
	is($st->{quarantined_files},  1,  'standby: quarantined_files = 1');
	is($st->{failed_count},       0,  'standby: pg_stat_archiver saw no failure');
	is($st->{io_failure_count},   0,  'standby: no I/O failure');

	my $log = slurp_file($standby->logfile, $log_offset);
	like($log, qr/ERROR:  archive already holds a different "\Q$s\E"/,
		'standby: the log reports the conflict');
	like($log, qr/HINT:  This server is a standby: the archive's copy, normally the primary's, stands/,
		'standby: the hint says the file counts as archived');
	unlike($log, qr/archiving write-ahead log file "\Q$s\E" failed/,
		'standby: the archiver did not see a failure');

	# And it keeps archiving.
	my $s3 = insert_and_switch($primary);
	$primary->wait_for_catchup($standby);
	wait_for_archived($standby, $s3);
	is(archived_md5($waldir, $s3), file_md5($standby->data_dir . "/pg_wal/$s3"),
		"standby: $s3 archived later");
	is(archive_status($standby)->{conflict_count}, 1, 'standby: no further conflict');

	$standby->stop;
	$primary->stop;
}

done_testing();
