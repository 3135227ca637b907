/*
 * test_s3_gateway.cpp -- the S3 client against a real Ceph RADOS Gateway.
 *
 * Run by t/110_s3_client.pl, which starts the gateway (scripts/rgw.sh) and passes it in the
 * environment: PGLS_S3_ENDPOINT, PGLS_S3_REGION, PGLS_S3_BUCKET, PGLS_S3_ACCESS_KEY,
 * PGLS_S3_SECRET_KEY, PGLS_S3_CREDENTIALS_FILE, PGLS_S3_TLS_ENDPOINT, PGLS_S3_CA_FILE, and
 * PGLS_RGW + PGLS_S3_DIR (the script and the gateway's folder, to kill and restart radosgw).
 * Without PGLS_S3_ENDPOINT every test is skipped. Each test works under its own prefix.
 */
#include "core/s3/client.hpp"
#include "core/s3/crypto.hpp"
#include "core/s3/http.hpp"
#include "core/s3/responses.hpp"
#include "core/s3/sigv4.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace pgls::s3
{
namespace
{

std::string
env(const char *name)
{
	const char *v = std::getenv(name);
	return v ? v : "";
}

/* Content that differs by seed and position. */
std::string
pattern(size_t len, unsigned seed)
{
	std::string s(len, '\0');
	uint64_t x = 0x9E3779B97F4A7C15ull * (seed + 1);
	for (size_t i = 0; i < len; i++)
	{
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		s[i] = static_cast<char>(x);
	}
	return s;
}

double
ms_since(std::chrono::steady_clock::time_point t0)
{
	return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

class Gateway : public ::testing::Test
{
protected:
	void
	SetUp() override
	{
		if (env("PGLS_S3_ENDPOINT").empty())
			GTEST_SKIP() << "no gateway (PGLS_S3_ENDPOINT is not set; t/110_s3_client.pl sets it)";
		const auto *info = ::testing::UnitTest::GetInstance()->current_test_info();
		prefix_ = std::string("t-") + std::to_string(getpid()) + "-" + info->name();
	}

	static Config
	config()
	{
		Config c;
		c.endpoint = env("PGLS_S3_ENDPOINT");
		c.region = env("PGLS_S3_REGION");
		c.uri_style = UriStyle::Path;
		c.credentials = load_credentials_file(env("PGLS_S3_CREDENTIALS_FILE"), "default");
		c.retry.deadline_ms = 30000;
		return c;
	}

	Client
	client(Config c = config()) const
	{
		return Client(std::move(c), parse_s3_url("s3://" + env("PGLS_S3_BUCKET") + "/" + prefix_));
	}

	/* Runs rgw.sh CMD on the gateway's folder. */
	static void
	rgw(const std::string &cmd)
	{
		std::string line =
			"bash '" + env("PGLS_RGW") + "' " + cmd + " '" + env("PGLS_S3_DIR") + "'";
		ASSERT_EQ(std::system(line.c_str()), 0) << line;
	}

	std::string prefix_;
};

/* The message of the Error f throws; fails the test when it throws none. */
template <typename F>
Error
error_of(F f)
{
	try
	{
		f();
	}
	catch (const Error &e)
	{
		return e;
	}
	ADD_FAILURE() << "no Error thrown";
	return Error("", Failure::Protocol, 0, "", false);
}

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

TEST_F(Gateway, ListingPagesAndDelimiter)
{
	Client s3 = client();
	std::vector<std::string> keys;
	for (int i = 0; i < 7; i++)
		keys.push_back(s3.key("a/" + std::to_string(i)));
	for (int i = 0; i < 3; i++)
		keys.push_back(s3.key("b/" + std::to_string(i)));
	keys.push_back(s3.key("top"));
	for (const std::string &k : keys)
		ASSERT_EQ(s3.put_if_absent(k, k.data(), k.size()), PutOutcome::Created);
	std::sort(keys.begin(), keys.end());

	/* pages of 3: 11 keys in 4 pages, each with a token but the last */
	std::vector<std::string> listed;
	std::string token;
	int pages = 0;
	do
	{
		Client::Page p = s3.list_page(s3.key(""), token, "", 3);
		pages++;
		EXPECT_LE(p.objects.size(), 3u);
		for (const ObjectInfo &o : p.objects)
		{
			listed.push_back(o.key);
			EXPECT_EQ(o.size, o.key.size());
			EXPECT_GT(o.mtime, 0);
		}
		token = p.next_token;
	} while (!token.empty() && pages < 10);
	EXPECT_EQ(pages, 4);
	EXPECT_EQ(listed, keys);

	std::vector<std::string> all;
	for (const ObjectInfo &o : s3.list_all(s3.key("a/")))
		all.push_back(o.key);
	EXPECT_EQ(all, std::vector<std::string>(keys.begin(), keys.begin() + 7));

	Client::Page d = s3.list_page(s3.key(""), "", "/");
	EXPECT_EQ(d.prefixes, (std::vector<std::string>{s3.key("a/"), s3.key("b/")}));
	ASSERT_EQ(d.objects.size(), 1u);
	EXPECT_EQ(d.objects[0].key, s3.key("top"));
	EXPECT_TRUE(d.next_token.empty());
	EXPECT_TRUE(s3.list_all(s3.key("nothing/")).empty());
}

TEST_F(Gateway, BatchDelete)
{
	Client s3 = client();
	/* 1500 keys: two batches (1000 + 500); most do not exist, which S3 counts as deleted */
	std::vector<std::string> keys;
	for (int i = 0; i < 1500; i++)
		keys.push_back(s3.key("d/" + std::to_string(10000 + i)));
	for (int i : {0, 1, 999, 1000, 1499})
		ASSERT_EQ(s3.put_if_absent(keys[i], "x", 1), PutOutcome::Created);
	const std::string keep = s3.key("keep");
	ASSERT_EQ(s3.put_if_absent(keep, "k", 1), PutOutcome::Created);
	ASSERT_EQ(s3.list_all(s3.key("d/")).size(), 5u);

	auto failed = s3.delete_objects(keys);
	EXPECT_TRUE(failed.empty()) << failed.front().first << ": " << failed.front().second;
	EXPECT_TRUE(s3.list_all(s3.key("d/")).empty());
	EXPECT_TRUE(s3.head(keep).has_value());
	EXPECT_TRUE(s3.delete_objects({}).empty());
	/* deleting again is no error */
	EXPECT_TRUE(s3.delete_objects({keys[0]}).empty());
}

TEST_F(Gateway, WrongCredentialsNamedWithoutSecrets)
{
	Config c = config();
	const std::string wrong_secret = "WrongSecretKey0123456789abcdefghijklmnop";
	c.credentials.secret_key = wrong_secret;
	Client bad = client(c);
	Error e = error_of([&] { bad.put_if_absent(bad.key("x"), "x", 1); });
	EXPECT_EQ(e.http_status(), 403);
	EXPECT_EQ(e.code(), "SignatureDoesNotMatch");
	EXPECT_FALSE(e.retryable());
	EXPECT_EQ(bad.last_attempts(), 1);
	const std::string what = e.what();
	EXPECT_EQ(what.rfind("S3 PutObject of s3://" + env("PGLS_S3_BUCKET") + "/" + prefix_ +
							 "/x failed: HTTP 403 SignatureDoesNotMatch",
						 0),
			  0u)
		<< what;
	EXPECT_EQ(what.find(wrong_secret), std::string::npos) << what;
	EXPECT_EQ(what.find(env("PGLS_S3_SECRET_KEY")), std::string::npos) << what;

	Error l = error_of([&] { bad.check_access(); });
	EXPECT_EQ(l.code(), "SignatureDoesNotMatch");
	EXPECT_EQ(std::string(l.what()).find(wrong_secret), std::string::npos);

	c = config();
	c.credentials.access_key = "NOSUCHACCESSKEY00000";
	Client unknown = client(c);
	e = error_of([&] { unknown.get(unknown.key("x")); });
	EXPECT_EQ(e.http_status(), 403);
	EXPECT_EQ(e.code(), "InvalidAccessKeyId");
	EXPECT_NE(std::string(e.what()).find("InvalidAccessKeyId"), std::string::npos) << e.what();
	e = error_of([&] { unknown.head(unknown.key("x")); });
	EXPECT_EQ(e.http_status(), 403);
	EXPECT_NE(std::string(e.what()).find("S3 HeadObject of"), std::string::npos) << e.what();
}

TEST_F(Gateway, UnknownBucket)
{
	Client s3(config(), parse_s3_url("s3://pgls-no-such-bucket/p"));
	for (auto call :
		 std::vector<std::function<void()>>{
			 [&] { s3.put_if_absent(s3.key("x"), "x", 1); }, [&] { s3.get(s3.key("x")); },
			 [&] { s3.get_to(s3.key("x"), [](const char *, size_t) {}); },
			 [&] { s3.list_page(s3.key("")); }, [&] { s3.check_access(); },
			 [&] { s3.delete_objects({s3.key("x")}); }})
	{
		Error e = error_of(call);
		EXPECT_EQ(e.http_status(), 404);
		EXPECT_EQ(e.code(), "NoSuchBucket");
		EXPECT_FALSE(e.retryable());
		EXPECT_NE(std::string(e.what()).find("s3://pgls-no-such-bucket/p"), std::string::npos)
			<< e.what();
		EXPECT_NE(std::string(e.what()).find("HTTP 404 NoSuchBucket"), std::string::npos)
			<< e.what();
	}
}

TEST_F(Gateway, HostStyleAddressing)
{
	if (env("PGLS_S3_HOST_ENDPOINT").empty())
		GTEST_SKIP() << "PGLS_S3_HOST_ENDPOINT is not set";
	Config c = config();
	c.endpoint = env("PGLS_S3_HOST_ENDPOINT"); /* http://localhost:PORT: BUCKET.localhost */
	c.uri_style = UriStyle::Host;
	Client s3 = client(c);
	const std::string body = pattern(70000, 8);
	ASSERT_EQ(s3.put_if_absent(s3.key("h/x y+z"), body.data(), body.size(), {{"k", "v"}}),
			  PutOutcome::Created);
	EXPECT_EQ(s3.put_if_absent(s3.key("h/x y+z"), "x", 1), PutOutcome::AlreadyExists);
	EXPECT_TRUE(s3.get(s3.key("h/x y+z")).value() == body);
	EXPECT_EQ(s3.head(s3.key("h/x y+z"))->metadata.at("k"), "v");
	auto listed = s3.list_all(s3.key("h/"));
	ASSERT_EQ(listed.size(), 1u);
	EXPECT_EQ(listed[0].key, s3.key("h/x y+z"));
	EXPECT_TRUE(s3.delete_objects({s3.key("h/x y+z")}).empty());
	/* the same object through path-style addressing is gone too */
	EXPECT_FALSE(client().head(s3.key("h/x y+z")).has_value());
}

TEST_F(Gateway, Tls)
{
	if (env("PGLS_S3_TLS_ENDPOINT").empty())
		GTEST_SKIP() << "the gateway serves no https (PGLS_S3_TLS_ENDPOINT)";
	Config c = config();
	c.endpoint = env("PGLS_S3_TLS_ENDPOINT");
	c.ca_file = env("PGLS_S3_CA_FILE");
	Client s3 = client(c);
	const std::string body = pattern(300000, 5);
	ASSERT_EQ(s3.put_if_absent(s3.key("tls"), body.data(), body.size()), PutOutcome::Created);
	EXPECT_TRUE(s3.get(s3.key("tls")).value() == body);

	/* verification is on by default: a self-signed certificate is refused */
	c.ca_file = "";
	Client strict = client(c);
	Error e = error_of([&] { strict.head(strict.key("tls")); });
	EXPECT_EQ(e.http_status(), 0);
	EXPECT_FALSE(e.retryable());
	EXPECT_NE(std::string(e.what()).find("certificate"), std::string::npos) << e.what();

	c.verify_tls = false;
	Client lax = client(c);
	EXPECT_EQ(lax.head(lax.key("tls"))->size, body.size());
}

TEST_F(Gateway, GatewayDownRetriesWithinDeadlineAndStops)
{
	if (env("PGLS_RGW").empty())
		GTEST_SKIP() << "PGLS_RGW is not set";
	Client s3 = client();
	ASSERT_EQ(s3.put_if_absent(s3.key("before"), "b", 1), PutOutcome::Created);
	rgw("kill-rgw");

	/* connection refused is retryable; the deadline bounds the call */
	Config c = config();
	c.retry.max_attempts = 1000;
	c.retry.base_delay_ms = 50;
	c.retry.max_delay_ms = 200;
	c.retry.deadline_ms = 1500;
	Client down = client(c);
	auto t0 = std::chrono::steady_clock::now();
	Error e = error_of([&] { down.head(down.key("before")); });
	double took = ms_since(t0);
	EXPECT_TRUE(e.retryable());
	EXPECT_EQ(e.failure(), Failure::Transport);
	EXPECT_EQ(e.http_status(), 0);
	EXPECT_GT(down.last_attempts(), 1);
	EXPECT_NE(std::string(e.what()).find("gave up after"), std::string::npos) << e.what();
	EXPECT_NE(std::string(e.what()).find("onnect"), std::string::npos) << e.what();
	EXPECT_LT(took, 1500 + 5000) << "the deadline did not bound the call";

	/* should_stop ends a call that would otherwise retry for a minute */
	c.retry.deadline_ms = 60000;
	int asked = 0;
	c.retry.should_stop = [&] { return ++asked > 5; };
	Client stoppable = client(c);
	t0 = std::chrono::steady_clock::now();
	e = error_of([&] { stoppable.put_if_absent(stoppable.key("during"), "d", 1); });
	took = ms_since(t0);
	EXPECT_TRUE(e.stopped());
	EXPECT_FALSE(e.retryable());
	EXPECT_NE(std::string(e.what()).find("stopped"), std::string::npos) << e.what();
	EXPECT_LT(took, 30000) << "should_stop did not stop the call";

	rgw("start-rgw");
	/* the first client, whose connection died with the gateway, works again */
	EXPECT_EQ(s3.get(s3.key("before")).value(), "b");
	EXPECT_EQ(s3.put_if_absent(s3.key("after"), "a", 1), PutOutcome::Created);
}

TEST_F(Gateway, GatewayRestartedClientRecovers)
{
	if (env("PGLS_RGW").empty())
		GTEST_SKIP() << "PGLS_RGW is not set";
	Client s3 = client();
	const std::string body = pattern(1 << 20, 6);
	ASSERT_EQ(s3.put_if_absent(s3.key("one"), body.data(), body.size()), PutOutcome::Created);

	/* killed and back: the same client goes on, the data is still there */
	rgw("kill-rgw");
	rgw("start-rgw");
	EXPECT_TRUE(s3.get(s3.key("one")).value() == body);

	/* a call made while the gateway is down succeeds once it is back */
	rgw("kill-rgw");
	std::thread restart(
		[&]
		{
			std::this_thread::sleep_for(std::chrono::milliseconds(1000));
			rgw("start-rgw");
		});
	Config c = config();
	c.retry.max_attempts = 1000;
	c.retry.base_delay_ms = 50;
	c.retry.max_delay_ms = 300;
	c.retry.deadline_ms = 60000;
	Client patient = client(c);
	EXPECT_EQ(patient.put_if_absent(patient.key("two"), body.data(), body.size()),
			  PutOutcome::Created);
	EXPECT_GT(patient.last_attempts(), 1);
	restart.join();
	EXPECT_EQ(s3.put_if_absent(s3.key("two"), "x", 1), PutOutcome::AlreadyExists);
	EXPECT_TRUE(s3.get(s3.key("two")).value() == body);
}

/* 16 MiB (a WAL segment) through PUT, GET and streaming GET; prints the times. */
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
} // namespace pgls::s3
