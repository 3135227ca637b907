# 110_s3_client.pl -- the S3 client (src/core/s3) against a real Ceph RADOS Gateway.
#
# Starts a throwaway gateway (PgLogshipS3, scripts/rgw.sh; http and https) and runs each test
# of test/s3/s3_gateway_tests (built by make build / make tap) against it, one TAP result per
# test: put_if_absent (once, never overwriting; a race of six processes on one key, exactly one
# Created and the object whole), a changed body refused (signed SHA-256), HEAD metadata, ranged
# and streamed GET, listing in pages and with a delimiter, batch delete, host-style addressing
# (BUCKET.localhost), wrong credentials and an unknown bucket (clear errors, no secret), TLS
# (verification on by default), the gateway down (retries within the deadline, should_stop) and
# restarted (the same client recovers), and a 16 MiB segment.
use strict;
use warnings;

use Cwd qw(getcwd);
use IPC::Run;
use PostgreSQL::Test::Utils;
use Test::More;

use PgLogshipS3;

my $bin = getcwd() . '/test/s3/s3_gateway_tests';
if (!-x $bin)
{
	fail("$bin is not built (make build)");
	done_testing();
	exit;
}

my ($list, $list_err) = ('', '');
IPC::Run::run([ $bin, '--gtest_list_tests' ], '>', \$list, '2>', \$list_err)
  or die "$bin --gtest_list_tests failed: $list_err";
my @tests;
my $suite = '';
for (split /\n/, $list)
{
	if (/^(\w+)\.$/) { $suite = $1; next; }
	push @tests, "$suite.$1" if /^\s+(\w+)/;
}
cmp_ok(scalar @tests, '>=', 14, 'the gateway test program lists its tests');

my $gw = PgLogshipS3->start(tls => 1);
ok($gw->tls_endpoint, 'the gateway serves https too');

my %env = (%{ $gw->env }, PGLS_RGW => PgLogshipS3::script(), PGLS_S3_DIR => $gw->dir);
for my $test (@tests)
{
	my $out = '';
	local %ENV = (%ENV, %env);
	my $ok = IPC::Run::run([ $bin, "--gtest_filter=$test" ], '<', \undef, '>&', \$out);
	my $passed = $ok && $out =~ /\[  PASSED  \] 1 test\./ && $out !~ /SKIPPED/;
	ok($passed, $test) or diag($out);
	note($1) if $out =~ /^(16 MiB: .*)$/m;
}

$gw->stop;
done_testing();
