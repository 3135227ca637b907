/*
 * cleanup.cpp -- pg_archivecleanup's selection rule and the removal itself.
 */
#include "pure.hpp"
#include "cleanup.hpp"

#include "fs_store.hpp"
#include "store.hpp"
#include "restore.hpp" /* InvalidWalFileName */
#include "wal_name.hpp"

#include <algorithm>
#include <cerrno>

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
regular_names(const std::vector<StoreEntry> &entries, std::vector<std::string> *skipped)
{
	std::vector<std::string> names;
	for (const StoreEntry &e : entries)
	{
		if (e.type == EntryType::Regular)
			names.push_back(e.name);
		else if (skipped && parse_wal_file_name(e.name).valid())
			skipped->push_back(e.name + " (a " + e.type_name + ")");
	}
	return names;
}

std::vector<std::string>
run_cleanup(Store &store, const std::string &folder, std::string_view oldest_kept, bool dry_run,
			std::vector<std::string> *skipped, const std::vector<StoreEntry> *listed)
{
	if (!listed && !store.folder_exists(folder))
		throw IoError("archive folder \"" + store.where(folder) + "\" does not exist", ENOENT);
	std::vector<std::string> doomed = cleanup_candidates(
		regular_names(listed ? *listed : store.list(folder), skipped), oldest_kept);
	if (!dry_run)
		store.remove(folder, doomed);
	return doomed;
}

std::vector<std::string>
run_cleanup(const std::string &dir, std::string_view oldest_kept, bool dry_run)
{
	FsStore store("");
	return run_cleanup(store, dir, oldest_kept, dry_run);
}

} // namespace pgls
