/*
 * content_rules.hpp -- what an archived file of each kind may hold, checked before it is trusted.
 *
 * An archive is untrusted input. Before an archived file is decoded, the size it claims (its
 * archive header's original size, or a raw file's size) must fit its name: a segment is exactly
 * a segment size (a power of two from 1 MiB to 1 GiB; the segment size, when known), a .partial
 * at most that, a history file at most kMaxHistoryFileSize and a backup history file at most
 * kMaxBackupFileSize. So a damaged header or a decompression bomb is refused before any byte is
 * written, and decoding stops at the claimed size (ArchivedObject::decode).
 *
 * History and backup history files are text. One stored without an archive header (raw) has no
 * checksum, and a formatted file whose magic number was damaged reads as raw: so a raw one must
 * be text of its kind -- a history file PostgreSQL can read (readTimeLineHistory), a backup label
 * with its START WAL LOCATION -- or it is refused.
 */
#pragma once

#include "archive_format.hpp"
#include "wal_name.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace pgls
{

constexpr uint64_t kMaxSegmentSize = UINT64_C(1) << 30;
constexpr uint64_t kMaxHistoryFileSize = UINT64_C(1) << 20;
constexpr uint64_t kMaxBackupFileSize = UINT64_C(64) << 10;

/* The most an archived file of this kind may hold; seg_size 0 = not known. */
uint64_t max_original_size(WalFileKind kind, uint64_t seg_size);

/*
 * Throws ArchiveFormatError (naming `where`) unless the original size info claims fits the name:
 * see above. seg_size 0 = not known.
 */
void check_original_size(const WalFileName &name, const ArchivedFileInfo &info, uint64_t seg_size,
						 const std::string &where);

/* "" when text is a timeline history file PostgreSQL can read for timeline tli, else what is
 * wrong (one line). */
std::string history_text_problem(uint32_t tli, std::string_view text);

/* "" when text is a backup history file for name (a .backup name), else what is wrong. */
std::string backup_text_problem(const std::string &name, std::string_view text);

/* For a raw (headerless) history or backup file: throws ArchiveFormatError (naming where) unless
 * its text fits its kind; other kinds pass. */
void check_raw_text(const WalFileName &name, std::string_view text, const std::string &where);

} // namespace pgls
