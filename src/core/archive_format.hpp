/*
 * archive_format.hpp -- the format of a file in the archive: a header, then the (compressed) bytes.
 *
 * Every file pg_logship archives (segment, .partial, .history, .backup) is stored as
 *
 *   offset size  field (little-endian)
 *        0    8  magic "PGLSWAL\0" (a raw WAL segment starts with xlp_magic, a history or backup
 *                file with text: neither can be mistaken for it)
 *        8    2  format version, 1
 *       10    1  compression algorithm: 0 none, 1 lz4 (frame format), 2 zstd (one frame)
 *       11    1  compression level used (0 = the library's default; 0 for none)
 *       12    4  flags, 0 (a reader refuses flags it does not know)
 *       16    8  original size: bytes of the file as PostgreSQL wrote it
 *       24    8  payload size: bytes after the header
 *       32   16  XXH3-128 of the original bytes (low 64 bits, then high 64 bits)
 *       48    8  database system identifier (0 = unknown; segments: from their page header)
 *       56    4  timeline of the file name (0 = unknown)
 *       60    4  XXH32 (seed 0) of bytes 0..59: the header's own checksum
 *       64       payload: the original bytes, compressed with the algorithm (none: as they are)
 *
 * A file that does not start with the magic is a raw file, as PostgreSQL wrote it (what
 * pg_logship stored before this format, or what someone copied into the archive): it is read as
 * it is, and only the WAL page header checks apply to it.
 *
 * Decoding checks everything it can: the header checksum, the version, the algorithm, the file
 * size against the payload size, that the compressed stream ends exactly at the end of the
 * payload, the original size and the 128-bit checksum of the decoded bytes. Any mismatch throws
 * ArchiveFormatError: a damaged archive file never decodes into wrong bytes silently.
 *
 * Two archived copies hold the same content when their original sizes and checksums are equal,
 * whatever their compression: a 128-bit hash makes an accidental collision practically impossible.
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "object_io.hpp"

namespace pgls
{

enum class Compression : uint8_t
{
	None = 0,
	Lz4 = 1,
	Zstd = 2,
};

const char *compression_name(Compression c);
std::optional<Compression> parse_compression(std::string_view text);

/* The highest level pg_logship uses for an algorithm (none 0, lz4 12, zstd 19). */
int compression_max_level(Compression c);

/*
 * The level to use for a requested one: 0 stays 0 (the library's default), negative is 0, above
 * the algorithm's maximum is the maximum (*clamped set), none is always 0.
 */
int effective_compression_level(Compression c, int level, bool *clamped = nullptr);

constexpr size_t kFormatHeaderSize = 64;
constexpr uint16_t kFormatVersion = 1;
extern const unsigned char kFormatMagic[8];

/* An archive file is damaged, truncated, of an unknown version, or does not decode to its
 * checksum. The message names the file and says what is wrong. */
class ArchiveFormatError : public std::runtime_error
{
public:
	ArchiveFormatError(const std::string &msg, const std::string &problem)
		: std::runtime_error(msg), problem_(problem)
	{
	}
	/* What is wrong, without the file name: "is truncated: ...", "does not match its checksum". */
	const std::string &
	problem() const
	{
		return problem_;
	}

private:
	std::string problem_;
};

struct Checksum128
{
	uint64_t lo = 0;
	uint64_t hi = 0;

	bool
	operator==(const Checksum128 &o) const
	{
		return lo == o.lo && hi == o.hi;
	}
	bool
	operator!=(const Checksum128 &o) const
	{
		return !(*this == o);
	}
	std::string hex() const; /* 32 hex digits, high half first */
};

/* What identifies a file's content: its size and checksum (of the original bytes). */
struct ContentId
{
	uint64_t size = 0;
	Checksum128 checksum;

	bool
	operator==(const ContentId &o) const
	{
		return size == o.size && checksum == o.checksum;
	}
	bool
	operator!=(const ContentId &o) const
	{
		return !(*this == o);
	}
};

struct FormatHeader
{
	uint16_t version = kFormatVersion;
	Compression algorithm = Compression::None;
	uint8_t level = 0;
	uint32_t flags = 0;
	uint64_t original_size = 0;
	uint64_t payload_size = 0;
	Checksum128 checksum;
	uint64_t sysid = 0;
	uint32_t tli = 0;

	ContentId
	content() const
	{
		return ContentId{original_size, checksum};
	}
};

