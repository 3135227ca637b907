/*
 * wal_header.hpp -- the long page header at the start of every WAL segment.
 *
 * Layout (xlog_internal.h, PG 9.3 .. 17): XLogPageHeaderData { uint16 xlp_magic; uint16 xlp_info;
 * uint32 xlp_tli; uint64 xlp_pageaddr; uint32 xlp_rem_len; } padded to 24 bytes, then uint64
 * xlp_sysid, uint32 xlp_seg_size, uint32 xlp_xlog_blcksz. The PG glue static_asserts these offsets
 * against the real struct, so a server with another layout fails to build rather than misread.
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace pgls
{

constexpr size_t kWalLongHeaderSize = 40;
constexpr size_t kWalOffMagic = 0;
constexpr size_t kWalOffInfo = 2;
constexpr size_t kWalOffTli = 4;
constexpr size_t kWalOffPageaddr = 8;
constexpr size_t kWalOffSysid = 24;
constexpr size_t kWalOffSegSize = 32;
constexpr size_t kWalOffBlcksz = 36;
constexpr uint16_t kWalLongHeaderFlag = 0x0002;

/*
 * XLOG_PAGE_MAGIC of the PostgreSQL version built against (it changes with every major version's
 * WAL format). The Makefile reads it from the server headers; the module static_asserts it.
 */
#ifndef PGLS_XLOG_PAGE_MAGIC
#error "PGLS_XLOG_PAGE_MAGIC must be defined (the Makefile reads it from access/xlog_internal.h)"
#endif
constexpr uint16_t kWalPageMagic = PGLS_XLOG_PAGE_MAGIC;

struct WalLongHeader
{
	uint16_t magic = 0;
	uint16_t info = 0;
	uint32_t tli = 0;
	uint64_t pageaddr = 0;
	uint64_t sysid = 0;
	uint32_t seg_size = 0;
	uint32_t blcksz = 0;
};

/* Decodes the first bytes of a segment (host byte order, as PostgreSQL writes it). nullopt when
 * fewer than kWalLongHeaderSize bytes or the long-header flag is not set. */
std::optional<WalLongHeader> decode_wal_long_header(const unsigned char *buf, size_t len);

/* Checks a segment's header against this PostgreSQL version's page magic and what its name and
 * the cluster say. Returns an empty string when it fits, else a sentence saying what does not
 * (for errdetail). expected_sysid 0 = any. */
std::string check_wal_header(const WalLongHeader &hdr, uint64_t expected_segno_start_lsn,
							 uint64_t expected_sysid, uint64_t expected_seg_size);

/* Reads and decodes the header of a file on disk; nullopt if unreadable or short. */
std::optional<WalLongHeader> read_wal_long_header(const std::string &path);

} // namespace pgls
