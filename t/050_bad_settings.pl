# 050_bad_settings.pl -- bad settings are refused with messages naming them; a missing or
# unwritable archive holds archiving back without losing WAL; archiving resumes once fixed.
#
#  1. ALTER SYSTEM with a relative archive_dir, a bad server_name, layout, compression or level
#     (out of 0..19) is refused with a
#     message naming the setting; SET is refused (reload-only settings); bad values written into
#     postgresql.conf are refused at reload, the old values stay in force and the log names them.
#  2. archive_dir missing: every attempt fails with an ERROR naming pg_logship.archive_dir and
#     "does not exist", counted where operators look (pg_stat_archiver.failed_count rising with
#     each attempt, last_failed_wal, io_failure_count); .ready files accumulate and their
#     segments stay in pg_wal through checkpoints (max_wal_size is tiny). Once the directory is
#     created -- with no reload or new WAL to wake the archiver, which now waits up to a minute
#     after its failures -- the monitor sees the archive usable again and wakes it (logged,
#     counted in archiver_wakeups), and the backlog is archived with pg_wal's bytes (what
#     `pg_logship restore` decodes from the archived copy); then checkpoints do remove them.
#  3. archive_dir not writable (chmod 0500): the same with "is not writable"; chmod back, the
#     monitor wakes the archiver and it drains.
#  4. the archive's wal folder not writable (the root is): each call fails with "could not
#     archive" (an I/O failure, counted), no temp file is left, WAL stays; fixed, the monitor wakes
#     the archiver and it drains.
#  5. a bad archive_dir in postgresql.conf at server start: the server starts, warns naming the
#     setting, treats the archive as not set (WAL stays); fixed and reloaded, it drains.
#  4b. pg_logship.compression_level above lz4's maximum: one WARNING (not one per file), the
#     files are archived with the maximum level.
# A full disk is not simulated (no small filesystem can be mounted without root).
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PgLogshipTest;

my $seg_size = 16 * 1024 * 1024;

# $n segments, each with a little WAL and a switch, with a CHECKPOINT after each one (so that a
# segment not protected by .ready would be removed or recycled: max_wal_size is 32MB).
sub make_segments_with_checkpoints
{
	my ($node, $n) = @_;
	my @made;
	for (1 .. $n)
	{
		push @made,
		  $node->safe_psql('postgres',
			q{INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 500) g;
			  SELECT pg_walfile_name(pg_switch_wal())});
		$node->safe_psql('postgres', 'CHECKPOINT');
	}
	return @made;
}

# md5 of each named segment in pg_wal.
sub pg_wal_md5s
{
	my ($node, @segs) = @_;
	return { map { ($_ => file_md5($node->data_dir . "/pg_wal/$_")) } @segs };
}

# Asserts that every one of @segs is .ready and still in pg_wal with the bytes in %$md5.
sub check_held_back
{
	my ($node, $what, $md5, @segs) = @_;
	my %ready = map { ($_ => 1) } ready_files($node);
	for my $seg (@segs)
	{
		my $path = $node->data_dir . "/pg_wal/$seg";
		ok($ready{$seg} && -f $path && file_md5($path) eq $md5->{$seg},
			"$what: $seg is .ready and unchanged in pg_wal after checkpoints");
	}
	return;
}

# Waits for the backlog to drain and checks @segs in the archive. $wake: 'reload' wakes the
# archiver with a SIGHUP; 'watch' leaves that to pg_logship's monitor, and checks that it did:
# its LOG line (after log offset $offset) and one more wake-up counted.
sub check_drained
{
	my ($node, $what, $waldir, $md5, $wake, $offset, $wakeups_before, @segs) = @_;
	if ($wake eq 'reload')
	{
		$node->safe_psql('postgres', 'SELECT pg_reload_conf()');    # SIGHUP wakes the archiver
	}
	else
	{
		$node->wait_for_log(
			qr/LOG:  pg_logship woke the archiver: the archive "[^"]*" is accessible again/,
			$offset);
		pass("$what: the monitor woke the archiver");
	}
	pgls_wait_ready_empty($node);
	if ($wake eq 'watch')
	{
		cmp_ok(archive_status($node)->{archiver_wakeups},
			'>', $wakeups_before, "$what: the wake-up is counted in archiver_wakeups");
	}
	for my $seg (@segs)
	{
		my ($got, $size) = archived_content($waldir, $seg);
		ok(defined $got && $size == $seg_size && $got eq $md5->{$seg},
			"$what: $seg archived with pg_wal's bytes");
	}
	is_deeply([ archive_temp_files("$waldir/..") ], [], "$what: no temp files");
	return;
}

