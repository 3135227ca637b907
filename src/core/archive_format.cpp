/*
 * archive_format.cpp -- encoding files into the archive format and decoding them (see the header).
 *
 * Compression streams with the real libraries: liblz4's frame API and libzstd's streaming API,
 * 1 MiB of input at a time; the checksum is libxxhash's XXH3-128 over the original bytes.
 */
#include "pure.hpp"
#include "archive_format.hpp"

#include "fileio.hpp"

#include <lz4frame.h>
#include <xxhash.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <new>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace pgls
{

const unsigned char kFormatMagic[8] = {'P', 'G', 'L', 'S', 'W', 'A', 'L', '\0'};

namespace
{

constexpr size_t kChunk = size_t(1) << 20; /* input read at a time */
constexpr size_t kPrefixChunk = 64 * 1024; /* input read at a time for read_original_prefix */
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

[[noreturn]] void
damaged(const std::string &path, const std::string &what)
{
	throw ArchiveFormatError("archived file \"" + path + "\" " + what, what);
}

/* Streaming XXH3-128. */
class Hasher
{
public:
	Hasher() : state_(XXH3_createState())
	{
		if (state_ == nullptr || XXH3_128bits_reset(state_) != XXH_OK)
			throw std::bad_alloc();
	}
	Hasher(const Hasher &) = delete;
	Hasher &operator=(const Hasher &) = delete;
	~Hasher() { XXH3_freeState(state_); }
	void
	update(const void *p, size_t n)
	{
		XXH3_128bits_update(state_, p, n);
	}
	Checksum128
	digest() const
	{
		XXH128_hash_t h = XXH3_128bits_digest(state_);
		return Checksum128{h.low64, h.high64};
	}

private:
	XXH3_state_t *state_;
};

struct Lz4CctxDeleter
{
	void
	operator()(LZ4F_cctx *c) const
	{
		LZ4F_freeCompressionContext(c);
	}
};
struct Lz4DctxDeleter
{
	void
	operator()(LZ4F_dctx *d) const
	{
		LZ4F_freeDecompressionContext(d);
	}
};
struct ZstdCctxDeleter
{
	void
	operator()(ZSTD_CCtx *c) const
	{
		ZSTD_freeCCtx(c);
	}
};
struct ZstdDctxDeleter
{
	void
	operator()(ZSTD_DCtx *d) const
	{
		ZSTD_freeDCtx(d);
	}
};

void
check_lz4(size_t ret, const std::string &what)
{
	if (LZ4F_isError(ret))
		throw std::runtime_error(what + ": lz4: " + LZ4F_getErrorName(ret));
}

void
check_zstd(size_t ret, const std::string &what)
{
	if (ZSTD_isError(ret))
		throw std::runtime_error(what + ": zstd: " + ZSTD_getErrorName(ret));
}

void
pwrite_all(int fd, const unsigned char *buf, size_t len, off_t off, const std::string &path)
{
	while (len > 0)
	{
		ssize_t n = ::pwrite(fd, buf, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			throw_io("write to file", path, errno);
		if (n == 0)
			throw_io("write to file", path, ENOSPC);
		buf += n;
		len -= static_cast<size_t>(n);
		off += n;
	}
}

/* Opens an archived file and reads its header: the fd is left at the start of the payload (a raw
 * file: at its start). */
ArchivedFileInfo
open_archived(const std::string &path, Fd *fd)
{
	*fd = open_or_throw(path, O_RDONLY, 0, "open file");
	struct stat st;
	if (::fstat(fd->get(), &st) != 0)
		throw_io("stat file", path, errno);
	if (!S_ISREG(st.st_mode))
		damaged(path, "is not a regular file");
	unsigned char buf[kFormatHeaderSize];
	size_t got = read_full(fd->get(), reinterpret_cast<char *>(buf), sizeof buf, path);

	ArchivedFileInfo info;
	info.file_size = static_cast<uint64_t>(st.st_size);
	std::optional<FormatHeader> h = decode_format_header(buf, got, path);
	if (!h)
	{
		if (::lseek(fd->get(), 0, SEEK_SET) != 0)
			throw_io("seek in file", path, errno);
		return info;
	}
	info.raw = false;
	info.header = *h;
	uint64_t have = info.file_size - kFormatHeaderSize;
	if (have < h->payload_size)
		damaged(path, "is truncated: it has " + std::to_string(have) +
						  " bytes of payload, its header says " + std::to_string(h->payload_size));
	if (have > h->payload_size)
		damaged(path, "has " + std::to_string(have - h->payload_size) +
						  " unexpected bytes after its payload of " +
						  std::to_string(h->payload_size) + " bytes");
	return info;
}

/* Returns false to stop decoding early. */
using ChunkSink = std::function<bool(const char *, size_t)>;

/*
 * Decodes the payload of an opened archived file into sink, in_chunk input bytes at a time.
 * Returns true when it was decoded completely and matched its size and checksum (raw: copied),
 * false when sink stopped it. Throws ArchiveFormatError on any mismatch.
 */
bool
decode_payload(int fd, const ArchivedFileInfo &info, const std::string &path, const ChunkSink &sink,
			   size_t in_chunk)
{
	std::unique_ptr<char[]> in(new char[in_chunk]);
	if (info.raw)
	{
		for (;;)
		{
			ssize_t n = read_some(fd, in.get(), in_chunk, path);
			if (n == 0)
				return true;
			if (!sink(in.get(), static_cast<size_t>(n)))
				return false;
		}
	}

	const FormatHeader &h = info.header;
	uint64_t remaining = h.payload_size;
	uint64_t decoded = 0;
	Hasher hasher;
	const std::string alg = compression_name(h.algorithm);

	/* Reads the next piece of payload; the file was checked to be long enough. */
	auto read_chunk = [&]() -> size_t
	{
		size_t want = static_cast<size_t>(std::min<uint64_t>(in_chunk, remaining));
		size_t n = read_full(fd, in.get(), want, path);
		if (n < want)
			damaged(path, "is truncated (it shrank while being read)");
		remaining -= n;
		return n;
	};
	auto emit = [&](const char *p, size_t n) -> bool
	{
		decoded += n;
		if (decoded > h.original_size)
			damaged(path, "decodes to more than the " + std::to_string(h.original_size) +
							  " bytes its header says (payload damaged)");
		hasher.update(p, n);
		return sink(p, n);
	};
	auto trailing = [&]()
	{ damaged(path, "has data after the end of its " + alg + " stream (payload damaged)"); };
	auto truncated = [&]()
	{ damaged(path, "has a truncated " + alg + " stream (payload damaged)"); };

	switch (h.algorithm)
	{
		case Compression::None:
			while (remaining > 0)
			{
				size_t n = read_chunk();
				if (!emit(in.get(), n))
					return false;
			}
			break;

		case Compression::Lz4:
		{
			LZ4F_dctx *raw_ctx = nullptr;
			check_lz4(LZ4F_createDecompressionContext(&raw_ctx, LZ4F_VERSION), "decompress");
			std::unique_ptr<LZ4F_dctx, Lz4DctxDeleter> dctx(raw_ctx);
			std::unique_ptr<char[]> out(new char[kChunk]);
			size_t n = 0, pos = 0;
			for (;;)
			{
				if (pos == n && remaining > 0)
				{
					n = read_chunk();
					pos = 0;
				}
				size_t dst = kChunk, src = n - pos;
				size_t ret =
					LZ4F_decompress(dctx.get(), out.get(), &dst, in.get() + pos, &src, nullptr);
				if (LZ4F_isError(ret))
					damaged(path, "does not decode (payload damaged): lz4: " +
									  std::string(LZ4F_getErrorName(ret)));
				pos += src;
				if (dst > 0 && !emit(out.get(), dst))
					return false;
				if (ret == 0)
					break;
				if (pos == n && remaining == 0 && dst < kChunk)
					truncated();
			}
			if (pos < n || remaining > 0)
				trailing();
			break;
		}

		case Compression::Zstd:
		{
			std::unique_ptr<ZSTD_DCtx, ZstdDctxDeleter> dctx(ZSTD_createDCtx());
			if (!dctx)
				throw std::bad_alloc();
			std::unique_ptr<char[]> out(new char[kChunk]);
			ZSTD_inBuffer ib{in.get(), 0, 0};
			for (;;)
			{
				if (ib.pos == ib.size && remaining > 0)
				{
					ib.size = read_chunk();
					ib.pos = 0;
				}
				ZSTD_outBuffer ob{out.get(), kChunk, 0};
				size_t ret = ZSTD_decompressStream(dctx.get(), &ob, &ib);
				if (ZSTD_isError(ret))
					damaged(path, "does not decode (payload damaged): zstd: " +
									  std::string(ZSTD_getErrorName(ret)));
				if (ob.pos > 0 && !emit(out.get(), ob.pos))
					return false;
				if (ret == 0)
					break;
				if (ib.pos == ib.size && remaining == 0 && ob.pos < kChunk)
					truncated();
			}
			if (ib.pos < ib.size || remaining > 0)
				trailing();
			break;
		}
	}

	if (decoded != h.original_size)
		damaged(path, "decodes to " + std::to_string(decoded) + " bytes, its header says " +
						  std::to_string(h.original_size) + " (payload damaged)");
	Checksum128 sum = hasher.digest();
	if (sum != h.checksum)
		damaged(path, "does not match its checksum: the decoded bytes hash to " + sum.hex() +
						  ", its header says " + h.checksum.hex() + " (payload damaged)");
	return true;
}

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

ArchivedFileInfo
inspect_archived_file(const std::string &path)
{
	Fd fd;
	return open_archived(path, &fd);
}

EncodeResult
encode_file(const std::string &src, const std::string &dst, const EncodeOptions &opts, bool durable)
{
	if (opts.level < 0 || opts.level > compression_max_level(opts.algorithm))
		throw std::invalid_argument(std::string("compression level ") + std::to_string(opts.level) +
									" is out of range for " + compression_name(opts.algorithm) +
									" (0.." +
									std::to_string(compression_max_level(opts.algorithm)) + ")");
	Fd in = open_or_throw(src, O_RDONLY, 0, "open file");
	struct stat st;
	if (::fstat(in.get(), &st) != 0)
		throw_io("stat file", src, errno);
	Fd out = open_or_throw(dst, O_WRONLY | O_CREAT | O_EXCL, 0600, "create file");

	/* Room for the header, written last. */
	unsigned char header[kFormatHeaderSize] = {0};
	write_all(out.get(), reinterpret_cast<const char *>(header), sizeof header, dst);
	WriteBack write_back(out.get());
	if (durable)
		write_back.wrote(sizeof header); /* its offsets count from the start of the file */

	Hasher hasher;
	uint64_t original = 0, payload = 0;
	std::unique_ptr<char[]> inbuf(new char[kChunk]);
	auto read_input = [&]() -> size_t
	{
		size_t n = read_full(in.get(), inbuf.get(), kChunk, src);
		hasher.update(inbuf.get(), n);
		original += n;
		return n;
	};
	auto put = [&](const char *p, size_t n)
	{
		write_all(out.get(), p, n, dst);
		if (durable)
			write_back.wrote(n);
		payload += n;
	};
	const std::string what = "could not compress \"" + src + "\"";

	switch (opts.algorithm)
	{
		case Compression::None:
			for (size_t n; (n = read_input()) > 0;)
				put(inbuf.get(), n);
			break;

		case Compression::Lz4:
		{
			LZ4F_preferences_t prefs;
			std::memset(&prefs, 0, sizeof prefs);
			prefs.frameInfo.blockSizeID = LZ4F_max256KB;
			prefs.frameInfo.blockMode = LZ4F_blockLinked;
			prefs.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum; /* ours covers it */
			prefs.compressionLevel = opts.level;
			LZ4F_cctx *raw_ctx = nullptr;
			check_lz4(LZ4F_createCompressionContext(&raw_ctx, LZ4F_VERSION), what);
			std::unique_ptr<LZ4F_cctx, Lz4CctxDeleter> cctx(raw_ctx);
			size_t cap = std::max<size_t>(LZ4F_compressBound(kChunk, &prefs), LZ4F_HEADER_SIZE_MAX);
			std::unique_ptr<char[]> obuf(new char[cap]);
			size_t n = LZ4F_compressBegin(cctx.get(), obuf.get(), cap, &prefs);
			check_lz4(n, what);
			put(obuf.get(), n);
			for (size_t got; (got = read_input()) > 0;)
			{
				n = LZ4F_compressUpdate(cctx.get(), obuf.get(), cap, inbuf.get(), got, nullptr);
				check_lz4(n, what);
				put(obuf.get(), n);
			}
			n = LZ4F_compressEnd(cctx.get(), obuf.get(), cap, nullptr);
			check_lz4(n, what);
			put(obuf.get(), n);
			break;
		}

		case Compression::Zstd:
		{
			std::unique_ptr<ZSTD_CCtx, ZstdCctxDeleter> cctx(ZSTD_createCCtx());
			if (!cctx)
				throw std::bad_alloc();
			check_zstd(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, opts.level),
					   what);
			check_zstd(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_checksumFlag, 0), what);
			check_zstd(ZSTD_CCtx_setPledgedSrcSize(cctx.get(), static_cast<uint64_t>(st.st_size)),
					   what);
			size_t cap = ZSTD_CStreamOutSize();
			std::unique_ptr<char[]> obuf(new char[cap]);
			for (;;)
			{
				size_t got = read_input();
				ZSTD_EndDirective mode = got < kChunk ? ZSTD_e_end : ZSTD_e_continue;
				ZSTD_inBuffer ib{inbuf.get(), got, 0};
				for (;;)
				{
					ZSTD_outBuffer ob{obuf.get(), cap, 0};
					size_t left = ZSTD_compressStream2(cctx.get(), &ob, &ib, mode);
					check_zstd(left, what);
					put(obuf.get(), ob.pos);
					if (mode == ZSTD_e_end ? left == 0 : ib.pos == ib.size)
						break;
				}
				if (mode == ZSTD_e_end)
					break;
			}
			break;
		}
	}

	EncodeResult r;
	r.header.algorithm = opts.algorithm;
	r.header.level = static_cast<uint8_t>(opts.level);
	r.header.original_size = original;
	r.header.payload_size = payload;
	r.header.checksum = hasher.digest();
	r.header.sysid = opts.sysid;
	r.header.tli = opts.tli;
	encode_format_header(r.header, header);
	pwrite_all(out.get(), header, sizeof header, 0, dst);
	if (durable && ::fsync(out.get()) != 0)
		throw_io("fsync file", dst, errno);
	r.bytes_written = kFormatHeaderSize + payload;
	return r;
}

ContentId
content_id_of_file(const std::string &path)
{
	Fd fd = open_or_throw(path, O_RDONLY, 0, "open file");
	std::unique_ptr<char[]> buf(new char[kChunk]);
	Hasher hasher;
	ContentId id;
	for (;;)
	{
		ssize_t n = read_some(fd.get(), buf.get(), kChunk, path);
		if (n == 0)
			break;
		hasher.update(buf.get(), static_cast<size_t>(n));
		id.size += static_cast<uint64_t>(n);
	}
	id.checksum = hasher.digest();
	return id;
}

ContentId
archived_content_id(const std::string &path, bool verify_payload)
{
	Fd fd;
	ArchivedFileInfo info = open_archived(path, &fd);
	if (info.raw)
	{
		Hasher hasher;
		ContentId id;
		decode_payload(
			fd.get(), info, path,
			[&](const char *p, size_t n)
			{
				hasher.update(p, n);
				id.size += n;
				return true;
			},
			kChunk);
		id.checksum = hasher.digest();
		return id;
	}
	if (verify_payload)
		decode_payload(
			fd.get(), info, path, [](const char *, size_t) { return true; }, kChunk);
	return info.header.content();
}

ArchivedFileInfo
decode_archived_file(const std::string &src, const std::function<void(const char *, size_t)> &sink)
{
	Fd fd;
	ArchivedFileInfo info = open_archived(src, &fd);
	decode_payload(
		fd.get(), info, src,
		[&](const char *p, size_t n)
		{
			sink(p, n);
			return true;
		},
		kChunk);
	return info;
}

ArchivedFileInfo
decode_file(const std::string &src, const std::string &dst, bool durable)
{
	Fd fd;
	ArchivedFileInfo info = open_archived(src, &fd);
	Fd out = open_or_throw(dst, O_WRONLY | O_CREAT | O_EXCL, 0600, "create file");
	WriteBack write_back(out.get());
	decode_payload(
		fd.get(), info, src,
		[&](const char *p, size_t n)
		{
			write_all(out.get(), p, n, dst);
			if (durable)
				write_back.wrote(n);
			return true;
		},
		kChunk);
	if (durable && ::fsync(out.get()) != 0)
		throw_io("fsync file", dst, errno);
	return info;
}

ArchivedFileInfo
verify_archived_file(const std::string &src)
{
	return decode_archived_file(src, [](const char *, size_t) {});
}

std::string
read_original_prefix(const std::string &src, size_t n, ArchivedFileInfo *info_out)
{
	Fd fd;
	ArchivedFileInfo info = open_archived(src, &fd);
	if (info_out)
		*info_out = info;
	std::string out;
	if (n == 0)
		return out;
	decode_payload(
		fd.get(), info, src,
		[&](const char *p, size_t len)
		{
			out.append(p, std::min(len, n - out.size()));
			return out.size() < n;
		},
		kPrefixChunk);
	return out;
}

} // namespace pgls
