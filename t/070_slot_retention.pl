# 070_slot_retention.pl -- an inactive physical slot on a primary: pg_logship's retention policy
# against PostgreSQL's own max_slot_wal_keep_size.
#
# A standby with the physical slot "sb1" is stopped; the primary writes 3 x slot_retention_limit
# of WAL (segment switches with rows in between) with checkpoints, three times:
#
#   warn              pg_wal grows past limit + max_wal_size + a segment; the slot is untouched
#                     and "extended"; slots says last_action "warned" with a forecast against
#                     the free space of pg_wal's filesystem; slot_health() and health() warn; the
#                     server log has the WARNING.
#   advance_archived  the worker advances the slot, never past an archived segment (every
#                     segment the slot released is in the archive), keeping at most the limit;
#                     after each checkpoint pg_wal is within limit + max_wal_size + a segment;
#                     the slot still exists and is not lost ("reserved", in both views); the
#                     position its standby needs is in the view and in the hold file. The
#                     standby is started: it restores what it misses from the archive (pg_logship
#                     restore), streams again through its slot, and has the primary's rows; the
#                     hold is released.
#   core              no pg_logship limit, max_slot_wal_keep_size = limit instead: the same load
#                     makes PostgreSQL invalidate the slot: wal_status "lost" in both views. From
#                     PostgreSQL 16 on the server forgets where the slot was: the worker holds the
#                     last position it saw for archive cleanup. The standby is started again:
#                     PostgreSQL 15 revives the slot, 16 and 17 stream through it while it stays
#                     invalidated, 18 refuses it; pg_logship.slots says what core says each time.
#   versions          17+: inactive_seconds is the server's inactive_since, and advancing a slot
#                     leaves it as it was. 18: idle_replication_slot_timeout is a limit in the
#                     forecast and in slot_health(); a slot it invalidates is lost ("idle_timeout").
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

use PgLogshipTest;

my $MB        = 1024 * 1024;
my $SEG       = 16 * $MB;
my $LIMIT     = 64 * $MB;
my $MAX_WAL   = 64 * $MB;
my $BOUND     = $LIMIT + $MAX_WAL + $SEG;
my $archive   = new_archive_dir('archive');

my $primary = PostgreSQL::Test::Cluster->new('primary');
my $pgv     = $primary->pg_version;
note("PostgreSQL $pgv");
$primary->init(allows_streaming => 1);
$primary->append_conf(
	'postgresql.conf',
	archive_conf(
		$archive,
		mode   => 'on',
		server => 'primary',
		extra  => qq(
shared_buffers = 16MB
autovacuum = off
max_wal_size = 64MB
min_wal_size = 32MB
wal_keep_size = 0
checkpoint_timeout = 1h
pg_logship.sample_interval = '1s'
wal_receiver_status_interval = '1s'
pg_logship.slot_retention_limit = '64MB'
pg_logship.slot_retention_policy = warn
pg_logship.keep_backups = 1
pg_logship.archive_keep_min_age = 0
)));
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION pg_logship');
$primary->safe_psql('postgres',
	'CREATE TABLE data (id int PRIMARY KEY, round int, payload text)');
$primary->safe_psql('postgres',
	q{SELECT pg_create_physical_replication_slot('sb1', true)});
$primary->backup('base');

my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->append_conf('postgresql.conf',
	"primary_slot_name = 'sb1'\npg_logship.server_name = 'standby'\n" . restore_conf($archive));
$standby->start;
$primary->wait_for_catchup($standby);

# ---- helpers --------------------------------------------------------------------------------

my $next_id = 1;

# Writes $segments segments of WAL: rows, then a switch, each time; a checkpoint every 4.
sub write_segments
{
	my ($node, $segments, $round) = @_;
	for my $i (1 .. $segments)
	{
		my $from = $next_id;
		my $to   = $next_id + 499;
		$next_id = $to + 1;
		$node->safe_psql('postgres',
			"INSERT INTO data SELECT g, $round, md5(g::text) FROM generate_series($from, $to) g;"
			  . 'SELECT pg_switch_wal();');
		$node->safe_psql('postgres', 'CHECKPOINT') if $i % 4 == 0;
	}
}

sub pg_wal_bytes
{
	my ($node) = @_;
	return $node->safe_psql('postgres', 'SELECT sum(size) FROM pg_ls_waldir()');
}

