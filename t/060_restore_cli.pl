# 060_restore_cli.pl -- the pg_logship CLI (restore, cleanup, verify) on an archive of real WAL.
#
# One node archives into an archive (switched segments with lz4, zstd and no compression, a base
# backup's .backup file), then does an archive recovery of itself to make a real timeline switch
# (00000002.history and a TL1 .partial). Copies of its pg_wal are kept as the oracle: what
# PostgreSQL wrote. With the server stopped, the CLI is run against that archive and against
# damaged copies of it:
#   restore  every file comes back byte-identical to PostgreSQL's (exit 0); a valid missing name
#            is exit 1 and silence; bad names, damaged archive files (header, payload, truncated,
#            another segment's content) and damaged raw segments are refused: exit other than
#            0/1, a message, nothing at %p.
#   cleanup  --dry-run lists what pg_archivecleanup would remove; the real run removes exactly that.
#   verify   ok on the intact archive; a deleted middle segment is a gap, exit 1; damage is found.
use strict;
use warnings;

use File::Copy qw(copy);
use File::Path qw(rmtree);
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::RecursiveCopy;
use PostgreSQL::Test::Utils;
use Test::More;

use PgLogshipTest;

my $bin     = pgls_bin();
my $archive = new_archive_dir('archive');
my $wal     = "$archive/wal";
my $scratch = PostgreSQL::Test::Utils::tempdir('scratch');

# A copy of the archive (root) to damage.
my $copies = 0;
sub copy_archive
{
	my $dest = "$scratch/archive-copy-" . ++$copies;
	PostgreSQL::Test::RecursiveCopy::copypath($archive, $dest);
	return $dest;
}

# Every file under $dir whose name starts with $prefix (e.g. a %p and its temp files).
sub files_like
{
	my ($dir, $prefix) = @_;
	opendir(my $dh, $dir) or die "opendir $dir: $!";
	my @f = grep { index($_, $prefix) == 0 } readdir($dh);
	closedir($dh);
	return @f;
}

# ---- make real WAL --------------------------------------------------------------------------

my $node = PostgreSQL::Test::Cluster->new('solo');
$node->init(allows_streaming => 1);
# wal_keep_size: pg_wal keeps every segment, for the oracle copy.
$node->append_conf('postgresql.conf',
	archive_conf($archive, server => 'solo', extra => "wal_keep_size = '1GB'\n"));
$node->start;

# The oracle: PostgreSQL's own files, copied from pg_wal (never overwritten by later copies).
my $oracle = "$scratch/oracle";
mkdir $oracle or die;
sub snapshot_pg_wal
{
	my $pg_wal = $node->data_dir . '/pg_wal';
	opendir(my $dh, $pg_wal) or die;
	for my $f (readdir $dh)
	{
		next unless -f "$pg_wal/$f" && !-e "$oracle/$f";
		copy("$pg_wal/$f", "$oracle/$f") or die "copy $f: $!";
	}
	closedir $dh;
}

$node->safe_psql('postgres', 'CREATE TABLE t (i int, filler text)');
# Segments archived with each compression setting.
my @compressions = ('lz4', 'lz4', 'zstd', 'none');
for my $round (1 .. 4)
{
	$node->safe_psql('postgres',
		"ALTER SYSTEM SET pg_logship.compression = '$compressions[$round - 1]'");
	$node->reload;
	$node->safe_psql('postgres',
		"INSERT INTO t SELECT g, md5(g::text) || repeat('x', 200) FROM generate_series(1, 2000) g");
	wait_for_archived($node, $node->safe_psql('postgres', 'SELECT pg_walfile_name(pg_switch_wal())'));
}
$node->safe_psql('postgres', 'ALTER SYSTEM RESET pg_logship.compression');
$node->reload;
# A base backup leaves a .backup history file in the archive.
$node->backup('bk');
$node->safe_psql('postgres', "INSERT INTO t VALUES (0, 'after backup')");
$node->safe_psql('postgres', 'SELECT pg_switch_wal()');
$node->safe_psql('postgres', "INSERT INTO t VALUES (-1, 'last on timeline 1')");
pgls_wait_ready_empty($node);
$node->stop;
snapshot_pg_wal();

