/*
 * test_s3_gateway_failures.cpp -- credentials, unknown buckets, TLS, the gateway down and
 * restarted.
 *
 * Against a real Ceph RADOS Gateway: see gateway.hpp.
 */
#include "gateway.hpp"

#include <chrono>
#include <thread>

namespace pgls::s3::gateway_test
{
namespace
{

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
} // namespace
} // namespace pgls::s3::gateway_test
