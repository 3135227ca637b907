/*
 * gateway.hpp -- what the tests of the S3 client against a real Ceph RADOS Gateway share.
 *
 * t/110_s3_client.pl starts the gateway (scripts/rgw.sh) and runs each test with it in the
 * environment: PGLS_S3_ENDPOINT (path style), PGLS_S3_HOST_ENDPOINT (host style),
 * PGLS_S3_REGION, PGLS_S3_BUCKET, PGLS_S3_ACCESS_KEY, PGLS_S3_SECRET_KEY,
 * PGLS_S3_CREDENTIALS_FILE, PGLS_S3_TLS_ENDPOINT, PGLS_S3_CA_FILE, and PGLS_RGW + PGLS_S3_DIR
 * (the script and the gateway's folder, to kill and restart radosgw). Without PGLS_S3_ENDPOINT
 * every test is skipped. Each test works under its own prefix.
 */
#pragma once

#include "core/s3/client.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace pgls::s3::gateway_test
{

inline std::string
env(const char *name)
{
	const char *v = std::getenv(name);
	return v ? v : "";
}

/* Content that differs by seed and position. */
inline std::string
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

inline double
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

} // namespace pgls::s3::gateway_test
