/*
 * fixtures.hpp -- helpers for the unit tests: a scratch directory and fake WAL files.
 */
#pragma once

#include "core/archive_format.hpp"
#include "core/wal_header.hpp"
#include "core/wal_name.hpp"

#include <gtest/gtest.h>

#include <sys/time.h>
#include <ctime>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace pgls::test
{

constexpr uint64_t kSegSize = 1024 * 1024; /* smallest valid segment size: quick to write */
constexpr uint64_t kSysid = UINT64_C(7300000000000000001);
constexpr uint16_t kMagic = pgls::kWalPageMagic; /* XLOG_PAGE_MAGIC of the server built against */

/* A fresh directory under $TMPDIR (or /tmp), removed with everything in it at the end. */
class TempDir
{
public:
	TempDir()
	{
		const char *tmp = std::getenv("TMPDIR");
		std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/pgls-unit-XXXXXX";
		std::vector<char> buf(tmpl.begin(), tmpl.end());
		buf.push_back('\0');
		if (::mkdtemp(buf.data()) == nullptr)
			throw std::runtime_error("mkdtemp failed");
		path_ = buf.data();
	}
	TempDir(const TempDir &) = delete;
	TempDir &operator=(const TempDir &) = delete;
	~TempDir()
	{
		std::error_code ec;
		std::filesystem::remove_all(path_, ec);
	}
	const std::string &
	path() const
	{
		return path_;
	}
	std::string
	operator/(const std::string &name) const
	{
		return path_ + "/" + name;
	}

private:
	std::string path_;
};

inline void
make_dir(const std::string &path)
{
	std::filesystem::create_directories(path);
}

inline std::string
read_file(const std::string &path)
{
	std::ifstream in(path, std::ios::binary);
	if (!in)
		throw std::runtime_error("cannot read " + path);
	return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void
write_file(const std::string &path, const std::string &contents)
{
	std::ofstream out(path, std::ios::binary | std::ios::trunc);
	out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
	if (!out)
		throw std::runtime_error("cannot write " + path);
}

/* The 40-byte long page header as PostgreSQL writes it (host byte order). */
inline std::string
long_header(uint32_t tli, uint64_t pageaddr, uint64_t sysid, uint32_t seg_size,
			uint16_t info = kWalLongHeaderFlag)
{
	std::string h(kWalLongHeaderSize, '\0');
	uint16_t magic = kMagic;
	uint32_t blcksz = 8192;
	std::memcpy(&h[kWalOffMagic], &magic, sizeof magic);
	std::memcpy(&h[kWalOffInfo], &info, sizeof info);
	std::memcpy(&h[kWalOffTli], &tli, sizeof tli);
	std::memcpy(&h[kWalOffPageaddr], &pageaddr, sizeof pageaddr);
	std::memcpy(&h[kWalOffSysid], &sysid, sizeof sysid);
	std::memcpy(&h[kWalOffSegSize], &seg_size, sizeof seg_size);
	std::memcpy(&h[kWalOffBlcksz], &blcksz, sizeof blcksz);
	return h;
}

struct SegmentSpec
{
	uint32_t tli = 1;
	uint64_t segno = 1;
	uint64_t seg_size = kSegSize;
	uint64_t sysid = kSysid;
	uint64_t pageaddr = UINT64_MAX;  /* UINT64_MAX: the segment's own start, segno * seg_size */
	uint64_t file_size = UINT64_MAX; /* UINT64_MAX: seg_size */
	char fill = 'w';                 /* the bytes after the header: vary it for different content */
};

/* The contents of a fake segment. */
inline std::string
segment_bytes(const SegmentSpec &s)
{
	uint64_t pageaddr = s.pageaddr == UINT64_MAX ? s.segno * s.seg_size : s.pageaddr;
	uint64_t size = s.file_size == UINT64_MAX ? s.seg_size : s.file_size;
	std::string data = long_header(s.tli, pageaddr, s.sysid, static_cast<uint32_t>(s.seg_size));
	data.resize(std::max<uint64_t>(size, data.size()), s.fill);
	data.resize(size);
	return data;
}

inline std::string
segment_name(const SegmentSpec &s)
{
	return wal_segment_file_name(s.tli, s.segno, s.seg_size);
}

/* Writes a fake segment into dir under its own name (or name); returns its path. */
inline std::string
write_segment(const std::string &dir, const SegmentSpec &s, const std::string &name = "")
{
	std::string path = dir + "/" + (name.empty() ? segment_name(s) : name);
	write_file(path, segment_bytes(s));
	return path;
}

/* The original bytes of a file in the archive format (or of a raw file), checked. */
inline std::string
decoded(const std::string &path)
{
	std::string out;
	decode_archived_file(path, [&](const char *p, size_t n) { out.append(p, n); });
	return out;
}

/* Writes the contents into dir/name in the archive format; returns the path. */
inline std::string
write_encoded(const std::string &dir, const std::string &name, const std::string &contents,
			  Compression c, int level = 0, uint64_t sysid = kSysid, uint32_t tli = 1)
{
	std::string plain = dir + "/" + name + ".plain";
	std::string path = dir + "/" + name;
	write_file(plain, contents);
	std::filesystem::remove(path);
	EncodeOptions opts;
	opts.algorithm = c;
	opts.level = level;
	opts.sysid = sysid;
	opts.tli = tli;
	encode_file(plain, path, opts, false);
	std::filesystem::remove(plain);
	return path;
}

/* A fake segment in the archive format, under its own name (or name); returns its path. */
inline std::string
write_encoded_segment(const std::string &dir, const SegmentSpec &s, Compression c,
					  const std::string &name = "")
{
	return write_encoded(dir, name.empty() ? segment_name(s) : name, segment_bytes(s), c, 0,
						 s.sysid, s.tli);
}

/* XORs the byte at offset with mask (0xFF: every bit). */
inline void
flip_byte(const std::string &path, uint64_t offset, unsigned char mask = 0xFF)
{
	std::string data = read_file(path);
	if (offset >= data.size())
		throw std::runtime_error("flip_byte: offset past the end of " + path);
	data[offset] = static_cast<char>(static_cast<unsigned char>(data[offset]) ^ mask);
	write_file(path, data);
}

/* Sets a file's modification time to seconds ago. */
inline void
set_age(const std::string &path, long seconds)
{
	struct timeval times[2];
	times[0].tv_sec = times[1].tv_sec = ::time(nullptr) - seconds;
	times[0].tv_usec = times[1].tv_usec = 0;
	ASSERT_EQ(::utimes(path.c_str(), times), 0) << path;
}

inline const Compression kAllCompressions[] = {Compression::None, Compression::Lz4,
											   Compression::Zstd};

/* Sorted names in dir. */
inline std::vector<std::string>
dir_names(const std::string &dir)
{
	std::vector<std::string> out;
	for (const auto &e : std::filesystem::directory_iterator(dir))
		out.push_back(e.path().filename().string());
	std::sort(out.begin(), out.end());
	return out;
}

} // namespace pgls::test
