# 083_status_exporter.pl -- the postgres_exporter queries file: every metric README.md lists, with
# its labels, and values consistent with the views.
#
# A primary (archiving, an active and an inactive slot), a streaming standby and a standby whose
# replay is paused. Debian's prometheus-postgres-exporter runs against the primary and against the
# paused standby, as a role that has only pg_monitor, with the installed
# pg_logship_postgres_exporter.yml, on loopback ports; the test scrapes /metrics over HTTP and
# compares each series with the views read just before and just after the scrape. The Grafana
# dashboard may only use metrics the README lists.
use strict;
use warnings;

use File::Basename qw(dirname);
use HTTP::Tiny;
use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use PgLogshipTest;

my $exporter = '/usr/bin/prometheus-postgres-exporter';
plan skip_all => "no $exporter (scripts/deps.sh installs prometheus-postgres-exporter)"
  unless -x $exporter;
my $sharedir = `pg_config --sharedir`;
chomp $sharedir;
my $queries = "$sharedir/extension/pg_logship_postgres_exporter.yml";
ok(-f $queries, "make install put the queries file at $queries");

# ---- the README's list: metric -> labels ------------------------------------------------------

my $root = dirname(__FILE__) . '/..';
open(my $fh, '<', "$root/README.md") or die "README.md: $!";
my $readme = do { local $/; <$fh> };
close $fh;
my ($section) = $readme =~ /^### Metrics\n(.*?)^#/ms or die 'README has no "### Metrics" section';
my %listed;
while ($section =~ /^\| `(pg_logship_\w+)` \|([^|]*)\| (gauge|counter) \|/mg)
{
	my ($metric, $labels) = ($1, $2);
	$listed{$metric} = join(',', sort($labels =~ /`(\w+)`/g));
}
cmp_ok(scalar(keys %listed), '>=', 30, 'the README lists the metrics');

# ---- the cluster --------------------------------------------------------------------------------

my $archive = new_archive_dir();
my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', archive_conf($archive, server => 'primary') . "autovacuum = off\n");
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION pg_logship');
$primary->safe_psql('postgres', 'CREATE ROLE exporter LOGIN IN ROLE pg_monitor');
$primary->safe_psql('postgres', "SELECT pg_create_physical_replication_slot('sb1')");
$primary->safe_psql('postgres', "SELECT pg_create_physical_replication_slot('spare', true)");
$primary->backup('b1');
my %node = (primary => $primary);
for my $name (qw(sb1 paused))
{
	my $n = PostgreSQL::Test::Cluster->new($name);
	$n->init_from_backup($primary, 'b1');
	$n->append_conf('postgresql.conf',
		"primary_conninfo = '" . $primary->connstr . " application_name=$name'\n"
		  . ($name eq 'sb1' ? "primary_slot_name = 'sb1'\n" : ''));
	$n->set_standby_mode;
	$n->start;
	$node{$name} = $n;
}
$primary->safe_psql('postgres', 'CREATE TABLE t AS SELECT g, md5(g::text) FROM generate_series(1, 20000) g');
switch_wal($primary) for 1 .. 2;
$primary->wait_for_catchup($_) for qw(sb1 paused);
pgls_wait_ready_empty($primary);
$node{paused}->safe_psql('postgres', 'SELECT pg_wal_replay_pause()');
$primary->safe_psql('postgres', 'INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 5000) g');
my $target = $primary->lsn('flush');
$node{paused}->poll_query_until('postgres',
	"SELECT pg_last_wal_receive_lsn() >= '$target' AND pg_get_wal_replay_pause_state() = 'paused'")
  or die 'the paused standby did not receive the WAL or did not pause';
$primary->wait_for_catchup('sb1');

# ---- the exporters --------------------------------------------------------------------------------

my (@harness, %url);
END { $_->kill_kill for @harness }
for my $name (qw(primary paused))
{
	my $n = $node{$name};
	my $port = PostgreSQL::Test::Cluster::get_free_port();
	local $ENV{DATA_SOURCE_NAME} =
	  'host=' . $n->host . ' port=' . $n->port . ' user=exporter dbname=postgres sslmode=disable';
	my $log = $n->basedir . '/exporter.log';
	push @harness, IPC::Run::start([ $exporter, "--web.listen-address=127.0.0.1:$port",
			"--extend.query-path=$queries" ], '>', $log, '2>&1');
	$url{$name} = "http://127.0.0.1:$port/metrics";
}
my $http = HTTP::Tiny->new(timeout => 30);

