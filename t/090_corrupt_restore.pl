# 090_corrupt_restore.pl -- the archive file format end to end: a damaged archived segment stops
# a standby before it, loudly; an archive written with changing compression settings (mixed
# formats, and a raw file as stored before the format) restores completely.
#
# Part 1: a primary archives with lz4. A base backup, then several segments; one byte in the
# payload of a segment N after the backup is flipped. The restore CLI refuses N (exit 2, names
# the file), verify --deep finds it. A standby made from the backup, restoring only from the
# archive, replays up to N's start and no further, and its log carries restore's error for N.
# Once the good copy is put back, replay goes past N and the standby has every row.
#
# Part 2: a primary archives while its compression is switched lz4 -> zstd -> none -> lz4 (level
# above lz4's maximum: used as 12, with a WARNING) -> zstd 9 by reloads. Each segment's header
# says the setting in force. A streaming standby archiving into the same archive with zstd 19
# acknowledges everything (identical content whatever the compression, no conflict). One segment
# is replaced by its raw bytes (what the foundation stored). verify --deep is happy, and a
# point-in-time recovery from the archive reaches the last row.
use strict;
use warnings;

use File::Copy qw(copy);
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use PgLogshipTest;

my $bin      = pgls_bin();
my $SEG_SIZE = 16 * 1024 * 1024;
my $HEADER   = 64;
my %ALG      = (0 => 'none', 1 => 'lz4', 2 => 'zstd');
my $scratch  = PostgreSQL::Test::Utils::tempdir('scratch');

# ---- helpers --------------------------------------------------------------------------------

# The archive header of a file: { alg, level, original, payload }, or undef for a raw file.
sub archive_header
{
	my ($path) = @_;
	open(my $fh, '<', $path) or die "open $path: $!";
	binmode $fh;
	my $h = '';
	read($fh, $h, $HEADER);
	close $fh;
	return undef if length($h) < $HEADER || substr($h, 0, 8) ne "PGLSWAL\0";
	return {
		version  => unpack('v', substr($h, 8, 2)),
		alg      => $ALG{ ord(substr($h, 10, 1)) } // 'unknown',
		level    => ord(substr($h, 11, 1)),
		original => unpack('Q<', substr($h, 16, 8)),
		payload  => unpack('Q<', substr($h, 24, 8)),
	};
}

# XORs one byte of a file with 0x01.
sub flip_byte
{
	my ($path, $offset) = @_;
	open(my $fh, '+<', $path) or die "open $path: $!";
	binmode $fh;
	sysseek($fh, $offset, 0) or die "seek: $!";
	my $b;
	sysread($fh, $b, 1) == 1 or die "read: $!";
	sysseek($fh, $offset, 0) or die "seek: $!";
	syswrite($fh, chr(ord($b) ^ 0x01)) == 1 or die "write: $!";
	close $fh;
	return;
}

# Start LSN of a segment name (16 MB segments).
sub seg_start_lsn
{
	my ($name) = @_;
	my ($hi, $lo) = (hex(substr($name, 8, 8)), hex(substr($name, 16, 8)));
	return sprintf('%X/%X', $hi, $lo * $SEG_SIZE);
}

# The next segment's name on the same timeline.
sub next_seg
{
	my ($name) = @_;
	my ($tli, $hi, $lo) = (hex(substr($name, 0, 8)), hex(substr($name, 8, 8)), hex(substr($name, 16, 8)));
	$lo++;
	($hi, $lo) = ($hi + 1, 0) if $lo == 0x100;
	return sprintf('%08X%08X%08X', $tli, $hi, $lo);
}

sub count_matches
{
	my ($text, $re) = @_;
	my $n = () = $text =~ /$re/g;
	return $n;
}

# Puts $src into $dir as $name atomically (a rename in the folder).
sub install_file
{
	my ($src, $dir, $name) = @_;
	copy($src, "$dir/.incoming") or die "copy $src: $!";
	rename("$dir/.incoming", "$dir/$name") or die "rename: $!";
	return;
}

# ============================ part 1: a damaged segment ======================================

my $archive = new_archive_dir('archive');
my $wal     = "$archive/wal";

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf',
	archive_conf($archive, server => 'primary',
		extra => "pg_logship.compression = lz4\nwal_keep_size = 256MB\nautovacuum = off\n"));
