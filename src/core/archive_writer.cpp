/*
 * archive_writer.cpp -- the durable, never-overwriting publish protocol (see the header).
 */
#include "pure.hpp"
#include "archive_writer.hpp"

#include "content_rules.hpp"
#include "fileio.hpp"
#include "fs_store.hpp"
#include "store.hpp"
#include "wal_header.hpp"
#include "wal_name.hpp"

#include <cerrno>
#include <csignal>
#include <optional>
#include <sys/stat.h>

namespace pgls
{

namespace
{

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
	{
		uint64_t size = file_size(req.src_path);
		uint64_t max = max_original_size(name.kind, 0);
		if (size > max)
			throw ArchiveRefused("file \"" + req.file + "\" is too large for a " +
									 wal_file_kind_name(name.kind) + " file",
								 "It is " + std::to_string(size) + " bytes; restore accepts " +
									 std::to_string(max) + " bytes at most.");
		return req.sysid;
	}

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
 * Compares the content of the archived copy folder/name with ours. Identical: the copy's payload
 * was decoded and checked too, and the copy and its name are made durable. A damaged copy, or an
 * entry that is not a regular file, is Different when damaged_is_different (quarantine: try the
 * next name), else ArchivedCopyDamaged, or NotRegularFile naming what it is.
 */
PutResult
compare_existing(Store &store, const std::string &folder, const std::string &name,
				 const std::optional<StoreEntry> &entry, const ContentId &ours,
				 bool damaged_is_different)
{
	std::string where = store.where(folder, name);
	try
	{
		/* A store that keeps the content id beside the object settles a difference unread. */
		if (entry && entry->content && *entry->content != ours)
			return PutResult::Different;
		std::unique_ptr<ObjectReader> reader = store.open(folder, name);
		if (!reader)
			throw IoError("archived file \"" + where + "\" disappeared while being compared",
						  ENOENT);
		ArchivedObject obj(*reader);
		/* A header that says other content settles it without reading the payload. */
		if (!obj.info().raw && obj.info().header.content() != ours)
			return PutResult::Different;
		if (obj.content(true) != ours)
			return PutResult::Different;
	}
	catch (const ArchiveFormatError &e)
	{
		if (damaged_is_different)
			return PutResult::Different;
		throw ArchivedCopyDamaged(e.what(), where);
	}
	catch (const NotRegularFile &)
	{
		if (damaged_is_different)
			return PutResult::Different;
		throw;
	}
	store.make_durable(folder, name);
	return PutResult::Identical;
}

/* Puts src into folder under name, or finds it there with identical content. */
PutResult
put_file(Store &store, const std::string &folder, const std::string &name, PutSource &src,
		 bool damaged_is_different, ArchiveOutcome *out)
{
	auto content = [&src]() -> const ContentId &
	{
		if (!src.content)
			src.content = content_id_of_file(src.path);
		return *src.content;
	};
	/* Looking first spares writing what would be refused; on S3 it costs a round trip per file,
	 * which the store spares a server whose names are new (see look_before_publish). */
	if (store.look_before_publish())
		if (std::optional<StoreEntry> entry = store.stat(folder, name))
			return compare_existing(store, folder, name, entry, content(), damaged_is_different);

	PublishResult r = store.publish(folder, name,
									[&](ObjectWriter &w) -> std::optional<ContentId>
									{
										EncodeResult enc = encode_to(src.path, w, src.encode);
										src.content = enc.header.content();
										out->bytes_written += enc.bytes_written;
										out->bytes_original += enc.header.original_size;
										return enc.header.content();
									});
	if (r == PublishResult::Published)
		return PutResult::Published;
	/* The name is taken: published since we looked, or we did not look. */
	return compare_existing(store, folder, name, store.stat(folder, name), content(),
							damaged_is_different);
}

std::string
quarantine(Store &store, const ArchiveRequest &req, PutSource &src, ArchiveOutcome *out)
{
	std::string qfolder = req.layout.quarantine_folder();
	store.make_folder(qfolder);
	for (int i = 0; i < 1000; i++)
	{
		std::string name = i == 0 ? req.file : req.file + "." + std::to_string(i);
		PutResult r = put_file(store, qfolder, name, src, true, out);
		if (r == PutResult::Different)
			continue;
		out->quarantine_new = r == PutResult::Published;
		return store.where(qfolder, name);
	}
	throw IoError("too many quarantined versions of \"" + req.file + "\" in \"" +
					  store.where(qfolder) + "\"",
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
archive_file(Store &store, const ArchiveRequest &req)
{
	WalFileName name = parse_wal_file_name(req.file);
	uint64_t sysid = check_offered_file(req, name);

	PutSource src{req.src_path, EncodeOptions{}, std::nullopt};
	src.encode.algorithm = req.compression;
	src.encode.level = req.level;
	src.encode.sysid = sysid;
	src.encode.tli = name.tli;

	ArchiveOutcome out;
	std::string folder = req.layout.wal_folder();
	store.make_folder(folder);
	out.final_path = store.where(folder, req.file);

	switch (put_file(store, folder, req.file, src, false, &out))
	{
		case PutResult::Published:
			out.result = ArchiveResult::Published;
			break;
		case PutResult::Identical:
			out.result = ArchiveResult::AlreadyArchived;
			break;
		case PutResult::Different:
			out.result = ArchiveResult::Conflict;
			out.quarantine_path = quarantine(store, req, src, &out);
			break;
	}
	return out;
}

ArchiveOutcome
archive_file(const ArchiveRequest &req)
{
	FsStore store(req.layout.root, StoreWriter{req.layout.server, req.pid, req.instance});
	return archive_file(store, req);
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
