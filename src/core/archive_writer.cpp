/*
 * archive_writer.cpp -- the durable, never-overwriting publish protocol (see the header).
 */
#include "pure.hpp"
#include "archive_writer.hpp"

#include "fileio.hpp"
#include "wal_header.hpp"
#include "wal_name.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <sys/stat.h>

namespace pgls
{

namespace
{

unsigned long
next_nonce()
{
	static std::atomic<unsigned long> counter{0};
	auto now = std::chrono::steady_clock::now().time_since_epoch().count();
	return (static_cast<unsigned long>(now) & 0xFFFFFFFFul) * 1000 + (counter++ % 1000);
}

/* Removes a temp file when it goes out of scope unless released. */
class TempGuard
{
public:
	explicit TempGuard(std::string path) : path_(std::move(path)) {}
	~TempGuard()
	{
		if (!path_.empty())
			::unlink(path_.c_str());
	}
	const std::string &
	path() const
	{
		return path_;
	}
	void
	release()
	{
		path_.clear();
	}

private:
	std::string path_;
};

void
check_offered_file(const ArchiveRequest &req, const WalFileName &name)
{
	if (!name.valid())
		throw ArchiveRefused(
			"invalid file name \"" + req.file + "\"",
			"Only WAL segment, .partial, .history and .backup file names are archived.");
	if (!name.has_segment() || name.kind == WalFileKind::Backup)
		return;

	uint64_t size = file_size(req.src_path);
	if (req.seg_size != 0 && size != req.seg_size)
		throw ArchiveRefused("file \"" + req.file + "\" has the wrong size",
							 "It is " + std::to_string(size) + " bytes, a segment is " +
								 std::to_string(req.seg_size) + ".");
	auto hdr = read_wal_long_header(req.src_path);
	if (!hdr)
		throw ArchiveRefused("file \"" + req.file + "\" has no valid WAL segment header",
							 "The first page does not carry a long page header.");
	uint64_t seg_size = req.seg_size ? req.seg_size : hdr->seg_size;
	if (!valid_segment_size(seg_size))
		throw ArchiveRefused("file \"" + req.file + "\" has no valid WAL segment header",
							 "The segment size in its header is not valid.");
	std::string why =
		check_wal_header(*hdr, wal_segno(name, seg_size) * seg_size, req.sysid, req.seg_size);
	if (!why.empty())
		throw ArchiveRefused("file \"" + req.file + "\" does not belong in this archive", why);
}

/* Puts src into dir under name, or finds it there with identical content. Returns true if this
 * call published it. Throws if name exists with different content and !allow_other. */
enum class PutResult
{
	Published,
	Identical,
	Different,
};

PutResult
put_file(const std::string &dir, const std::string &name, const std::string &src,
		 const std::string &server, long pid, uint64_t *bytes)
{
	std::string final_path = dir + "/" + name;
	if (path_exists(final_path))
	{
		if (!files_identical(src, final_path))
			return PutResult::Different;
		fsync_path(final_path, false);
		fsync_path(dir, true);
		return PutResult::Identical;
	}

	TempGuard temp(dir + "/" + temp_file_name(name, server, pid, next_nonce()));
	*bytes += copy_file_new(src, temp.path(), true);
	if (publish_noreplace(temp.path(), final_path))
	{
		remove_if_exists(temp.path());
		temp.release();
		fsync_path(dir, true);
		return PutResult::Published;
	}
	/* Someone published the name between our check and our link. */
	if (!files_identical(temp.path(), final_path))
		return PutResult::Different;
	fsync_path(final_path, false);
	fsync_path(dir, true);
	return PutResult::Identical;
}

std::string
quarantine(const ArchiveRequest &req, bool *is_new, uint64_t *bytes)
{
	std::string qdir = req.layout.quarantine_dir();
	make_dirs_durable(qdir);
	for (int i = 0; i < 1000; i++)
	{
		std::string name = i == 0 ? req.file : req.file + "." + std::to_string(i);
		PutResult r = put_file(qdir, name, req.src_path, req.layout.server, req.pid, bytes);
		if (r == PutResult::Different)
			continue;
		*is_new = r == PutResult::Published;
		return qdir + "/" + name;
	}
	throw IoError("too many quarantined versions of \"" + req.file + "\" in \"" + qdir + "\"",
				  EEXIST);
}

} // namespace

const char *
archive_result_name(ArchiveResult r)
{
	switch (r)
	{
		case ArchiveResult::Published:
			return "published";
		case ArchiveResult::AlreadyArchived:
			return "already archived";
		case ArchiveResult::Conflict:
			return "conflict";
	}
	return "?";
}

ArchiveOutcome
archive_file(const ArchiveRequest &req)
{
	WalFileName name = parse_wal_file_name(req.file);
	check_offered_file(req, name);

	ArchiveOutcome out;
	std::string dir = req.layout.wal_dir();
	make_dirs_durable(dir);
	out.final_path = dir + "/" + req.file;

	switch (put_file(dir, req.file, req.src_path, req.layout.server, req.pid, &out.bytes_written))
	{
		case PutResult::Published:
			out.result = ArchiveResult::Published;
			break;
		case PutResult::Identical:
			out.result = ArchiveResult::AlreadyArchived;
			break;
		case PutResult::Different:
			out.result = ArchiveResult::Conflict;
			out.quarantine_path = quarantine(req, &out.quarantine_new, &out.bytes_written);
			break;
	}
	return out;
}

bool
conflict_counts_as_archived(bool in_recovery)
{
	return in_recovery;
}

bool
pid_is_alive(long pid)
{
	if (pid <= 0)
		return false;
	return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

std::vector<std::string>
sweep_temp_files(const std::string &dir, const std::string &server, long my_pid,
				 const std::function<bool(long)> &pid_alive, std::time_t now, long max_age_seconds)
{
	std::vector<std::string> removed;
	if (!is_directory(dir))
		return removed;
	for (const std::string &entry : list_dir(dir))
	{
		auto t = parse_temp_file_name(entry);
		if (!t)
			continue;
		std::string path = dir + "/" + entry;
		bool dead_writer = t->server == server && t->pid != my_pid && !pid_alive(t->pid);
		bool too_old = false;
		struct stat st;
		if (::lstat(path.c_str(), &st) == 0)
			too_old = now - st.st_mtime > max_age_seconds;
		else
			continue;
		if (dead_writer || too_old)
		{
			remove_if_exists(path);
			removed.push_back(entry);
		}
	}
	if (!removed.empty())
		fsync_path(dir, true);
	return removed;
}

} // namespace pgls
