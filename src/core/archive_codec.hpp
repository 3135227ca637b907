/*
 * archive_codec.hpp -- what encoding and decoding archive files share (internal to src/core).
 */
#pragma once

#include "archive_format.hpp"

#include <lz4frame.h>
#include <xxhash.h>
#include <zstd.h>

#include <new>
#include <stdexcept>
#include <string>

namespace pgls::codec
{

constexpr size_t kChunk = size_t(1) << 20; /* input read at a time */

[[noreturn]] inline void
damaged(const std::string &where, const std::string &what)
{
	throw ArchiveFormatError("archived file \"" + where + "\" " + what, what);
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

inline void
check_lz4(size_t ret, const std::string &what)
{
	if (LZ4F_isError(ret))
		throw std::runtime_error(what + ": lz4: " + LZ4F_getErrorName(ret));
}

inline void
check_zstd(size_t ret, const std::string &what)
{
	if (ZSTD_isError(ret))
		throw std::runtime_error(what + ": zstd: " + ZSTD_getErrorName(ret));
}

} // namespace pgls::codec
