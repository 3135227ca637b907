/*
 * archive_options.cpp -- the options every archive-reading command shares, and getopt errors.
 */
#include "cli.hpp"

#include "core/fileio.hpp"

namespace pgls::cli
{

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
	if (!is_directory(opts.root))
		throw std::runtime_error("archive directory \"" + opts.root +
								 "\" does not exist or is not a directory");
	a.spec.location = opts.root;
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
