/*
 * restore.cpp -- finding an archived file and installing a checked copy for restore_command.
 */
#include "pure.hpp"
#include "restore.hpp"

#include "archive_format.hpp"
#include "fileio.hpp"
#include "wal_header.hpp"
#include "wal_name.hpp"

#include <cerrno>
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

/* The first dir holding file, or "" when none does. */
std::string
find_archived(const std::vector<std::string> &dirs, const std::string &file, uint64_t *size)
{
	for (const std::string &dir : dirs)
	{
		std::string path = dir + "/" + file;
		struct stat st;
		if (::stat(path.c_str(), &st) != 0)
		{
			if (errno == ENOENT || errno == ENOTDIR)
				continue;
			throw_io("stat file", path, errno);
		}
		if (!S_ISREG(st.st_mode))
			throw RestoreRefused("archived file \"" + path + "\" is not a regular file");
		*size = static_cast<uint64_t>(st.st_size);
		return path;
	}
	return std::string();
}

/* Throws RestoreRefused unless the copy at path is the segment name says (and, for a file in the
 * archive format, the database system its archive header names). */
void
check_segment_copy(const WalFileName &name, const std::string &src, const std::string &path,
				   uint64_t bytes, const ArchivedFileInfo &info)
{
	auto hdr = read_wal_long_header(path);
	if (!hdr)
		throw RestoreRefused("archived file \"" + src + "\" has no valid WAL segment header");
	uint64_t seg_size = hdr->seg_size;
	if (!valid_segment_size(seg_size))
		throw RestoreRefused("archived file \"" + src + "\" has an invalid segment size (" +
							 std::to_string(seg_size) + ") in its header");
	if (bytes != seg_size)
		throw RestoreRefused(
			"archived file \"" + src + "\" has the wrong size: " + std::to_string(bytes) +
			" bytes, its header says segments are " + std::to_string(seg_size) + " bytes");
	if (name.seg >= UINT64_C(0x100000000) / seg_size)
		throw RestoreRefused("file name \"" + name.name + "\" is not valid with segment size " +
							 std::to_string(seg_size));
	std::string why = check_wal_header(*hdr, wal_segno(name, seg_size) * seg_size, 0, seg_size);
	if (!why.empty())
		throw RestoreRefused("archived file \"" + src + "\" is not segment " + name.segment_name() +
							 ": " + why);
	if (!info.raw && info.header.sysid != 0 && info.header.sysid != hdr->sysid)
		throw RestoreRefused("archived file \"" + src + "\" does not fit its archive header: the " +
							 "header names database system " + std::to_string(info.header.sysid) +
							 ", the WAL page header " + std::to_string(hdr->sysid));
}

} // namespace

std::string
restore_temp_path(const std::string &dest, long pid)
{
	return dest + ".pgls-tmp." + std::to_string(pid);
}

RestoreOutcome
restore_file(const std::vector<std::string> &dirs, const std::string &file, const std::string &dest,
			 bool sync_copy)
{
	WalFileName name = parse_wal_file_name(file);
	if (!name.valid())
		throw InvalidWalFileName("invalid WAL file name \"" + file + "\"");

	RestoreOutcome out;
	uint64_t stored_size = 0;
	out.source_path = find_archived(dirs, file, &stored_size);
	if (out.source_path.empty())
		return out;

	std::string temp_path = restore_temp_path(dest, static_cast<long>(::getpid()));
	remove_if_exists(temp_path); /* left by a crashed run that had our pid */
	TempFile temp(temp_path);
	ArchivedFileInfo info;
	try
	{
		info = decode_file(out.source_path, temp.path(), sync_copy);
	}
	catch (const ArchiveFormatError &e)
	{
		throw RestoreRefused(e.what());
	}
	out.raw = info.raw;
	out.compression = info.header.algorithm;
	out.bytes = file_size(temp.path());
	if (out.bytes != info.original_size())
		throw RestoreRefused("copy of archived file \"" + out.source_path + "\" has " +
							 std::to_string(out.bytes) + " bytes, the archived file " +
							 std::to_string(info.original_size()));
	if (!info.raw && info.header.tli != 0 && info.header.tli != name.tli)
		throw RestoreRefused("archived file \"" + out.source_path +
							 "\" does not fit its name: its archive header says timeline " +
							 std::to_string(info.header.tli) + ", the name " +
							 std::to_string(name.tli));
	if (name.kind == WalFileKind::Segment || name.kind == WalFileKind::Partial)
		check_segment_copy(name, out.source_path, temp.path(), out.bytes, info);

	if (::rename(temp.path().c_str(), dest.c_str()) != 0)
		throw_io("rename file \"" + temp.path() + "\" to", dest, errno);
	temp.release();
	out.result = RestoreResult::Restored;
	return out;
}

} // namespace pgls
