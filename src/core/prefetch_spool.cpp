/*
 * prefetch_spool.cpp -- serving restore_command from the prefetch spool, and the spool's files.
 */
#include "pure.hpp"
#include "prefetch_spool.hpp"

#include "layout.hpp"
#include "wal_header.hpp"

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <sstream>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pgls
{

namespace
{

/* Runs f, ignoring what it throws: the spool's bookkeeping must never fail a restore. */
template <typename F>
void
best_effort(F f)
{
	try
	{
		f();
	}
	catch (const std::exception &)
	{
	}
}

/* Creates the spool folder if needed; false when it is not there and cannot be made. */
bool
ensure_spool_dir(const std::string &spool)
{
	if (::mkdir(spool.c_str(), 0700) == 0 || errno == EEXIST)
		return is_directory(spool);
	return false;
}

/* The spooled copy of a segment fits its name: a WAL long header for this segment, and the size
 * that header gives. *seg_size is that size. A copy that does not fit is removed. */
bool
spooled_copy_fits(const std::string &path, const WalFileName &name, uint64_t *seg_size)
{
	struct stat st;
	if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	auto hdr = read_wal_long_header(path);
	bool fits =
		hdr && valid_segment_size(hdr->seg_size) &&
		static_cast<uint64_t>(st.st_size) == hdr->seg_size &&
		name.seg < UINT64_C(0x100000000) / hdr->seg_size &&
		check_wal_header(*hdr, wal_segno(name, hdr->seg_size) * hdr->seg_size, 0, hdr->seg_size)
			.empty();
	if (!fits)
	{
		best_effort([&] { remove_if_exists(path); });
		return false;
	}
	*seg_size = hdr->seg_size;
	return true;
}

} // namespace

std::string
prefetch_spool_dir(const std::string &dest)
{
	return parent_dir(dest) + "/" + kSpoolDirName;
}

std::string
spool_segment_path(const std::string &spool, const std::string &segment)
{
	return spool + "/" + segment;
}

std::string
spool_lock_path(const std::string &spool)
{
	return spool + "/.lock";
}

std::string
spool_wanted_path(const std::string &spool)
{
	return spool + "/.wanted";
}

std::string
spool_stats_path(const std::string &spool)
{
	return spool + "/.stats";
}

std::string
next_segment_name(const std::string &segment, uint64_t seg_size)
{
	WalFileName name = parse_wal_file_name(segment);
	if (name.kind != WalFileKind::Segment || !valid_segment_size(seg_size))
		return std::string();
	uint64_t per_id = UINT64_C(0x100000000) / seg_size;
	if (name.seg >= per_id)
		return std::string();
	uint64_t segno = wal_segno(name, seg_size);
	if (segno + 1 >= UINT64_C(0x100000000) * per_id)
		return std::string();
	return wal_segment_file_name(name.tli, segno + 1, seg_size);
}

std::optional<SpoolWanted>
read_spool_wanted(const std::string &spool)
{
	std::string path = spool_wanted_path(spool);
	int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return std::nullopt;
	Fd guard(fd);
	char buf[256];
	size_t n;
	try
	{
		n = read_full(fd, buf, sizeof buf - 1, path);
	}
	catch (const IoError &)
	{
		return std::nullopt;
	}
	std::istringstream in(std::string(buf, n));
	SpoolWanted w;
	std::string rest;
	if (!(in >> w.segment >> w.seg_size >> w.served >> w.direct) || (in >> rest))
		return std::nullopt;
	if (parse_wal_file_name(w.segment).kind != WalFileKind::Segment ||
		!valid_segment_size(w.seg_size))
		return std::nullopt;
	return w;
}

void
write_spool_wanted(const std::string &spool, const SpoolWanted &wanted)
{
	std::string path = spool_wanted_path(spool);
	std::string temp = path + "." + std::to_string(static_cast<long>(::getpid()));
	std::string text = wanted.segment + " " + std::to_string(wanted.seg_size) + " " +
					   std::to_string(wanted.served) + " " + std::to_string(wanted.direct) + "\n";
	try
	{
		Fd fd = open_or_throw(temp, O_WRONLY | O_CREAT | O_TRUNC, 0600, "create file");
		write_all(fd.get(), text.data(), text.size(), temp);
	}
	catch (...)
	{
		::unlink(temp.c_str());
		throw;
	}
	if (::rename(temp.c_str(), path.c_str()) != 0)
	{
		int err = errno;
		::unlink(temp.c_str());
		throw_io("rename file \"" + temp + "\" to", path, err);
	}
}

bool
is_spool_temp_name(const std::string &name)
{
	auto pos = name.find(kTempMarker);
	return pos != std::string::npos &&
		   parse_wal_file_name(name.substr(0, pos)).kind == WalFileKind::Segment;
}

int
remove_stale_spool_segments(const std::string &spool, const WalFileName &installed,
							uint64_t seg_size)
{
	uint64_t per_id = UINT64_C(0x100000000) / seg_size;
	uint64_t upto = wal_segno(installed, seg_size);
	int removed = 0;
	for (const std::string &entry : list_dir(spool))
	{
		WalFileName name = parse_wal_file_name(entry);
		if (name.kind != WalFileKind::Segment)
			continue;
		if (name.tli == installed.tli && name.seg < per_id && wal_segno(name, seg_size) > upto)
			continue;
		if (::unlink(spool_segment_path(spool, entry).c_str()) == 0)
			removed++;
	}
	return removed;
}

int
clear_spool(const std::string &spool)
{
	if (!is_directory(spool))
		return 0;
	int removed = 0;
	for (const std::string &entry : list_dir(spool))
	{
		if (parse_wal_file_name(entry).kind != WalFileKind::Segment && !is_spool_temp_name(entry))
			continue;
		if (::unlink(spool_segment_path(spool, entry).c_str()) == 0)
			removed++;
	}
	return removed;
}

Fd
try_lock_spool(const std::string &spool)
{
	Fd fd = open_or_throw(spool_lock_path(spool), O_RDWR | O_CREAT, 0600, "open lock file");
	for (;;)
	{
		if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno == EWOULDBLOCK)
			return Fd();
		if (errno != EINTR)
			throw_io("lock file", spool_lock_path(spool), errno);
	}
}