my $base    = PostgreSQL::Test::Utils::tempdir('settings');
my $archive = "$base/archive";
my $waldir  = "$archive/wal";

my $node = PostgreSQL::Test::Cluster->new('main');
$node->init(allows_streaming => 1);
$node->append_conf(
	'postgresql.conf',
	archive_conf($archive, server => 'main') . qq(
min_wal_size = '32MB'
max_wal_size = '32MB'
log_min_messages = debug1
));
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_logship');
$node->safe_psql('postgres', 'CREATE TABLE t (i int, s text)');

# ============================ 1. refused values =================================================
{
	my $auto_before = slurp_file($node->data_dir . '/postgresql.auto.conf');
	my ($ret, $out, $err) = $node->psql('postgres',
		q{ALTER SYSTEM SET pg_logship.archive_dir = 'relative/path'});
	isnt($ret, 0, 'ALTER SYSTEM: a relative archive_dir is refused');
	like($err, qr/invalid value for parameter "pg_logship\.archive_dir": "relative\/path"/,
		'the error names pg_logship.archive_dir and the value');
	like($err, qr/pg_logship\.archive_dir must be an absolute path/, 'the detail says absolute');

	($ret, $out, $err) = $node->psql('postgres',
		qq{ALTER SYSTEM SET pg_logship.archive_dir = E'$base/a\\nb'});
	isnt($ret, 0, 'ALTER SYSTEM: an archive_dir with a line break is refused');
	like($err, qr/pg_logship\.archive_dir must not contain line breaks/,
		'the detail says line breaks');

	($ret, $out, $err) =
	  $node->psql('postgres', q{ALTER SYSTEM SET pg_logship.server_name = 'a b'});
	isnt($ret, 0, 'ALTER SYSTEM: server_name "a b" is refused');
	like($err, qr/invalid value for parameter "pg_logship\.server_name": "a b"/,
		'the error names pg_logship.server_name');
	like($err, qr/may contain only letters, digits/, 'the detail says what is allowed');

	my $long = 'n' x 64;
	($ret, $out, $err) =
	  $node->psql('postgres', qq{ALTER SYSTEM SET pg_logship.server_name = '$long'});
	isnt($ret, 0, 'ALTER SYSTEM: a 64-character server_name is refused');
	like($err, qr/invalid value for parameter "pg_logship\.server_name"/,
		'the error names pg_logship.server_name');
	($ret, $out, $err) = $node->psql('postgres',
		q{ALTER SYSTEM SET pg_logship.server_name = 'n_-9'; ALTER SYSTEM RESET pg_logship.server_name});
	is($ret, 0, 'ALTER SYSTEM: server_name "n_-9" is accepted') or diag $err;

	($ret, $out, $err) =
	  $node->psql('postgres', q{ALTER SYSTEM SET pg_logship.archive_layout = 'bogus'});
	isnt($ret, 0, 'ALTER SYSTEM: archive_layout "bogus" is refused');
	like($err, qr/invalid value for parameter "pg_logship\.archive_layout": "bogus"/,
		'the error names pg_logship.archive_layout');
	like($err, qr/Available values: shared, per_server/, 'the hint lists the layouts');

	($ret, $out, $err) =
	  $node->psql('postgres', q{ALTER SYSTEM SET pg_logship.compression = 'gzip'});
	isnt($ret, 0, 'ALTER SYSTEM: compression "gzip" is refused');
	like($err, qr/invalid value for parameter "pg_logship\.compression": "gzip"/,
		'the error names pg_logship.compression');
	like($err, qr/Available values: none, lz4, zstd/, 'the hint lists the algorithms');

	for my $level (20, -1)
	{
		($ret, $out, $err) = $node->psql('postgres',
			qq{ALTER SYSTEM SET pg_logship.compression_level = $level});
		isnt($ret, 0, "ALTER SYSTEM: compression_level $level is refused");
		like($err,
			qr/$level is outside the valid range for parameter "pg_logship\.compression_level" \(0 \.\. 19\)/,
			"the error names pg_logship.compression_level and its range ($level)");
	}

	($ret, $out, $err) =
	  $node->psql('postgres', qq{SET pg_logship.archive_dir = '$base/other'});
	isnt($ret, 0, 'SET pg_logship.archive_dir in a session is refused');
	like($err, qr/parameter "pg_logship\.archive_dir" cannot be changed now/,
		'the error names the parameter');

	is(slurp_file($node->data_dir . '/postgresql.auto.conf'),
		$auto_before, 'postgresql.auto.conf is unchanged');

	# Bad values in postgresql.conf: refused at reload, the old values stay in force.
	my $conf      = $node->data_dir . '/postgresql.conf';
	my $conf_good = slurp_file($conf);
	my $offset    = -s $node->logfile;
	$node->append_conf(
		'postgresql.conf', q(
pg_logship.archive_dir = 'relative/x'
pg_logship.server_name = 'bad name'
pg_logship.archive_layout = 'bogus'
));
	$node->reload;
	$node->wait_for_log(qr/configuration file "[^"]*postgresql\.conf" contains errors/, $offset);
	is($node->safe_psql('postgres', 'SHOW pg_logship.archive_dir'),
		$archive, 'after a bad reload archive_dir keeps its value');
	is($node->safe_psql('postgres', 'SHOW pg_logship.server_name'),
		'main', 'after a bad reload server_name keeps its value');
	is($node->safe_psql('postgres', 'SHOW pg_logship.archive_layout'),
		'shared', 'after a bad reload archive_layout keeps its value');
	my $log = slurp_file($node->logfile, $offset);
	like($log, qr/invalid value for parameter "pg_logship\.archive_dir": "relative\/x"/,
		'the log names pg_logship.archive_dir');
	like($log, qr/pg_logship\.archive_dir must be an absolute path/, 'the log says absolute');
	like($log, qr/invalid value for parameter "pg_logship\.server_name": "bad name"/,
		'the log names pg_logship.server_name');
	like($log, qr/invalid value for parameter "pg_logship\.archive_layout": "bogus"/,
		'the log names pg_logship.archive_layout');

	open(my $fh, '>', $conf) or die "open $conf: $!";
	print $fh $conf_good;
	close $fh;
	$node->reload;
}

