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
#include <optional>
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

/* Checks the offered file; returns the system identifier for the archive header (a segment's
 * own, else the cluster's as requested, 0 when unknown). */
uint64_t
check_offered_file(const ArchiveRequest &req, const WalFileName &name)
{
	if (!name.valid())
		throw ArchiveRefused(
			"invalid file name \"" + req.file + "\"",
			"Only WAL segment, .partial, .history and .backup file names are archived.");
	if (!name.has_segment() || name.kind == WalFileKind::Backup)
		return req.sysid;

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
	return hdr->sysid;
}

/* What put_file() needs to know about the file it puts. */
struct PutSource
{
	const std::string &path;
	const std::string &server;
	const std::string &instance;
	long pid;
	EncodeOptions encode;
	std::optional<ContentId> content; /* computed once, when first needed */
};

enum class PutResult
{
	Published,
	Identical,
	Different,
};

/*
 * Compares the content of the archived copy at path with ours. Identical: the copy's payload was
 * decoded and checked too, and the copy and its folder are fsynced. A damaged copy is Different
 * when damaged_is_different (quarantine: try the next name), else ArchivedCopyDamaged.
 */
PutResult
compare_existing(const std::string &dir, const std::string &path, const ContentId &ours,
				 bool damaged_is_different)
{
	try
	{
		ArchivedFileInfo info = inspect_archived_file(path);
		/* A header that says other content settles it without reading the payload. */
		if (!info.raw && info.header.content() != ours)
			return PutResult::Different;
		if (archived_content_id(path, true) != ours)
			return PutResult::Different;
	}
	catch (const ArchiveFormatError &e)
	{
		if (damaged_is_different)
			return PutResult::Different;
		throw ArchivedCopyDamaged(e.what(), path);
	}
	fsync_path(path, false);
	fsync_path(dir, true);
	return PutResult::Identical;
}

/* Puts src into dir under name, or finds it there with identical content. */
PutResult
put_file(const std::string &dir, const std::string &name, PutSource &src, bool damaged_is_different,
		 ArchiveOutcome *out)
{
	std::string final_path = dir + "/" + name;
	if (path_exists(final_path))
	{
		if (!src.content)
			src.content = content_id_of_file(src.path);
		return compare_existing(dir, final_path, *src.content, damaged_is_different);
	}

	TempGuard temp(dir + "/" +
				   temp_file_name(name, src.server, src.instance, src.pid, next_nonce()));
	EncodeResult enc = encode_file(src.path, temp.path(), src.encode, true);
	src.content = enc.header.content();
	out->bytes_written += enc.bytes_written;
	out->bytes_original += enc.header.original_size;
	if (publish_noreplace(temp.path(), final_path))
	{
		remove_if_exists(temp.path());
		temp.release();
		fsync_path(dir, true);
		return PutResult::Published;
	}
	/* Someone published the name between our check and our link. */
	return compare_existing(dir, final_path, *src.content, damaged_is_different);
}

std::string
quarantine(const ArchiveRequest &req, PutSource &src, ArchiveOutcome *out)
{
	std::string qdir = req.layout.quarantine_dir();
	make_dirs_durable(qdir);
	for (int i = 0; i < 1000; i++)
	{
		std::string name = i == 0 ? req.file : req.file + "." + std::to_string(i);
		PutResult r = put_file(qdir, name, src, true, out);
		if (r == PutResult::Different)
			continue;
		out->quarantine_new = r == PutResult::Published;
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
	uint64_t sysid = check_offered_file(req, name);

	PutSource src{req.src_path, req.layout.server, req.instance,
				  req.pid,      EncodeOptions{},   std::nullopt};
	src.encode.algorithm = req.compression;
	src.encode.level = req.level;
	src.encode.sysid = sysid;
	src.encode.tli = name.tli;

	ArchiveOutcome out;
	std::string dir = req.layout.wal_dir();
	make_dirs_durable(dir);
	out.final_path = dir + "/" + req.file;

	switch (put_file(dir, req.file, src, false, &out))
	{
		case PutResult::Published:
			out.result = ArchiveResult::Published;
			break;
		case PutResult::Identical:
			out.result = ArchiveResult::AlreadyArchived;
			break;
		case PutResult::Different:
			out.result = ArchiveResult::Conflict;
			out.quarantine_path = quarantine(req, src, &out);
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
sweep_temp_files(const std::string &dir, const std::string &my_instance, long my_pid,
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
		bool dead_writer = temp_file_is_ours_and_dead(*t, my_instance, my_pid, pid_alive);
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
