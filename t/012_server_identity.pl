# 012_server_identity.pl -- two servers with cluster_name = '15/main' (what Debian sets on every
# host) and the default server name, on one shared archive, under load.
#
# The first server (a primary) claims its name in <archive>/claims/<name>. A standby cloned from it
# with pg_basebackup carries the same postgresql.conf, so the same default name (both run on this
# host): it must be refused -- an ERROR naming pg_logship.server_name, the claim and its holder, a
# critical finding in health(), nothing archived (its .ready files and segments stay in pg_wal) --
# and nothing of the first server may be touched: its archived files and its claim keep their
# bytes, no quarantine is written, and no temp file is swept. Two temp files stand for the first
# server's writes in progress as a server on another host would leave them, with a pid that does
# not exist here: in the current form and in the form without an instance id. The clone must have
# made its own instance id (the copied one names the primary's data directory). Given a name of
# its own, the standby claims it and archives (acknowledges) its backlog; its first sweep removes
# a temp file of its own instance with a dead pid, and still leaves the first server's alone.
use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(basename);
use Sys::Hostname qw(hostname);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PgLogshipTest;

my $archive = new_archive_dir('shared');
my $waldir  = "$archive/wal";

# Rows, then a segment switch; returns the segment switched from.
sub load
{
	my ($node, $rounds) = @_;
	my $last;
	for (1 .. $rounds)
	{
		$node->safe_psql('postgres',
			'INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 5000) g');
		$last = switch_wal($node);
	}
	return $last;
}

# key => value of a claim or instance file.
sub read_record
{
	my ($path) = @_;
	my %r = map { /^([^=]+)=(.*)$/ ? ($1 => $2) : () } split /\n/, slurp_file($path);
	return \%r;
}

# md5 of every final file in the archive's wal folder.
sub archive_md5s
{
	return { map { $_ => file_md5("$waldir/$_") } archive_files($waldir) };
}

# ---- the first server -------------------------------------------------------------------------

my $primary = PostgreSQL::Test::Cluster->new('first');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf',
	archive_conf($archive, mode => 'always')
	  . "cluster_name = '15/main'\nwal_keep_size = '512MB'\nautovacuum = off\n");
start_with_conf_cluster_name($primary);
$primary->safe_psql('postgres',
	'CREATE EXTENSION pg_logship; CREATE TABLE t (i int, v text)');

my $name = default_server_name('15/main');
is(archive_status($primary)->{server_name},
	$name, "the default server name is the host name and cluster_name: $name");
wait_for_archived($primary, load($primary, 2));

my $claim_path = "$archive/claims/$name";
ok(-f $claim_path, 'the first server claimed its name in the archive');
my $claim        = read_record($claim_path);
my $sysid        = $primary->safe_psql('postgres',
	'SELECT system_identifier FROM pg_control_system()');
my $first_inst   = instance_id($primary);
ok(defined $first_inst, 'the first server has an instance id');
is($claim->{pg_logship_claim}, '1',   'claim: format 1');
is($claim->{server_name},      $name, 'claim: the server name');
is($claim->{system_identifier}, $sysid, 'claim: the system identifier');
is($claim->{host},             hostname(), 'claim: the host name');
is($claim->{data_directory},   abs_path($primary->data_dir), 'claim: the data directory');
is($claim->{port},             $primary->port, 'claim: the port');
is($claim->{instance_id},      $first_inst, 'claim: the instance id');
$primary->wait_for_log(qr/pg_logship claimed server name "\Q$name\E" in the archive/);

# ---- a standby cloned with pg_basebackup: same conf, so the same default name -----------------

$primary->backup('clone');
my $standby = PostgreSQL::Test::Cluster->new('clone');
$standby->init_from_backup($primary, 'clone', has_streaming => 1);
is(instance_id($standby), $first_inst, 'pg_basebackup copied the instance file');

# The first server's writes in progress, as a server on another host leaves them: its pid does not
# exist here. One in the current form, one in the form before instance ids.
my $dead        = dead_pid();
my $live_write  = "$waldir/" . temp_name('000000010000000000000063', $name, $first_inst, $dead, 7);
my $older_write = "$waldir/000000010000000000000064.pgls-tmp.$name.$dead.8";
for my $f ($live_write, $older_write)
{
	open(my $fh, '>', $f) or die "create $f: $!";
	print $fh 'a segment being written';
	close $fh;
}
my $before_md5   = archive_md5s();
my $claim_md5    = file_md5($claim_path);
my $temp_md5     = file_md5($live_write);

start_with_conf_cluster_name($standby);
is(archive_status($standby)->{server_name}, $name, 'the clone has the same default name');

# Load on the primary while the clone receives segments and is refused.
my $offset = -s $standby->logfile;
my $last   = load($primary, 4);
$standby->wait_for_log(
	qr/ERROR:  pg_logship\.server_name "\Q$name\E" is claimed by another server in the archive/,
	$offset);
my $log = slurp_file($standby->logfile, $offset);
like($log, qr/DETAIL:  The claim "\Q$claim_path\E" is held by host "[^"]+", data directory "\Q${\ abs_path($primary->data_dir)}\E"/,
	'the DETAIL names the claim and its holder\'s data directory');
like($log, qr/instance \Q$first_inst\E\. This server is .*data directory "\Q${\ abs_path($standby->data_dir)}\E"/,
	'... the holder\'s instance and this server');
