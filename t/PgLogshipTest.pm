# PgLogshipTest -- helpers shared by pg_logship's TAP tests.
#
# Nodes are PostgreSQL::Test::Cluster instances configured to archive with pg_logship
# (shared_preload_libraries + archive_library) into an archive directory of the test's choosing,
# and to restore with the installed `pg_logship restore` CLI.
package PgLogshipTest;

use strict;
use warnings;
use Exporter 'import';
use File::Basename qw(basename);
use Sys::Hostname qw(hostname);
use File::Find;
use Digest::MD5;
use IPC::Run;
use PostgreSQL::Test::Utils;
use Test::More;

our @EXPORT = qw(
  pgls_bin archive_conf restore_conf new_archive_dir
  archive_files archive_temp_files file_md5 wait_for_archived
  archive_status table_checksum pgls_wait_ready_empty
  archived_content archived_md5 switch_wal ready_files run_cmd
  seg_name parse_seg lsn_segno lsn_value wait_archiver_resting
  instance_id temp_name dead_pid start_with_conf_cluster_name default_server_name
  restored_md5 wait_archived current_tli
);

# The installed CLI, beside the server binaries.
sub pgls_bin
{
	my $bindir = $ENV{PGLS_BINDIR} // `pg_config --bindir`;
	chomp $bindir;
	return "$bindir/pg_logship";
}

# A fresh archive root under the test's temp dir.
sub new_archive_dir
{
	my ($name) = @_;
	my $dir = PostgreSQL::Test::Utils::tempdir($name // 'archive');
	return $dir;
}

# postgresql.conf lines to archive with pg_logship.
# %opts: mode (on|always), layout (shared|per_server), server (name), extra (text)
sub archive_conf
{
	my ($archive, %opts) = @_;
	my $mode   = $opts{mode}   // 'on';
	my $layout = $opts{layout} // 'shared';
	my $conf   = qq(
shared_preload_libraries = 'pg_logship'
archive_mode = $mode
archive_library = 'pg_logship'
pg_logship.archive_dir = '$archive'
pg_logship.archive_layout = '$layout'
);
	$conf .= "pg_logship.server_name = '$opts{server}'\n" if $opts{server};
	$conf .= $opts{extra} if $opts{extra};
	return $conf;
}

# restore_command using the CLI. %opts: layout, servers => [names]
sub restore_conf
{
	my ($archive, %opts) = @_;
	my $cmd = pgls_bin() . " restore --archive-dir '$archive'";
	$cmd .= " --layout $opts{layout}" if $opts{layout};
	$cmd .= " --server $_" for @{ $opts{servers} // [] };
	$cmd .= ' %f %p';
	$cmd =~ s/'/''/g;
	return "restore_command = '$cmd'\n";
}

# Names of the final (non-temp) files in an archive folder, sorted.
sub archive_files
{
	my ($dir) = @_;
	return () unless -d $dir;
	opendir(my $dh, $dir) or die "opendir $dir: $!";
	my @names = sort grep { !/^\./ && !/\.pgls-tmp\./ && -f "$dir/$_" } readdir($dh);
	closedir($dh);
	return @names;
}

# Temp files anywhere under an archive root.
sub archive_temp_files
{
	my ($root) = @_;
	my @tmp;
	find(sub { push @tmp, $File::Find::name if /\.pgls-tmp\./ }, $root) if -d $root;
	return @tmp;
}

sub file_md5
{
	my ($path) = @_;
	open(my $fh, '<', $path) or die "open $path: $!";
	binmode $fh;
	my $md5 = Digest::MD5->new->addfile($fh)->hexdigest;
	close $fh;
	return $md5;
}

# WAL names and LSNs, for the default 16 MB segments.
my $SEG_SIZE        = 16 * 1024 * 1024;
my $SEGS_PER_XLOGID = 2**32 / $SEG_SIZE;

# Segment file name of (timeline, segment number).
sub seg_name
{
	my ($tli, $segno) = @_;
	return sprintf('%08X%08X%08X', $tli, int($segno / $SEGS_PER_XLOGID), $segno % $SEGS_PER_XLOGID);
}

# (tli, segno) of a segment or .partial name; () for anything else.
sub parse_seg
{
	my ($name) = @_;
	$name =~ /^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})(\.partial)?$/ or return;
	return (hex($1), hex($2) * $SEGS_PER_XLOGID + hex($3));
}