/* The 64 header bytes, header checksum included. */
void encode_format_header(const FormatHeader &h, unsigned char out[kFormatHeaderSize]);

/*
 * Decodes a header read from the start of `path` (for messages). nullopt when buf does not start
 * with the magic (a raw file). Throws ArchiveFormatError for a header that is ours but short,
 * damaged (checksum, magic with a few bytes wrong), of another version or with unknown values.
 */
std::optional<FormatHeader> decode_format_header(const unsigned char *buf, size_t len,
												 const std::string &path);

/* What the start of an archived file says about it. */
struct ArchivedFileInfo
{
	bool raw = true;     /* no header: the file as PostgreSQL wrote it */
	FormatHeader header; /* when !raw */
	uint64_t file_size = 0;

	uint64_t
	original_size() const
	{
		return raw ? file_size : header.original_size;
	}
	/* "lz4", "zstd", "none" or "raw". */
	const char *format_name() const;
};

struct EncodeOptions
{
	Compression algorithm = Compression::None;
	int level = 0;      /* 0..compression_max_level(algorithm); 0 = library default */
	uint64_t sysid = 0; /* for the header */
	uint32_t tli = 0;
};

struct EncodeResult
{
	FormatHeader header;
	uint64_t bytes_written = 0; /* header + payload */
};

/*
 * Reads the local file src (a file in pg_wal) and writes it in the archive format to out,
 * streaming in 1 MiB chunks; the checksum is computed on the way and the header is written last
 * (write_at 0). Throws IoError, or std::invalid_argument for a level out of range.
 */
EncodeResult encode_to(const std::string &src, ObjectWriter &out, const EncodeOptions &opts);

/*
 * An archived object being read: the constructor reads and checks its header (and the stored
 * size against the payload size); then exactly one of decode(), prefix() or content() reads the
 * rest. Throws ArchiveFormatError for a damaged, truncated or unknown header, IoError for reads.
 */
class ArchivedObject
{
public:
	explicit ArchivedObject(ObjectReader &reader);
	const ArchivedFileInfo &
	info() const
	{
		return info_;
	}
	/*
	 * Decodes the payload, passing the original bytes to sink in order, and checks the original
	 * size, the end of the compressed stream and the checksum (raw files: passed as they are).
	 * Never passes more than the header's original size (a raw file: its size) to sink. Throws
	 * ArchiveFormatError on any mismatch, after sink may have seen some bytes: a caller writes to
	 * a temp file and installs it only when this returns.
	 */
	void decode(const std::function<void(const char *, size_t)> &sink);
	/* The first n original bytes (fewer when shorter), decoding only as much as needed, without
	 * the checksum check: for reading a segment's page header quickly. */
	std::string prefix(size_t n);
	/* The content it stands for: a formatted file's from its header (verify_payload: decoded and
	 * checked too); a raw file's is read and hashed. */
	ContentId content(bool verify_payload);

private:
	bool decode_payload(const std::function<bool(const char *, size_t)> &sink, size_t in_chunk);

	ObjectReader &reader_;
	ArchivedFileInfo info_;
	std::string head_; /* a raw file's first bytes, read while looking for a header */
	bool consumed_ = false;
};

/* Size and XXH3-128 of a plain local file's bytes (a file in pg_wal). */
ContentId content_id_of_file(const std::string &path);

/*
 * The same for a local archived file at path (tests, tools). Each opens it with open_regular()
 * (fs_store.hpp): a missing file is IoError (ENOENT), anything but a regular file
 * NotRegularFile.
 */
ArchivedFileInfo inspect_archived_file(const std::string &path);
ContentId archived_content_id(const std::string &path, bool verify_payload);
ArchivedFileInfo decode_archived_file(const std::string &src,
									  const std::function<void(const char *, size_t)> &sink);
/* Decodes src into a new file dst (O_EXCL); fsyncs it when durable. Returns the info and leaves
 * dst for the caller to remove on failure. */
ArchivedFileInfo decode_file(const std::string &src, const std::string &dst, bool durable);
ArchivedFileInfo verify_archived_file(const std::string &src);
std::string read_original_prefix(const std::string &src, size_t n,
								 ArchivedFileInfo *info = nullptr);
/* Encodes src into a new local file dst (O_EXCL), fsynced when durable; dst is left for the
 * caller to remove on failure. */
EncodeResult encode_file(const std::string &src, const std::string &dst, const EncodeOptions &opts,
						 bool durable);

} // namespace pgls