# Waits until the archiver has failed on $seg at least $n times in all (pg_stat_archiver).
sub wait_failed_count
{
	my ($node, $n, $seg) = @_;
	$node->poll_query_until('postgres',
		"SELECT failed_count >= $n AND last_failed_wal = '$seg' FROM pg_stat_archiver")
	  or die "timed out waiting for $n failed attempts on $seg";
	return;
}

# ============================ 2. archive dir missing ============================================
{
	my $offset = -s $node->logfile;
	my @segs   = make_segments_with_checkpoints($node, 6);
	$node->wait_for_log(
		qr/ERROR:  could not archive "\Q$segs[0]\E": pg_logship\.archive_dir "\Q$archive\E" does not exist/,
		$offset);
	$node->wait_for_log(qr/failed too many times, will try again later/, $offset);
	my $md5 = pg_wal_md5s($node, @segs);
	$node->safe_psql('postgres', 'CHECKPOINT');
	check_held_back($node, 'missing dir', $md5, @segs);
	is_deeply([ ready_files($node) ], [@segs], 'missing dir: exactly these are .ready');
	my $st = archive_status($node);
	is($st->{ready_count},    6, 'missing dir: ready_count = 6');
	is($st->{archived_count}, 0, 'missing dir: nothing archived');
	cmp_ok($st->{failed_count}, '>=', 3,
		'missing dir: pg_stat_archiver.failed_count counts the attempts');
	is($st->{last_failed_wal}, $segs[0], 'missing dir: last_failed_wal is the oldest segment');
	cmp_ok($st->{io_failure_count}, '>=', $st->{failed_count},
		'missing dir: io_failure_count counts them too');
	like($st->{last_error}, qr/pg_logship\.archive_dir "\Q$archive\E" does not exist/,
		'missing dir: last_error says what is wrong');
	# Each further attempt counts: a SIGHUP makes the archiver try again (three times).
	my $retry_offset = -s $node->logfile;
	$node->safe_psql('postgres', 'SELECT pg_reload_conf()');
	wait_failed_count($node, $st->{failed_count} + 1, $segs[0]);
	pass('missing dir: failed_count rises with each attempt');
	ok(!-e $archive, 'missing dir: nothing created it');
	like(slurp_file($node->logfile, $offset),
		qr/HINT:  [^\n]*pg_logship\.archive_dir[^\n]*The file stays in pg_wal/,
		'missing dir: the hint says what to do');

	# The archiver now waits up to a minute; nothing but the monitor wakes it.
	$node->wait_for_log(qr/failed too many times, will try again later/, $retry_offset);
	wait_archiver_resting($node);
	my $wakeups = archive_status($node)->{archiver_wakeups};
	$offset = -s $node->logfile;
	mkdir $archive or die "mkdir $archive: $!";
	check_drained($node, 'missing dir created', $waldir, $md5, 'watch', $offset, $wakeups, @segs);
	is_deeply([ archive_files($waldir) ], [@segs], 'missing dir created: exactly the backlog');
	is(archive_status($node)->{published_count}, 6, 'missing dir created: 6 published');

	# Now that they are archived, checkpoints do remove them: the earlier survival was the
	# archiver's doing, not chance.
	make_segments_with_checkpoints($node, 2);
	pgls_wait_ready_empty($node);
	$node->safe_psql('postgres', 'CHECKPOINT');
	my @left = grep { -e $node->data_dir . "/pg_wal/$_" } @segs;
	is_deeply(\@left, [], 'missing dir created: once archived, checkpoints remove the segments');
}