# One row of pg_logship.slots for a slot as a hash.
sub slot_row
{
	my ($node, $slot) = @_;
	my @cols = qw(restart_lsn retained_bytes wal_status safe_wal_size retained_archived
	  inactive_seconds seconds_to_limit limit_kind last_action last_action_from_lsn
	  last_action_to_lsn standby_needs_lsn active);
	my $out = $node->safe_psql('postgres',
		'SELECT ' . join(', ', map { "coalesce($_\::text, '')" } @cols)
		  . " FROM pg_logship.slots WHERE slot_name = '$slot'");
	return undef if $out eq '';
	my @v = split /\|/, $out, -1;
	my %h;
	@h{@cols} = map { $_ eq '' ? undef : $_ } @v;
	return \%h;
}

# Seconds since the server's inactive_since of a slot (PostgreSQL 17+).
sub core_inactive_seconds
{
	my ($node, $slot) = @_;
	return $node->safe_psql('postgres',
		"SELECT extract(epoch FROM clock_timestamp() - inactive_since) FROM pg_replication_slots WHERE slot_name = '$slot'"
	);
}

sub core_slot_value
{
	my ($node, $slot, $col) = @_;
	return $node->safe_psql('postgres',
		"SELECT coalesce($col\::text, 'null') FROM pg_replication_slots WHERE slot_name = '$slot'");
}

# Waits until $node's log matches $re (from offset $from).
sub wait_log
{
	my ($node, $re, $from) = @_;
	for (1 .. 10 * $PostgreSQL::Test::Utils::timeout_default)
	{
		return 1 if substr(slurp_file($node->logfile), $from) =~ $re;
		usleep(100_000);
	}
	return 0;
}

sub core_wal_status
{
	my ($node, $slot) = @_;
	return $node->safe_psql('postgres',
		"SELECT coalesce(wal_status, 'null') FROM pg_replication_slots WHERE slot_name = '$slot'");
}

# The segments from $from_lsn's up to (not including) $to_lsn's (timeline 1), and those of them
# missing from the archive.
sub archived_between
{
	my ($from_lsn, $to_lsn) = @_;
	my @names;
	for (my $seg = int(lsn_value($from_lsn) / $SEG); $seg < int(lsn_value($to_lsn) / $SEG); $seg++)
	{
		push @names, sprintf('%08X%08X%08X', 1, int($seg / 256), $seg % 256);
	}
	my @missing = grep { !-f "$archive/wal/$_" } @names;
	return (scalar(@names), \@missing);
}

# ---- warn -----------------------------------------------------------------------------------

$standby->stop;
my $r0 = $primary->safe_psql('postgres',
	q{SELECT restart_lsn FROM pg_replication_slots WHERE slot_name = 'sb1'});
note("sb1 restart_lsn when its standby stopped: $r0");
my $wal_start = pg_wal_bytes($primary);

write_segments($primary, 12, 1);
pgls_wait_ready_empty($primary);
$primary->safe_psql('postgres', 'CHECKPOINT');

$primary->poll_query_until('postgres',
	q{SELECT last_action = 'warned' FROM pg_logship.slots WHERE slot_name = 'sb1'})
  or die 'the worker did not warn about sb1';
my $s = slot_row($primary, 'sb1');
my $wal_warn = pg_wal_bytes($primary);
note("warn: pg_wal $wal_warn bytes (was $wal_start), sb1 retains $s->{retained_bytes}");
is($s->{restart_lsn}, $r0, 'warn: the slot was not moved');
cmp_ok($s->{retained_bytes}, '>', 2 * $LIMIT, 'warn: the slot holds more than twice the limit');
is($s->{wal_status},                 'extended', 'warn: wal_status extended');
is(core_wal_status($primary, 'sb1'), 'extended', 'warn: core agrees');
cmp_ok($wal_warn, '>', $BOUND, 'warn: pg_wal grew past limit + max_wal_size + a segment');
is($s->{limit_kind}, 'disk', 'warn: forecast against the free space of pg_wal');
ok(defined $s->{seconds_to_limit} && $s->{seconds_to_limit} > 0,
	"warn: seconds_to_limit forecast ($s->{seconds_to_limit} s)");