# Archive recovery of the node from its own archive: at the end of recovery it switches to
# timeline 2 and archives 00000002.history and the last TL1 segment as .partial.
$node->append_conf('postgresql.conf', restore_conf($archive));
$node->set_recovery_mode;
$node->start;
$node->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()')
  or die 'archive recovery did not end';
$node->safe_psql('postgres', "INSERT INTO t VALUES (-2, 'on timeline 2')");
$node->safe_psql('postgres', 'SELECT pg_switch_wal()');
$node->safe_psql('postgres', "INSERT INTO t VALUES (-3, 'more on timeline 2')");
$node->safe_psql('postgres', 'SELECT pg_switch_wal()');
pgls_wait_ready_empty($node);
is($node->safe_psql('postgres', 'SELECT count(*) FROM t'), '8004', 'all rows survived recovery');
$node->stop;
snapshot_pg_wal();

my @files = archive_files($wal);
note("archive: @files");
my @segments = grep { /^[0-9A-F]{24}$/ } @files;
my @partials = grep { /^[0-9A-F]{24}\.partial$/ } @files;
my @backups  = grep { /^[0-9A-F]{24}\.[0-9A-F]{8}\.backup$/ } @files;
ok(scalar(@segments) >= 7, 'at least 7 segments archived (' . scalar(@segments) . ')');
ok(grep({ $_ eq '00000002.history' } @files), '00000002.history archived');
is(scalar(@partials), 1, 'one .partial archived');
is(scalar(@backups),  1, 'one .backup archived');
is_deeply([ archive_temp_files($archive) ], [], 'no temp files in the archive');
my @no_oracle = grep { !-f "$oracle/$_" } @files;
is_deeply(\@no_oracle, [], 'PostgreSQL\'s copy of every archived file was kept');

# ---- restore --------------------------------------------------------------------------------

my $dest_dir = "$scratch/pg_wal";
mkdir $dest_dir or die "mkdir $dest_dir: $!";

# Every archived file restores byte-identically to what PostgreSQL wrote.
for my $f (@files)
{
	my $dest = "$dest_dir/RECOVERYXLOG";
	unlink $dest;
	my ($rc, $out, $err) = run_cmd($bin, 'restore', '--archive-dir', $archive, $f, $dest);
	is($rc, 0, "restore $f: exit 0");
	ok(-f $dest && file_md5($dest) eq file_md5("$oracle/$f"),
		"restore $f: byte-identical to PostgreSQL's file");
	is($err, '', "restore $f: nothing on stderr");
}
# The copy replaces a leftover at %p (PostgreSQL reuses RECOVERYXLOG).
{
	my $dest = "$dest_dir/RECOVERYXLOG";
	open(my $fh, '>', $dest) or die;
	print $fh "stale\n";
	close $fh;
	my ($rc) = run_cmd($bin, 'restore', '--archive-dir', $archive, $segments[1], $dest);
	is($rc, 0, 'restore over an existing %p: exit 0');
	is(file_md5($dest), file_md5("$oracle/$segments[1]"), 'restore over an existing %p: replaced');
	unlink $dest;
}
is_deeply([ files_like($dest_dir, 'RECOVERYXLOG.') ], [], 'restore leaves no temp file beside %p');

# Missing but valid names: exit 1, silent, nothing written.
for my $f ('000000010000000A00000010', '00000009.history', '000000030000000000000001',
	'000000010000000000000099.partial')
{
	my $dest = "$dest_dir/missing";
	my ($rc, $out, $err) = run_cmd($bin, 'restore', '--archive-dir', $archive, $f, $dest);
	is($rc,  1,  "restore missing $f: exit 1");
	is($out, '', "restore missing $f: empty stdout");
	is($err, '', "restore missing $f: empty stderr");
	ok(!-e $dest, "restore missing $f: nothing at %p");
	is_deeply([ files_like($dest_dir, 'missing') ], [], "restore missing $f: no temp file");
}

