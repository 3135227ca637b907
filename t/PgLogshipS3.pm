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
# For pg_logship archiving into the gateway (path-style http, the gateway's credentials file):
#   $gw->location($prefix)          s3://BUCKET/PREFIX
#   $gw->archive_conf($prefix, %o)  postgresql.conf lines (PgLogshipTest::archive_conf's options)
#   $gw->settings_conf              just the pg_logship.s3_* lines
#   $gw->cli_args                   --s3-endpoint ... for the pg_logship CLI
#   $gw->restore_conf($prefix, %o)  restore_command through the gateway (layout, servers, extra)
# And plain S3 requests, signed by curl (--aws-sigv4), for looking at the bucket from outside:
#   $gw->s3_get($key)               (HTTP status, body)
#   $gw->s3_head($key)              (HTTP status, { lower-case header => value })
#   $gw->s3_put($key, $bytes)       HTTP status (an unconditional PUT)
#   $gw->s3_keys($prefix)           every key under the prefix, sorted (all pages)
#
# The gateway lives in a short temp dir (/tmp/pgls-rgw-XXXXXX: Ceph's admin sockets need a short
# path), removed by stop unless the test failed or died; its logs are then copied under the
# test's log dir (tmp_check/log/rgw-N), where failed runs are collected from. Options: tls => 1
# also serves https; store => 'bluestore' keeps objects in a sparse file instead of the OSD's
# memory.
package PgLogshipS3;

use strict;
use warnings;
use Carp;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Copy qw(copy);
use File::Path qw(rmtree make_path);
use File::Temp qw(tempdir);
use Digest::SHA ();
use IPC::Run ();
use PgLogshipTest ();
use PostgreSQL::Test::Utils;
use Test::More;

my $script = abs_path(dirname(__FILE__) . '/../scripts/rgw.sh');
my @running;
my $count = 0;
my $exiting_with_error = 0;    # set in END: the test died (a die is no failed test to is_passing)

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

sub location
{
	my ($self, $prefix) = @_;
	return 's3://' . $self->bucket . "/$prefix";
}

sub settings_conf
{
	my ($self) = @_;
	return "pg_logship.s3_endpoint = '" . $self->endpoint . "'\n"
	  . "pg_logship.s3_region = '" . $self->region . "'\n"
	  . "pg_logship.s3_uri_style = 'path'\n"
	  . "pg_logship.s3_credentials_file = '" . $self->credentials_file . "'\n";
}

sub archive_conf
{
	my ($self, $prefix, %opts) = @_;
	return PgLogshipTest::archive_conf($self->location($prefix), %opts) . $self->settings_conf;
}

sub cli_args
{
	my ($self) = @_;
	return ('--s3-endpoint', $self->endpoint, '--s3-region', $self->region,
		'--s3-uri-style', 'path', '--s3-credentials-file', $self->credentials_file);
}

sub restore_conf
{
	my ($self, $prefix, %opts) = @_;
	my $cmd = PgLogshipTest::pgls_bin() . " restore --archive-dir " . $self->location($prefix);
	$cmd .= ' ' . join(' ', map { "'$_'" } $self->cli_args);
	$cmd .= " --layout $opts{layout}" if $opts{layout};
	$cmd .= " --server $_" for @{ $opts{servers} // [] };
	$cmd .= " $opts{extra}" if $opts{extra};
	$cmd .= ' %f %p';
	$cmd =~ s/'/''/g;
	return "restore_command = '$cmd'\n";
}

# curl with the gateway's keys; returns (status, body, headers text).
sub _curl
{
	my ($self, $method, $path, $body) = @_;
	my $sha = Digest::SHA::sha256_hex($body // '');
	my $hdr = File::Temp->new(TMPDIR => 1);
	my @cmd = ('curl', '-s', '-X', $method, '--max-time', '30', '-D', $hdr->filename,
		'-w', '\n%{http_code}', '--aws-sigv4', 'aws:amz:' . $self->region . ':s3',
		'--user', $self->access_key . ':' . $self->secret_key,
		'-H', "x-amz-content-sha256: $sha");
	push @cmd, ($method eq 'HEAD' ? ('-I') : ());
	# An explicit Content-Type, which curl signs: the one curl adds for a body by itself is not
	# signed, and RGW 20 refuses an unsigned Content-Type (403).
	push @cmd, ('-H', 'Content-Type: application/octet-stream', '--data-binary', '@-')
	  if defined $body;
	push @cmd, $self->endpoint . $path;
	my ($out, $err) = ('', '');
	IPC::Run::run(\@cmd, '<', \($body // ''), '>', \$out, '2>', \$err)
	  or croak "curl $method $path failed: $err";
	$out =~ s/\n(\d+)$//s or croak "curl $method $path: no status";
	my $status = $1;
	open(my $fh, '<', $hdr->filename) or croak;
	local $/;
	my $headers = <$fh>;
	close $fh;
	return ($status, $out, $headers);
}

sub _key_path
{
	my ($self, $key) = @_;
	(my $enc = $key) =~ s{([^A-Za-z0-9_.~/-])}{sprintf('%%%02X', ord($1))}ge;
	return '/' . $self->bucket . "/$enc";
}

sub s3_get
{
	my ($self, $key) = @_;
	my ($status, $body) = $self->_curl('GET', $self->_key_path($key));
	return ($status, $body);
}

sub s3_head
{
	my ($self, $key) = @_;
	my ($status, undef, $headers) = $self->_curl('HEAD', $self->_key_path($key));
	my %h;
	$h{ lc $1 } = $2 while $headers =~ /^([^:\r\n]+):\s*([^\r\n]*)/mg;
	return ($status, \%h);
}

sub s3_put
{
	my ($self, $key, $bytes) = @_;
	my ($status) = $self->_curl('PUT', $self->_key_path($key), $bytes);
	return $status;
}

sub s3_keys
{
	my ($self, $prefix) = @_;
	my @keys;
	my $token = '';
	for (;;)
	{
		(my $p = $prefix) =~ s{([^A-Za-z0-9_.~-])}{sprintf('%%%02X', ord($1))}ge;
		my $q = ($token ne '' ? 'continuation-token=' . _uri($token) . '&' : '')
		  . "list-type=2&prefix=$p";
		my ($status, $body) = $self->_curl('GET', '/' . $self->bucket . "?$q");
		croak "ListObjectsV2 of $prefix: HTTP $status: $body" unless $status == 200;
		push @keys, $1 while $body =~ m{<Key>([^<]*)</Key>}g;
		last unless $body =~ m{<NextContinuationToken>([^<]*)</NextContinuationToken>};
		$token = $1;
	}
	return sort @keys;
}

sub _uri
{
	my ($s) = @_;
	$s =~ s{([^A-Za-z0-9_.~-])}{sprintf('%%%02X', ord($1))}ge;
	return $s;
}

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
	my $passing = Test::More->builder->is_passing && !$exiting_with_error;
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
	$exiting_with_error = 1 if $? != 0;
	local $?;
	$_->stop for @running;
}

1;
