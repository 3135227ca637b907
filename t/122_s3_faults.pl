# 122_s3_faults.pl -- an S3 archive that fails: WAL stays in pg_wal, the errors name the setting to
# fix, no secret is ever shown, and archiving resumes by itself.
#
# Part 1: the gateway is killed (SIGKILL of radosgw) while a primary archives. The attempts fail
# (connection refused: retried within a bound, then the callback returns false and the archiver
# waits), failed_count rises, the segments stay .ready. radosgw is started again: archiving
# resumes by itself, and every segment is in the bucket with PostgreSQL's bytes.
# Part 2: wrong credentials (a wrong secret key), a credentials file others can read, and a bucket
# that does not exist: each gives an error that names the setting (pg_logship.s3_credentials_file,
# pg_logship.archive_dir), nothing leaves pg_wal, and the secret key appears in no log line and in
# no CLI message.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use PgLogshipTest;
use PgLogshipS3;

my $gw      = PgLogshipS3->start;
my $scratch = PostgreSQL::Test::Utils::tempdir('scratch');

# ---- part 1: the gateway goes away and comes back -------------------------------------------

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf',
	$gw->archive_conf('faults', server => 'primary', extra => "wal_keep_size = '1GB'\n"));
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION pg_logship; CREATE TABLE t (i int)');
my $first = switch_wal($primary);
wait_for_archived($primary, $first);

$gw->kill_rgw;
my @while_down;
for (1 .. 3)
{
	$primary->safe_psql('postgres', 'INSERT INTO t SELECT generate_series(1, 50000)');
	push @while_down, switch_wal($primary);
}
$primary->poll_query_until('postgres',
	"SELECT failed_count >= 2 AND last_failed_wal = '$while_down[0]' FROM pg_stat_archiver")
  or die 'the archiver did not fail while the gateway was down';
pass('attempts fail while the gateway is down, counted in pg_stat_archiver');
ok($primary->log_contains(qr/could not archive "\Q$while_down[0]\E": .*S3 .*(connect|Connection)/i),
	'the error says the object store could not be reached');
ok($primary->log_contains(qr/DETAIL:  The object store did not answer: check pg_logship\.s3_endpoint/),
	'the detail names pg_logship.s3_endpoint');
is_deeply([ grep { $_ ge $while_down[0] } ready_files($primary) ], \@while_down,
	'the segments wait in pg_wal (.ready)');
my $st = archive_status($primary);
cmp_ok($st->{io_failure_count}, '>', 0, 'archive_status counts the failed attempts');

$gw->start_rgw;
$primary->wait_for_log(qr/pg_logship woke the archiver/);
pass('the monitor saw the gateway answer again and woke the archiver');
pgls_wait_ready_empty($primary);
pass('archiving resumed by itself once the gateway was back');
for my $seg ($first, @while_down)
{
	is(restored_md5($seg, '--archive-dir', $gw->location('faults'), $gw->cli_args), file_md5($primary->data_dir . "/pg_wal/$seg"),
		"$seg is in the bucket with PostgreSQL's bytes");
}
my ($rc, $out) = run_cmd(pgls_bin(), 'verify', '--archive-dir', $gw->location('faults'),
	$gw->cli_args, '--deep');
is($rc, 0, 'verify --deep: the archive is sound after the outage');

# ---- part 2: settings that cannot work -------------------------------------------------------

my $secret = $gw->secret_key;
my $bad_creds = "$scratch/bad-credentials";
open(my $fh, '>', $bad_creds) or die;
print $fh "[default]\naws_access_key_id = " . $gw->access_key
  . "\naws_secret_access_key = wrongSecretKey000000000000000000000000\n";
close $fh;
chmod 0600, $bad_creds;
my $open_creds = "$scratch/open-credentials";
PostgreSQL::Test::Utils::system_or_bail('cp', $gw->credentials_file, $open_creds);
chmod 0644, $open_creds;

my %cases = (
	wrong_secret => [
		"pg_logship.s3_credentials_file = '$bad_creds'\n",
		qr/SignatureDoesNotMatch/,
		qr/DETAIL:  .*pg_logship\.s3_credentials_file/
	],
	open_file => [
		"pg_logship.s3_credentials_file = '$open_creds'\n",
		qr/pg_logship\.s3_credentials_file: .*\Q$open_creds\E.* is accessible by other users/,
		qr/could not check the claim of pg_logship\.server_name/
	],
	no_bucket => [
		"pg_logship.archive_dir = 's3://pgls-no-such-bucket/x'\n",
		qr/NoSuchBucket/,
		qr/DETAIL:  The bucket named in pg_logship\.archive_dir does not exist/
	],
);
for my $case (sort keys %cases)
{
	my ($conf, $error_re, $detail_re) = @{ $cases{$case} };
	my $node = PostgreSQL::Test::Cluster->new($case);
	$node->init(allows_streaming => 1);
	$node->append_conf('postgresql.conf',
		$gw->archive_conf('faults-' . $case, server => $case) . $conf);
	$node->start;
	my $seg = switch_wal($node);
	$node->wait_for_log($error_re);
	pass("$case: the archiver logs the error");
	ok($node->log_contains($detail_re), "$case: the error names the setting to fix");
	$node->poll_query_until('postgres', 'SELECT failed_count > 0 FROM pg_stat_archiver')
	  or die "$case: failed_count did not rise";
	ok((grep { $_ eq $seg } ready_files($node)), "$case: $seg stays in pg_wal (.ready)");
	is_deeply([ $gw->s3_keys("faults-$case/") ], [], "$case: nothing was written to the bucket");
	$node->stop;
	unlike(slurp_file($node->logfile), qr/\Q$secret\E/, "$case: no secret key in the log");
}

# The CLI with the wrong secret: an error that names the problem, never a key.
my ($crc, $cout, $cerr) = run_cmd(pgls_bin(), 'restore', '--archive-dir', $gw->location('faults'),
	'--s3-endpoint', $gw->endpoint, '--s3-uri-style', 'path', '--s3-credentials-file', $bad_creds,
	$first, "$scratch/x");
is($crc, 2, 'restore with a wrong secret key: exit 2');
like($cerr, qr/SignatureDoesNotMatch/, 'restore says the signature does not match');
unlike($cerr, qr/\Q$secret\E|wrongSecretKey/, 'restore shows no secret');
ok(!-e "$scratch/x", 'restore wrote nothing');

$primary->stop;
$gw->stop;
done_testing();
