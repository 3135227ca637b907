/*
 * wal_name.hpp -- names of the files PostgreSQL archives, and LSN arithmetic.
 *
 * Only these names are ever accepted from the server or the command line: a 24-hex-digit segment,
 * a segment with ".partial", a timeline history file "TTTTTTTT.history", and a backup label
 * "<segment>.XXXXXXXX.backup". Anything else (slashes, dots, lower case) is rejected, which is what
 * keeps "../../etc/passwd" out of the archive and out of pg_wal.
 */
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pgls
{

enum class WalFileKind
{
	Invalid,
	Segment,
	Partial,
	History,
	Backup,
};

struct WalFileName
{
	WalFileKind kind = WalFileKind::Invalid;
	uint32_t tli = 0;
	uint32_t log = 0;           /* high 32 bits of the segment's "xlogid" part */
	uint32_t seg = 0;           /* low part, segment within xlogid */
	uint32_t backup_offset = 0; /* for .backup: offset of the start LSN within the segment */
	std::string name;

	bool
	valid() const
	{
		return kind != WalFileKind::Invalid;
	}
	bool
	has_segment() const
	{
		return kind != WalFileKind::Invalid && kind != WalFileKind::History;
	}
	/* The 24-character segment part (empty for history files). */
	std::string
	segment_name() const
	{
		return has_segment() ? name.substr(0, 24) : std::string();
	}
};

const char *wal_file_kind_name(WalFileKind kind);

/* Parses a bare file name (no directory). Returns kind Invalid for anything not listed above. */
WalFileName parse_wal_file_name(std::string_view name);

/* Segment size must be a power of two between 1 MiB and 1 GiB. */
bool valid_segment_size(uint64_t seg_size);

/* Segment number of a parsed name with a segment part. */
uint64_t wal_segno(const WalFileName &name, uint64_t seg_size);

/* "TTTTTTTTXXXXXXXXYYYYYYYY" for a timeline and segment number. */
std::string wal_segment_file_name(uint32_t tli, uint64_t segno, uint64_t seg_size);

/* Parses "16/B374D848"; nullopt when malformed. */
std::optional<uint64_t> parse_lsn(std::string_view text);
std::string format_lsn(uint64_t lsn);

} // namespace pgls
