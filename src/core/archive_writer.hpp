/*
 * archive_writer.hpp -- putting one file into the archive: durable, atomic, never overwriting.
 *
 * The protocol, for a file F offered by server S:
 *   1. F's name must be a WAL/history/partial/backup name; a segment's header must name this
 *      cluster's system identifier, the segment size and the segment's own start address.
 *   2. If F already exists in the archive: same content -> fsync it and its folder, "already
 *      archived" (nothing uploaded: this is how a standby acknowledges what the primary archived);
 *      other content -> conflict (step 4).
 *   3. Otherwise encode F (archive_format.hpp: header, compressed payload, checksum) into a temp
 *      file in the same folder, fsync it, and link(2) it to F. link never replaces, so of many
 *      concurrent writers exactly one publishes; the others see EEXIST and compare as in step 2.
 *      Then the temp is unlinked and the folder fsynced.
 *   4. Conflict: the archive's copy is kept. S's copy is put, durably, in quarantine/<S>/ (once per
 *      distinct content) and the outcome says Conflict; the caller decides what to report.
 * A crash at any point leaves at worst a temp file (swept later); a final name always holds a
 * complete, fsynced file.
 *
 * "Same content" is the original bytes, whatever the compression: equal original size and
 * XXH3-128 checksum (from the archived copy's header; a raw archived copy is hashed). So servers
 * archiving with different compression settings agree. Before an existing copy is taken as
 * identical, its payload is decoded and checked against its checksum: a damaged copy is never
 * acknowledged (ArchivedCopyDamaged; the file stays in pg_wal until the copy is moved aside).
 */
#pragma once

#include "archive_format.hpp"
#include "layout.hpp"

#include <cstdint>
#include <ctime>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace pgls
{

/* The offered file is not acceptable (bad name, another cluster's WAL, wrong size). */
class ArchiveRefused : public std::runtime_error
{
public:
	ArchiveRefused(const std::string &msg, const std::string &detail)
		: std::runtime_error(msg), detail_(detail)
	{
	}
	const std::string &
	detail() const
	{
		return detail_;
	}

private:
	std::string detail_;
};

/* The archive already holds F, and that copy is damaged (it does not decode to its checksum, or
 * its header is broken). Nothing is acknowledged or overwritten: the file stays in pg_wal. */
class ArchivedCopyDamaged : public std::runtime_error
{
public:
	ArchivedCopyDamaged(const std::string &msg, const std::string &path)
		: std::runtime_error(msg), path_(path)
	{
	}
	const std::string &
	path() const
	{
		return path_;
	}

private:
	std::string path_;
};

class Store;

struct ArchiveRequest
{
	ArchiveLayout layout;
	std::string file;                  /* bare file name, as the archiver gives it */
	std::string src_path;              /* where the server has it */
	std::string instance{kNoInstance}; /* the writing server's instance id, for temp names */
	long pid = 0;
	uint64_t sysid = 0;    /* 0 = do not check */
	uint64_t seg_size = 0; /* 0 = do not check */
	Compression compression = Compression::None;
	int level = 0; /* 0..compression_max_level(compression); 0 = the library's default */
};

enum class ArchiveResult
{
	Published,       /* this call created the archive copy */
	AlreadyArchived, /* an identical copy was there (or appeared concurrently) */
	Conflict,        /* a different copy is there; ours went to quarantine */
};

const char *archive_result_name(ArchiveResult r);

struct ArchiveOutcome
{
	ArchiveResult result = ArchiveResult::Published;
	std::string final_path;
	std::string quarantine_path; /* set for Conflict */
	bool quarantine_new = false; /* the quarantine copy was written by this call */
	uint64_t bytes_written = 0;  /* bytes written into the archive (headers, compressed) */
	uint64_t bytes_original = 0; /* the original size of what was written */
};

/* Throws ArchiveRefused for unacceptable input, ArchivedCopyDamaged when the archive's copy of the
 * file is damaged and IoError for I/O failures; in each case the archive is unchanged apart from,
 * at most, a temp file of ours that is removed on the way out. */
ArchiveOutcome archive_file(Store &store, const ArchiveRequest &req);

/* The same into the filesystem archive at req.layout.root. */
ArchiveOutcome archive_file(const ArchiveRequest &req);

/*
 * What the archive callback returns on a conflict. On a primary the archive's copy should be the
 * primary's own WAL: a different one means the archive holds another history (split brain, a
 * restored old primary, a second cluster). Like pgBackRest and basic_archive we refuse to go on:
 * false, the archiver retries, the WAL stays in pg_wal. On a standby the archive copy normally came
 * from the primary, which is authoritative; the standby's differing copy is kept in quarantine and
 * the segment counts as archived, so a diverged standby cannot fill its own pg_wal.
 */
bool conflict_counts_as_archived(bool in_recovery);

/*
 * Removes temp files in dir left by dead writers: those of this instance (my_instance) whose
 * writer is not my_pid and not alive (temp_file_is_ours_and_dead), and anyone's older than
 * max_age_seconds. A temp file of another instance is never judged by its pid: that pid may live
 * on another host, which shares the folder (the same server name on two hosts, or the shared
 * layout). Returns the names removed.
 */
std::vector<std::string> sweep_temp_files(const std::string &dir, const std::string &my_instance,
										  long my_pid, const std::function<bool(long)> &pid_alive,
										  std::time_t now, long max_age_seconds);

/* kill(pid, 0) says it exists. */
bool pid_is_alive(long pid);

} // namespace pgls