SpoolRestore
restore_via_spool(Store &store, const std::vector<std::string> &folders, const std::string &file,
				  const std::string &dest, const std::string &spool)
{
	SpoolRestore r;
	WalFileName name = parse_wal_file_name(file);
	if (name.kind != WalFileKind::Segment)
	{
		r.outcome = restore_file(store, folders, file, dest);
		return r;
	}

	bool spool_ok = ensure_spool_dir(spool);
	SpoolWanted before;
	if (spool_ok)
		before = read_spool_wanted(spool).value_or(SpoolWanted{});

	uint64_t seg_size = 0;
	std::string spooled = spool_segment_path(spool, file);
	if (spool_ok && spooled_copy_fits(spooled, name, &seg_size))
	{
		/* Then .wanted: until it names this segment, the prefetcher keeps the copy. */
		if (::rename(spooled.c_str(), dest.c_str()) == 0)
		{
			r.from_spool = true;
			r.want_prefetcher = true;
			r.outcome.result = RestoreResult::Restored;
			r.outcome.source_path = spooled;
			r.outcome.bytes = seg_size;
			best_effort(
				[&]
				{
					write_spool_wanted(spool, {file, seg_size, before.served + 1, before.direct});
					remove_stale_spool_segments(spool, name, seg_size);
				});
			return r;
		}
		/* Removed meanwhile (the prefetcher left this segment behind): from the archive. */
	}

	r.outcome = restore_file(store, folders, file, dest);
	if (r.outcome.result == RestoreResult::Restored && spool_ok)
	{
		seg_size = r.outcome.bytes; /* restore_file checked it against the page header */
		best_effort(
			[&]
			{
				write_spool_wanted(spool, {file, seg_size, before.served, before.direct + 1});
				remove_stale_spool_segments(spool, name, seg_size);
			});
		r.want_prefetcher = true;
	}
	return r;
}

} // namespace pgls
