/*
 * encode_cost.cpp -- where archiving time goes, per WAL segment, on one core.
 *
 * Usage: encode_cost SEGMENT... (real WAL segments; bench/run.sh passes the benchmark's backlog)
 *
 * For each way of storing a segment it times, on one core, reading the segment and writing it
 * durably (fsync) into a new file: a plain copy (what basic_archive does), and pg_logship's
 * encoder with none, lz4 and zstd (checksum, compression, header). The ratio of a plain copy's
 * time to an encoder's time, times the cores available, bounds how much faster than
 * basic_archive an archiver that compresses can drain a backlog on this machine.
 */
#include "core/archive_format.hpp"
#include "core/fileio.hpp"

#include <chrono>
#include <cstdio>
#include <string>
#include <unistd.h>
#include <vector>

namespace
{

double
seconds_since(std::chrono::steady_clock::time_point t0)
{
	return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

} // namespace

int
main(int argc, char **argv)
{
	if (argc < 2)
	{
		std::fprintf(stderr, "usage: %s SEGMENT...\n", argv[0]);
		return 2;
	}
	std::vector<std::string> segs(argv + 1, argv + argc);
	std::string out = "/tmp/pgls-encode-cost." + std::to_string(getpid());

	struct Way
	{
		const char *name;
		bool plain;
		pgls::Compression alg;
	};
	const Way ways[] = {
		{"plain copy + fsync (basic_archive)", true, pgls::Compression::None},
		{"pg_logship none", false, pgls::Compression::None},
		{"pg_logship lz4", false, pgls::Compression::Lz4},
		{"pg_logship zstd", false, pgls::Compression::Zstd},
	};
	std::printf("%-36s %12s %12s %10s\n", "way (one core)", "ms/segment", "MiB/s", "out/in");
	double plain_ms = 0;
	for (const Way &w : ways)
	{
		uint64_t in = 0, written = 0;
		auto t0 = std::chrono::steady_clock::now();
		for (const std::string &s : segs)
		{
			pgls::remove_if_exists(out);
			if (w.plain)
				written += pgls::copy_file_new(s, out, true);
			else
			{
				pgls::EncodeOptions o;
				o.algorithm = w.alg;
				written += pgls::encode_file(s, out, o, true).bytes_written;
			}
			in += pgls::file_size(s);
		}
		double secs = seconds_since(t0);
		double ms = secs * 1000 / segs.size();
		if (w.plain)
			plain_ms = ms;
		std::printf("%-36s %12.2f %12.0f %10.3f", w.name, ms, in / secs / (1 << 20),
					static_cast<double>(written) / in);
		if (!w.plain)
			std::printf("   2 cores: at most %.2fx a plain copy", 2 * plain_ms / ms);
		std::printf("\n");
	}
	pgls::remove_if_exists(out);
	return 0;
}
