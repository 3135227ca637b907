/*
 * content_rules.cpp -- size bounds and text checks of archived files (see the header).
 */
#include "pure.hpp"
#include "content_rules.hpp"

#include "retention_cleanup.hpp"

#include <cinttypes>
#include <cstdio>

namespace pgls
{

namespace
{

[[noreturn]] void
refuse(const std::string &where, const std::string &what)
{
	throw ArchiveFormatError("archived file \"" + where + "\" " + what, what);
}

/* Text: no NUL or other control characters than tab, CR and LF (UTF-8 passes). */
std::string
text_problem(std::string_view text)
{
	for (size_t i = 0; i < text.size(); i++)
	{
		unsigned char c = static_cast<unsigned char>(text[i]);
		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
		{
			char buf[96];
			std::snprintf(buf, sizeof buf, "is not text (byte 0x%02X at offset %zu)", c, i);
			return buf;
		}
	}
	return std::string();
}

} // namespace

uint64_t
max_original_size(WalFileKind kind, uint64_t seg_size)
{
	switch (kind)
	{
		case WalFileKind::Segment:
		case WalFileKind::Partial:
			return seg_size != 0 ? seg_size : kMaxSegmentSize;
		case WalFileKind::History:
			return kMaxHistoryFileSize;
		case WalFileKind::Backup:
			return kMaxBackupFileSize;
		case WalFileKind::Invalid:
			break;
	}
	return 0;
}

void
check_original_size(const WalFileName &name, const ArchivedFileInfo &info, uint64_t seg_size,
					const std::string &where)
{
	uint64_t size = info.original_size();
	const char *claims = info.raw ? "is" : "claims to hold";
	std::string n = std::to_string(size) + " bytes";
	if (name.kind == WalFileKind::Segment)
	{
		if (seg_size != 0 && size != seg_size)
			refuse(where, std::string(claims) + " " + n + ", not a segment of " +
							  std::to_string(seg_size) + " bytes");
		if (!valid_segment_size(size))
			refuse(where, std::string(claims) + " " + n +
							  ", not a WAL segment size (a power of two from 1 MB to 1 GB)");
		return;
	}
	uint64_t max = max_original_size(name.kind, seg_size);
	if (size > max)
		refuse(where, std::string(claims) + " " + n + ", more than a " +
						  wal_file_kind_name(name.kind) + " file may (" + std::to_string(max) +
						  " bytes)");
}

std::string
history_text_problem(uint32_t tli, std::string_view text)
{
	std::string why = text_problem(text);
	if (!why.empty())
		return why;
	/* As readTimeLineHistory: blank lines and "#" comments are skipped; every other line is
	 * "<parent timeline>\t<switch point>\t<reason>", parents increasing, all before tli. */
	uint32_t last_tli = 0;
	int entries = 0, lineno = 0;
	size_t pos = 0;
	while (pos < text.size())
	{
		size_t end = text.find('\n', pos);
		std::string line(text.substr(pos, end == std::string_view::npos ? end : end - pos));
		pos = end == std::string_view::npos ? text.size() : end + 1;
		lineno++;
		size_t i = line.find_first_not_of(" \t\r");
		if (i == std::string::npos || line[i] == '#')
			continue;
		unsigned parent = 0, hi = 0, lo = 0;
		char sep = 0;
		if (std::sscanf(line.c_str() + i, "%u\t%X/%X%c", &parent, &hi, &lo, &sep) < 3 ||
			(sep != 0 && sep != '\t' && sep != '\r'))
			return "line " + std::to_string(lineno) +
				   " is not \"<timeline>\\t<switch point>\\t<reason>\"";
		if (parent <= last_tli || parent >= tli)
			return "line " + std::to_string(lineno) + " names timeline " + std::to_string(parent) +
				   ", not one before timeline " + std::to_string(tli) + " in increasing order";
		last_tli = parent;
		entries++;
	}
	if (entries == 0)
		return "has no timeline entries";
	return std::string();
}

std::string
backup_text_problem(const std::string &name, std::string_view text)
{
	std::string why = text_problem(text);
	if (!why.empty())
		return why;
	try
	{
		parse_backup_file(name, std::string(text), 0);
	}
	catch (const BackupFileError &e)
	{
		return e.what();
	}
	return std::string();
}

void
check_raw_text(const WalFileName &name, std::string_view text, const std::string &where)
{
	std::string why;
	if (name.kind == WalFileKind::History)
		why = history_text_problem(name.tli, text);
	else if (name.kind == WalFileKind::Backup)
		why = backup_text_problem(name.name, text);
	else
		return;
	if (!why.empty())
		refuse(where, "has no archive header and is not a valid " +
						  std::string(wal_file_kind_name(name.kind)) + " file: " + why);
}

} // namespace pgls
