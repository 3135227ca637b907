/*
 * test_s3_gateway_store.cpp -- the archive protocol on the S3 store, request by request.
 *
 * Against a real Ceph RADOS Gateway: see gateway.hpp. The requests are counted from radosgw's
 * access log (PGLS_S3_DIR/log/client.rgw.a.log: one "beast:" line per request, with its method
 * and path), not by the client: what the gateway served is what counts.
 */
#include "gateway.hpp"

#include "../unit/fixtures.hpp"
#include "core/archive_writer.hpp"
#include "core/s3_store.hpp"

#include <fstream>
#include <map>
#include <sys/stat.h>
#include <thread>

namespace pgls::s3::gateway_test
{
namespace
{

using pgls::test::SegmentSpec;
using pgls::test::TempDir;

class StoreRequests : public Gateway
{
protected:
	void
	SetUp() override
	{
		Gateway::SetUp();
		if (IsSkipped())
			return;
		if (env("PGLS_S3_DIR").empty())
			GTEST_SKIP() << "PGLS_S3_DIR is not set (radosgw's log is read from there)";
		log_ = env("PGLS_S3_DIR") + "/log/client.rgw.a.log";
		location_ = "s3://" + env("PGLS_S3_BUCKET") + "/" + prefix_;
	}

	off_t
	log_size() const
	{
		struct stat st;
		return ::stat(log_.c_str(), &st) == 0 ? st.st_size : 0;
	}

	/*
	 * The requests radosgw logged since offset for paths starting with "/<bucket>/<prefix>/" +
	 * under, by method. radosgw writes its log from a thread of its own: a HEAD of a marker key
	 * is sent last, and the log is read until its line is there.
	 */
	std::map<std::string, int>
	requests_since(off_t offset, const std::string &under)
	{
		const std::string marker = "marker-" + std::to_string(++markers_);
		Client s3 = client();
		EXPECT_FALSE(s3.head(s3.key(marker)).has_value());
		const std::string base = "/" + env("PGLS_S3_BUCKET") + "/" + prefix_ + "/";
		for (int tries = 0; tries < 100; tries++)
		{
			std::ifstream in(log_);
			in.seekg(offset);
			std::map<std::string, int> n;
			bool marked = false;
			std::string line;
			while (std::getline(in, line))
			{
				if (line.find(" beast: ") == std::string::npos)
					continue;
				size_t q = line.find('"');
				size_t sp = q == std::string::npos ? q : line.find(' ', q);
				if (sp == std::string::npos)
					continue;
				std::string method = line.substr(q + 1, sp - q - 1);
				std::string path = line.substr(sp + 1, line.find(' ', sp + 1) - sp - 1);
				if (path == base + marker)
					marked = true;
				else if (path.rfind(base + under, 0) == 0)
					n[method]++;
			}
			if (marked)
				return n;
			std::this_thread::sleep_for(std::chrono::milliseconds(50));
		}
		ADD_FAILURE() << "the marker request never showed up in " << log_;
		return {};
	}

	ArchiveRequest
	request(const std::string &server, const std::string &src, const std::string &file) const
	{
		ArchiveRequest req;
		req.layout = ArchiveLayout{location_, Layout::Shared, server};
		req.file = file;
		req.src_path = src;
		req.pid = static_cast<long>(::getpid());
		req.sysid = pgls::test::kSysid;
		req.seg_size = pgls::test::kSegSize;
		req.compression = Compression::Lz4;
		return req;
	}

	std::string log_;
	std::string location_;
	int markers_ = 0;
};

/*
 * A server publishing new segments sends one PUT each and no HEAD first: the conditional PUT
 * refuses an existing key anyway, and on S3 a look is a round trip per file. A server whose PUT
 * was refused (a standby archiving what its primary published) looks first from then on, so it
 * does not upload every segment only to have it refused; a new name brings the first back.
 */
TEST_F(StoreRequests, PutFirstForNewNamesLookFirstAfterA412)
{
	TempDir tmp;
	std::vector<std::string> names, paths;
	for (uint64_t segno = 1; segno <= 5; segno++)
	{
		SegmentSpec s;
		s.segno = segno;
		s.fill = static_cast<char>('a' + segno);
		names.push_back(pgls::test::segment_name(s));
		paths.push_back(pgls::test::write_segment(tmp.path(), s));
	}

	S3Store primary(config(), location_);
	off_t mark = log_size();
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(archive_file(primary, request("primary", paths[i], names[i])).result,
				  ArchiveResult::Published);
	auto n = requests_since(mark, "wal/");
	EXPECT_EQ(n["PUT"], 3) << "one PUT per new segment";
	EXPECT_EQ(n["HEAD"], 0) << "no look before publishing a new name";
	EXPECT_FALSE(primary.look_before_publish());

	S3Store standby(config(), location_);
	mark = log_size();
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(archive_file(standby, request("standby", paths[i], names[i])).result,
				  ArchiveResult::AlreadyArchived);
	n = requests_since(mark, "wal/");
	EXPECT_EQ(n["PUT"], 1) << "only the first segment is uploaded and refused (412)";
	EXPECT_EQ(n["HEAD"], 3) << "after the 412, and before each of the next two";
	EXPECT_EQ(n["GET"], 3) << "each existing copy is compared in full";
	EXPECT_TRUE(standby.look_before_publish());

	/* Promoted: its look finds a new name free, it publishes, and puts first again. */
	mark = log_size();
	EXPECT_EQ(archive_file(standby, request("standby", paths[3], names[3])).result,
			  ArchiveResult::Published);
	EXPECT_EQ(archive_file(standby, request("standby", paths[4], names[4])).result,
			  ArchiveResult::Published);
	n = requests_since(mark, "wal/");
	EXPECT_EQ(n["PUT"], 2);
	EXPECT_EQ(n["HEAD"], 1) << "one look, for the first new name";
	EXPECT_FALSE(standby.look_before_publish());

	/* Nothing was overwritten: every object is the primary's (or the promoted standby's). */
	for (int i = 0; i < 5; i++)
	{
		auto o = primary.stat("wal", names[i]);
		ASSERT_TRUE(o.has_value()) << names[i];
		ASSERT_TRUE(o->content.has_value()) << names[i];
		EXPECT_EQ(*o->content, content_id_of_file(paths[i])) << names[i];
	}
}

} // namespace
} // namespace pgls::s3::gateway_test
