/*
 * archive_check.cpp -- looking segments up in the archive folder.
 */
#include "retention/archive_check.hpp"

#include "core/interrupt.hpp"
#include "core/layout.hpp"
#include "core/wal_name.hpp"

#include <sys/stat.h>

namespace pgls
{

ArchiveChecker::ArchiveChecker(const ArchiveTarget &target, uint64_t seg_size)
	: seg_size_(seg_size), tli_(target.tli == 0 ? 1 : target.tli)
{
	if (!target.configured)
		return;
	dir_ = archive_read_dir(target.root, static_cast<Layout>(target.layout), target.server);
	for (int i = 0; i < target.nhist; i++)
		history_.push_back(
			TimelineSpan{target.hist[i].tli, target.hist[i].begin, target.hist[i].end});
	struct stat st;
	usable_ = ::stat(dir_.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string
ArchiveChecker::segment_name(uint64_t segno) const
{
	return wal_segment_file_name(timeline_of_segment(history_, segno, seg_size_, tli_), segno,
								 seg_size_);
}

bool
ArchiveChecker::archived(uint64_t segno) const
{
	if (!usable_)
		return false;
	struct stat st;
	std::string path = dir_ + "/" + segment_name(segno);
	/* Published under its final name means complete and fsynced; the size says nothing (the
	 * archive format may compress). */
	return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool
ArchiveChecker::all_archived(uint64_t from_seg, uint64_t to_seg) const
{
	for (uint64_t s = to_seg; s > from_seg; s--)
	{
		check_interrupts();
		if (!archived(s - 1))
			return false;
	}
	return true;
}

} // namespace pgls
