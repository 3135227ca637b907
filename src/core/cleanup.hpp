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

/*
 * Removes the candidates in dir (unless dry_run), then fsyncs dir. Returns the names removed (or
 * that would be). Throws IoError if dir cannot be read or a file cannot be removed; a file already
 * gone (a concurrent cleanup) is not an error.
 */
std::vector<std::string> run_cleanup(const std::string &dir, std::string_view oldest_kept,
									 bool dry_run);

} // namespace pgls
