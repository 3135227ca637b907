/*
 * archive_encode.cpp -- writing a file in the archive format (archive_format.hpp).
 *
 * Compression streams with the real libraries: liblz4's frame API and libzstd's streaming API,
 * 1 MiB of input at a time; the checksum is libxxhash's XXH3-128 over the original bytes.
 */
#include "pure.hpp"
#include "archive_codec.hpp"

#include "fileio.hpp"
#include "fs_store.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

namespace pgls
{

using namespace codec;

EncodeResult
encode_to(const std::string &src, ObjectWriter &out, const EncodeOptions &opts)
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

	/* Room for the header, written last. */
	unsigned char header[kFormatHeaderSize] = {0};
	out.write(reinterpret_cast<const char *>(header), sizeof header);

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
		out.write(p, n);
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
	out.write_at(0, reinterpret_cast<const char *>(header), sizeof header);
	r.bytes_written = kFormatHeaderSize + payload;
	return r;
}

EncodeResult
encode_file(const std::string &src, const std::string &dst, const EncodeOptions &opts, bool durable)
{
	Fd out = open_or_throw(dst, O_WRONLY | O_CREAT | O_EXCL, 0600, "create file");
	FdObjectWriter writer(out.get(), dst);
	EncodeResult r = encode_to(src, writer, opts);
	if (durable && ::fsync(out.get()) != 0)
		throw_io("fsync file", dst, errno);
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

} // namespace pgls
