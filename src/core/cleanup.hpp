/*
 * cleanup.hpp -- archive_cleanup_command: removing archived WAL a standby no longer needs.
 *
 * Same rule as pg_archivecleanup: %r names the oldest file to keep (a segment, or a .partial or
 * .backup name, of which only the 24-character segment part counts). Segments and .partial files
 * whose name from the 9th character on (the timeline is ignored, so a parent timeline's segments
 * are never removed early) sorts before that are removed. History files, backup labels, temp files
 * and anything else are left alone.
 */
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pgls
{

/* The segment name %r stands for; throws InvalidWalFileName unless it is a segment, .partial or
 * .backup name. */
std::string cleanup_boundary(std::string_view oldest_kept);

/* Of names (bare file names in one folder), those to remove, sorted. Pure. */
std::vector<std::string> cleanup_candidates(const std::vector<std::string> &names,
											std::string_view oldest_kept);

class Store;
struct StoreEntry;

/* The names of the regular files among entries; the others (a directory or FIFO named like a
 * segment) go to *skipped, when given, as "<name> (a directory)". */
std::vector<std::string> regular_names(const std::vector<StoreEntry> &entries,
									   std::vector<std::string> *skipped = nullptr);

/*
 * Removes the candidates among the regular files of the store's folder (unless dry_run),
 * durably. Returns the names removed (or that would be); entries that are not regular files are
 * never removed, and listed in *skipped. listed: the folder's entries, when already listed. Throws
 * IoError if the folder cannot be read or a file cannot be removed; a file already gone (a
 * concurrent cleanup) is not an error.
 */
std::vector<std::string> run_cleanup(Store &store, const std::string &folder,
									 std::string_view oldest_kept, bool dry_run,
									 std::vector<std::string> *skipped = nullptr,
									 const std::vector<StoreEntry> *listed = nullptr);
/* The same in a local folder (a path). */
std::vector<std::string> run_cleanup(const std::string &dir, std::string_view oldest_kept,
									 bool dry_run);

} // namespace pgls
