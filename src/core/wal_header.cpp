/*
 * wal_header.cpp -- decoding and checking a segment's long page header.
 */
#include "pure.hpp"
#include "wal_header.hpp"

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace pgls
{

namespace
{
template <typename T>
T
load(const unsigned char *p)
{
	T v;
	std::memcpy(&v, p, sizeof v);
	return v;
}
} // namespace

std::optional<WalLongHeader>
decode_wal_long_header(const unsigned char *buf, size_t len)
{
	if (len < kWalLongHeaderSize)
		return std::nullopt;
	WalLongHeader h;
	h.magic = load<uint16_t>(buf + kWalOffMagic);
	h.info = load<uint16_t>(buf + kWalOffInfo);
	if (!(h.info & kWalLongHeaderFlag))
		return std::nullopt;
	h.tli = load<uint32_t>(buf + kWalOffTli);
	h.pageaddr = load<uint64_t>(buf + kWalOffPageaddr);
	h.sysid = load<uint64_t>(buf + kWalOffSysid);
	h.seg_size = load<uint32_t>(buf + kWalOffSegSize);
	h.blcksz = load<uint32_t>(buf + kWalOffBlcksz);
	return h;
}

std::string
check_wal_header(const WalLongHeader &hdr, uint64_t expected_start_lsn, uint64_t expected_sysid,
				 uint64_t expected_seg_size)
{
	char buf[256];
	if (hdr.magic != kWalPageMagic)
	{
		std::snprintf(buf, sizeof buf,
					  "The segment's page magic is 0x%04X, this PostgreSQL version writes 0x%04X.",
					  hdr.magic, kWalPageMagic);
		return buf;
	}
	if (expected_sysid != 0 && hdr.sysid != expected_sysid)
	{
		std::snprintf(buf, sizeof buf,
					  "The segment belongs to database system %" PRIu64
					  ", but this archive is for system %" PRIu64 ".",
					  hdr.sysid, expected_sysid);
		return buf;
	}
	if (expected_seg_size != 0 && hdr.seg_size != expected_seg_size)
	{
		std::snprintf(buf, sizeof buf,
					  "The segment's header says segment size %u, expected %" PRIu64 ".",
					  hdr.seg_size, expected_seg_size);
		return buf;
	}
	if (hdr.pageaddr != expected_start_lsn)
	{
		std::snprintf(
			buf, sizeof buf, "The segment's first page is at %X/%X, but its name says %X/%X.",
			static_cast<unsigned>(hdr.pageaddr >> 32), static_cast<unsigned>(hdr.pageaddr),
			static_cast<unsigned>(expected_start_lsn >> 32),
			static_cast<unsigned>(expected_start_lsn));
		return buf;
	}
	return std::string();
}

std::optional<WalLongHeader>
read_wal_long_header(const std::string &path)
{
	int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return std::nullopt;
	unsigned char buf[kWalLongHeaderSize];
	ssize_t n = ::pread(fd, buf, sizeof buf, 0);
	::close(fd);
	if (n != static_cast<ssize_t>(sizeof buf))
		return std::nullopt;
	return decode_wal_long_header(buf, sizeof buf);
}

} // namespace pgls