# Number of the segment holding an LSN ("16/B374D848").
sub lsn_segno
{
	my ($lsn) = @_;
	my ($hi, $lo) = $lsn =~ m{^([0-9A-F]+)/([0-9A-F]+)$}i or die "bad lsn $lsn";
	return hex($hi) * $SEGS_PER_XLOGID + int(hex($lo) / $SEG_SIZE);
}

# An LSN as a number.
sub lsn_value
{
	my ($lsn) = @_;
	my ($hi, $lo) = $lsn =~ m{^([0-9A-F]+)/([0-9A-F]+)$}i or die "bad lsn $lsn";
	return hex($hi) * 2**32 + hex($lo);
}

# Switches to a new WAL segment; returns the name of the one switched from.
sub switch_wal
{
	my ($node) = @_;
	return $node->safe_psql('postgres', 'SELECT pg_walfile_name(pg_switch_wal())');
}

# Names of the files waiting to be archived (.ready in pg_wal/archive_status), sorted.
sub ready_files
{
	my ($node) = @_;
	my $dir = $node->data_dir . '/pg_wal/archive_status';
	opendir(my $dh, $dir) or die "opendir $dir: $!";
	my @r = sort map { /^(.*)\.ready$/ ? $1 : () } readdir($dh);
	closedir($dh);
	return @r;
}

# Runs a command; returns (exit code, stdout, stderr), and notes what ran.
sub run_cmd
{
	my @cmd = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run(\@cmd, '>', \$out, '2>', \$err);
	my $rc = $? >> 8;
	note(join(' ', map { length($_) ? $_ : "''" } @cmd) . " -> exit $rc"
		  . ($out ne '' ? "\n  stdout: $out" : '')
		  . ($err ne '' ? "\n  stderr: $err" : ''));
	return ($rc, $out, $err);
}

# The original bytes of archived file $file in folder $folder (<root>/wal, a per-server folder or a
# quarantine folder), decoded and checked by `pg_logship restore` (archived files carry a header
# and may be compressed): (md5, size), or () when it cannot be restored.
my $restore_scratch;

sub archived_content
{
	my ($folder, $file) = @_;
	$restore_scratch //= PostgreSQL::Test::Utils::tempdir('restore');
	my $root = "$restore_scratch/root";
	mkdir $root unless -d $root;
	unlink "$root/wal";
	symlink($folder, "$root/wal") or die "symlink $folder: $!";
	my $out = "$restore_scratch/out";
	unlink $out;
	my ($stdout, $stderr) = ('', '');
	IPC::Run::run([ pgls_bin(), 'restore', '--archive-dir', $root, $file, $out ],
		'>', \$stdout, '2>', \$stderr);
	if ($? != 0)
	{
		diag "pg_logship restore of $folder/$file: exit " . ($? >> 8) . ": $stderr";
		return ();
	}
	my @r = (file_md5($out), -s $out);
	unlink $out;
	return @r;
}

# md5 of an archived file as `pg_logship restore` gives it back (archived files are stored with a
# header and compressed): restore @options (--archive-dir, --layout, --server, --s3-*) $file.
# undef when restore fails.
my $restored_dir;

sub restored_md5
{
	my ($file, @options) = @_;
	$restored_dir //= PostgreSQL::Test::Utils::tempdir('restored');
	my $dest = "$restored_dir/$file";
	my ($out, $err) = ('', '');
	IPC::Run::run([ pgls_bin(), 'restore', @options, $file, $dest ], '>', \$out, '2>', \$err)
	  or do { diag("restore @options $file failed: $err"); return undef; };
	my $md5 = file_md5($dest);
	unlink $dest;
	return $md5;
}

# Waits until $node archived $walfile and has no .ready left.
sub wait_archived
{
	my ($node, $walfile) = @_;
	wait_for_archived($node, $walfile);
	pgls_wait_ready_empty($node);
}

# The timeline a node writes WAL on.
sub current_tli
{
	my ($node) = @_;
	return hex(
		substr($node->safe_psql('postgres', 'SELECT pg_walfile_name(pg_current_wal_lsn())'), 0, 8));
}

# md5 of the original bytes of an archived file ('unrestorable' when it cannot be restored).
sub archived_md5
{
	my @r = archived_content(@_);
	return $r[0] // 'unrestorable';
}

# Waits until pg_stat_archiver on $node says $walfile (or later) was archived.
sub wait_for_archived
{
	my ($node, $walfile) = @_;
	$node->poll_query_until('postgres',
		qq{SELECT last_archived_wal >= '$walfile' FROM pg_stat_archiver})
	  or die "timed out waiting for $walfile to be archived by " . $node->name;
}

