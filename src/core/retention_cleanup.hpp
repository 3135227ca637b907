/*
 * retention_cleanup.hpp -- safe archive cleanup: the oldest archived WAL anything still needs.
 *
 * An archived segment may go only when nothing needs it any more. The boundary (the oldest
 * segment kept) is the oldest of:
 *
 *   - the start of the oldest of the newest keep_backups base backups, read from the .backup
 *     files in the archive (START WAL LOCATION);
 *   - every replication slot's restart position (a lost slot: where it was when invalidated; a
 *     slot the retention policy advanced: where its standby really is);
 *   - every connected standby's replay position;
 *   - the current WAL position;
 * and then every file younger than the minimum age, with everything after it, is kept as well.
 *
 * Below the boundary, segments and .partial files are removed on every timeline (the timeline
 * part of the name is ignored, as pg_archivecleanup does): a kept backup needs every timeline
 * from its start on, and its parents' segments before a switch point sort before the switch.
 * .history and .backup files are never removed. An unreadable or malformed .backup file, or no
 * base backup at all while keep_backups > 0, refuses the whole cleanup: nothing is removed.
 */
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace pgls
{

/* A .backup file could not be understood. */
class BackupFileError : public std::runtime_error
{
public:
	explicit BackupFileError(const std::string &msg) : std::runtime_error(msg) {}
};

/* What a backup history file ("<segment>.XXXXXXXX.backup") says. */
struct BackupInfo
{
	std::string file;
	uint32_t start_tli = 0;
	uint64_t start_lsn = 0;
	uint64_t stop_lsn = 0;
	uint32_t stop_tli = 0;
	std::string label;
};

/*
 * Parses a backup history file. name must be a .backup file name; its segment and offset must
 * agree with START WAL LOCATION (for seg_size, or with seg_size 0 for some valid segment size).
 * Throws BackupFileError naming the file and what is wrong.
 */
BackupInfo parse_backup_file(const std::string &name, const std::string &contents,
							 uint64_t seg_size);

/* The newest `keep` backups (by start LSN, then name), newest first. */
std::vector<BackupInfo> newest_backups(std::vector<BackupInfo> all, int keep);

/* A position something still needs, and who needs it ("slot \"s1\"", "backup X", ...). */
struct KeepPosition
{
	std::string who;
	uint64_t lsn = 0;
	uint32_t tli = 0;
};

struct CleanupInput
{
	uint64_t seg_size = 16 * 1024 * 1024;
	std::vector<std::string> names;      /* the archive folder's file names */
	std::vector<BackupInfo> backups;     /* every .backup file parsed */
	std::vector<std::string> unreadable; /* .backup files that could not be read, with why */
	int keep_backups = 2;                /* 0: backups do not limit cleanup */
	std::vector<KeepPosition> positions; /* slots, standbys, the current position */
	int64_t now_s = 0;                   /* seconds, the epoch of mtime */
	int64_t min_age_s = 0;               /* 0: no minimum age */
	/* Modification time (seconds) of a file in the folder; nullopt when it is gone. Asked only
	 * for files below the position boundary, and only when min_age_s > 0. */
	std::function<std::optional<int64_t>(const std::string &)> mtime;
};

struct CleanupPlan
{
	bool refused = false;
	std::string refusal;       /* why nothing may be removed */
	std::string oldest_kept;   /* the boundary segment name (empty when refused) */
	std::string kept_by;       /* what set it */
	uint64_t boundary_lsn = 0; /* the position that set it (0 for the minimum age) */
	std::vector<BackupInfo> kept_backups;
	std::vector<std::string> remove; /* sorted */
};

CleanupPlan plan_archive_cleanup(const CleanupInput &in);

/*
 * For `pg_logship cleanup --keep-backups N`: the oldest file name to keep given %r and the
 * archive's backups (the older of %r and the oldest kept backup's start segment; seg_size 0:
 * taken from each .backup file). Throws
 * BackupFileError when a .backup file is unreadable; *no_backups is set when there is none (the
 * caller then removes nothing). `read` returns a file's contents or throws.
 */
std::string protect_kept_backups(const std::vector<std::string> &names,
								 const std::string &oldest_kept, int keep, uint64_t seg_size,
								 const std::function<std::string(const std::string &)> &read,
								 bool *no_backups, std::string *kept_by);

/* ---- timelines ------------------------------------------------------------------------------- */

/* One entry of a timeline history: tli covers [begin, end); end 0 means "to the end". */
struct TimelineSpan
{
	uint32_t tli = 1;
	uint64_t begin = 0;
	uint64_t end = 0;
};

/*
 * The timeline whose file holds segment segno: the one of the segment's last byte (a segment in
 * which the timeline switched is written on the new timeline). With no history, fallback_tli.
 */
uint32_t timeline_of_segment(const std::vector<TimelineSpan> &history, uint64_t segno,
							 uint64_t seg_size, uint32_t fallback_tli);

} // namespace pgls