# ============================ 3. archive dir not writable =======================================
{
	chmod(0500, $archive) or die "chmod $archive: $!";
	my $offset = -s $node->logfile;
	my $before = archive_status($node);
	my @segs   = make_segments_with_checkpoints($node, 3);
	$node->wait_for_log(
		qr/ERROR:  could not archive "\Q$segs[0]\E": pg_logship\.archive_dir "\Q$archive\E" is not writable: Permission denied/,
		$offset);
	$node->wait_for_log(qr/failed too many times, will try again later/, $offset);
	my $md5 = pg_wal_md5s($node, @segs);
	$node->safe_psql('postgres', 'CHECKPOINT');
	check_held_back($node, 'unwritable dir', $md5, @segs);
	ok(!-e "$waldir/$_", "unwritable dir: $_ not archived") for @segs;
	my $st = archive_status($node);
	is($st->{archived_count}, $before->{archived_count}, 'unwritable dir: nothing archived');
	cmp_ok($st->{failed_count} - $before->{failed_count},
		'>=', 3, 'unwritable dir: pg_stat_archiver.failed_count counts the attempts');
	is($st->{last_failed_wal}, $segs[0], 'unwritable dir: last_failed_wal');
	cmp_ok($st->{io_failure_count} - $before->{io_failure_count},
		'>=', 3, 'unwritable dir: io_failure_count too');

	wait_archiver_resting($node);
	$offset = -s $node->logfile;
	chmod(0700, $archive) or die "chmod $archive: $!";
	check_drained($node, 'unwritable dir fixed', $waldir, $md5, 'watch', $offset,
		$st->{archiver_wakeups}, @segs);
}

# ============================ 4. wal folder not writable ========================================
{
	chmod(0500, $waldir) or die "chmod $waldir: $!";
	my $offset = -s $node->logfile;
	my $before = archive_status($node);
	my @segs   = make_segments_with_checkpoints($node, 2);
	$node->wait_for_log(qr/failed too many times, will try again later/, $offset);
	my $md5 = pg_wal_md5s($node, @segs);
	$node->safe_psql('postgres', 'CHECKPOINT');
	check_held_back($node, 'unwritable wal folder', $md5, @segs);
	my $log = slurp_file($node->logfile, $offset);
	like($log,
		qr/ERROR:  could not archive "\Q$segs[0]\E": could not create file "\Q$waldir\E\/\Q$segs[0]\E\.pgls-tmp\.main\.[0-9a-f]{16}\.\d+\.\d+": Permission denied/,
		'unwritable wal folder: the log says which file could not be created and why');
	like($log, qr/HINT:  The archiver retries; the file stays in pg_wal\./,
		'unwritable wal folder: the hint says it is retried');
	my $st = archive_status($node);
	cmp_ok($st->{io_failure_count} - $before->{io_failure_count},
		'>=', 3, 'unwritable wal folder: io_failure_count counts the attempts');
	cmp_ok($st->{failed_count} - $before->{failed_count},
		'>=', 3, 'unwritable wal folder: pg_stat_archiver.failed_count too');
	like($st->{last_error}, qr/Permission denied/, 'unwritable wal folder: last_error');
	is($st->{last_failed_wal}, $segs[0], 'unwritable wal folder: last_failed_wal');
	is_deeply([ archive_temp_files($archive) ], [], 'unwritable wal folder: no temp files');

	wait_archiver_resting($node);
	$offset = -s $node->logfile;
	chmod(0700, $waldir) or die "chmod $waldir: $!";
	check_drained($node, 'unwritable wal folder fixed', $waldir, $md5, 'watch', $offset,
		$st->{archiver_wakeups}, @segs);
}