is($s->{retained_archived}, 'true', 'warn: what the slot holds is in the archive');
ok(defined $s->{inactive_seconds} && $s->{inactive_seconds} > 0, 'warn: inactive_seconds');
# Where inactive_seconds comes from: PostgreSQL 17 and later record inactive_since themselves
# (the worker would have seen the slot inactive only at its next pass, later).
my $since0;
if ($pgv >= 17)
{
	my $lo   = core_inactive_seconds($primary, 'sb1');
	my $ours = slot_row($primary, 'sb1')->{inactive_seconds};
	my $hi   = core_inactive_seconds($primary, 'sb1');
	ok($lo <= $ours && $ours <= $hi,
		"17+: inactive_seconds is the server's inactive_since ($lo <= $ours <= $hi)");
	$since0 = core_slot_value($primary, 'sb1', 'inactive_since');
}
else
{
	is( $primary->safe_psql('postgres',
			q{SELECT count(*) FROM pg_attribute WHERE attrelid = 'pg_replication_slots'::regclass
			    AND attname = 'inactive_since'}),
		'0',
		'15/16: the server has no inactive_since; the worker tracks it');
}
is($s->{standby_needs_lsn}, undef, 'warn: no hold');

my $health = $primary->safe_psql('postgres',
	q{SELECT severity || ': ' || message FROM pg_logship.slot_health() WHERE message LIKE '%sb1%'});
note("slot_health: $health");
like($health,
	qr/^warning: inactive slot sb1 holds \d+ MB of WAL, more than pg_logship\.slot_retention_limit \(64 MB\); pg_wal's filesystem is full in about .+ at .+\/s$/m,
	'warn: slot_health warns with a forecast');
like(
	$primary->safe_psql('postgres',
		q{SELECT string_agg(severity || ' ' || component || ' ' || message, E'\n') FROM pg_logship.health()}),
	qr/^warning retention inactive slot sb1 holds .* is full in about/m,
	'warn: health() has the warning and the forecast');
ok( $primary->log_contains(
		qr/WARNING:  replication slot "sb1" holds \d+ MB of WAL, more than pg_logship\.slot_retention_limit \(64 MB\)/),
	'warn: the server log has the warning');

# ---- advance_archived -----------------------------------------------------------------------

$primary->safe_psql('postgres',
	q{ALTER SYSTEM SET pg_logship.slot_retention_policy = 'advance_archived'});
$primary->reload;
$primary->poll_query_until('postgres',
	qq{SELECT last_action = 'advanced' AND retained_bytes <= $LIMIT
	     FROM pg_logship.slots WHERE slot_name = 'sb1'})
  or die 'the worker did not advance sb1';
$s = slot_row($primary, 'sb1');
note("advanced sb1 from $s->{last_action_from_lsn} to $s->{last_action_to_lsn}");
is($s->{last_action_from_lsn}, $r0, 'advance: from where the standby stopped');
is($s->{standby_needs_lsn},    $r0, 'advance: the view shows where its standby is');
my ($n_released, $missing) = archived_between($r0, $s->{restart_lsn});
cmp_ok($n_released, '>=', 7, "advance: released $n_released segments");
is_deeply($missing, [], 'advance: every segment the slot released is in the archive');
like(slurp_file($primary->data_dir . '/pg_logship/retention.state'),
	qr/^sb1 \Q$r0\E$/m, 'advance: the hold is in the hold file');

my $max_wal = 0;
for my $round (2 .. 4)
{
	write_segments($primary, 4, $round);
	pgls_wait_ready_empty($primary);
	$primary->poll_query_until('postgres',
		qq{SELECT retained_bytes <= $LIMIT FROM pg_logship.slots WHERE slot_name = 'sb1'})
	  or die "round $round: the worker did not keep sb1 within the limit";
	$primary->safe_psql('postgres', 'CHECKPOINT');
	my $w = pg_wal_bytes($primary);
	note("round $round: pg_wal $w bytes");
	$max_wal = $w if $w > $max_wal;
}
cmp_ok($max_wal, '<=', $BOUND,
	"advance: pg_wal stays within limit + max_wal_size + a segment ($max_wal <= $BOUND)");