like($log, qr/the claim differs in: data directory\./, '... and what differs');
like($log, qr/HINT:  Give this server a name of its own with pg_logship\.server_name and reload\. If the server that holds the claim is retired, remove "\Q$claim_path\E"/,
	'the HINT says how to fix it');

my $clone_inst = instance_id($standby);
ok(defined $clone_inst && $clone_inst ne $first_inst, 'the clone made its own instance id');
like(slurp_file($standby->logfile),
	qr/pg_logship made a new instance id \Q$clone_inst\E for this data directory\n.*DETAIL:  The instance file in "[^"]+" was not used: it was made for host "[^"]+", data directory "\Q${\ abs_path($primary->data_dir)}\E" \(instance \Q$first_inst\E\)/,
	'the clone says why it made a new instance id');

my ($sev, $msg, $hint) = split /\|/, $standby->safe_psql('postgres',
	q{SELECT severity, message, hint FROM pg_logship.health()
	   WHERE component = 'archive' AND message LIKE 'server name %'});
is($sev, 'critical', 'health(): a critical finding on the clone');
like($msg, qr/^server name "\Q$name\E" is claimed by another server \(host "[^"]+", data directory "\Q${\ abs_path($primary->data_dir)}\E".*\) in "\Q$claim_path\E"; nothing is archived$/,
	'health(): it names the holder and the claim');
like($hint, qr/pg_logship\.server_name/, 'health(): the hint names the setting');
is($primary->safe_psql('postgres',
	q{SELECT count(*) FROM pg_logship.health() WHERE message LIKE 'server name %claimed%'}),
	'0', 'health(): nothing on the first server');

# Another refused attempt after a temp file of the clone's own instance (a dead pid) is planted:
# a refused server does not even sweep its own.
my $own_debris = "$waldir/" . temp_name('000000010000000000000065', 'standby1', $clone_inst, $dead, 9);
open(my $fh, '>', $own_debris) or die "create $own_debris: $!";
close $fh;
$offset = -s $standby->logfile;
$last   = load($primary, 2);
$standby->wait_for_log(qr/ERROR:  pg_logship\.server_name "\Q$name\E" is claimed/, $offset);
wait_for_archived($primary, $last);
# The clone has received all of it (its walreceiver's application_name is its cluster_name).
my $lsn = $primary->safe_psql('postgres', 'SELECT pg_current_wal_lsn()');
$standby->poll_query_until('postgres', "SELECT pg_last_wal_receive_lsn() >= '$lsn'::pg_lsn")
  or die 'the clone did not receive the WAL';

my $arch = $standby->safe_psql('postgres',
	'SELECT archived_count, failed_count > 0 FROM pg_stat_archiver');
is($arch, '0|t', 'the clone archived nothing, and its attempts failed');
my @ready = ready_files($standby);
cmp_ok(scalar(@ready), '>=', 4, 'the clone\'s received segments wait as .ready: ' . scalar(@ready));
is(scalar(grep { !-f $standby->data_dir . "/pg_wal/$_" } @ready), 0, '... and are all in its pg_wal');

# Nothing of the first server was touched.
my $after = archive_md5s();
is_deeply({ map { $_ => $after->{$_} } keys %$before_md5 }, $before_md5,
	'every file archived before the clone started is unchanged');
is(file_md5($claim_path), $claim_md5, 'the first server\'s claim is unchanged');
ok(-f $live_write && file_md5($live_write) eq $temp_md5,
	'the first server\'s write in progress (a pid not on this host) was not swept');
ok(-f $older_write, '... nor the one in the form without instance id');
ok(-f $own_debris, 'a refused server sweeps nothing at all');
ok(!-e "$archive/quarantine", 'no quarantine written');
is_deeply([ sort map { basename($_) } glob("$archive/claims/*") ], [$name], 'one claim only');
is(archive_status($primary)->{temp_files_swept}, '0', 'the first server swept nothing');

# ---- given its own name, the clone claims it and archives ---------------------------------------

$standby->append_conf('postgresql.conf', "pg_logship.server_name = 'standby1'\n");
$standby->reload;
pgls_wait_ready_empty($standby);
my $st = archive_status($standby);
is($st->{server_name}, 'standby1', 'the clone runs under its own name');
cmp_ok($st->{acknowledged_count}, '>=', scalar(@ready), 'it acknowledged its backlog');
is($st->{conflict_count}, '0', 'no conflict');
my $clone_claim = read_record("$archive/claims/standby1");
is($clone_claim->{instance_id},    $clone_inst, 'its claim names its own instance');
is($clone_claim->{data_directory}, abs_path($standby->data_dir), '... and its data directory');
is($clone_claim->{system_identifier}, $sysid, '... of the same cluster');
is($standby->safe_psql('postgres',
	q{SELECT count(*) FROM pg_logship.health() WHERE message LIKE 'server name %claimed%'}),
	'0', 'health(): the finding is gone');

ok(!-e $own_debris, 'its first sweep removed its own instance\'s dead temp file');
ok(-f $live_write && -f $older_write, 'and left the first server\'s alone');
is(file_md5($claim_path), $claim_md5, 'the first server\'s claim is still unchanged');
$after = archive_md5s();
is_deeply({ map { $_ => $after->{$_} } keys %$before_md5 }, $before_md5,
	'the first server\'s files are still unchanged');
ok(!-e "$archive/quarantine", 'still no quarantine');

unlink $live_write, $older_write;
my ($rc, $out) = run_cmd(pgls_bin(), 'verify', '--archive-dir', $archive);
is($rc, 0, 'verify: the archive is sound') or diag $out;

$standby->stop;
$primary->stop;
done_testing();
