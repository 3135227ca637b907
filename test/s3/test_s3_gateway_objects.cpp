/*
 * test_s3_gateway_objects.cpp -- put_if_absent, HEAD and GET against the gateway.
 *
 * Against a real Ceph RADOS Gateway: see gateway.hpp.
 */
#include "gateway.hpp"

#include "core/s3/crypto.hpp"
#include "core/s3/http.hpp"
#include "core/s3/responses.hpp"
#include "core/s3/sigv4.hpp"

#include <chrono>
#include <sys/wait.h>
#include <thread>

namespace pgls::s3::gateway_test
{
namespace
{

TEST_F(Gateway, PutIfAbsentCreatesOnceAndNeverOverwrites)
{
	Client s3 = client();
	const std::string key = s3.key("wal/000000010000000000000001");
	const std::string a = pattern(100000, 1), b = pattern(100000, 2);
	EXPECT_EQ(s3.put_if_absent(key, a.data(), a.size(), {{"writer", "a"}}), PutOutcome::Created);
	EXPECT_EQ(s3.last_attempts(), 1);
	EXPECT_EQ(s3.put_if_absent(key, b.data(), b.size(), {{"writer", "b"}}),
			  PutOutcome::AlreadyExists);
	auto got = s3.get(key);
	ASSERT_TRUE(got.has_value());
	EXPECT_TRUE(*got == a) << "the 412 changed the object";
	EXPECT_EQ(s3.head(key)->metadata.at("writer"), "a");
	/* an empty object is an object too */
	const std::string empty_key = s3.key("empty");
	EXPECT_EQ(s3.put_if_absent(empty_key, "", 0), PutOutcome::Created);
	EXPECT_EQ(s3.put_if_absent(empty_key, "x", 1), PutOutcome::AlreadyExists);
	EXPECT_EQ(s3.get(empty_key).value(), "");
}

/* Several processes race to publish different content under one key: exactly one Created,
 * and the object is that one's content, whole. */
TEST_F(Gateway, PutIfAbsentRaceOfProcesses)
{
	const int writers = 6;
	const size_t sizes[] = {100, 64 * 1024, 1 << 20, 4 << 20};
	int round = 0;
	for (size_t size : sizes)
	{
		for (int rep = 0; rep < 2; rep++, round++)
		{
			const std::string key = prefix_ + "/race/" + std::to_string(round);
			int go[2], results[2];
			ASSERT_EQ(pipe(go), 0);
			ASSERT_EQ(pipe(results), 0);
			std::vector<pid_t> pids;
			for (int w = 0; w < writers; w++)
			{
				pid_t pid = fork();
				ASSERT_GE(pid, 0);
				if (pid == 0)
				{
					close(go[1]);
					close(results[0]);
					char r = 'E';
					try
					{
						Client s3 = client();
						std::string body = pattern(size, static_cast<unsigned>(100 * round + w));
						char c;
						(void) !read(go[0], &c, 1); /* EOF: everybody goes */
						PutOutcome o = s3.put_if_absent(key, body.data(), body.size(),
														{{"writer", std::to_string(w)}});
						r = o == PutOutcome::Created ? static_cast<char>('0' + w) : 'X';
					}
					catch (const std::exception &e)
					{
						fprintf(stderr, "writer %d: %s\n", w, e.what());
					}
					(void) !write(results[1], &r, 1);
					_exit(0);
				}
				pids.push_back(pid);
			}
			close(go[0]);
			close(results[1]);
			close(go[1]); /* release them all at once */
			std::string outcomes;
			char c;
			while (read(results[0], &c, 1) == 1)
				outcomes += c;
			close(results[0]);
			for (pid_t pid : pids)
				waitpid(pid, nullptr, 0);

			ASSERT_EQ(outcomes.size(), static_cast<size_t>(writers)) << outcomes;
			EXPECT_EQ(outcomes.find('E'), std::string::npos) << "a writer failed: " << outcomes;
			int created = 0, winner = -1;
			for (char o : outcomes)
				if (o >= '0' && o <= '9')
				{
					created++;
					winner = o - '0';
				}
			ASSERT_EQ(created, 1) << "round " << round << " (" << size << " B): " << outcomes;
			Client s3 = client();
			ObjectInfo info;
			auto got = s3.get(key, {}, &info);
			ASSERT_TRUE(got.has_value());
			EXPECT_TRUE(*got == pattern(size, static_cast<unsigned>(100 * round + winner)))
				<< "round " << round << ": the object is not the winner's content";
			EXPECT_EQ(info.metadata.at("writer"), std::to_string(winner));
		}
	}
}

/* The body's SHA-256 is signed (x-amz-content-sha256): a body that changed on the way is
 * refused, and nothing is stored. The request is made by hand, as Client::put_if_absent does. */
TEST_F(Gateway, ChangedBodyIsRefused)
{
	Config c = config();
	Location loc = parse_s3_url("s3://" + env("PGLS_S3_BUCKET") + "/" + prefix_);
	const std::string key = prefix_ + "/changed";
	Target t = target(parse_endpoint(c), UriStyle::Path, loc.bucket, key);
	const std::string sent = "the body as it was signed", arrived = "the body as it arrived!!";
	const std::string hash = sha256_hex(sent.data(), sent.size());
	const std::string date = amz_date(std::time(nullptr));
	Params headers = {{"host", t.host},
					  {"x-amz-date", date},
					  {"x-amz-content-sha256", hash},
					  {"if-none-match", "*"}};
	SignOutput sig = sign_v4({"PUT", t.path, {}, headers, hash}, date, c.region, "s3",
							 c.credentials.access_key, c.credentials.secret_key);
	HttpRequest req;
	req.method = "PUT";
	req.url = t.url;
	for (const auto &[name, value] : headers)
		req.headers.push_back(name + ": " + value);
	req.headers.push_back("Authorization: " + sig.authorization);
	req.body = arrived.data();
	req.body_len = arrived.size();
	Http http(true, "");
	HttpResponse r = http.perform(req, "S3 PutObject", {});
	EXPECT_EQ(r.status, 400);
	EXPECT_EQ(parse_error_body(r.body).code, "XAmzContentSHA256Mismatch");
	EXPECT_FALSE(client().head(key).has_value()) << "the changed body was stored";
}

TEST_F(Gateway, HeadMetadataRoundTrip)
{
	Client s3 = client();
	const std::string key = s3.key("meta");
	const std::string body = pattern(12345, 3);
	const std::map<std::string, std::string> meta = {
		{"pgls-size", "16777216"},
		{"pgls-xxh3", "0123456789abcdef0123456789abcdef"},
		{"pgls-server", "standby-1"}};
	const auto before = std::time(nullptr);
	ASSERT_EQ(s3.put_if_absent(key, body.data(), body.size(), meta), PutOutcome::Created);
	auto info = s3.head(key);
	ASSERT_TRUE(info.has_value());
	EXPECT_EQ(info->key, key);
	EXPECT_EQ(info->size, body.size());
	EXPECT_EQ(info->metadata, meta);
	EXPECT_FALSE(info->etag.empty());
	EXPECT_GE(info->mtime, before - 60);
	EXPECT_LE(info->mtime, std::time(nullptr) + 60);
	EXPECT_FALSE(s3.head(s3.key("no-such-key")).has_value());
	EXPECT_THROW(s3.put_if_absent(key, "x", 1, {{"Bad Name", "v"}}), std::invalid_argument);
	EXPECT_THROW(s3.put_if_absent(key, "x", 1, {{"under_score", "v"}}), std::invalid_argument);
	EXPECT_THROW(s3.put_if_absent(key, "x", 1, {{"n", "line\nbreak"}}), std::invalid_argument);
}

TEST_F(Gateway, RangedAndStreamingGet)
{
	Client s3 = client();
	const std::string key = s3.key("big");
	const std::string body = pattern(5 << 20, 4);
	ASSERT_EQ(s3.put_if_absent(key, body.data(), body.size(), {{"k", "v"}}), PutOutcome::Created);

	ObjectInfo info;
	EXPECT_EQ(s3.get(key, std::make_pair(0, 10), &info).value(), body.substr(0, 10));
	EXPECT_EQ(info.size, body.size()); /* the object's size, from Content-Range */
	EXPECT_EQ(s3.get(key, std::make_pair(3000000, 1000)).value(), body.substr(3000000, 1000));
	EXPECT_EQ(s3.get(key, std::make_pair(body.size() - 5, 100)).value(),
			  body.substr(body.size() - 5)); /* a range past the end is cut short */
	Error e = error_of([&] { s3.get(key, std::make_pair(body.size() + 10, 5)); });
	EXPECT_EQ(e.http_status(), 416);
	EXPECT_EQ(e.code(), "InvalidRange");

	std::string streamed;
	size_t chunks = 0;
	ObjectInfo sinfo;
	ASSERT_TRUE(s3.get_to(
		key,
		[&](const char *d, size_t n)
		{
			streamed.append(d, n);
			chunks++;
		},
		&sinfo));
	EXPECT_TRUE(streamed == body);
	EXPECT_GT(chunks, 1u);
	EXPECT_EQ(sinfo.size, body.size());
	EXPECT_EQ(sinfo.metadata.at("k"), "v");

	/* a sink that throws stops the transfer, and its exception comes out */
	EXPECT_THROW(
		s3.get_to(key, [](const char *, size_t) { throw std::runtime_error("disk full"); }),
		std::runtime_error);
	/* the client goes on working after that */
	EXPECT_EQ(s3.get(key, std::make_pair(1, 2)).value(), body.substr(1, 2));

	/* should_stop is asked during a transfer too (libcurl's progress callback) */
	Config c = config();
	bool stop = false;
	c.retry.should_stop = [&] { return stop; };
	Client stoppable = client(c);
	Error e2 = error_of(
		[&]
		{
			stoppable.get_to(key,
							 [&](const char *, size_t)
							 {
								 stop = true;
								 std::this_thread::sleep_for(std::chrono::milliseconds(2));
							 });
		});
	EXPECT_TRUE(e2.stopped()) << e2.what();
	EXPECT_NE(std::string(e2.what()).find("stopped during the transfer"), std::string::npos)
		<< e2.what();

	EXPECT_FALSE(s3.get(s3.key("missing")).has_value());
	EXPECT_FALSE(s3.get_to(s3.key("missing"), [](const char *, size_t) {}));
}

TEST_F(Gateway, Segment16MiB)
{
	Client s3 = client();
	const std::string body = pattern(16 << 20, 7);
	const std::string key = s3.key("seg");
	auto t0 = std::chrono::steady_clock::now();
	ASSERT_EQ(s3.put_if_absent(key, body.data(), body.size()), PutOutcome::Created);
	double put_ms = ms_since(t0);
	t0 = std::chrono::steady_clock::now();
	auto got = s3.get(key);
	double get_ms = ms_since(t0);
	ASSERT_TRUE(got.has_value());
	EXPECT_TRUE(*got == body);
	std::string streamed;
	t0 = std::chrono::steady_clock::now();
	ASSERT_TRUE(s3.get_to(key, [&](const char *d, size_t n) { streamed.append(d, n); }));
	double stream_ms = ms_since(t0);
	EXPECT_TRUE(streamed == body);
	t0 = std::chrono::steady_clock::now();
	EXPECT_EQ(s3.put_if_absent(key, body.data(), body.size()), PutOutcome::AlreadyExists);
	double put412_ms = ms_since(t0);
	printf("16 MiB: put %.0f ms, get %.0f ms, streamed get %.0f ms, put (412) %.0f ms\n", put_ms,
		   get_ms, stream_ms, put412_ms);
}

} // namespace
} // namespace pgls::s3::gateway_test
