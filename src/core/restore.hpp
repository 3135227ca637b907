/*
 * restore.hpp -- restore_command: copying one archived file into place for the server.
 *
 * The server asks for a bare file name (%f) and a destination path (%p). The name must be a WAL
 * file name (wal_name.hpp), so nothing outside the archive can be read. The archive folders are
 * searched in order; the first copy found is decoded (archive_format.hpp) next to the destination
 * and renamed over it, so the server never sees a half-written file. The archive is untrusted:
 *
 *   - only a regular file is opened, never a FIFO (which would hang) or a symlink (store.hpp);
 *   - the size the copy claims must fit its name before anything is decoded, and decoding stops
 *     at that size (content_rules.hpp); for a segment, the WAL page header at its start must fit
 *     the name before more than that page is written;
 *   - before it is installed, the decoded copy is checked: original size and checksum from the
 *     archive header, the timeline and system identifier the header names, for a segment its
 *     size, long header and start address, and a raw (headerless) history or backup file must
 *     be text of its kind.
 *
 * "Not in the archive" is only said when every folder searched exists: a folder that does not
 * exist (a wrong --server, an archive that is not mounted) is an error, never "not there".
 * PostgreSQL fsyncs a restored file itself (durable_rename). A caller that restores ahead of
 * time (the prefetcher) asks for the fsync here instead, off recovery's critical path.
 */
#pragma once

#include "archive_format.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace pgls
{

class Store;

/* The requested name is not a WAL, .partial, .history or .backup file name. */
class InvalidWalFileName : public std::invalid_argument
{
public:
	explicit InvalidWalFileName(const std::string &msg) : std::invalid_argument(msg) {}
};

/* An archived copy was found but may not be installed (damaged, another segment's content, not
 * a regular file). */
class RestoreRefused : public std::runtime_error
{
public:
	explicit RestoreRefused(const std::string &msg) : std::runtime_error(msg) {}
};

/* A folder to search does not exist: the archive cannot say whether it holds the file. */
class ArchiveFolderMissing : public std::runtime_error
{
public:
	explicit ArchiveFolderMissing(const std::string &msg) : std::runtime_error(msg) {}
};

enum class RestoreResult
{
	Restored,
	NotFound,
};

struct RestoreOutcome
{
	RestoreResult result = RestoreResult::NotFound;
	std::string source_path; /* the archived copy used (Restored): a path or URL */
	uint64_t bytes = 0;      /* bytes installed (the original size) */
	bool raw = false;        /* the archived copy had no archive header */
	Compression compression = Compression::None;
};

/* "<dest>.pgls-tmp.<pid>": where the copy is written before the rename. */
std::string restore_temp_path(const std::string &dest, long pid);

/*
 * Looks for file in the store's folders, in order, and installs the first copy found as dest.
 * Throws InvalidWalFileName for a bad name, RestoreRefused for a copy that fails the checks,
 * ArchiveFolderMissing when the file is in no folder and a folder does not exist, and IoError for
 * I/O failures; dest is then untouched and no temp file remains. dest must be absent or a
 * regular file (a symlink, FIFO or device is never replaced: std::invalid_argument). With
 * sync_copy, the copy is fsynced before it is renamed to dest.
 */
RestoreOutcome restore_file(Store &store, const std::vector<std::string> &folders,
							const std::string &file, const std::string &dest,
							bool sync_copy = false);

/* The same for local archive folders (absolute or relative paths), through an FsStore. */
RestoreOutcome restore_file(const std::vector<std::string> &dirs, const std::string &file,
							const std::string &dest, bool sync_copy = false);

} // namespace pgls