# Invalid names: rejected with a message (not "missing"), nothing written. A copy of the archive
# gets files under the invalid names where possible, so that accepting them would find something.
{
	my $trap = copy_archive();
	my $lc   = lc($segments[-1]);
	copy("$trap/wal/$segments[-1]", "$trap/wal/$lc") or die "copy: $!";
	mkdir "$trap/etc";
	copy("$trap/wal/$segments[0]", "$trap/etc/passwd") or die "copy: $!";
	copy("$trap/wal/$segments[0]", "$trap/x")          or die "copy: $!";
	copy("$trap/wal/00000002.history", "$trap/wal/00000002.HISTORY.bak") or die "copy: $!";

	for my $f ('../../etc/passwd', '../etc/passwd', '000000010000000000000001/../../x',
		$lc, '', '00000002.HISTORY.bak', "$segments[0]\n", "$segments[0] ",
		'/' . $segments[0], "./$segments[0]", substr($segments[0], 0, 23), "${segments[0]}0",
		'00000001000000000000000G')
	{
		my $dest  = "$dest_dir/invalid";
		my $shown = $f;
		$shown =~ s/\n/\\n/g;
		my ($rc, $out, $err) = run_cmd($bin, 'restore', '--archive-dir', $trap, $f, $dest);
		ok($rc != 0 && $rc != 1, "restore '$shown': exit neither 0 nor 1 (got $rc)");
		like($err, qr/invalid|name/i, "restore '$shown': says why on stderr");
		ok(!-e $dest, "restore '$shown': nothing at %p");
		is_deeply([ files_like($dest_dir, 'invalid') ], [], "restore '$shown': no temp file");
	}
	rmtree($trap);
}

# Damaged archived files: refused, exit neither 0 nor 1, nothing at %p, and say which file.
# $damage->($path) damages a file; $verify: 'shallow' or 'deep', the verify that must see it.
my $bad    = copy_archive();
my $victim = $segments[2];