cmp_ok($max_wal, '<', $wal_warn, 'advance: pg_wal is smaller than under warn');
$s = slot_row($primary, 'sb1');
ok(defined $s, 'advance: the slot still exists');
is($s->{wal_status},                 'reserved', 'advance: the slot is not lost (reserved)');
is(core_wal_status($primary, 'sb1'), 'reserved', 'advance: core agrees');
is($s->{standby_needs_lsn}, $r0, 'advance: the hold stays at the standby\'s position');
($n_released, $missing) = archived_between($r0, $s->{restart_lsn});
is_deeply($missing, [], 'advance: still every released segment is in the archive');
ok($primary->log_contains(qr/LOG:  pg_logship advanced replication slot "sb1" from \Q$r0\E to /),
	'advance: the server log names the slot, from and to');

is(core_slot_value($primary, 'sb1', 'inactive_since'), $since0,
	'17+: advancing the slot did not reset its inactive_since (idle time)')
  if $pgv >= 17;

# The standby catches up: from the archive, then streaming through its slot.
$standby->start;
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
is(table_checksum($standby, 'data', 'id'),
	table_checksum($primary, 'data', 'id'), 'standby: identical rows after catching up');
ok($standby->log_contains(qr/restored log file "[0-9A-F]{24}" from archive/),
	'standby: restored WAL from the archive');
$primary->poll_query_until('postgres',
	q{SELECT active AND standby_needs_lsn IS NULL FROM pg_logship.slots WHERE slot_name = 'sb1'})
  or die 'sb1 did not become active with its hold released';
