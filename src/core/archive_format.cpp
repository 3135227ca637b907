/*
 * archive_format.cpp -- the archive header, compression names and levels (see the header).
 *
 * Encoding is in archive_encode.cpp, decoding in archive_decode.cpp.
 */
#include "pure.hpp"
#include "archive_format.hpp"

#include "archive_codec.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace pgls
{

const unsigned char kFormatMagic[8] = {'P', 'G', 'L', 'S', 'W', 'A', 'L', '\0'};

namespace
{

constexpr size_t kOffVersion = 8;
constexpr size_t kOffAlgorithm = 10;
constexpr size_t kOffLevel = 11;
constexpr size_t kOffFlags = 12;
constexpr size_t kOffOriginalSize = 16;
constexpr size_t kOffPayloadSize = 24;
constexpr size_t kOffChecksum = 32;
constexpr size_t kOffSysid = 48;
constexpr size_t kOffTli = 56;
constexpr size_t kOffHeaderChecksum = 60;
/* A header whose magic has at least this many of its 8 bytes right is ours, damaged. */
constexpr int kMagicDamagedMatch = 5;

void
store_le(unsigned char *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = static_cast<unsigned char>(v >> (8 * i));
}

uint64_t
load_le(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v |= static_cast<uint64_t>(p[i]) << (8 * i);
	return v;
}

uint32_t
header_checksum(const unsigned char *buf)
{
	return XXH32(buf, kOffHeaderChecksum, 0);
}

using codec::damaged;

} // namespace

const char *
compression_name(Compression c)
{
	switch (c)
	{
		case Compression::None:
			return "none";
		case Compression::Lz4:
			return "lz4";
		case Compression::Zstd:
			return "zstd";
	}
	return "?";
}

std::optional<Compression>
parse_compression(std::string_view text)
{
	for (Compression c : {Compression::None, Compression::Lz4, Compression::Zstd})
		if (text == compression_name(c))
			return c;
	return std::nullopt;
}

int
compression_max_level(Compression c)
{
	switch (c)
	{
		case Compression::None:
			return 0;
		case Compression::Lz4:
			return 12; /* LZ4HC_CLEVEL_MAX; 3 and above use LZ4 HC */
		case Compression::Zstd:
			return 19; /* above: "ultra" levels, with large windows and memory */
	}
	return 0;
}

int
effective_compression_level(Compression c, int level, bool *clamped)
{
	if (clamped)
		*clamped = false;
	if (level <= 0)
		return 0;
	int max = compression_max_level(c);
	if (level > max)
	{
		if (clamped && c != Compression::None)
			*clamped = true;
		return max;
	}
	return level;
}

std::string
Checksum128::hex() const
{
	char buf[33];
	std::snprintf(buf, sizeof buf, "%016" PRIx64 "%016" PRIx64, hi, lo);
	return buf;
}

const char *
ArchivedFileInfo::format_name() const
{
	return raw ? "raw" : compression_name(header.algorithm);
}

void
encode_format_header(const FormatHeader &h, unsigned char out[kFormatHeaderSize])
{
	std::memset(out, 0, kFormatHeaderSize);
	std::memcpy(out, kFormatMagic, sizeof kFormatMagic);
	store_le(out + kOffVersion, h.version, 2);
	out[kOffAlgorithm] = static_cast<unsigned char>(h.algorithm);
	out[kOffLevel] = h.level;
	store_le(out + kOffFlags, h.flags, 4);
	store_le(out + kOffOriginalSize, h.original_size, 8);
	store_le(out + kOffPayloadSize, h.payload_size, 8);
	store_le(out + kOffChecksum, h.checksum.lo, 8);
	store_le(out + kOffChecksum + 8, h.checksum.hi, 8);
	store_le(out + kOffSysid, h.sysid, 8);
	store_le(out + kOffTli, h.tli, 4);
	store_le(out + kOffHeaderChecksum, header_checksum(out), 4);
}

std::optional<FormatHeader>
decode_format_header(const unsigned char *buf, size_t len, const std::string &path)
{
	size_t magic_len = std::min(len, sizeof kFormatMagic);
	int match = 0;
	for (size_t i = 0; i < magic_len; i++)
		match += buf[i] == kFormatMagic[i];
	if (len < sizeof kFormatMagic)
	{
		/* "PGLS..." cut short is ours, truncated; anything else short is a raw file. */
		if (len >= 4 && match == static_cast<int>(len))
			damaged(path, "is truncated: " + std::to_string(len) + " bytes, not even a header");
		return std::nullopt;
	}
	if (match < kMagicDamagedMatch)
		return std::nullopt;
	if (match < static_cast<int>(sizeof kFormatMagic))
		damaged(path, "has a damaged header (its magic number is wrong)");
	if (len < kFormatHeaderSize)
		damaged(path, "is truncated: " + std::to_string(len) + " bytes, its header alone has " +
						  std::to_string(kFormatHeaderSize));

	FormatHeader h;
	h.version = static_cast<uint16_t>(load_le(buf + kOffVersion, 2));
	if (h.version != kFormatVersion)
		damaged(path, "has archive format version " + std::to_string(h.version) +
						  ", which this pg_logship cannot read (it reads version " +
						  std::to_string(kFormatVersion) + ")");
	uint32_t stored = static_cast<uint32_t>(load_le(buf + kOffHeaderChecksum, 4));
	if (stored != header_checksum(buf))
		damaged(path, "has a damaged header (header checksum mismatch)");
	unsigned alg = buf[kOffAlgorithm];
	if (alg > static_cast<unsigned>(Compression::Zstd))
		damaged(path, "uses unknown compression algorithm " + std::to_string(alg));
	h.algorithm = static_cast<Compression>(alg);
	h.level = buf[kOffLevel];
	h.flags = static_cast<uint32_t>(load_le(buf + kOffFlags, 4));
	if (h.flags != 0)
		damaged(path, "has unknown header flags " + std::to_string(h.flags));
	h.original_size = load_le(buf + kOffOriginalSize, 8);
	h.payload_size = load_le(buf + kOffPayloadSize, 8);
	h.checksum.lo = load_le(buf + kOffChecksum, 8);
	h.checksum.hi = load_le(buf + kOffChecksum + 8, 8);
	h.sysid = load_le(buf + kOffSysid, 8);
	h.tli = static_cast<uint32_t>(load_le(buf + kOffTli, 4));
	if (h.algorithm == Compression::None && h.payload_size != h.original_size)
		damaged(path, "is uncompressed but its header gives a payload of " +
						  std::to_string(h.payload_size) + " bytes for " +
						  std::to_string(h.original_size) + " original bytes");
	return h;
}

} // namespace pgls