# Flips every bit of $len bytes at $off (negative: from the end).
sub flip_bytes
{
	my ($path, $off, $len) = @_;
	$off += -s $path if $off < 0;
	open(my $fh, '+<', $path) or die "open $path: $!";
	binmode $fh;
	sysseek($fh, $off, 0) or die;
	my $old;
	sysread($fh, $old, $len) == $len or die "short read";
	my $new = join('', map { chr(ord($_) ^ 0xFF) } split //, $old);
	sysseek($fh, $off, 0) or die;
	syswrite($fh, $new) == $len or die "write: $!";
	close $fh;
}

sub check_refused
{
	my ($what, $file, $verify, $todo) = @_;
	my $dest = "$dest_dir/damaged";
	my ($rc, $out, $err) = run_cmd($bin, 'restore', '--archive-dir', $bad, $file, $dest);
  TODO:
	{
		local $TODO = $todo;
		ok($rc != 0 && $rc != 1, "$what: restore exits neither 0 nor 1 (got $rc)");
		like($err, qr/\Q$file\E/, "$what: restore's message names the file");
		ok(!-e $dest, "$what: restore wrote nothing at %p");
		is_deeply([ files_like($dest_dir, 'damaged') ], [], "$what: restore left no temp file");
		if ($verify)
		{
			my @deep = $verify eq 'deep' ? ('--deep') : ();
			my ($vrc, $vout) = run_cmd($bin, 'verify', '--archive-dir', $bad, @deep);
			is($vrc, 1, "$what: verify @deep exits 1");
			like($vout, qr/^problem: \Q$file\E: /m, "$what: verify @deep names the file");
		}
	}
	unlink(map { "$dest_dir/$_" } files_like($dest_dir, 'damaged'));
}

# One victim per compression found in the archive (byte 10 of the archive header).
my %by_algorithm;
for my $f (@segments)
{
	open(my $fh, '<', "$wal/$f") or die;
	binmode $fh;
	read($fh, my $head, 11) == 11 or die;
	close $fh;
	my $algo = substr($head, 0, 7) eq 'PGLSWAL' ? ord(substr($head, 10, 1)) : 'raw';
	$by_algorithm{$algo} //= $f;
}
note('victims by compression: ' . join(', ', map { "$_ => $by_algorithm{$_}" } sort keys %by_algorithm));
cmp_ok(scalar(keys %by_algorithm), '>=', 2, 'the archive holds segments in more than one format');
for my $v (sort values %by_algorithm)
{
	my $size = -s "$wal/$v";
	note("$v is stored in $size bytes (the segment is " . (-s "$oracle/$v") . ')');
	for my $case (
		[ 'archive header: magic',            0,  2, 'shallow' ],
		[ 'archive header: original size',    16, 1, 'shallow' ],
		[ 'archive header: content checksum', 40, 1, 'shallow' ],
		[ 'archive header: header checksum',  60, 1, 'shallow' ],
		[ 'payload: first bytes',             64, 4, 'deep' ],
		[ 'payload: middle',      int($size / 2), 1, 'deep' ],
		[ 'payload: last byte',               -1, 1, 'deep' ])
	{
		my ($what, $off, $len, $verify) = @$case;
		copy("$wal/$v", "$bad/wal/$v") or die "copy: $!";
		flip_bytes("$bad/wal/$v", $off, $len);
		check_refused("archived $v, damaged $what", $v, $verify);
	}
	copy("$wal/$v", "$bad/wal/$v") or die "copy: $!";
}
my $archived_size = -s "$wal/$victim";
# Truncated: at the end, inside the header, empty.
for my $size ($archived_size - 100, 30, 0)
{
	copy("$wal/$victim", "$bad/wal/$victim") or die "copy: $!";
	truncate("$bad/wal/$victim", $size) or die "truncate: $!";
	check_refused("archived $victim truncated to $size bytes", $victim, 'shallow');
}
# Another segment's archived copy under this name; a timeline 2 copy under a timeline 1 name.
copy("$wal/$segments[3]", "$bad/wal/$victim") or die "copy: $!";
check_refused("$segments[3]'s archived copy as $victim", $victim, 'shallow');
copy("$wal/$victim", "$bad/wal/$victim") or die "copy: $!";
my ($tl2_seg) = grep { /^00000002/ } @segments;
(my $as_tl1 = $tl2_seg) =~ s/^00000002/00000001/;
copy("$wal/$tl2_seg", "$bad/wal/$as_tl1") or die "copy: $!";
check_refused("$tl2_seg\'s archived copy as $as_tl1", $as_tl1, undef);
unlink("$bad/wal/$as_tl1");

# Raw files (as PostgreSQL wrote them, e.g. copied in by hand) are restored as they are, with the
# WAL page header checks.
copy("$oracle/$victim", "$bad/wal/$victim") or die "copy: $!";
{
	my $dest = "$dest_dir/raw";
	my ($rc) = run_cmd($bin, 'restore', '--archive-dir', $bad, $victim, $dest);
	is($rc, 0, 'a raw archived segment restores');
	is(file_md5($dest), file_md5("$oracle/$victim"), 'a raw archived segment restores as it is');
	unlink $dest;
}
my @raw = (
	[ 'xlp_info (long header flag)', 2,  2, 'shallow' ],
	[ 'xlp_pageaddr',                8,  4, 'shallow' ],
	[ 'xlp_seg_size',                32, 4, 'shallow' ],
	[ 'xlp_magic', 0, 2, 'shallow' ],
);
for my $case (@raw)
{
	my ($what, $off, $len, $verify, $todo) = @$case;
	copy("$oracle/$victim", "$bad/wal/$victim") or die "copy: $!";
	flip_bytes("$bad/wal/$victim", $off, $len);
	check_refused("raw $victim, damaged $what", $victim, $verify, $todo);
}
copy("$oracle/$victim", "$bad/wal/$victim") or die "copy: $!";
truncate("$bad/wal/$victim", 8192) or die "truncate: $!";
check_refused("raw $victim truncated to 8192 bytes", $victim, 'shallow');
rmtree($bad);

# Usage errors: exit 3.
{
	my ($rc) = run_cmd($bin, 'restore', $segments[0], "$dest_dir/x");
	is($rc, 3, 'restore without --archive-dir: exit 3');
	($rc) = run_cmd($bin, 'restore', '--archive-dir', $archive, $segments[0]);
	is($rc, 3, 'restore without %p: exit 3');
	($rc) = run_cmd($bin, 'restore', '--archive-dir', "$scratch/nope", $segments[0],
		"$dest_dir/x");
	ok($rc != 0 && $rc != 1, "restore from a missing archive dir: exit neither 0 nor 1 (got $rc)");
	ok(!-e "$dest_dir/x", 'restore usage errors wrote nothing');
}

# ---- cleanup --------------------------------------------------------------------------------

# pg_archivecleanup is the oracle: the same files, by the same rule.
sub archivecleanup_dry_run
{
	my ($dir, $oldest) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'pg_archivecleanup', '-n', $dir, $oldest ], '>', \$out, '2>', \$err)
	  or die "pg_archivecleanup failed: $err";
	return sort map { s{.*/}{}r } split /\n/, $out;
}

