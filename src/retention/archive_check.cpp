/*
 * archive_check.cpp -- looking segments up in the archive folder.
 */
#include "retention/archive_check.hpp"

#include "archive/store_cache.hpp"
#include "core/interrupt.hpp"
#include "core/layout.hpp"
#include "core/s3/error.hpp"
#include "core/wal_name.hpp"

namespace pgls
{

ArchiveChecker::ArchiveChecker(const ArchiveTarget &target, uint64_t seg_size)
	: seg_size_(seg_size), tli_(target.tli == 0 ? 1 : target.tli)
{
	if (!target.configured)
		return;
	folder_ = archive_folder(static_cast<Layout>(target.layout), target.server);
	dir_ = std::string(target.root) + "/" + folder_;
	for (int i = 0; i < target.nhist; i++)
		history_.push_back(
			TimelineSpan{target.hist[i].tli, target.hist[i].begin, target.hist[i].end});
	/* Not reaching the store is a state to report, not an error; an interrupt is one. */
	try
	{
		StoreSpec spec;
		spec.location = target.root;
		spec.s3 = s3_settings_from(target.s3);
		store_ = &archive_store(spec);
		dir_ = store_->where(folder_);
		usable_ = store_->folder_exists(folder_);
		if (!usable_)
			problem_ = "archive folder \"" + dir_ + "\" does not exist or is not a directory";
	}
	catch (const s3::Error &e)
	{
		problem_ = e.what();
	}
	catch (const IoError &e)
	{
		problem_ = e.what();
	}
	catch (const std::invalid_argument &e)
	{
		problem_ = e.what();
	}
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
	std::string name = segment_name(segno);
	/* Published under its final name means complete and durable; the size says nothing (the
	 * archive format may compress). */
	if (store_->local())
	{
		std::optional<StoreEntry> e = store_->stat(folder_, name);
		return e && e->type == EntryType::Regular;
	}
	if (!listed_)
	{
		try
		{
			std::unordered_set<std::string> names;
			for (const StoreEntry &e : store_->list(folder_))
				if (e.type == EntryType::Regular)
					names.insert(e.name);
			listed_ = std::move(names);
		}
		catch (const s3::Error &e)
		{
			usable_ = false;
			problem_ = e.what();
			return false;
		}
	}
	return listed_->count(name) > 0;
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
