/*
 * cleanup.cpp -- pg_archivecleanup's selection rule and the removal itself.
 */
#include "pure.hpp"
#include "cleanup.hpp"

#include "fileio.hpp"
#include "restore.hpp" /* InvalidWalFileName */
#include "wal_name.hpp"

#include <algorithm>

namespace pgls
{

std::string
cleanup_boundary(std::string_view oldest_kept)
{
	WalFileName name = parse_wal_file_name(oldest_kept);
	if (!name.has_segment())
		throw InvalidWalFileName("invalid oldest kept WAL file name \"" + std::string(oldest_kept) +
								 "\"");
	return name.segment_name();
}

std::vector<std::string>
cleanup_candidates(const std::vector<std::string> &names, std::string_view oldest_kept)
{
	std::string boundary = cleanup_boundary(oldest_kept);
	std::string_view keep_from = std::string_view(boundary).substr(8);
	std::vector<std::string> out;
	for (const std::string &entry : names)
	{
		WalFileName name = parse_wal_file_name(entry);
		if (name.kind != WalFileKind::Segment && name.kind != WalFileKind::Partial)
			continue;
		/* As strcmp(walfile + 8, exclusiveCleanupFileName + 8) < 0: "X.partial" sorts after
		 * "X", so the .partial of the kept segment stays. */
		if (std::string_view(entry).substr(8) < keep_from)
			out.push_back(entry);
	}
	std::sort(out.begin(), out.end());
	return out;
}

std::vector<std::string>
run_cleanup(const std::string &dir, std::string_view oldest_kept, bool dry_run)
{
	std::vector<std::string> names = list_dir(dir);
	std::vector<std::string> doomed = cleanup_candidates(names, oldest_kept);
	if (dry_run)
		return doomed;

	std::vector<std::string> removed;
	try
	{
		for (const std::string &name : doomed)
		{
			remove_if_exists(dir + "/" + name);
			removed.push_back(name);
		}
	}
	catch (...)
	{
		/* Make what was removed stick; the first error is the one to report. */
		try
		{
			if (!removed.empty())
				fsync_path(dir, true);
		}
		catch (...)
		{
		}
		throw;
	}
	if (!removed.empty())
		fsync_path(dir, true);
	return removed;
}

} // namespace pgls
