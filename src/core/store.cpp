/*
 * store.cpp -- what every store shares (see store.hpp).
 */
#include "pure.hpp"
#include "store.hpp"

#include "content_rules.hpp"
#include "wal_name.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <sys/stat.h>

namespace pgls
{

const char *
entry_type_name(EntryType type, unsigned mode_bits)
{
	switch (type)
	{
		case EntryType::Regular:
			return "regular file";
		case EntryType::Directory:
			return "directory";
		case EntryType::Symlink:
			return "symbolic link";
		case EntryType::Other:
			if (S_ISFIFO(mode_bits))
				return "FIFO";
			if (S_ISSOCK(mode_bits))
				return "socket";
			if (S_ISCHR(mode_bits) || S_ISBLK(mode_bits))
				return "device";
			return "special file";
	}
	return "?";
}

NotRegularFile::NotRegularFile(const std::string &where, const std::string &type_name)
	: IoError("\"" + where + "\" is a " + type_name + ", not a regular file", EINVAL),
	  type_name_(type_name)
{
}

void
StringObjectWriter::write_at(uint64_t offset, const char *buf, size_t len)
{
	if (offset + len > data_.size())
		throw std::out_of_range("write_at past the end of the object");
	data_.replace(static_cast<size_t>(offset), len, buf, len);
}

size_t
StringObjectReader::read(char *buf, size_t len)
{
	size_t n = std::min(len, data_.size() - pos_);
	std::memcpy(buf, data_.data() + pos_, n);
	pos_ += n;
	return n;
}

std::string
read_object_bounded(ObjectReader &reader, uint64_t max)
{
	std::string out;
	char buf[64 * 1024];
	for (;;)
	{
		size_t n = reader.read(buf, sizeof buf);
		if (n == 0)
			return out;
		if (out.size() + n > max)
			throw std::runtime_error("\"" + reader.where() + "\" is larger than the " +
									 std::to_string(max) + " bytes expected");
		out.append(buf, n);
	}
}

std::string
read_archived_text(Store &store, const std::string &folder, const std::string &name)
{
	WalFileName wal = parse_wal_file_name(name);
	std::unique_ptr<ObjectReader> reader = store.open(folder, name);
	if (!reader)
		throw_io("open file", store.where(folder, name), ENOENT);
	ArchivedObject obj(*reader);
	check_original_size(wal, obj.info(), 0, reader->where());
	std::string text;
	obj.decode([&text](const char *p, size_t n) { text.append(p, n); });
	if (obj.info().raw)
		check_raw_text(wal, text, reader->where());
	return text;
}

} // namespace pgls