# Series of one scrape: { metric => { "label=value,..." (sorted, without server) => value } }.
sub scrape
{
	my ($name) = @_;
	my $res;
	for (1 .. 300)
	{
		$res = $http->get($url{$name});
		last if $res->{success} && $res->{content} =~ /^pg_up 1$/m;
		select(undef, undef, undef, 0.2);
	}
	die "no metrics from the exporter of $name: $res->{status} $res->{content}" unless $res->{success};
	my %series;
	for my $line (split /\n/, $res->{content})
	{
		next unless $line =~ /^(pg_\w+)(?:\{([^}]*)\})? (\S+)$/;
		my ($metric, $labels, $value) = ($1, $2 // '', $3);
		my %l = $labels =~ /(\w+)="((?:[^"\\]|\\.)*)"/g;
		$series{$metric}{server_label} = 1 if exists $l{server};
		delete $l{server};
		$series{$metric}{ join(',', map { "$_=$l{$_}" } sort keys %l) } = $value;
		$series{$metric}{label_names} = join(',', sort keys %l);
	}
	return \%series;
}

# What each metric should be, from the views: SQL returning (labels sorted as above, value).
my $rep = q{(SELECT *, CASE WHEN count(*) OVER (PARTITION BY application_name) > 1
    THEN application_name || '#' || pid ELSE application_name END AS name FROM pg_logship.replication)};
my %expect;
my %archive_col = (
	ready_files => 'ready_count', ready_bytes => 'ready_bytes',
	oldest_ready_age_seconds => 'coalesce(oldest_ready_age_seconds, 0)',
	archived_files_total => 'archived_count', failed_attempts_total => 'failed_count',
	last_archived_timestamp_seconds => 'extract(epoch FROM last_archived_time)',
	published_files_total => 'published_count', acknowledged_files_total => 'acknowledged_count',
	conflicts_total => 'conflict_count', quarantined_files => 'quarantined_files',
	refused_files_total => 'refused_count', io_failures_total => 'io_failure_count',
	written_bytes_total => 'bytes_written', original_bytes_total => 'bytes_original',
	files_per_second => 'files_per_second', compression_ratio => 'compression_ratio',
	queued_files => 'queue_depth', workers_running => 'workers_running');
$expect{"pg_logship_archive_$_"} =
  "SELECT 'server_name=' || server_name, $archive_col{$_} FROM pg_logship.archive_status"
  for keys %archive_col;
$expect{pg_logship_standby_info} = "SELECT format('application_name=%s,bottleneck=%s,slot_name=%s,"
  . "state=%s,sync_state=%s', name, bottleneck, coalesce(slot_name, ''), state, sync_state), 1 FROM $rep r";
for my $m ([ 'lag_bytes', 'pg_wal_lsn_diff(upstream_lsn, %s_lsn)' ], [ 'lag_seconds', '%s_lag_seconds' ])
{
	$expect{"pg_logship_replication_$m->[0]"} = join(' UNION ALL ',
		map { "SELECT 'application_name=' || name || ',stage=$_', " . sprintf($m->[1], $_)
			  . " FROM $rep r WHERE $_\_lsn IS NOT NULL" } qw(write flush replay));
}
$expect{pg_logship_replication_catchup_eta_seconds} =
  "SELECT 'application_name=' || name, catchup_eta_seconds FROM $rep r";
my %receiver_col = (link_up => 'link_ok::int', replay_paused => 'replay_paused::int',
	replay_lag_bytes => 'receive_replay_lag_bytes', replay_delay_seconds => 'replay_delay_seconds',
	last_message_age_seconds => 'last_message_age_seconds');
$expect{"pg_logship_receiver_$_"} = "SELECT '', $receiver_col{$_} FROM pg_logship.receiver"
  for keys %receiver_col;
my %slot_col = (active => 'active::int', retained_bytes => 'retained_bytes',
	safe_wal_size_bytes => 'safe_wal_size', seconds_to_limit => 'seconds_to_limit');
$expect{"pg_logship_slot_$_"} =
  "SELECT 'slot_name=' || slot_name || ',slot_type=' || slot_type, $slot_col{$_} FROM pg_logship.slots"
  for keys %slot_col;
$expect{pg_logship_slot_wal_status} =
  "SELECT 'slot_name=' || slot_name || ',wal_status=' || wal_status, 1 FROM pg_logship.slots";
$expect{pg_logship_health_findings} = q{SELECT 'severity=' || s, (SELECT count(*) FROM
  pg_logship.health() h WHERE h.severity = s) FROM unnest('{critical,warning}'::text[]) s};

is(join(' ', sort grep { !exists $expect{$_} } keys %listed), '', 'the test knows every listed metric');
is(join(' ', sort grep { !exists $listed{$_} } keys %expect), '', 'the README lists every metric tested');

# Time-driven values that may move either way between two reads: sign and NULL-ness only.
my %loose = map { $_ => 1 } qw(pg_logship_slot_seconds_to_limit pg_logship_receiver_last_message_age_seconds);

