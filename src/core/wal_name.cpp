/*
 * wal_name.cpp -- WAL file names and LSN text.
 */
#include "pure.hpp"
#include "wal_name.hpp"

#include <cstdio>

namespace pgls
{

namespace
{

bool
is_upper_hex(std::string_view s)
{
	for (char c : s)
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')))
			return false;
	return !s.empty();
}

uint32_t
hex32(std::string_view s)
{
	uint32_t v = 0;
	for (char c : s)
		v = v * 16 + static_cast<uint32_t>(c <= '9' ? c - '0' : c - 'A' + 10);
	return v;
}

} // namespace

const char *
wal_file_kind_name(WalFileKind kind)
{
	switch (kind)
	{
		case WalFileKind::Segment:
			return "segment";
		case WalFileKind::Partial:
			return "partial";
		case WalFileKind::History:
			return "history";
		case WalFileKind::Backup:
			return "backup";
		case WalFileKind::Invalid:
			break;
	}
	return "invalid";
}

WalFileName
parse_wal_file_name(std::string_view name)
{
	WalFileName out;

	if (name.size() == 16 && name.substr(8) == ".history" && is_upper_hex(name.substr(0, 8)))
	{
		out.kind = WalFileKind::History;
		out.tli = hex32(name.substr(0, 8));
	}
	else if (name.size() >= 24 && is_upper_hex(name.substr(0, 24)))
	{
		std::string_view rest = name.substr(24);
		if (rest.empty())
			out.kind = WalFileKind::Segment;
		else if (rest == ".partial")
			out.kind = WalFileKind::Partial;
		else if (rest.size() == 16 && rest[0] == '.' && rest.substr(9) == ".backup" &&
				 is_upper_hex(rest.substr(1, 8)))
		{
			out.kind = WalFileKind::Backup;
			out.backup_offset = hex32(rest.substr(1, 8));
		}
		else
			return WalFileName{};
		out.tli = hex32(name.substr(0, 8));
		out.log = hex32(name.substr(8, 8));
		out.seg = hex32(name.substr(16, 8));
	}
	else
		return WalFileName{};

	/* Timeline 0 does not exist. */
	if (out.tli == 0)
		return WalFileName{};
	out.name = std::string(name);
	return out;
}

bool
valid_segment_size(uint64_t seg_size)
{
	return seg_size >= (1u << 20) && seg_size <= (1u << 30) && (seg_size & (seg_size - 1)) == 0;
}

uint64_t
wal_segno(const WalFileName &name, uint64_t seg_size)
{
	uint64_t per_id = UINT64_C(0x100000000) / seg_size;
	return static_cast<uint64_t>(name.log) * per_id + name.seg;
}

std::string
wal_segment_file_name(uint32_t tli, uint64_t segno, uint64_t seg_size)
{
	uint64_t per_id = UINT64_C(0x100000000) / seg_size;
	char buf[32];
	std::snprintf(buf, sizeof buf, "%08X%08X%08X", tli, static_cast<unsigned>(segno / per_id),
				  static_cast<unsigned>(segno % per_id));
	return buf;
}

std::optional<uint64_t>
parse_lsn(std::string_view text)
{
	auto slash = text.find('/');
	if (slash == std::string_view::npos || slash == 0 || slash > 8 ||
		text.size() - slash - 1 == 0 || text.size() - slash - 1 > 8)
		return std::nullopt;
	uint64_t hi = 0, lo = 0;
	for (size_t i = 0; i < text.size(); i++)
	{
		if (i == slash)
			continue;
		char c = text[i];
		int d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			return std::nullopt;
		uint64_t &part = i < slash ? hi : lo;
		part = part * 16 + static_cast<uint64_t>(d);
	}
	return (hi << 32) | lo;
}

std::string
format_lsn(uint64_t lsn)
{
	char buf[32];
	std::snprintf(buf, sizeof buf, "%X/%X", static_cast<unsigned>(lsn >> 32),
				  static_cast<unsigned>(lsn & 0xFFFFFFFFu));
	return buf;
}

} // namespace pgls