# Waits until no .ready file is left in $node's pg_wal/archive_status.
sub pgls_wait_ready_empty
{
	my ($node) = @_;
	my $dir = $node->data_dir . '/pg_wal/archive_status';
	for (1 .. 180 * 10)
	{
		opendir(my $dh, $dir) or die "opendir $dir: $!";
		my @ready = grep { /\.ready$/ } readdir($dh);
		closedir($dh);
		return 1 unless @ready;
		select(undef, undef, undef, 0.1);
	}
	die "timed out waiting for the archive_status backlog of " . $node->name;
}

# Waits until the archiver of each of @nodes, failing, has given up retrying for now: no new
# failed attempt (pg_stat_archiver.failed_count) for 1.5 s, while it retries 1 s apart. It then
# waits for its latch (a new .ready file, a reload, pg_logship's wake-up) or up to a minute.
sub wait_archiver_resting
{
	my @nodes = @_;
	my $count = sub {
		join ',', map { $_->safe_psql('postgres', 'SELECT failed_count FROM pg_stat_archiver') }
		  @nodes;
	};
	my $before = $count->();
	for (1 .. 120)
	{
		select(undef, undef, undef, 1.5);
		my $now = $count->();
		return if $now eq $before;
		$before = $now;
	}
	die 'the archiver kept retrying for three minutes';
}

# One row of pg_logship.archive_status as a hash (needs the extension).
sub archive_status
{
	my ($node) = @_;
	my $out = $node->safe_psql('postgres',
		q{SELECT row_to_json(s) FROM pg_logship.archive_status s});
	my %h;
	while ($out =~ /"(\w+)":("(?:[^"\\]|\\.)*"|[^,}]+)/g)
	{
		my ($k, $v) = ($1, $2);
		if ($v eq 'null')
		{
			$h{$k} = undef;
			next;
		}
		$v =~ s/^"|"$//g;
		$v =~ s/\\(["\\\/])/$1/g;    # JSON escapes of text values
		$h{$k} = $v;
	}
	return \%h;
}

# Row count and md5 of a table's contents in a stable order.
sub table_checksum
{
	my ($node, $table, $order) = @_;
	$order //= '1';
	return $node->safe_psql('postgres',
		"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY $order)), '') FROM $table t"
	);
}

# The instance id a node's archiver made ($PGDATA/pg_logship/instance), or undef before it made one.
sub instance_id
{
	my ($node) = @_;
	my $path = $node->data_dir . '/pg_logship/instance';
	return undef unless -f $path;
	my $text = PostgreSQL::Test::Utils::slurp_file($path);
	return $text =~ /^instance_id=([0-9a-f]{16})$/m ? $1 : undef;
}

# A temp file name as a writer makes it: <file>.pgls-tmp.<server>.<instance>.<pid>.<nonce>.
sub temp_name
{
	my ($file, $server, $instance, $pid, $nonce) = @_;
	return "$file.pgls-tmp.$server.$instance.$pid." . ($nonce // 1);
}

# The pid of a process that has exited: no process on this host has it (for a while).
sub dead_pid
{
	my $pid = fork() // die "fork: $!";
	if ($pid == 0)
	{
		require POSIX;
		POSIX::_exit(0);
	}
	waitpid($pid, 0);
	die "pid $pid still exists" if kill(0, $pid);
	return $pid;
}

# Starts a node the way a packaged server starts, with the cluster_name of its postgresql.conf
# (PostgreSQL::Test::Cluster->start sets --cluster-name=<node name> on the command line).
sub start_with_conf_cluster_name
{
	my ($node) = @_;
	PostgreSQL::Test::Utils::system_or_bail('pg_ctl', '-w', '-D', $node->data_dir, '-l',
		$node->logfile, 'start');
	$node->_update_pid(1);
	return;
}

# The server name a node gets by default: "<host name up to its first dot>-<cluster_name>" made
# safe, or "<host>-<port>" without a cluster_name.
sub default_server_name
{
	my ($cluster_name, $port) = @_;
	my ($host) = split /\./, hostname();
	$host = 'pg' if !defined $host || $host eq '';
	my $suffix = defined $cluster_name && $cluster_name ne '' ? $cluster_name : $port;
	(my $name = "$host-$suffix") =~ s/[^A-Za-z0-9_-]/_/g;
	return $name;
}

1;