# Keep from the middle of timeline 1, and from the TL1 segment that has the .partial (so the rule
# "X.partial sorts after X" matters), and with a .backup file name as %r.
my ($partial_seg) = $partials[0] =~ /^([0-9A-F]{24})/;
my @cases = ($segments[3], $partial_seg, $backups[0]);
for my $oldest (@cases)
{
	my $copy   = copy_archive();
	my @before = archive_files("$copy/wal");
	my @expect = archivecleanup_dry_run("$copy/wal", $oldest);
	ok(scalar(@expect) > 0, "cleanup $oldest: pg_archivecleanup would remove some files");

	my ($rc, $out, $err) = run_cmd($bin, 'cleanup', '--archive-dir', $copy, '--dry-run', $oldest);
	is($rc, 0, "cleanup --dry-run $oldest: exit 0");
	my @listed = sort map { s{.*/}{}r } grep { $_ ne '' } split /\n/, $out;
	is_deeply(\@listed, \@expect, "cleanup --dry-run $oldest: lists what pg_archivecleanup would");
	like($out, qr{^\Q$copy\E/wal/}m, "cleanup --dry-run $oldest: prints paths in the archive");
	is_deeply([ archive_files("$copy/wal") ], \@before, "cleanup --dry-run $oldest: removes nothing");

	($rc, $out, $err) = run_cmd($bin, 'cleanup', '--archive-dir', $copy, $oldest);
	is($rc, 0, "cleanup $oldest: exit 0");
	my %gone = map { $_ => 1 } @expect;
	is_deeply([ archive_files("$copy/wal") ], [ grep { !$gone{$_} } @before ],
		"cleanup $oldest: removed exactly those files");
	ok(-f "$copy/wal/00000002.history", "cleanup $oldest: kept 00000002.history");
	ok(-f "$copy/wal/$backups[0]",      "cleanup $oldest: kept the .backup file");
	my @kept_older = grep { /^[0-9A-F]{24}/ && substr($_, 8, 16) lt substr($oldest, 8, 16) }
	  grep { !/\.(history|backup)$/ } archive_files("$copy/wal");
	is_deeply(\@kept_older, [], "cleanup $oldest: no older segment left");
	rmtree($copy);
}
# Bad %r: an error, nothing removed.
{
	my $copy   = copy_archive();
	my @before = archive_files("$copy/wal");
	for my $bad ('00000002.history', 'garbage', '../000000010000000000000005')
	{
		my ($rc, $out, $err) = run_cmd($bin, 'cleanup', '--archive-dir', $copy, $bad);
		is($rc, 2, "cleanup '$bad': exit 2");
		isnt($err, '', "cleanup '$bad': says why");
	}
	is_deeply([ archive_files("$copy/wal") ], \@before, 'bad cleanup arguments removed nothing');
	rmtree($copy);
}

