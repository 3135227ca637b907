/*
 * test_s3_retry.cpp -- backoff with full jitter, the bounds of tries and deadline, should_stop;
 * error messages that carry no secret.
 */
#include "core/s3/error.hpp"
#include "core/s3/retry.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace pgls::s3
{
namespace
{

/* A fake clock: sleep_ms advances it; randomness from a list. */
struct FakeEnv
{
	int64_t now = 1000;
	std::vector<long> sleeps;
	double r = 0.999999;
	RetryEnv
	env()
	{
		RetryEnv e;
		e.now_ms = [this] { return now; };
		e.sleep_ms = [this](long ms)
		{
			sleeps.push_back(ms);
			now += ms;
		};
		e.random01 = [this] { return r; };
		return e;
	}
	long
	slept() const
	{
		long s = 0;
		for (long x : sleeps)
			s += x;
		return s;
	}
};

Error
retryable(const std::string &why)
{
	return Error("S3 PutObject of s3://b/k failed: " + why, Failure::Transport, 0, "", true);
}

TEST(S3Retry, BackoffCapsDoubleUpToMax)
{
	RetryPolicy p;
	p.base_delay_ms = 100;
	p.max_delay_ms = 2000;
	EXPECT_EQ(backoff_cap_ms(p, 1), 100);
	EXPECT_EQ(backoff_cap_ms(p, 2), 200);
	EXPECT_EQ(backoff_cap_ms(p, 3), 400);
	EXPECT_EQ(backoff_cap_ms(p, 5), 1600);
	EXPECT_EQ(backoff_cap_ms(p, 6), 2000);
	EXPECT_EQ(backoff_cap_ms(p, 60), 2000); /* no overflow */
	/* full jitter: anywhere in [0, cap] */
	EXPECT_EQ(backoff_delay_ms(p, 3, 0.0), 0);
	EXPECT_EQ(backoff_delay_ms(p, 3, 0.5), 200);
	EXPECT_EQ(backoff_delay_ms(p, 3, 0.9999999), 400);
	for (int n = 1; n < 20; n++)
		for (double r = 0; r < 1; r += 0.01)
		{
			long d = backoff_delay_ms(p, n, r);
			EXPECT_GE(d, 0);
			EXPECT_LE(d, backoff_cap_ms(p, n));
		}
}

TEST(S3Retry, SucceedsAfterRetryableFailures)
{
	FakeEnv f;
	RetryPolicy p;
	int calls = 0;
	int tries = run_with_retries(
		p, "S3 PutObject of s3://b/k",
		[&](long)
		{
			if (++calls < 3)
				throw retryable("boom");
		},
		f.env());
	EXPECT_EQ(tries, 3);
	EXPECT_EQ(calls, 3);
	EXPECT_LE(f.slept(), 100 + 200);
}

TEST(S3Retry, GivesUpAfterMaxAttempts)
{
	FakeEnv f;
	RetryPolicy p;
	p.max_attempts = 4;
	p.deadline_ms = 0; /* none */
	int calls = 0;
	try
	{
		run_with_retries(
			p, "x",
			[&](long cap)
			{
				calls++;
				EXPECT_GT(cap, 1000000000L); /* no deadline: no cap */
				throw retryable("Connection refused");
			},
			f.env());
		FAIL() << "no error";
	}
	catch (const Error &e)
	{
		EXPECT_TRUE(e.retryable());
		EXPECT_EQ(std::string(e.what()),
				  "S3 PutObject of s3://b/k failed: Connection refused (gave up after 4 attempts "
				  "in " +
					  std::to_string(f.slept() / 1000) + "." +
					  std::to_string(f.slept() % 1000 / 100) + " s)");
	}
	EXPECT_EQ(calls, 4);
	EXPECT_LE(f.slept(), 100 + 200 + 400);
}

TEST(S3Retry, NonRetryableIsNotRetried)
{
	FakeEnv f;
	int calls = 0;
	EXPECT_THROW(run_with_retries(
					 RetryPolicy{}, "x",
					 [&](long)
					 {
						 calls++;
						 throw Error("S3 GetObject of s3://b/k failed: HTTP 403 AccessDenied",
									 Failure::Http, 403, "AccessDenied", false);
					 },
					 f.env()),
				 Error);
	EXPECT_EQ(calls, 1);
	EXPECT_TRUE(f.sleeps.empty());
}

TEST(S3Retry, DeadlineBoundsTheCall)
{
	FakeEnv f;
	RetryPolicy p;
	p.max_attempts = 100;
	p.base_delay_ms = 1000;
	p.max_delay_ms = 1000;
	p.deadline_ms = 5000;
	const int64_t start = f.now;
	std::vector<long> caps;
	std::vector<int64_t> nows;
	try
	{
		run_with_retries(
			p, "x",
			[&](long cap)
			{
				caps.push_back(cap);
				nows.push_back(f.now);
				f.now += 300; /* each try takes 300 ms */
				throw retryable("timeout");
			},
			f.env());
		FAIL() << "no error";
	}
	catch (const Error &e)
	{
		EXPECT_NE(std::string(e.what()).find("(gave up after "), std::string::npos);
	}
	EXPECT_LE(f.now - start, 5000);
	/* each try's timeout is what is left of the deadline */
	ASSERT_GE(caps.size(), 2u);
	for (size_t i = 0; i < caps.size(); i++)
		EXPECT_EQ(caps[i], start + 5000 - nows[i]);
	EXPECT_EQ(caps[0], 5000);
	EXPECT_LT(caps.size(), 6u);
}

TEST(S3Retry, ShouldStopEndsTheWait)
{
	FakeEnv f;
	RetryPolicy p;
	p.base_delay_ms = 2000;
	p.max_delay_ms = 2000;
	int asked = 0;
	p.should_stop = [&] { return ++asked > 3; }; /* before try 1, then during the wait */
	int calls = 0;
	try
	{
		run_with_retries(
			p, "S3 PutObject of s3://b/k",
			[&](long)
			{
				calls++;
				throw retryable("Connection refused");
			},
			f.env());
		FAIL() << "no error";
	}
	catch (const Error &e)
	{
		EXPECT_TRUE(e.stopped());
		EXPECT_FALSE(e.retryable());
		EXPECT_EQ(
			std::string(e.what()).rfind("S3 PutObject of s3://b/k stopped after 1 attempt", 0), 0u);
	}
	EXPECT_EQ(calls, 1);
	EXPECT_LE(f.slept(), 100); /* waits are sliced: 50 ms each */
	for (long s : f.sleeps)
		EXPECT_LE(s, 50);
}

TEST(S3Retry, ShouldStopBeforeFirstTry)
{
	FakeEnv f;
	RetryPolicy p;
	p.should_stop = [] { return true; };
	int calls = 0;
	try
	{
		run_with_retries(
			p, "S3 HeadObject of s3://b/k", [&](long) { calls++; }, f.env());
		FAIL() << "no error";
	}
	catch (const Error &e)
	{
		EXPECT_TRUE(e.stopped());
		EXPECT_STREQ(e.what(), "S3 HeadObject of s3://b/k stopped");
	}
	EXPECT_EQ(calls, 0);
}

TEST(S3Retry, ShouldStopMayThrow)
{
	FakeEnv f;
	RetryPolicy p;
	p.should_stop = []() -> bool { throw std::runtime_error("canceling statement"); };
	EXPECT_THROW(run_with_retries(
					 p, "x", [](long) {}, f.env()),
				 std::runtime_error);
}

TEST(S3Error, RedactsSecrets)
{
	EXPECT_EQ(redact("key SECRET and SECRETSECRET, token TOK", "SECRET", "TOK"),
			  "key [redacted] and [redacted][redacted], token [redacted]");
	EXPECT_EQ(redact("nothing", "", ""), "nothing");
}

} // namespace
} // namespace pgls::s3