is($primary->safe_psql('postgres',
		q{SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'}),
	'1', 'standby: streaming again');
ok($primary->log_contains(qr/replication slot "sb1" is in use again/),
	'standby: the hold was released');

# ---- core max_slot_wal_keep_size ------------------------------------------------------------

$standby->stop;
$primary->safe_psql('postgres', 'ALTER SYSTEM RESET pg_logship.slot_retention_limit');
$primary->safe_psql('postgres', 'ALTER SYSTEM RESET pg_logship.slot_retention_policy');
$primary->safe_psql('postgres', q{ALTER SYSTEM SET max_slot_wal_keep_size = '64MB'});
$primary->reload;
$primary->poll_query_until('postgres', q{SELECT current_setting('max_slot_wal_keep_size') = '64MB'})
  or die 'max_slot_wal_keep_size not in force';
my $r1 = $primary->safe_psql('postgres',
	q{SELECT restart_lsn FROM pg_replication_slots WHERE slot_name = 'sb1'});
write_segments($primary, 12, 5);
pgls_wait_ready_empty($primary);
$primary->safe_psql('postgres', 'CHECKPOINT');
is(core_wal_status($primary, 'sb1'), 'lost', 'core: max_slot_wal_keep_size makes the slot lost');
$s = slot_row($primary, 'sb1');
is($s->{wal_status},  'lost', 'core: pg_logship.slots says lost too');
is($s->{restart_lsn}, undef,  'core: the lost slot has no restart_lsn');
ok($primary->log_contains(qr/invalidating (obsolete replication )?slot "sb1"/),
	'core: PostgreSQL logged the invalidation');
note("core: sb1 was at $r1 before it was lost; pg_wal " . pg_wal_bytes($primary) . ' bytes');
is(core_slot_value($primary, 'sb1', 'invalidation_reason'),
	'wal_removed', '17+: core says why (wal_removed)')
  if $pgv >= 17;
if ($pgv >= 16)
{
	# The server no longer says where the slot was; the worker's last sight of it is held (at
	# its next pass).
	$primary->poll_query_until('postgres',
		q{SELECT standby_needs_lsn IS NOT NULL FROM pg_logship.slots WHERE slot_name = 'sb1'})
	  or diag('no standby_needs_lsn for the lost slot sb1');
	$s = slot_row($primary, 'sb1');
	ok( defined $s->{standby_needs_lsn}
		  && lsn_value($s->{standby_needs_lsn}) > 0
		  && lsn_value($s->{standby_needs_lsn}) <= lsn_value($r1),
		'16+: the lost slot\'s last position is held for archive cleanup ('
		  . ($s->{standby_needs_lsn} // 'none') . " <= $r1)");
	like(
		$primary->safe_psql('postgres',
			q{SELECT string_agg(message, E'\n') FROM pg_logship.slot_health()}),
		qr/^slot sb1 was invalidated \(wal_removed\); its standby needs WAL from /m,
		'16+: slot_health says where its standby is');
}
else
{
	is($s->{standby_needs_lsn}, undef, '15: no hold (the server keeps invalidated_at)');
}
like(
	$primary->safe_psql('postgres',
		q{SELECT string_agg(severity || ' ' || message, E'\n') FROM pg_logship.health()}),
	($pgv >= 17
		? qr/^critical slot sb1: wal_status lost \(wal_removed\)$/m
		: qr/^critical slot sb1: wal_status lost$/m),
	'core: health() is critical about the lost slot');

# The standby comes back and asks for its slot.
my $log_at = -s $standby->logfile;
$standby->start;
if ($pgv >= 18)
{
	ok( wait_log(
			$standby, qr/can no longer access replication slot "sb1"/, $log_at),
		'18: the invalidated slot is refused');
	is(core_wal_status($primary, 'sb1'), 'lost', '18: core: still lost');
}
else
{
	$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
	$primary->poll_query_until('postgres',
		q{SELECT active FROM pg_replication_slots WHERE slot_name = 'sb1'})
	  or die 'the standby does not use sb1';
	is(core_wal_status($primary, 'sb1'),
		($pgv >= 16 ? 'unreserved' : 'reserved'),
		$pgv >= 16
		? '16/17: streams through the slot, which stays invalidated (unreserved)'
		: '15: the slot is valid again (reserved)');
}
is(slot_row($primary, 'sb1')->{wal_status},
	core_wal_status($primary, 'sb1'), 'core: pg_logship.slots agrees');
$standby->stop;

# ---- PostgreSQL 18: idle_replication_slot_timeout ---------------------------------------------

if ($pgv >= 18)
{
	# Without max_slot_wal_keep_size and slot_retention_limit (postgresql.conf has 64MB), the
	# nearest limit is the timeout: the disk would need over 1 GB/s of WAL (the rate over the last
	# minute, after the phases above) to come first.
	$primary->safe_psql('postgres', q{SELECT pg_create_physical_replication_slot('idle1', true)});
	$primary->safe_psql('postgres', q{ALTER SYSTEM RESET max_slot_wal_keep_size});
	$primary->safe_psql('postgres', q{ALTER SYSTEM SET pg_logship.slot_retention_limit = -1});
	$primary->safe_psql('postgres', q{ALTER SYSTEM SET idle_replication_slot_timeout = '1min'});
	$primary->reload;
	$primary->poll_query_until('postgres',
		q{SELECT limit_kind = 'idle_replication_slot_timeout' FROM pg_logship.slots
		   WHERE slot_name = 'idle1'})
	  or die 'no idle_replication_slot_timeout forecast for idle1';
	my $sum = $primary->safe_psql('postgres',
		q{SELECT seconds_to_limit + inactive_seconds FROM pg_logship.slots WHERE slot_name = 'idle1'});
	ok(abs($sum - 60) < 0.01,
		"18: seconds_to_limit is the timeout less the slot's idle time (sum $sum)");
	like(
		$primary->safe_psql('postgres',
			q{SELECT string_agg(severity || ': ' || message, E'\n') FROM pg_logship.slot_health()}),
		qr/^critical: inactive slot idle1; idle_replication_slot_timeout invalidates it in about /m,
		'18: slot_health is critical within 10 minutes of the timeout');

	$primary->safe_psql('postgres', q{ALTER SYSTEM SET idle_replication_slot_timeout = '1s'});
	$primary->reload;
	$primary->poll_query_until('postgres',
		q{SELECT current_setting('idle_replication_slot_timeout') = '1s'
		     AND inactive_seconds > 1.5 FROM pg_logship.slots WHERE slot_name = 'idle1'})
	  or die 'idle1 did not become idle';
	$primary->safe_psql('postgres', 'CHECKPOINT');
	is(core_slot_value($primary, 'idle1', 'invalidation_reason'),
		'idle_timeout', '18: the checkpoint invalidated idle1 (idle_timeout)');
	my $i = slot_row($primary, 'idle1');
	is($i->{wal_status},     'lost', '18: pg_logship.slots: idle1 is lost');
	is($i->{retained_bytes}, undef,  '18: an invalidated slot holds no WAL');
	like(
		$primary->safe_psql('postgres',
			q{SELECT string_agg(severity || ' ' || message, E'\n') FROM pg_logship.health()}),
		qr/^critical slot idle1: wal_status lost \(idle_timeout\)$/m,
		'18: health() is critical about it, with the reason');
	$primary->safe_psql('postgres', q{ALTER SYSTEM RESET idle_replication_slot_timeout});
	$primary->reload;
}

done_testing();
