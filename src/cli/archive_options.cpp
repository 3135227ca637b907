/*
 * archive_options.cpp -- the options every archive-reading command shares, and getopt errors.
 */
#include "cli.hpp"

#include "core/fileio.hpp"

#include <cstdlib>

namespace pgls::cli
{

const char *const kArchiveOptionsHelp =
	"  --archive-dir DIR       root of the archive (pg_logship.archive_dir): a directory, or\n"
	"                          s3://BUCKET/PREFIX in S3-compatible object storage\n"
	"  --layout LAYOUT         shared (default) or per_server\n"
	"  --server NAME           with per_server: a server whose folder to read\n"
	"S3 (defaults from AWS_ENDPOINT_URL, AWS_REGION, AWS_CA_BUNDLE, AWS_PROFILE and the\n"
	"usual AWS credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, ~/.aws/credentials):\n"
	"  --s3-endpoint URL       http(s)://host[:port]; default: AWS for the region\n"
	"  --s3-region REGION      default us-east-1\n"
	"  --s3-uri-style STYLE    host (default) or path\n"
	"  --s3-verify-tls BOOL    check the server's certificate (default yes)\n"
	"  --s3-ca-file FILE       CA certificates to trust (PEM)\n"
	"  --s3-credentials-file FILE  an AWS shared-credentials file\n"
	"  --s3-profile NAME       its profile (default: default)\n";

namespace
{

std::string
env_or(const char *name, const std::string &fallback)
{
	const char *v = std::getenv(name);
	return v && *v ? std::string(v) : fallback;
}

bool
parse_bool(const std::string &option, const std::string &v)
{
	for (const char *t : {"1", "y", "yes", "on", "true"})
		if (v == t)
			return true;
	for (const char *f : {"0", "n", "no", "off", "false"})
		if (v == f)
			return false;
	throw UsageError("invalid " + option + " \"" + v + "\" (yes or no)");
}

} // namespace

ArchiveOptions::ArchiveOptions()
{
	s3.setting_prefix = "--s3-";
	s3.credentials_from_environment = true;
	s3.endpoint = env_or("AWS_ENDPOINT_URL_S3", env_or("AWS_ENDPOINT_URL", ""));
	s3.region = env_or("AWS_REGION", env_or("AWS_DEFAULT_REGION", s3.region));
	s3.ca_file = env_or("AWS_CA_BUNDLE", "");
	s3.profile = env_or("AWS_PROFILE", "");
}

bool
take_archive_option(int c, const char *arg, ArchiveOptions *opts)
{
	switch (c)
	{
		case kOptArchiveDir:
			if (arg[0] == '\0')
				throw UsageError("--archive-dir must not be empty");
			opts->root = arg;
			return true;
		case kOptLayout:
		{
			auto layout = parse_layout(arg);
			if (!layout)
				throw UsageError("invalid --layout \"" + std::string(arg) +
								 "\" (use shared or per_server)");
			opts->layout = *layout;
			return true;
		}
		case kOptServer:
		{
			std::string why;
			if (!valid_server_name(arg, &why))
				throw UsageError("invalid --server \"" + std::string(arg) + "\": " + why);
			opts->servers.emplace_back(arg);
			return true;
		}
		case kOptS3Endpoint:
			opts->s3.endpoint = arg;
			return true;
		case kOptS3Region:
			opts->s3.region = arg;
			return true;
		case kOptS3UriStyle:
			if (std::string(arg) != "host" && std::string(arg) != "path")
				throw UsageError("invalid --s3-uri-style \"" + std::string(arg) +
								 "\" (host or path)");
			opts->s3.uri_style = arg;
			return true;
		case kOptS3VerifyTls:
			opts->s3.verify_tls = parse_bool("--s3-verify-tls", arg);
			return true;
		case kOptS3CaFile:
			opts->s3.ca_file = arg;
			return true;
		case kOptS3CredentialsFile:
			opts->s3.credentials_file = arg;
			return true;
		case kOptS3Profile:
			opts->s3.profile = arg;
			return true;
		default:
			return false;
	}
}

OpenArchive
open_archive(const ArchiveOptions &opts, size_t max_servers)
{
	if (opts.root.empty())
		throw UsageError("--archive-dir is required");
	OpenArchive a;
	if (opts.layout == Layout::Shared)
	{
		if (!opts.servers.empty())
			throw UsageError("--server is only used with --layout per_server");
		a.folders.push_back(archive_folder(Layout::Shared, ""));
	}
	else
	{
		if (opts.servers.empty())
			throw UsageError("--layout per_server needs --server");
		if (opts.servers.size() > max_servers)
			throw UsageError("--server may be given only once with this command");
		for (const std::string &server : opts.servers)
			a.folders.push_back(archive_folder(Layout::PerServer, server));
	}
	bool s3 = is_object_store_location(opts.root);
	if (!s3 && opts.root[0] != '/' && opts.root.find("://") != std::string::npos)
		throw UsageError("invalid --archive-dir \"" + opts.root +
						 "\" (a directory, or s3://BUCKET/PREFIX)");
	if (!s3 && !is_directory(opts.root))
		throw std::runtime_error("archive directory \"" + opts.root +
								 "\" does not exist or is not a directory");
	a.spec.location = opts.root;
	a.spec.s3 = opts.s3;
	a.store = open_store(a.spec);
	return a;
}

void
bad_option(int c, char **argv)
{
	if (c == ':')
		throw UsageError("option \"" + std::string(argv[optind - 1]) + "\" needs an argument");
	if (optopt != 0)
		throw UsageError(std::string("invalid option -- '") + static_cast<char>(optopt) + "'");
	throw UsageError("unrecognized option \"" + std::string(argv[optind - 1]) + "\"");
}

} // namespace pgls::cli