sub views
{
	my ($n) = @_;
	my %v;
	for my $metric (keys %expect)
	{
		my $rows = $n->safe_psql('postgres', "SELECT l || '|' || coalesce(v::text, 'NaN') FROM ($expect{$metric}) x(l, v)");
		$v{$metric}{ (split /\|/)[0] // '' } = (split /\|/)[1] for grep { length } split /\n/, $rows;
	}
	return \%v;
}

sub consistent
{
	my ($metric, $m, $a, $b) = @_;
	return 0 unless defined $m && defined $a && defined $b;
	return $m eq 'NaN' && $a eq 'NaN' if $m eq 'NaN' || $a eq 'NaN' || $b eq 'NaN';
	return $m >= 0 && $a >= 0 if $loose{$metric};
	my ($lo, $hi) = $a < $b ? ($a, $b) : ($b, $a);
	my $eps = 1e-9 * abs($hi) + 1e-6;
	return $m >= $lo - $eps && $m <= $hi + $eps;
}

# The receiver's metrics come from the standby, everything else from the primary.
my %where = map { $_ => (/^pg_logship_receiver_/ ? 'paused' : 'primary') } keys %listed;
my (%scraped, @wrong);
for my $try (1 .. 5)
{
	@wrong = ();
	for my $name (qw(primary paused))
	{
		my $before = views($node{$name});
		my $s = scrape($name);
		my $after = views($node{$name});
		$scraped{$name} = $s;
		for my $metric (grep { $where{$_} eq $name } sort keys %listed)
		{
			for my $key (sort keys %{ $before->{$metric} })
			{
				my $m = $s->{$metric}{$key};
				push @wrong, "$metric\{$key\} = " . ($m // 'missing') . ", views: "
				  . "$before->{$metric}{$key} .. " . ($after->{$metric}{$key} // 'gone')
				  unless consistent($metric, $m, $before->{$metric}{$key}, $after->{$metric}{$key});
			}
		}
	}
	last unless @wrong;
	diag("try $try: " . join('; ', @wrong));
}
is(join("\n", @wrong), '', 'every series equals the views (or lies between two reads of them)');

for my $metric (sort keys %listed)
{
	my $s = $scraped{ $where{$metric} }{$metric};
	ok($s && grep({ !/^(label_names|server_label)$/ } keys %$s), "$metric: served");
	is($s->{label_names} // 'missing', $listed{$metric}, "$metric: labels as listed");
	ok($s->{server_label}, "$metric: with the exporter's server label");
}

# Values that say the scenario happened, not just that the numbers agree.
my $p = $scraped{primary};
cmp_ok($p->{pg_logship_archive_archived_files_total}{'server_name=primary'}, '>=', 2, 'archived files counted');
cmp_ok($p->{pg_logship_replication_lag_bytes}{'application_name=paused,stage=replay'}, '>', 0,
	'the paused standby lags at replay');
is($p->{pg_logship_replication_lag_bytes}{'application_name=paused,stage=flush'}, 0,
	'and not at flush');
is($p->{pg_logship_standby_info}{'application_name=sb1,bottleneck=none,slot_name=sb1,state=streaming,sync_state=async'},
	1, 'the streaming standby with its labels');
is($p->{pg_logship_slot_wal_status}{'slot_name=spare,wal_status=reserved'}, 1, 'the inactive slot');
is($p->{pg_logship_slot_active}{'slot_name=spare,slot_type=physical'}, 0, 'inactive: active 0');
is($scraped{paused}{pg_logship_receiver_replay_paused}{''}, 1, 'the standby says replay is paused');
is($scraped{paused}{pg_logship_health_findings}{'severity=warning'} >= 1, 1, 'with a warning');
for my $name (qw(primary paused))
{
	my $s = $scraped{$name};
	is($s->{pg_exporter_user_queries_load_error}{label_names}, 'filename,hashsum',
		"$name: the exporter loaded the file");
	my ($load) = grep { /^filename=/ } keys %{ $s->{pg_exporter_user_queries_load_error} };
	is($s->{pg_exporter_user_queries_load_error}{$load}, 0, "$name: without a load error");
	is($s->{pg_exporter_last_scrape_error}{''}, 0, "$name: every query ran as pg_monitor");
}

# ---- the Grafana dashboard uses only listed metrics ----------------------------------------------

open($fh, '<', "$root/monitoring/grafana-dashboard.json") or die "grafana-dashboard.json: $!";
my $dash = decode_json(do { local $/; <$fh> });
close $fh;
my %used;
my $walk;
$walk = sub {
	my ($x) = @_;
	if (ref $x eq 'HASH') { $walk->($_) for values %$x; $used{$_} = 1 for (($x->{expr} // '') =~ /(pg_logship_\w+)/g) }
	elsif (ref $x eq 'ARRAY') { $walk->($_) for @$x }
};
$walk->($dash);
cmp_ok(scalar(keys %used), '>=', 8, 'the dashboard queries pg_logship metrics');
is(join(' ', sort grep { !exists $listed{$_} } keys %used), '', 'the dashboard uses only listed metrics');

$_->kill_kill for @harness;
@harness = ();
done_testing();
