/*
 * restore.cpp -- finding an archived file and installing a checked copy for restore_command.
 */
#include "pure.hpp"
#include "restore.hpp"

#include "archive_format.hpp"
#include "content_rules.hpp"
#include "fileio.hpp"
#include "fs_store.hpp"
#include "store.hpp"
#include "wal_header.hpp"
#include "wal_name.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pgls
{

namespace
{

/* Removes the temp file on the way out unless released. */
class TempFile
{
public:
	explicit TempFile(std::string path) : path_(std::move(path)) {}
	TempFile(const TempFile &) = delete;
	TempFile &operator=(const TempFile &) = delete;
	~TempFile()
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

/* The first folder holding file, opened; nullptr when none does. */
std::unique_ptr<ObjectReader>
find_archived(Store &store, const std::vector<std::string> &folders, const std::string &file)
{
	for (const std::string &folder : folders)
	{
		try
		{
			if (auto r = store.open(folder, file))
				return r;
		}
		catch (const NotRegularFile &e)
		{
			throw RestoreRefused("archived file " + std::string(e.what()));
		}
	}
	for (const std::string &folder : folders)
		if (!store.folder_exists(folder))
			throw ArchiveFolderMissing("archive folder \"" + store.where(folder) +
									   "\" does not exist, so the archive cannot tell whether it "
									   "holds \"" +
									   file + "\"");
	return nullptr;
}

/* dest must be absent or a regular file: a rename would replace a symlink or device. */
void
check_destination(const std::string &dest)
{
	struct stat st;
	if (::lstat(dest.c_str(), &st) != 0)
	{
		if (errno == ENOENT)
			return;
		throw_io("stat file", dest, errno);
	}
	if (!S_ISREG(st.st_mode))
		throw std::invalid_argument("destination \"" + dest +
									"\" exists and is not a regular file; restore writes a new "
									"file or replaces a regular one (\"-\" writes to standard "
									"output)");
}

/*
 * Writes decoded bytes to the temp file. For a segment, the first page is held back until its
 * long header has been checked against the name: a copy of another segment, or one whose header
 * does not fit its claimed size, is refused before more than a page is written.
 */
class SegmentGate
{
public:
	SegmentGate(const WalFileName &name, const ArchivedFileInfo &info, const std::string &src,
				int fd, const std::string &temp, bool durable)
		: name_(name), info_(info), src_(src), fd_(fd), temp_(temp), durable_(durable),
		  write_back_(fd),
		  gated_(name.kind == WalFileKind::Segment || name.kind == WalFileKind::Partial)
	{
	}

	void
	put(const char *p, size_t n)
	{
		if (gated_)
		{
			size_t take = std::min(n, kWalLongHeaderSize - held_.size());
			held_.append(p, take);
			p += take;
			n -= take;
			if (held_.size() < kWalLongHeaderSize)
				return;
			check_first_page();
			gated_ = false;
			write(held_.data(), held_.size());
		}
		if (n > 0)
			write(p, n);
	}

	/* After the last byte: a segment too short to hold a header never passed the gate. */
	void
	finish()
	{
		if (gated_)
			throw RestoreRefused("archived file \"" + src_ + "\" is too short for a WAL segment (" +
								 std::to_string(held_.size()) + " bytes)");
	}

	uint64_t
	seg_size() const
	{
		return seg_size_;
	}
	const WalLongHeader &
	header() const
	{
		return hdr_;
	}

private:
	void
	write(const char *p, size_t n)
	{
		write_all(fd_, p, n, temp_);
		if (durable_)
			write_back_.wrote(n);
	}

	void
	check_first_page()
	{
		auto hdr = decode_wal_long_header(reinterpret_cast<const unsigned char *>(held_.data()),
										  held_.size());
		if (!hdr)
			throw RestoreRefused("archived file \"" + src_ + "\" has no valid WAL segment header");
		hdr_ = *hdr;
		seg_size_ = hdr->seg_size;
		if (!valid_segment_size(seg_size_))
			throw RestoreRefused("archived file \"" + src_ + "\" has an invalid segment size (" +
								 std::to_string(seg_size_) + ") in its header");
		uint64_t size = info_.original_size();
		bool fits = name_.kind == WalFileKind::Segment ? size == seg_size_ : size <= seg_size_;
		if (!fits)
			throw RestoreRefused(
				"archived file \"" + src_ + "\" has the wrong size: " + std::to_string(size) +
				" bytes, its header says segments are " + std::to_string(seg_size_) + " bytes");
		if (name_.seg >= UINT64_C(0x100000000) / seg_size_)
			throw RestoreRefused("file name \"" + name_.name +
								 "\" is not valid with segment size " + std::to_string(seg_size_));
		std::string why =
			check_wal_header(*hdr, wal_segno(name_, seg_size_) * seg_size_, 0, seg_size_);
		if (!why.empty())
			throw RestoreRefused("archived file \"" + src_ + "\" is not segment " +
								 name_.segment_name() + ": " + why);
		if (!info_.raw && info_.header.sysid != 0 && info_.header.sysid != hdr->sysid)
			throw RestoreRefused("archived file \"" + src_ +
								 "\" does not fit its archive header: the header " +
								 "names database system " + std::to_string(info_.header.sysid) +
								 ", the WAL page header " + std::to_string(hdr->sysid));
	}

	const WalFileName &name_;
	const ArchivedFileInfo &info_;
	const std::string &src_;
	int fd_;
	const std::string &temp_;
	bool durable_;
	WriteBack write_back_;
	bool gated_;
	std::string held_;
	uint64_t seg_size_ = 0;
	WalLongHeader hdr_;
};

/* Decodes obj into a new file temp, checked as described in the header; returns bytes. */
uint64_t
decode_checked(ArchivedObject &obj, const WalFileName &name, const std::string &src,
			   const std::string &temp, bool durable)
{
	const ArchivedFileInfo &info = obj.info();
	Fd out = open_or_throw(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600, "create file");
	uint64_t bytes = 0;
	if (name.kind == WalFileKind::History || name.kind == WalFileKind::Backup)
	{
		/* Small (bounded above): decoded in memory, checked as text when raw. */
		std::string text;
		obj.decode([&text](const char *p, size_t n) { text.append(p, n); });
		if (info.raw)
			check_raw_text(name, text, src);
		write_all(out.get(), text.data(), text.size(), temp);
		bytes = text.size();
	}
	else
	{
		SegmentGate gate(name, info, src, out.get(), temp, durable);
		obj.decode(
			[&](const char *p, size_t n)
			{
				gate.put(p, n);
				bytes += n;
			});
		gate.finish();
	}
	if (durable && ::fsync(out.get()) != 0)
		throw_io("fsync file", temp, errno);
	return bytes;
}

} // namespace

std::string
restore_temp_path(const std::string &dest, long pid)
{
	return dest + ".pgls-tmp." + std::to_string(pid);
}

RestoreOutcome
restore_file(Store &store, const std::vector<std::string> &folders, const std::string &file,
			 const std::string &dest, bool sync_copy)
{
	WalFileName name = parse_wal_file_name(file);
	if (!name.valid())
		throw InvalidWalFileName("invalid WAL file name \"" + file + "\"");
	check_destination(dest);

	RestoreOutcome out;
	std::unique_ptr<ObjectReader> reader = find_archived(store, folders, file);
	if (!reader)
		return out;
	out.source_path = reader->where();

	std::string temp_path = restore_temp_path(dest, static_cast<long>(::getpid()));
	remove_if_exists(temp_path); /* left by a crashed run that had our pid */
	TempFile temp(temp_path);
	try
	{
		ArchivedObject obj(*reader);
		const ArchivedFileInfo &info = obj.info();
		check_original_size(name, info, 0, out.source_path);
		out.raw = info.raw;
		out.compression = info.header.algorithm;
		out.bytes = decode_checked(obj, name, out.source_path, temp.path(), sync_copy);
		if (out.bytes != info.original_size())
			throw RestoreRefused("copy of archived file \"" + out.source_path + "\" has " +
								 std::to_string(out.bytes) + " bytes, the archived file " +
								 std::to_string(info.original_size()));
		if (!info.raw && info.header.tli != 0 && info.header.tli != name.tli)
			throw RestoreRefused("archived file \"" + out.source_path +
								 "\" does not fit its name: its archive header says timeline " +
								 std::to_string(info.header.tli) + ", the name " +
								 std::to_string(name.tli));
	}
	catch (const ArchiveFormatError &e)
	{
		throw RestoreRefused(e.what());
	}

	if (::rename(temp.path().c_str(), dest.c_str()) != 0)
		throw_io("rename file \"" + temp.path() + "\" to", dest, errno);
	temp.release();
	out.result = RestoreResult::Restored;
	return out;
}

RestoreOutcome
restore_file(const std::vector<std::string> &dirs, const std::string &file, const std::string &dest,
			 bool sync_copy)
{
	FsStore store("");
	return restore_file(store, dirs, file, dest, sync_copy);
}

} // namespace pgls
