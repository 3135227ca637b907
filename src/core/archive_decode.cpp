/*
 * archive_decode.cpp -- reading files in the archive format (archive_format.hpp), from any store.
 */
#include "pure.hpp"
#include "archive_codec.hpp"

#include "fileio.hpp"
#include "fs_store.hpp"
#include "interrupt.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <memory>
#include <unistd.h>

namespace pgls
{

using namespace codec;

namespace
{

constexpr size_t kPrefixChunk = 64 * 1024; /* input read at a time for prefix() */

/* Reads until len bytes or the end; returns the bytes read. */
size_t
read_fully(ObjectReader &r, char *buf, size_t len)
{
	size_t got = 0;
	while (got < len)
	{
		size_t n = r.read(buf + got, len - got);
		if (n == 0)
			break;
		got += n;
	}
	return got;
}

std::unique_ptr<ObjectReader>
open_local_or_throw(const std::string &path)
{
	std::unique_ptr<ObjectReader> r = open_local_object(path);
	if (!r)
		throw_io("open file", path, ENOENT);
	return r;
}

} // namespace

ArchivedObject::ArchivedObject(ObjectReader &reader) : reader_(reader)
{
	const std::string &where = reader_.where();
	unsigned char buf[kFormatHeaderSize];
	size_t got = read_fully(reader_, reinterpret_cast<char *>(buf), sizeof buf);
	info_.file_size = reader_.size();
	std::optional<FormatHeader> h = decode_format_header(buf, got, where);
	if (!h)
	{
		head_.assign(reinterpret_cast<const char *>(buf), got);
		return;
	}
	info_.raw = false;
	info_.header = *h;
	uint64_t have = info_.file_size - kFormatHeaderSize;
	if (have < h->payload_size)
		damaged(where, "is truncated: it has " + std::to_string(have) +
						   " bytes of payload, its header says " + std::to_string(h->payload_size));
	if (have > h->payload_size)
		damaged(where, "has " + std::to_string(have - h->payload_size) +
						   " unexpected bytes after its payload of " +
						   std::to_string(h->payload_size) + " bytes");
}

bool
ArchivedObject::decode_payload(const std::function<bool(const char *, size_t)> &sink,
							   size_t in_chunk)
{
	if (consumed_)
		throw std::logic_error("an archived object is decoded once");
	consumed_ = true;
	const std::string &where = reader_.where();
	std::unique_ptr<char[]> in(new char[in_chunk]);
	if (info_.raw)
	{
		/* A raw file is its own content: at most the size it had when opened. */
		uint64_t left = info_.file_size;
		auto pass = [&](const char *p, size_t n) -> bool
		{
			if (n > left)
				damaged(where, "grew while being read");
			left -= n;
			return sink(p, n);
		};
		if (!head_.empty() && !pass(head_.data(), head_.size()))
			return false;
		for (;;)
		{
			check_interrupts();
			size_t n = reader_.read(in.get(), in_chunk);
			if (n == 0)
				break;
			if (!pass(in.get(), n))
				return false;
		}
		if (left != 0)
			damaged(where, "shrank while being read");
		return true;
	}

	const FormatHeader &h = info_.header;
	uint64_t remaining = h.payload_size;
	uint64_t decoded = 0;
	Hasher hasher;
	const std::string alg = compression_name(h.algorithm);

	/* Reads the next piece of payload; the file was checked to be long enough. */
	auto read_chunk = [&]() -> size_t
	{
		check_interrupts();
		size_t want = static_cast<size_t>(std::min<uint64_t>(in_chunk, remaining));
		size_t n = read_fully(reader_, in.get(), want);
		if (n < want)
			damaged(where, "is truncated (it shrank while being read)");
		remaining -= n;
		return n;
	};
	/* Never passes on more than the header says: a decompression bomb stops here. */
	auto emit = [&](const char *p, size_t n) -> bool
	{
		decoded += n;
		if (decoded > h.original_size)
			damaged(where, "decodes to more than the " + std::to_string(h.original_size) +
							   " bytes its header says (payload damaged)");
		hasher.update(p, n);
		return sink(p, n);
	};
	auto trailing = [&]()
	{ damaged(where, "has data after the end of its " + alg + " stream (payload damaged)"); };
	auto truncated = [&]()
	{ damaged(where, "has a truncated " + alg + " stream (payload damaged)"); };

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
					damaged(where, "does not decode (payload damaged): lz4: " +
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
					damaged(where, "does not decode (payload damaged): zstd: " +
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
		damaged(where, "decodes to " + std::to_string(decoded) + " bytes, its header says " +
						   std::to_string(h.original_size) + " (payload damaged)");
	Checksum128 sum = hasher.digest();
	if (sum != h.checksum)
		damaged(where, "does not match its checksum: the decoded bytes hash to " + sum.hex() +
						   ", its header says " + h.checksum.hex() + " (payload damaged)");
	return true;
}

void
ArchivedObject::decode(const std::function<void(const char *, size_t)> &sink)
{
	decode_payload(
		[&](const char *p, size_t n)
		{
			sink(p, n);
			return true;
		},
		kChunk);
}

std::string
ArchivedObject::prefix(size_t n)
{
	std::string out;
	if (n == 0)
		return out;
	decode_payload(
		[&](const char *p, size_t len)
		{
			out.append(p, std::min(len, n - out.size()));
			return out.size() < n;
		},
		kPrefixChunk);
	return out;
}

ContentId
ArchivedObject::content(bool verify_payload)
{
	if (info_.raw)
	{
		Hasher hasher;
		ContentId id;
		decode_payload(
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
		decode_payload([](const char *, size_t) { return true; }, kChunk);
	return info_.header.content();
}

ArchivedFileInfo
inspect_archived_file(const std::string &path)
{
	auto r = open_local_or_throw(path);
	return ArchivedObject(*r).info();
}

ContentId
archived_content_id(const std::string &path, bool verify_payload)
{
	auto r = open_local_or_throw(path);
	ArchivedObject obj(*r);
	return obj.content(verify_payload);
}

ArchivedFileInfo
decode_archived_file(const std::string &src, const std::function<void(const char *, size_t)> &sink)
{
	auto r = open_local_or_throw(src);
	ArchivedObject obj(*r);
	obj.decode(sink);
	return obj.info();
}

ArchivedFileInfo
decode_file(const std::string &src, const std::string &dst, bool durable)
{
	auto r = open_local_or_throw(src);
	ArchivedObject obj(*r);
	Fd out = open_or_throw(dst, O_WRONLY | O_CREAT | O_EXCL, 0600, "create file");
	WriteBack write_back(out.get());
	obj.decode(
		[&](const char *p, size_t n)
		{
			write_all(out.get(), p, n, dst);
			if (durable)
				write_back.wrote(n);
		});
	if (durable && ::fsync(out.get()) != 0)
		throw_io("fsync file", dst, errno);
	return obj.info();
}

ArchivedFileInfo
verify_archived_file(const std::string &src)
{
	return decode_archived_file(src, [](const char *, size_t) {});
}

std::string
read_original_prefix(const std::string &src, size_t n, ArchivedFileInfo *info_out)
{
	auto r = open_local_or_throw(src);
	ArchivedObject obj(*r);
	if (info_out)
		*info_out = obj.info();
	return obj.prefix(n);
}

} // namespace pgls
