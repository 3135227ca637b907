# PgLogshipS3 -- a throwaway Ceph RADOS Gateway (S3) for TAP tests, on scripts/rgw.sh.
#
#   use PgLogshipS3;
#   my $gw = PgLogshipS3->start(tls => 1);     # one mon, one memstore OSD, radosgw; ~3-5 s
#   $gw->endpoint           http://127.0.0.1:PORT (path-style addressing)
#   $gw->host_endpoint      http://localhost:PORT (host-style: BUCKET.localhost, which libcurl
#                           resolves to 127.0.0.1 itself)
#   $gw->tls_endpoint       https://127.0.0.1:PORT, with tls => 1 (self-signed: $gw->ca_file)
#   $gw->region, bucket, access_key, secret_key
#   $gw->credentials_file   an AWS credentials file ([default]), mode 0600, owned by the test user
#   $gw->env                { PGLS_S3_ENDPOINT => ..., ... } for programs the test runs
#   $gw->kill_rgw           SIGKILL radosgw only: the cluster and its objects stay
#   $gw->start_rgw          radosgw again, same ports; returns once a PUT works
#   $gw->stop               SIGKILL everything (also at exit, and by a watchdog if the test
#                           process dies, even by SIGKILL)
#
# The gateway lives in a short temp dir (/tmp/pgls-rgw-XXXXXX: Ceph's admin sockets need a short
# path), removed by stop unless the test failed; its logs are then copied under the test's log
# dir (tmp_check/log/rgw-N), where failed runs are collected from. Options: tls => 1 also serves
# https; store => 'bluestore' keeps objects in a sparse file instead of the OSD's memory.
package PgLogshipS3;

use strict;
use warnings;
use Carp;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Copy qw(copy);
use File::Path qw(rmtree make_path);
use File::Temp qw(tempdir);
use PostgreSQL::Test::Utils;
use Test::More;

my $script = abs_path(dirname(__FILE__) . '/../scripts/rgw.sh');
my @running;
my $count = 0;

sub _rgw
{
	my ($self, @args) = @_;
	my ($out, $err) = run_command([ 'bash', $script, @args ]);
	return ($out, $err);
}

sub start
{
	my ($class, %opts) = @_;
	my $dir = tempdir('pgls-rgw-XXXXXX', TMPDIR => 1, CLEANUP => 0);
	my @args = ('start', $dir, '--owner', $$);
	push @args, '--tls' if $opts{tls};
	push @args, '--store', $opts{store} if $opts{store};
	my $self = bless { dir => $dir, n => ++$count, env => {} }, $class;
	push @running, $self;
	my $stdout = '';
	my $stderr = '';
	my $ok = IPC::Run::run([ 'bash', $script, @args ], '<', \undef, '>', \$stdout, '2>', \$stderr);
	note($stderr) if $stderr ne '';
	croak "could not start the S3 gateway (scripts/rgw.sh start): $stderr" unless $ok;
	for my $line (split /\n/, $stdout)
	{
		$self->{env}{$1} = $2 if $line =~ /^(PGLS_S3_\w+)=(.*)$/;
	}
	croak "scripts/rgw.sh start printed no PGLS_S3_ENDPOINT" unless $self->{env}{PGLS_S3_ENDPOINT};
	return $self;
}

sub env { return { %{ $_[0]{env} } } }
sub dir { return $_[0]{dir} }
sub endpoint { return $_[0]{env}{PGLS_S3_ENDPOINT} }
sub host_endpoint { return $_[0]{env}{PGLS_S3_HOST_ENDPOINT} }
sub tls_endpoint { return $_[0]{env}{PGLS_S3_TLS_ENDPOINT} }
sub ca_file { return $_[0]{env}{PGLS_S3_CA_FILE} }
sub region { return $_[0]{env}{PGLS_S3_REGION} }
sub bucket { return $_[0]{env}{PGLS_S3_BUCKET} }
sub access_key { return $_[0]{env}{PGLS_S3_ACCESS_KEY} }
sub secret_key { return $_[0]{env}{PGLS_S3_SECRET_KEY} }
sub credentials_file { return $_[0]{env}{PGLS_S3_CREDENTIALS_FILE} }
sub script { return $script }

sub kill_rgw
{
	my ($self) = @_;
	system('bash', $script, 'kill-rgw', $self->{dir}) == 0
	  or croak "scripts/rgw.sh kill-rgw failed";
	return;
}

sub start_rgw
{
	my ($self) = @_;
	system('bash', $script, 'start-rgw', $self->{dir}) == 0
	  or croak "scripts/rgw.sh start-rgw failed (logs in $self->{dir}/log)";
	return;
}

sub stop
{
	my ($self) = @_;
	return if $self->{stopped};
	$self->{stopped} = 1;
	system('bash', $script, 'stop', $self->{dir});
	my $passing = Test::More->builder->is_passing;
	if (!$passing && defined $PostgreSQL::Test::Utils::log_path)
	{
		my $dest = "$PostgreSQL::Test::Utils::log_path/rgw-$self->{n}";
		make_path($dest);
		opendir(my $dh, "$self->{dir}/log");
		copy("$self->{dir}/log/$_", "$dest/$_") for grep { /\.log$/ } readdir($dh);
		closedir($dh);
	}
	rmtree($self->{dir}) if $passing;
	return;
}

sub DESTROY
{
	my ($self) = @_;
	local ($?, $!, $@);
	$self->stop;
}

END
{
	local $?;
	$_->stop for @running;
}

1;