$primary->start;
$primary->safe_psql('postgres', 'CREATE TABLE t (id int PRIMARY KEY, round int, payload text)');
$primary->backup('bk');

my @segs;
for my $round (1 .. 6)
{
	my $from = ($round - 1) * 5000 + 1;
	my $to   = $round * 5000;
	$primary->safe_psql('postgres',
		"INSERT INTO t SELECT g, $round, md5(g::text) || repeat('p', 100) FROM generate_series($from, $to) g");
	push @segs, switch_wal($primary);
}
wait_for_archived($primary, $segs[-1]);
pgls_wait_ready_empty($primary);
my $want = table_checksum($primary, 't', 'id');
$primary->stop;
note("segments after the backup: @segs");

for my $s (@segs)
{
	my $h = archive_header("$wal/$s");
	ok($h && $h->{version} == 1 && $h->{alg} eq 'lz4' && $h->{original} == $SEG_SIZE,
		"$s is archived with lz4 and a header");
}

my $victim      = $segs[2];
my $victim_lsn  = seg_start_lsn($victim);
my $after       = next_seg($victim);
my $after_lsn   = seg_start_lsn($after);
my $good_copy   = "$scratch/$victim.good";
copy("$wal/$victim", $good_copy) or die "copy: $!";
my $h = archive_header("$wal/$victim");
flip_byte("$wal/$victim", $HEADER + int($h->{payload} / 2));
isnt(file_md5("$wal/$victim"), file_md5($good_copy), "one byte of ${victim}'s payload flipped");

# The CLI refuses it, and says which file and what.
{
	my $dest = "$scratch/RECOVERYXLOG";
	my ($rc, $out, $err) = run_cmd($bin, 'restore', '--archive-dir', $archive, $victim, $dest);
	is($rc, 2, "restore of the damaged $victim: exit 2");
	like($err, qr/\Q$victim\E/, 'restore: the message names the file');
	like($err, qr/payload damaged|checksum/, 'restore: the message says what does not match');
	ok(!-e $dest, 'restore: nothing at %p');
	opendir(my $dh, $scratch) or die;
	is_deeply([ grep { /pgls-tmp/ } readdir($dh) ], [], 'restore: no temp file left');
	closedir($dh);

	($rc, $out, $err) = run_cmd($bin, 'restore', '--archive-dir', $archive, $segs[1], $dest);
	is($rc, 0, "restore of the intact $segs[1]: exit 0");
	is(-s $dest, $SEG_SIZE, 'restore: the segment has its original size');

	($rc, $out, $err) = run_cmd($bin, 'verify', '--archive-dir', $archive, '--deep');
	is($rc, 1, 'verify --deep: exit 1');
	like($out, qr/^problem: \Q$victim\E: .*payload damaged/m, 'verify --deep names the damaged file');
	like($out, qr/^archive has 1 problem\(s\)$/m, 'verify --deep: that is the only problem');
}

# A standby from the backup that only restores from the archive.
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'bk');
$standby->append_conf('postgresql.conf',
	restore_conf($archive) . "archive_mode = off\nwal_retrieve_retry_interval = '200ms'\n");
$standby->set_standby_mode;
$standby->start;

my $error_re = qr/pg_logship restore: error: [^\n]*\Q$victim\E[^\n]*(?:payload damaged|checksum)/;
$standby->wait_for_log($error_re, 0);
# It keeps asking, and keeps being refused.
my $tries = 0;
for (1 .. 300)
{
	$tries = count_matches(slurp_file($standby->logfile), $error_re);
	last if $tries >= 3;
	select(undef, undef, undef, 0.1);
}
cmp_ok($tries, '>=', 3, "the standby asked for $victim again and again ($tries refusals)");
is($standby->safe_psql('postgres', "SELECT pg_last_wal_replay_lsn() <= '$victim_lsn'"),
	't', "replay stopped at or before ${victim}'s start ($victim_lsn)");
