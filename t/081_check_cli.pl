# 081_check_cli.pl -- `pg_logship check -d CONNINFO`, the Nagios-style front of pg_logship.health().
#
# Checks the status line and the exit code in each case:
#   healthy primary                       exit 0, "PG_LOGSHIP OK - no problems found"
#   standby with replay paused            exit 1, "PG_LOGSHIP WARNING - WAL replay is paused"
#     (after WAL arrived that it did not replay)
#   archiving configured with pg_logship  exit 2, "PG_LOGSHIP CRITICAL - ..." naming the missing
#     but archive_dir missing                     archive directory
#   nothing listening on the port         exit 3, "PG_LOGSHIP UNKNOWN - cannot connect: ..."
#   extension not created                 exit 3, "PG_LOGSHIP UNKNOWN - health() failed: ..."
# and that one line per finding follows the status line.
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use PgLogshipTest;

my $bin = pgls_bin();

my $common = qq(
shared_preload_libraries = 'pg_logship'
autovacuum = off
);

# Runs `pg_logship check -d CONNINFO`; returns (exit code, stdout, stderr).
sub check
{
	my ($conninfo) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ $bin, 'check', '-d', $conninfo ], '>', \$out, '2>', \$err);
	my $rc = $? >> 8;
	note("pg_logship check -d '$conninfo' -> exit $rc"
		  . ($out ne '' ? "\n  stdout: $out" : '')
		  . ($err ne '' ? "\n  stderr: $err" : ''));
	return ($rc, $out, $err);
}

sub conninfo
{
	my ($node, $db) = @_;
	return 'host=' . $node->host . ' port=' . $node->port . ' dbname=' . ($db // 'postgres');
}

# ---- healthy primary ------------------------------------------------------------------------

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', $common);
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION pg_logship');
$primary->safe_psql('postgres', 'CREATE TABLE t (i int, s text)');

my ($rc, $out, $err) = check(conninfo($primary));
is($rc, 0, 'healthy primary: exit 0');
like($out, qr/\APG_LOGSHIP OK - no problems found\n/, 'healthy primary: PG_LOGSHIP OK');
like($out, qr/^ok pg_logship: no problems found$/m, 'healthy primary: the finding is listed');
is($err, '', 'healthy primary: nothing on stderr');

# ---- standby with replay paused -------------------------------------------------------------

$primary->backup('b1');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'b1');
$standby->append_conf('postgresql.conf',
	"primary_conninfo = '" . $primary->connstr . " application_name=standby'\n");
$standby->set_standby_mode;
$standby->start;
$primary->wait_for_catchup('standby');

($rc, $out) = check(conninfo($standby));
is($rc, 0, 'streaming standby: exit 0');
like($out, qr/\APG_LOGSHIP OK/, 'streaming standby: PG_LOGSHIP OK');

$standby->safe_psql('postgres', 'SELECT pg_wal_replay_pause()');
$primary->safe_psql('postgres',
	'INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 1000) g');
my $target = $primary->lsn('flush');
$standby->poll_query_until('postgres',
	"SELECT pg_last_wal_receive_lsn() >= '$target' AND pg_get_wal_replay_pause_state() = 'paused'")
  or die 'the standby did not receive the WAL or did not pause';
is($standby->safe_psql('postgres', "SELECT pg_last_wal_replay_lsn() < '$target'"),
	't', 'the standby received WAL it did not replay');

($rc, $out, $err) = check(conninfo($standby));
is($rc, 1, 'paused standby: exit 1');
like($out, qr/\APG_LOGSHIP WARNING - WAL replay is paused\n/,
	'paused standby: PG_LOGSHIP WARNING - WAL replay is paused');
like($out, qr/^warning receiver: WAL replay is paused\n  hint: SELECT pg_wal_replay_resume\(\);/m,
	'paused standby: the finding and its hint are listed');
is($err, '', 'paused standby: nothing on stderr');

# The primary does not care: its standby streams and has everything.
($rc, $out) = check(conninfo($primary));
is($rc, 0, 'primary of the paused standby: exit 0');

$standby->safe_psql('postgres', 'SELECT pg_wal_replay_resume()');
$primary->wait_for_catchup('standby');
($rc, $out) = check(conninfo($standby));
is($rc, 0, 'resumed standby: exit 0');

# ---- archiving into a missing directory -----------------------------------------------------

my $missing = PostgreSQL::Test::Utils::tempdir('archive') . '/does-not-exist';
my $archiver = PostgreSQL::Test::Cluster->new('archiver');
$archiver->init(allows_streaming => 1);
$archiver->append_conf('postgresql.conf',
	archive_conf($missing, mode => 'on', server => 'archiver') . "autovacuum = off\n");
$archiver->start;
$archiver->safe_psql('postgres', 'CREATE EXTENSION pg_logship');
# A segment waits to be archived.
$archiver->safe_psql('postgres', 'SELECT pg_switch_wal()');

($rc, $out, $err) = check(conninfo($archiver));
is($rc, 2, 'missing archive dir: exit 2');
like($out, qr/\APG_LOGSHIP CRITICAL - [^\n]*\Q$missing\E/,
	'missing archive dir: PG_LOGSHIP CRITICAL, naming the directory');
like($out, qr/^critical archive: [^\n]*\Q$missing\E[^\n]*does not exist/m,
	'missing archive dir: a critical archive finding says it does not exist');
is($err, '', 'missing archive dir: nothing on stderr');
ok(!-e $missing, 'the missing directory was not created');

# Once it exists, the check is happy again.
mkdir $missing or die "mkdir $missing: $!";
$archiver->safe_psql('postgres', 'SELECT pg_reload_conf()');
pgls_wait_ready_empty($archiver);
($rc, $out) = check(conninfo($archiver));
is($rc, 0, 'archive dir created: exit 0');
like($out, qr/\APG_LOGSHIP OK/, 'archive dir created: PG_LOGSHIP OK');

# ---- cannot connect -------------------------------------------------------------------------

my $closed = PostgreSQL::Test::Cluster::get_free_port();
($rc, $out, $err) = check('host=' . $primary->host . " port=$closed dbname=postgres");
is($rc, 3, 'closed port: exit 3');
like($out, qr/\APG_LOGSHIP UNKNOWN - cannot connect: [^\n]+\n\z/,
	'closed port: PG_LOGSHIP UNKNOWN - cannot connect, on one line');

# ---- extension not created ------------------------------------------------------------------

$primary->safe_psql('postgres', 'CREATE DATABASE noext');
($rc, $out, $err) = check(conninfo($primary, 'noext'));
is($rc, 3, 'extension not created: exit 3');
like($out, qr/\APG_LOGSHIP UNKNOWN - health\(\) failed: [^\n]*pg_logship[^\n]*\n\z/,
	'extension not created: PG_LOGSHIP UNKNOWN - health() failed, on one line');

done_testing();