# ============================ 4b. a level above the algorithm's maximum ==========================
{
	my $conf      = $node->data_dir . '/postgresql.conf';
	my $conf_good = slurp_file($conf);
	my $offset    = -s $node->logfile;
	$node->append_conf('postgresql.conf',
		"pg_logship.compression = 'lz4'\npg_logship.compression_level = 15\n");
	$node->reload;
	$node->poll_query_until('postgres', 'SHOW pg_logship.compression_level', '15');
	# Held back while the segments are made, so that their bytes can be taken from pg_wal.
	chmod(0500, $archive) or die "chmod $archive: $!";
	my @segs = make_segments_with_checkpoints($node, 2);
	my $md5 = pg_wal_md5s($node, @segs);
	chmod(0700, $archive) or die "chmod $archive: $!";
	$node->safe_psql('postgres', 'SELECT pg_reload_conf()');
	pgls_wait_ready_empty($node);
	$node->wait_for_log(qr/pg_logship\.compression_level 15 is above the maximum of lz4; using 12/,
		$offset);
	my $log = slurp_file($node->logfile, $offset);
	my $n = () = $log =~ /pg_logship\.compression_level 15 is above the maximum/g;
	is($n, 1, 'level above the maximum: warned once, not for every file');
	like($log, qr/HINT:  lz4 levels are 1\.\.12, zstd levels 1\.\.19/,
		'level above the maximum: the hint gives the ranges');
	check_drained($node, 'level above the maximum', $waldir, $md5, 'reload', 0, 0, @segs);

	open(my $fh, '>', $conf) or die "open $conf: $!";
	print $fh $conf_good;
	close $fh;
	$node->reload;
}

# ============================ 5. bad archive_dir at server start ================================
{
	$node->stop;
	my $conf      = $node->data_dir . '/postgresql.conf';
	my $conf_good = slurp_file($conf);
	my $offset    = -s $node->logfile;
	$node->append_conf('postgresql.conf', "pg_logship.archive_dir = 'relative/at-start'\n");
	$node->start;
	is($node->safe_psql('postgres', 'SHOW pg_logship.archive_dir'),
		'', 'bad value at start: archive_dir is not set');
	my @segs = make_segments_with_checkpoints($node, 2);
	$node->wait_for_log(qr/WARNING:  pg_logship\.archive_dir is not set/, $offset);
	my $log = slurp_file($node->logfile, $offset);
	like($log, qr/invalid value for parameter "pg_logship\.archive_dir": "relative\/at-start"/,
		'bad value at start: the log names the parameter and the value');
	my $md5 = pg_wal_md5s($node, @segs);
	$node->safe_psql('postgres', 'CHECKPOINT');
	check_held_back($node, 'bad value at start', $md5, @segs);

	open(my $fh, '>', $conf) or die "open $conf: $!";
	print $fh $conf_good;
	close $fh;
	check_drained($node, 'bad value at start fixed', $waldir, $md5, 'reload', 0, 0, @segs);
	is($node->safe_psql('postgres', 'SHOW pg_logship.archive_dir'),
		$archive, 'bad value at start fixed: archive_dir in force');
}

my ($ret, $stdout, $stderr) = (0, '', '');
IPC::Run::run([ pgls_bin(), 'verify', '--deep', '--archive-dir', $archive ],
	'>', \$stdout, '2>', \$stderr);
is($? >> 8, 0, 'pg_logship verify --deep: the archive is sound') or diag "$stdout\n$stderr";

$node->stop;
done_testing();