is($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'), 't', 'the standby is still a standby');
unlike(slurp_file($standby->logfile), qr/restored log file "\Q$victim\E"/, "$victim was never restored");
{
	opendir(my $dh, $standby->data_dir . '/pg_wal') or die;
	my @left = grep { /pgls-tmp|^RECOVERYXLOG$|^\Q$victim\E$/ } readdir($dh);
	closedir($dh);
	is_deeply(\@left, [], "no copy of $victim, no RECOVERYXLOG and no temp file in pg_wal");
}
is($standby->safe_psql('postgres', 'SELECT count(*) FROM t'), '10000',
	"the standby has the rows of the segments before $victim, none of its own");

# A point-in-time recovery (recovery.signal, no standby.signal) must not take the damaged file for
# the end of the archive and promote short of it: restore exits 126 there, which aborts recovery.
{
	my $pitr = PostgreSQL::Test::Cluster->new('pitr_damaged');
	$pitr->init_from_backup($primary, 'bk');
	$pitr->append_conf('postgresql.conf', restore_conf($archive) . "archive_mode = off
");
	$pitr->set_recovery_mode;
	my $started = $pitr->start(fail_ok => 1);
	# pg_ctl may report the start before the startup process gives up: wait for the postmaster.
	my $log = '';
	for (1 .. 300)
	{
		$log = slurp_file($pitr->logfile);
		last if $log =~ /database system is shut down|startup process .* exited with exit code/;
		select(undef, undef, undef, 0.1);
	}
	like($log, qr/aborting the archive recovery \(exit 126\)/,
		'PITR: restore says it aborts the recovery at the damaged file');
	like($log, qr/startup process .* exited with exit code 1/, 'PITR: the startup process stopped');
	unlike($log, qr/archive recovery complete|database system is ready to accept connections/,
		'PITR: no promotion short of the damaged file');
	ok(!-e $pitr->data_dir . '/postmaster.pid' || !$pitr->psql('postgres', 'SELECT 1') == 0,
		'PITR: the server is not running');
	$pitr->{_pid} = undef;
}

# The good copy back: replay goes on past the victim, to the end.
rename("$wal/$victim", "$scratch/$victim.damaged") or die "rename: $!";
install_file($good_copy, $wal, $victim);
$standby->wait_for_log(qr/restored log file "\Q$victim\E" from archive/, 0);
$standby->poll_query_until('postgres', "SELECT pg_last_wal_replay_lsn() >= '$after_lsn'")
  or die "replay did not pass $victim";
pass("replay passed $victim once the good copy was back");
$standby->poll_query_until('postgres', 'SELECT count(*) = 30000 FROM t')
  or die 'the standby did not replay every row';
is(table_checksum($standby, 't', 'id'), $want, 'the standby has exactly the primary\'s rows');
$standby->stop;

# ============================ part 2: mixed formats ==========================================

my $archive2 = new_archive_dir('mixed');
my $wal2     = "$archive2/wal";
my $p2       = PostgreSQL::Test::Cluster->new('mixed_primary');
$p2->init(allows_streaming => 1);
$p2->append_conf('postgresql.conf',
	archive_conf($archive2, mode => 'always', server => 'p2',
		extra => "pg_logship.compression = lz4\nwal_keep_size = 512MB\nautovacuum = off\n"));
$p2->start;
$p2->safe_psql('postgres', 'CREATE EXTENSION pg_logship');
$p2->safe_psql('postgres', 'CREATE TABLE m (id int PRIMARY KEY, round int, payload text)');
$p2->backup('mixed_bk');

# (compression, level set, level written)
my @rounds = (
	[ 'lz4',  0,  0 ],
	[ 'zstd', 0,  0 ],
	[ 'none', 0,  0 ],
	[ 'lz4',  15, 12 ],
	[ 'zstd', 9,  9 ],
);
my $log_offset = -s $p2->logfile;
my %expect;    # segment -> [alg, level]
my $id = 0;
for my $r (@rounds)
{
	my ($alg, $level, $written) = @$r;
	$p2->safe_psql('postgres',
		"ALTER SYSTEM SET pg_logship.compression = '$alg'; "
		  . "ALTER SYSTEM SET pg_logship.compression_level = $level");
	$p2->reload;
	# A new session sees the new values once the postmaster has read them (and signalled the
	# archiver, which rereads them before its next file).
	$p2->poll_query_until('postgres',
		"SELECT current_setting('pg_logship.compression') = '$alg' "
		  . "AND current_setting('pg_logship.compression_level') = '$level'")
	  or die "reload to $alg/$level not seen";
	for (1 .. 2)
	{
		my ($from, $to) = ($id + 1, $id + 3000);
		$id = $to;
		$p2->safe_psql('postgres',
			"INSERT INTO m SELECT g, 0, md5(g::text) FROM generate_series($from, $to) g");
		my $s = switch_wal($p2);
		$expect{$s} = [ $alg, $written ];
	}
	pgls_wait_ready_empty($p2);
}
my @mixed = sort keys %expect;
for my $s (@mixed)
{
	my $h = archive_header("$wal2/$s");
	my ($alg, $level) = @{ $expect{$s} };
	ok($h && $h->{alg} eq $alg && $h->{level} == $level && $h->{original} == $SEG_SIZE,
		"$s: stored with $alg, level $level (header: "
		  . ($h ? "$h->{alg}, level $h->{level}" : 'none') . ')');
}
like(slurp_file($p2->logfile, $log_offset),
	qr/WARNING:  pg_logship\.compression_level 15 is above the maximum of lz4; using 12/,
	'a level above lz4\'s maximum is used as 12, with a WARNING');
my $mixed_want = table_checksum($p2, 'm', 'id');

# A standby archiving into the same archive with other compression: it acknowledges.
my $s2 = PostgreSQL::Test::Cluster->new('mixed_standby');
$s2->init_from_backup($p2, 'mixed_bk', has_streaming => 1);
$s2->append_conf('postgresql.conf',
	"pg_logship.server_name = 's2'\npg_logship.compression = zstd\npg_logship.compression_level = 19\n");
$s2->start;
$p2->wait_for_catchup($s2);
my $last_mixed = $mixed[-1];
wait_for_archived($s2, $last_mixed);
pgls_wait_ready_empty($s2);
my $st = archive_status($s2);
note("mixed_standby: published $st->{published_count}, acknowledged $st->{acknowledged_count}");
is($st->{compression},       'zstd', 'archive_status shows the standby\'s compression');
is($st->{conflict_count},    '0',    'the zstd standby has no conflict with the mixed archive');
is($st->{quarantined_files}, '0',    'nothing quarantined');
cmp_ok($st->{acknowledged_count}, '>=', scalar(@mixed),
	'it acknowledged the segments the primary had archived in other formats');
my $pst = archive_status($p2);
cmp_ok($pst->{bytes_original}, '>', $pst->{bytes_written}, 'archive_status: compression saved space');
is($st->{failed_count}, '0', 'the standby never failed to archive');
$s2->stop;
$p2->stop;

# One segment as the foundation stored it: raw, no header.
my $raw_seg = $mixed[1];
{
	my ($rc) = run_cmd($bin, 'restore', '--archive-dir', $archive2, $raw_seg, "$scratch/raw");
	is($rc, 0, "restore $raw_seg for its raw bytes");
	install_file("$scratch/raw", $wal2, $raw_seg);
	ok(!defined archive_header("$wal2/$raw_seg"), "$raw_seg is now a raw file");
}

{
	my ($rc, $out) = run_cmd($bin, 'verify', '--archive-dir', $archive2, '--deep');
	is($rc, 0, 'verify --deep of the mixed archive: exit 0');
	like($out, qr/^stored: lz4 [1-9]\d*, zstd [1-9]\d*, none [1-9]\d*, raw 1;/m,
		'verify counts every format');
	like($out, qr/^checked: every file's content/m, 'verify --deep checked contents');
}

# Point-in-time recovery from the base backup through the mixed archive.
my $pitr = PostgreSQL::Test::Cluster->new('pitr');
$pitr->init_from_backup($p2, 'mixed_bk');
$pitr->append_conf('postgresql.conf', restore_conf($archive2) . "archive_mode = off\n");
$pitr->set_recovery_mode;
$pitr->start;
$pitr->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()')
  or die 'the point-in-time recovery did not finish';
is(table_checksum($pitr, 'm', 'id'), $mixed_want, 'the recovery reached the last row (checksums)');
my $pitr_log = slurp_file($pitr->logfile);
for my $s ($mixed[0], $raw_seg, $mixed[-1])
{
	like($pitr_log, qr/restored log file "\Q$s\E" from archive/, "the recovery restored $s");
}
unlike($pitr_log, qr/pg_logship restore: error/, 'no restore error during the recovery');
$pitr->stop;

done_testing();
