/*
 * archive_check.hpp -- is a segment durably in the archive? (C++ side, no PostgreSQL calls)
 *
 * A file is in the archive under its final name only once it was written, made durable and
 * published (core/archive_writer), so its presence in this server's archive folder is the
 * test. The segment's name takes the timeline of this server's history that holds the
 * segment's last byte (core/retention_cleanup.hpp, timeline_of_segment).
 *
 * The archive is reached through its store (core/store.hpp): on a filesystem each lookup is a
 * stat; in object storage the folder is listed once, on the first lookup, rather than sending
 * one HEAD request per segment.
 */
#pragma once

#include "retention/slot_state.hpp"

#include "core/retention_cleanup.hpp"
#include "core/store.hpp"

#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace pgls
{

class ArchiveChecker
{
public:
	/* Opens the target's store (kept open by the process, archive/store_cache.hpp). A store that
	 * cannot be opened or reached leaves the checker unusable; problem() says why. */
	ArchiveChecker(const ArchiveTarget &target, uint64_t seg_size);

	bool
	usable() const
	{
		return usable_;
	}
	/* Why it is not usable ("" when it is). */
	const std::string &
	problem() const
	{
		return problem_;
	}
	/* The folder's path or URL, for messages. */
	const std::string &
	dir() const
	{
		return dir_;
	}
	/* The store and folder (usable() only). */
	Store &
	store() const
	{
		return *store_;
	}
	const std::string &
	folder() const
	{
		return folder_;
	}
	std::string segment_name(uint64_t segno) const;
	bool archived(uint64_t segno) const;

	/* True when every segment in [from_seg, to_seg) is archived (checked newest first). */
	bool all_archived(uint64_t from_seg, uint64_t to_seg) const;

private:
	mutable bool usable_ = false;
	mutable std::string problem_;
	std::string dir_;
	std::string folder_;
	Store *store_ = nullptr;
	uint64_t seg_size_;
	uint32_t tli_;
	std::vector<TimelineSpan> history_;
	/* Object storage: the names in the folder, listed on the first lookup. */
	mutable std::optional<std::unordered_set<std::string>> listed_;
};

} // namespace pgls