# ---- verify ---------------------------------------------------------------------------------

{
	my ($rc, $out, $err) = run_cmd($bin, 'verify', '--archive-dir', $archive, '--deep');
	is($rc, 0, 'verify --deep of the intact archive: exit 0');
	like($out, qr/\narchive ok\n\z/, 'verify --deep of the intact archive: "archive ok" last');

	($rc, $out, $err) = run_cmd($bin, 'verify', '--archive-dir', $archive);
	is($rc, 0, 'verify of the intact archive: exit 0');
	like($out, qr/\narchive ok\n\z/, 'verify of the intact archive: "archive ok" last');
	unlike($out, qr/^problem:/m, 'verify of the intact archive: no problem lines');
	my $first = $segments[0];
	like($out, qr/^timeline 1: \Q$first\E \.\. \Q$partial_seg\E, /m,
		'verify names timeline 1 from the first segment to the .partial');
	like($out, qr/^timeline 2: /m,                        'verify reports timeline 2');
	like($out, qr/^history files: 1, backup history files: 1$/m, 'verify counts history and backup files');

	my $copy   = copy_archive();
	my @tl1    = grep { /^00000001/ } @segments;
	my $middle = $tl1[ int(@tl1 / 2) ];
	unlink("$copy/wal/$middle") or die "unlink: $!";
	($rc, $out, $err) = run_cmd($bin, 'verify', '--archive-dir', $copy);
	is($rc, 1, "verify with $middle deleted: exit 1");
	like($out, qr/^problem: \Q$middle\E: missing\b.*\bgap on timeline 1\b/m,
		"verify with $middle deleted: reports the gap");
	is(scalar(() = $out =~ /^problem:/mg), 1, "verify with $middle deleted: one problem line");
	like($out, qr/^timeline 1: .*, 1 missing in 1 gap\(s\)$/m,
		"verify with $middle deleted: timeline summary counts it");
	like($out, qr/\narchive has 1 problem\(s\)\n\z/, "verify with $middle deleted: 1 problem");

	# Two more adjacent segments of timeline 1 gone: one gap of three, still one problem line.
	my ($i) = grep { $tl1[$_] eq $middle } 0 .. $#tl1;
	my ($before, $after) = ($tl1[ $i - 1 ], $tl1[ $i + 1 ]);
	unlink("$copy/wal/$before", "$copy/wal/$after") == 2 or die "unlink: $!";
	($rc, $out, $err) = run_cmd($bin, 'verify', '--archive-dir', $copy);
	is($rc, 1, 'verify with three adjacent segments deleted: exit 1');
	like($out, qr/^problem: \Q$before\E: missing\b.*\b\Q$after\E\b.*\bgap on timeline 1\b/m,
		'verify with three adjacent segments deleted: one gap, first to last');
	is(scalar(() = $out =~ /^problem:/mg), 1,
		'verify with three adjacent segments deleted: one problem line');
	like($out, qr/^timeline 1: .*, 3 missing in 1 gap\(s\)$/m,
		'verify with three adjacent segments deleted: 3 missing');

	# The history file gone too.
	unlink("$copy/wal/00000002.history") or die "unlink: $!";
	($rc, $out, $err) = run_cmd($bin, 'verify', '--archive-dir', $copy);
	is($rc, 1, 'verify without the history file: exit 1');
	like($out, qr/^problem: 00000002\.history: missing/m, 'verify reports the missing history file');
	like($out, qr/\narchive has 2 problem\(s\)\n\z/, 'verify: gap and history, 2 problems');
	rmtree($copy);

	($rc, $out, $err) = run_cmd($bin, 'verify', '--archive-dir', "$scratch/nope");
	ok($rc != 0 && $rc != 1, "verify of a missing archive: exit neither 0 nor 1 (got $rc)");
}

done_testing();
