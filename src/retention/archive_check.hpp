/*
 * archive_check.hpp -- is a segment durably in the archive? (C++ side, no PostgreSQL calls)
 *
 * A file is in the archive under its final name only once it was written, fsynced and
 * published (core/archive_writer), so its presence in this server's archive folder is the
 * test. The segment's name takes the timeline of this server's history that holds the
 * segment's last byte (core/retention_cleanup.hpp, timeline_of_segment).
 */
#pragma once

#include "retention/slot_state.hpp"

#include "core/retention_cleanup.hpp"

#include <string>
#include <vector>

namespace pgls
{

class ArchiveChecker
{
public:
	ArchiveChecker(const ArchiveTarget &target, uint64_t seg_size);

	bool
	usable() const
	{
		return usable_;
	}
	const std::string &
	dir() const
	{
		return dir_;
	}
	std::string segment_name(uint64_t segno) const;
	bool archived(uint64_t segno) const;

	/* True when every segment in [from_seg, to_seg) is archived (checked newest first). */
	bool all_archived(uint64_t from_seg, uint64_t to_seg) const;

private:
	bool usable_ = false;
	std::string dir_;
	uint64_t seg_size_;
	uint32_t tli_;
	std::vector<TimelineSpan> history_;
};

} // namespace pgls
