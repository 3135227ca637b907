/*
 * test_archive_format.cpp -- the archive file format: header layout, round trips with each
 * compression, truncated and damaged files, unknown versions, raw (pre-format) files, and the
 * content identity used for duplicate detection.
 */
#include "core/archive_format.hpp"
#include "core/fileio.hpp"

#include "fixtures.hpp"

#include <gtest/gtest.h>

#include <random>

namespace pgls
{
namespace
{

using namespace pgls::test;

class ArchiveFormatTest : public ::testing::Test
{
protected:
	TempDir tmp;

	/* Encodes contents with c and returns the archived file's path. */
	std::string
	encode(const std::string &contents, Compression c, int level = 0,
		   const std::string &name = "file")
	{
		return write_encoded(tmp.path(), name, contents, c, level, kSysid, 1);
	}

	static std::string
	random_bytes(size_t n, unsigned seed = 1)
	{
		std::mt19937 gen(seed);
		std::string s(n, '\0');
		for (char &c : s)
			c = static_cast<char>(gen() & 0xFF);
		return s;
	}

	/* Mostly compressible, with some variety. */
	static std::string
	text_bytes(size_t n)
	{
		std::string s;
		s.reserve(n);
		for (size_t i = 0; s.size() < n; i++)
			s += "row " + std::to_string(i) + " of the table, padded: " + std::string(i % 37, 'x');
		s.resize(n);
		return s;
	}

	/* Rewrites the header of an archived file through f, recomputing the header checksum. */
	static void
	rewrite_header(const std::string &path, const std::function<void(FormatHeader &)> &f)
	{
		std::string data = read_file(path);
		FormatHeader h = *decode_format_header(reinterpret_cast<const unsigned char *>(data.data()),
											   data.size(), path);
		f(h);
		unsigned char buf[kFormatHeaderSize];
		encode_format_header(h, buf);
		data.replace(0, kFormatHeaderSize, reinterpret_cast<const char *>(buf), sizeof buf);
		write_file(path, data);
	}

	/* Decoding path fails with ArchiveFormatError whose message contains part and the path. */
	static void
	expect_damaged(const std::string &path, const std::string &part, const std::string &ctx = "")
	{
		try
		{
			verify_archived_file(path);
			ADD_FAILURE() << ctx << ": decoded a damaged file";
		}
		catch (const ArchiveFormatError &e)
		{
			EXPECT_NE(std::string(e.what()).find(part), std::string::npos)
				<< ctx << ": " << e.what();
			EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
			EXPECT_NE(std::string(e.what()).find(e.problem()), std::string::npos);
		}
	}
};

TEST_F(ArchiveFormatTest, Names)
{
	EXPECT_STREQ(compression_name(Compression::None), "none");
	EXPECT_STREQ(compression_name(Compression::Lz4), "lz4");
	EXPECT_STREQ(compression_name(Compression::Zstd), "zstd");
	EXPECT_EQ(parse_compression("zstd"), Compression::Zstd);
	EXPECT_EQ(parse_compression("lz4"), Compression::Lz4);
	EXPECT_EQ(parse_compression("none"), Compression::None);
	EXPECT_FALSE(parse_compression("gzip"));
	EXPECT_FALSE(parse_compression("LZ4"));
}

TEST_F(ArchiveFormatTest, Levels)
{
	EXPECT_EQ(compression_max_level(Compression::None), 0);
	EXPECT_EQ(compression_max_level(Compression::Lz4), 12);
	EXPECT_EQ(compression_max_level(Compression::Zstd), 19);
	bool clamped = true;
	EXPECT_EQ(effective_compression_level(Compression::Lz4, 0, &clamped), 0);
	EXPECT_FALSE(clamped);
	EXPECT_EQ(effective_compression_level(Compression::Lz4, 12, &clamped), 12);
	EXPECT_FALSE(clamped);
	EXPECT_EQ(effective_compression_level(Compression::Lz4, 19, &clamped), 12);
	EXPECT_TRUE(clamped);
	EXPECT_EQ(effective_compression_level(Compression::Zstd, 19, &clamped), 19);
	EXPECT_FALSE(clamped);
	EXPECT_EQ(effective_compression_level(Compression::Zstd, 22, &clamped), 19);
	EXPECT_TRUE(clamped);
	EXPECT_EQ(effective_compression_level(Compression::None, 5, &clamped), 0);
	EXPECT_FALSE(clamped) << "none has no level to clamp";
	EXPECT_EQ(effective_compression_level(Compression::Zstd, -3, &clamped), 0);

	std::string plain = tmp / "plain";
	write_file(plain, "x");
	EncodeOptions opts;
	opts.algorithm = Compression::Lz4;
	opts.level = 13;
	EXPECT_THROW(encode_file(plain, tmp / "out", opts, false), std::invalid_argument);
	opts.algorithm = Compression::Zstd;
	opts.level = 20;
	EXPECT_THROW(encode_file(plain, tmp / "out2", opts, false), std::invalid_argument);
	opts.level = -1;
	EXPECT_THROW(encode_file(plain, tmp / "out3", opts, false), std::invalid_argument);
}

TEST_F(ArchiveFormatTest, HeaderLayoutIsFixedLittleEndian)
{
	FormatHeader h;
	h.algorithm = Compression::Zstd;
	h.level = 7;
	h.original_size = 0x0102030405060708ull;
	h.payload_size = 0x1112131415161718ull;
	h.checksum = Checksum128{0x2122232425262728ull, 0x3132333435363738ull};
	h.sysid = 0x4142434445464748ull;
	h.tli = 0x51525354u;
	unsigned char buf[kFormatHeaderSize];
	encode_format_header(h, buf);

	EXPECT_EQ(std::string(reinterpret_cast<const char *>(buf), 8), std::string("PGLSWAL\0", 8));
	EXPECT_EQ(buf[8], 1);  /* version, low byte */
	EXPECT_EQ(buf[9], 0);  /* version, high byte */
	EXPECT_EQ(buf[10], 2); /* zstd */
	EXPECT_EQ(buf[11], 7);
	EXPECT_EQ(buf[12] | buf[13] | buf[14] | buf[15], 0); /* flags */
	EXPECT_EQ(buf[16], 0x08);
	EXPECT_EQ(buf[23], 0x01);
	EXPECT_EQ(buf[24], 0x18);
	EXPECT_EQ(buf[32], 0x28); /* checksum, low half first */
	EXPECT_EQ(buf[40], 0x38);
	EXPECT_EQ(buf[48], 0x48);
	EXPECT_EQ(buf[56], 0x54);
	EXPECT_EQ(buf[59], 0x51);

	std::optional<FormatHeader> back = decode_format_header(buf, sizeof buf, "x");
	ASSERT_TRUE(back);
	EXPECT_EQ(back->version, 1);
	EXPECT_EQ(back->algorithm, Compression::Zstd);
	EXPECT_EQ(back->level, 7);
	EXPECT_EQ(back->original_size, h.original_size);
	EXPECT_EQ(back->payload_size, h.payload_size);
	EXPECT_EQ(back->checksum, h.checksum);
	EXPECT_EQ(back->sysid, h.sysid);
	EXPECT_EQ(back->tli, h.tli);
	EXPECT_EQ(back->checksum.hex(), "31323334353637382122232425262728");
}

TEST_F(ArchiveFormatTest, RoundTrip)
{
	SegmentSpec seg;
	const std::vector<std::pair<std::string, std::string>> inputs = {
		{"empty", ""},
		{"one byte", "x"},
		{"segment", segment_bytes(seg)},
		{"random", random_bytes(300 * 1024)},
		{"1 MiB", text_bytes(1 << 20)},
		{"1 MiB + 1", text_bytes((1 << 20) + 1)},
		{"3.5 MiB mixed", text_bytes(2 << 20) + random_bytes(1536 * 1024, 7)},
	};
	for (Compression c : kAllCompressions)
	{
		std::vector<int> levels = {0};
		if (c != Compression::None)
			levels = {0, 1, compression_max_level(c)};
		for (int level : levels)
			for (const auto &[what, contents] : inputs)
			{
				if (level > 1 && contents.size() > (1u << 20))
					continue; /* the slowest levels on the small inputs only */
				std::string ctx = std::string(compression_name(c)) + " level " +
								  std::to_string(level) + ", " + what;
				std::string path = encode(contents, c, level);
				ArchivedFileInfo info = inspect_archived_file(path);
				ASSERT_FALSE(info.raw) << ctx;
				EXPECT_EQ(info.header.version, kFormatVersion) << ctx;
				EXPECT_EQ(info.header.algorithm, c) << ctx;
				EXPECT_EQ(info.header.level, level) << ctx;
				EXPECT_EQ(info.header.original_size, contents.size()) << ctx;
				EXPECT_EQ(info.header.payload_size, info.file_size - kFormatHeaderSize) << ctx;
				EXPECT_EQ(info.header.sysid, kSysid) << ctx;
				EXPECT_EQ(info.header.tli, 1u) << ctx;
				EXPECT_EQ(info.original_size(), contents.size()) << ctx;
				EXPECT_STREQ(info.format_name(), compression_name(c)) << ctx;

				EXPECT_EQ(decoded(path), contents) << ctx;
				std::string out = tmp / "decoded";
				std::filesystem::remove(out);
				ArchivedFileInfo d = decode_file(path, out, true);
				EXPECT_EQ(read_file(out), contents) << ctx;
				EXPECT_EQ(d.header.checksum, info.header.checksum) << ctx;
				EXPECT_EQ(verify_archived_file(path).header.original_size, contents.size()) << ctx;

				std::string plain = tmp / "plain";
				write_file(plain, contents);
				EXPECT_EQ(info.header.content(), content_id_of_file(plain)) << ctx;
				EXPECT_EQ(archived_content_id(path, true), content_id_of_file(plain)) << ctx;
				EXPECT_EQ(read_original_prefix(path, 40), contents.substr(0, 40)) << ctx;
			}
	}
}

TEST_F(ArchiveFormatTest, CompressionCompresses)
{
	SegmentSpec seg;
	std::string contents = segment_bytes(seg) + text_bytes(1 << 20);
	uint64_t none = file_size(encode(contents, Compression::None, 0, "n"));
	uint64_t lz4 = file_size(encode(contents, Compression::Lz4, 0, "l"));
	uint64_t lz4hc = file_size(encode(contents, Compression::Lz4, 9, "lh"));
	uint64_t zstd = file_size(encode(contents, Compression::Zstd, 0, "z"));
	EXPECT_EQ(none, contents.size() + kFormatHeaderSize);
	EXPECT_LT(lz4, none / 4);
	EXPECT_LE(lz4hc, lz4);
	EXPECT_LT(zstd, lz4);
}

TEST_F(ArchiveFormatTest, EncodeRefusesToOverwrite)
{
	std::string plain = tmp / "plain";
	write_file(plain, "abc");
	write_file(tmp / "exists", "keep");
	EXPECT_THROW(encode_file(plain, tmp / "exists", EncodeOptions{}, false), IoError);
	EXPECT_EQ(read_file(tmp / "exists"), "keep");
	EXPECT_THROW(decode_file(plain, tmp / "exists", false), IoError);
	EXPECT_EQ(read_file(tmp / "exists"), "keep");
}

TEST_F(ArchiveFormatTest, TruncatedFile)
{
	std::string contents = text_bytes(600 * 1024) + random_bytes(100 * 1024);
	for (Compression c : kAllCompressions)
	{
		std::string path = encode(contents, c);
		std::string whole = read_file(path);
		for (size_t keep : {size_t(4), size_t(10), size_t(63), kFormatHeaderSize,
							kFormatHeaderSize + 1, whole.size() / 2, whole.size() - 1})
		{
			std::string ctx = std::string(compression_name(c)) + " cut to " + std::to_string(keep);
			write_file(path, whole.substr(0, keep));
			expect_damaged(path, "truncated", ctx);
			EXPECT_THROW(inspect_archived_file(path), ArchiveFormatError) << ctx;
			EXPECT_THROW(archived_content_id(path, false), ArchiveFormatError) << ctx;
		}
		/* A truncated payload whose header was made to agree is caught by the stream. */
		write_file(path, whole.substr(0, whole.size() - 100));
		rewrite_header(path, [](FormatHeader &h) { h.payload_size -= 100; });
		if (c == Compression::None)
			/* Nothing to decode but bytes: the size and checksum catch it. */
			expect_damaged(path, "", std::string(compression_name(c)) + " short payload");
		else
			expect_damaged(path, "truncated", std::string(compression_name(c)) + " short stream");
	}
}

TEST_F(ArchiveFormatTest, FlippedByteInPayload)
{
	SegmentSpec seg;
	std::string contents = segment_bytes(seg) + random_bytes(64 * 1024);
	for (Compression c : kAllCompressions)
	{
		std::string path = encode(contents, c);
		std::string whole = read_file(path);
		size_t payload = whole.size() - kFormatHeaderSize;
		for (size_t at : {size_t(0), size_t(1), size_t(7), payload / 3, payload / 2, payload - 1})
			for (unsigned char mask : {0x01, 0x80, 0xFF})
			{
				std::string ctx = std::string(compression_name(c)) + " payload byte " +
								  std::to_string(at) + " ^ " + std::to_string(mask);
				write_file(path, whole);
				flip_byte(path, kFormatHeaderSize + at, mask);
				expect_damaged(path, "payload damaged", ctx);
				EXPECT_THROW(archived_content_id(path, true), ArchiveFormatError) << ctx;
				/* The header alone does not see it; it still says the original content. */
				EXPECT_NO_THROW(inspect_archived_file(path)) << ctx;
				std::string out = tmp / "out";
				std::filesystem::remove(out);
				EXPECT_THROW(decode_file(path, out, false), ArchiveFormatError) << ctx;
			}
	}
}

TEST_F(ArchiveFormatTest, FlippedByteInHeader)
{
	std::string contents = text_bytes(100 * 1024);
	for (Compression c : kAllCompressions)
	{
		std::string path = encode(contents, c);
		std::string whole = read_file(path);
		for (size_t at = 0; at < kFormatHeaderSize; at++)
			for (unsigned char mask : {0x01, 0xFF})
			{
				std::string ctx = std::string(compression_name(c)) + " header byte " +
								  std::to_string(at) + " ^ " + std::to_string(mask);
				write_file(path, whole);
				flip_byte(path, at, mask);
				EXPECT_THROW(inspect_archived_file(path), ArchiveFormatError) << ctx;
				EXPECT_THROW(verify_archived_file(path), ArchiveFormatError) << ctx;
				EXPECT_THROW(archived_content_id(path, false), ArchiveFormatError) << ctx;
			}
		write_file(path, whole);
		flip_byte(path, 40);
		expect_damaged(path, "header checksum mismatch", compression_name(c));
		write_file(path, whole);
		flip_byte(path, 2);
		expect_damaged(path, "magic number", compression_name(c));
	}
}

TEST_F(ArchiveFormatTest, UnknownVersion)
{
	std::string path = encode("some bytes", Compression::Lz4);
	rewrite_header(path, [](FormatHeader &) {});
	EXPECT_EQ(decoded(path), "some bytes") << "rewrite_header itself keeps the file valid";

	/* The version is checked before the header checksum: a newer version may lay out (and check)
	 * its header differently, and must be reported as such. */
	std::string data = read_file(path);
	data[8] = 2;
	write_file(path, data);
	expect_damaged(path, "format version 2");
	EXPECT_THROW(inspect_archived_file(path), ArchiveFormatError);
	data[8] = 0;
	data[9] = 1; /* 256 */
	write_file(path, data);
	expect_damaged(path, "format version 256");
}

TEST_F(ArchiveFormatTest, UnknownAlgorithmAndFlags)
{
	std::string path = encode("some bytes", Compression::Lz4);
	std::string whole = read_file(path);
	rewrite_header(path, [](FormatHeader &h) { h.algorithm = static_cast<Compression>(3); });
	expect_damaged(path, "unknown compression algorithm 3");
	write_file(path, whole);
	rewrite_header(path, [](FormatHeader &h) { h.flags = 1; });
	expect_damaged(path, "unknown header flags");
	write_file(path, whole);
	rewrite_header(path, [](FormatHeader &h) { h.algorithm = Compression::Zstd; });
	expect_damaged(path, "does not decode", "lz4 payload labelled zstd");
}

TEST_F(ArchiveFormatTest, HeaderThatLiesAboutTheContent)
{
	std::string contents = text_bytes(50 * 1024);
	for (Compression c : kAllCompressions)
	{
		std::string path = encode(contents, c);
		std::string whole = read_file(path);
		rewrite_header(path, [](FormatHeader &h) { h.checksum.lo ^= 1; });
		expect_damaged(path, "does not match its checksum", compression_name(c));
		EXPECT_NO_THROW(archived_content_id(path, false)) << "the header alone is consistent";

		write_file(path, whole);
		rewrite_header(path, [](FormatHeader &h) { h.original_size += 1; });
		if (c == Compression::None)
			expect_damaged(path, "uncompressed but", compression_name(c));
		else
			expect_damaged(path, "decodes to", compression_name(c));

		write_file(path, whole);
		rewrite_header(path, [](FormatHeader &h) { h.original_size -= 1; });
		if (c == Compression::None)
			expect_damaged(path, "uncompressed but", compression_name(c));
		else
			expect_damaged(path, "more than", compression_name(c));
	}
}

TEST_F(ArchiveFormatTest, DataAfterTheStream)
{
	for (Compression c : {Compression::Lz4, Compression::Zstd})
	{
		std::string path = encode(text_bytes(10000), c);
		std::string data = read_file(path) + "garbage";
		write_file(path, data);
		expect_damaged(path, "unexpected bytes after its payload", compression_name(c));
		rewrite_header(path, [](FormatHeader &h) { h.payload_size += 7; });
		expect_damaged(path, "data after the end", compression_name(c));
	}
}

TEST_F(ArchiveFormatTest, WrongMagicIsARawFile)
{
	SegmentSpec seg;
	std::string raw_segment = tmp / "raw_segment";
	write_file(raw_segment, segment_bytes(seg));
	std::string history = tmp / "history";
	write_file(history, "1\t0/3000000\tno recovery target specified\n");
	std::string backup = tmp / "backup";
	write_file(backup, "START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\n");
	std::string empty = tmp / "empty";
	write_file(empty, "");
	std::string three = tmp / "three";
	write_file(three, "PGL"); /* too short to tell */
	std::string other = tmp / "other";
	write_file(other, "PGLSxxxx" + std::string(100, 'y')); /* only 4 of 8 magic bytes */

	for (const std::string &path : {raw_segment, history, backup, empty, three, other})
	{
		ArchivedFileInfo info = inspect_archived_file(path);
		EXPECT_TRUE(info.raw) << path;
		EXPECT_STREQ(info.format_name(), "raw");
		EXPECT_EQ(info.original_size(), read_file(path).size()) << path;
		EXPECT_EQ(decoded(path), read_file(path)) << path;
		EXPECT_EQ(archived_content_id(path, true), content_id_of_file(path)) << path;
		EXPECT_EQ(read_original_prefix(path, 40), read_file(path).substr(0, 40)) << path;
	}
}

TEST_F(ArchiveFormatTest, SameContentWhateverTheCompression)
{
	SegmentSpec seg;
	std::string contents = segment_bytes(seg);
	std::string plain = tmp / "plain";
	write_file(plain, contents);
	ContentId want = content_id_of_file(plain);
	EXPECT_EQ(want.size, contents.size());

	std::vector<std::string> copies = {
		encode(contents, Compression::None, 0, "none"),
		encode(contents, Compression::Lz4, 0, "lz4"),
		encode(contents, Compression::Lz4, 12, "lz4hc"),
		encode(contents, Compression::Zstd, 0, "zstd"),
		encode(contents, Compression::Zstd, 19, "zstd19"),
		plain, /* a raw copy */
	};
	for (const std::string &path : copies)
	{
		EXPECT_EQ(archived_content_id(path, false), want) << path;
		EXPECT_EQ(archived_content_id(path, true), want) << path;
	}
	EXPECT_NE(read_file(copies[1]), read_file(copies[3])) << "the stored bytes differ";

	/* One byte of difference in the content is different content, in any format. */
	std::string changed = contents;
	changed[contents.size() / 2] ^= 1;
	for (Compression c : kAllCompressions)
	{
		ContentId id = archived_content_id(encode(changed, c, 0, "changed"), true);
		EXPECT_NE(id, want) << compression_name(c);
		EXPECT_EQ(id.size, want.size);
	}
	ContentId longer = archived_content_id(encode(contents + "x", Compression::Lz4, 0, "l"), true);
	EXPECT_NE(longer, want);
}

TEST_F(ArchiveFormatTest, PrefixDecodesOnlyWhatItNeeds)
{
	/* A damaged byte far into the payload does not stop reading the start (verify's fast mode);
	 * the full decode catches it. */
	std::string contents = text_bytes(4 << 20);
	for (Compression c : {Compression::Lz4, Compression::Zstd})
	{
		std::string path = encode(contents, c);
		uint64_t size = file_size(path);
		flip_byte(path, size - 20);
		ArchivedFileInfo info;
		EXPECT_EQ(read_original_prefix(path, 100, &info), contents.substr(0, 100))
			<< compression_name(c);
		EXPECT_FALSE(info.raw);
		EXPECT_THROW(verify_archived_file(path), ArchiveFormatError) << compression_name(c);
	}
	EXPECT_EQ(read_original_prefix(encode("short", Compression::Zstd), 40), "short");
	EXPECT_EQ(read_original_prefix(encode("short", Compression::Lz4), 0), "");
}

} // namespace
} // namespace pgls
