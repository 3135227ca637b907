/*
 * test_s3_config.cpp -- s3:// locations, endpoints, addressing, config validation.
 */
#include "core/s3/config.hpp"
#include "core/s3/error.hpp"

#include <gtest/gtest.h>

namespace pgls::s3
{
namespace
{

std::string
url_error(const std::string &url)
{
	try
	{
		parse_s3_url(url);
	}
	catch (const ConfigError &e)
	{
		return e.what();
	}
	return "";
}

TEST(S3Url, Parses)
{
	EXPECT_TRUE(is_s3_url("s3://b"));
	EXPECT_FALSE(is_s3_url("/var/lib/archive"));
	EXPECT_FALSE(is_s3_url("S3://bucket"));

	Location l = parse_s3_url("s3://wal-bucket/prod");
	EXPECT_EQ(l.bucket, "wal-bucket");
	EXPECT_EQ(l.prefix, "prod");
	l = parse_s3_url("s3://wal.bucket-1/a/b/c/");
	EXPECT_EQ(l.bucket, "wal.bucket-1");
	EXPECT_EQ(l.prefix, "a/b/c");
	l = parse_s3_url("s3://abc");
	EXPECT_EQ(l.bucket, "abc");
	EXPECT_EQ(l.prefix, "");
	l = parse_s3_url("s3://abc/");
	EXPECT_EQ(l.prefix, "");
}

TEST(S3Url, RefusesWithReason)
{
	EXPECT_EQ(url_error("/tmp/x"), "invalid S3 location \"/tmp/x\": it must start with s3://");
	EXPECT_EQ(url_error("s3://"), "invalid S3 location \"s3://\": no bucket name after s3://");
	EXPECT_EQ(url_error("s3:///prefix"),
			  "invalid S3 location \"s3:///prefix\": no bucket name after s3://");
	EXPECT_EQ(url_error("s3://ab"),
			  "invalid S3 location \"s3://ab\": bucket \"ab\" must be 3 to 63 characters long");
	EXPECT_NE(url_error("s3://" + std::string(64, 'a')).find("must be 3 to 63"), std::string::npos);
	EXPECT_EQ(url_error("s3://Wal"), "invalid S3 location \"s3://Wal\": bucket \"Wal\" may only "
									 "contain lower-case letters, digits, '.' and '-'");
	EXPECT_NE(url_error("s3://wal_b").find("may only contain"), std::string::npos);
	EXPECT_NE(url_error("s3://-wal").find("must start and end with a letter or digit"),
			  std::string::npos);
	EXPECT_NE(url_error("s3://wal-").find("must start and end with a letter or digit"),
			  std::string::npos);
	EXPECT_NE(url_error("s3://a..b").find("must not contain \"..\""), std::string::npos);
	EXPECT_NE(url_error("s3://192.168.1.1").find("must not look like an IP address"),
			  std::string::npos);
	EXPECT_EQ(
		url_error("s3://bucket//p"),
		"invalid S3 location \"s3://bucket//p\": the prefix has an empty, \".\" or \"..\" part");
	EXPECT_NE(url_error("s3://bucket/a//b").find("empty"), std::string::npos);
	EXPECT_NE(url_error("s3://bucket/a/../b").find("\"..\""), std::string::npos);
	EXPECT_NE(url_error("s3://bucket/./b").find("\".\""), std::string::npos);
	EXPECT_EQ(url_error("s3://bucket/a\nb"), "invalid S3 location \"s3://bucket/a\\x0ab\": the "
											 "prefix contains a control character");
}

Config
config(const std::string &endpoint, UriStyle style = UriStyle::Path)
{
	Config c;
	c.endpoint = endpoint;
	c.uri_style = style;
	c.credentials = {"AK", "SK", ""};
	return c;
}

std::string
config_error(const Config &c)
{
	try
	{
		validate(c, Location{"bucket", ""});
	}
	catch (const ConfigError &e)
	{
		return e.what();
	}
	return "";
}

TEST(S3Endpoint, Parses)
{
	Endpoint e = parse_endpoint(config("http://127.0.0.1:7480"));
	EXPECT_FALSE(e.tls);
	EXPECT_EQ(e.host, "127.0.0.1");
	EXPECT_EQ(e.port, 7480);
	EXPECT_EQ(e.authority(), "127.0.0.1:7480");

	e = parse_endpoint(config("https://S3.Example.COM/"));
	EXPECT_TRUE(e.tls);
	EXPECT_EQ(e.authority(), "s3.example.com");
	e = parse_endpoint(config("https://s3.example.com:443"));
	EXPECT_EQ(e.authority(), "s3.example.com"); /* the default port is not in Host */
	e = parse_endpoint(config("http://[::1]:9000"));
	EXPECT_EQ(e.authority(), "[::1]:9000");

	Config aws = config("");
	aws.region = "eu-central-1";
	e = parse_endpoint(aws);
	EXPECT_TRUE(e.tls);
	EXPECT_EQ(e.authority(), "s3.eu-central-1.amazonaws.com");
}

TEST(S3Endpoint, RefusesWithReason)
{
	EXPECT_EQ(config_error(config("ftp://x")),
			  "invalid S3 endpoint \"ftp://x\": it must start with http:// or https://");
	EXPECT_NE(config_error(config("http://h/path")).find("must not have a path"),
			  std::string::npos);
	EXPECT_NE(config_error(config("http://user:pw@h")).find("user information"), std::string::npos);
	EXPECT_NE(config_error(config("http://h:0")).find("invalid port"), std::string::npos);
	EXPECT_NE(config_error(config("http://h:99999")).find("invalid port"), std::string::npos);
	EXPECT_NE(config_error(config("http://h:")).find("invalid port"), std::string::npos);
	EXPECT_NE(config_error(config("http://")).find("no host name"), std::string::npos);
}

TEST(S3Config, Validates)
{
	EXPECT_EQ(config_error(config("http://127.0.0.1:7480")), "");
	EXPECT_EQ(config_error(config("http://127.0.0.1:7480", UriStyle::Host)),
			  "S3 endpoint \"http://127.0.0.1:7480\" is an IP address: it needs the path URI "
			  "style");
	Config c = config("http://h:1");
	c.credentials.secret_key = "";
	EXPECT_EQ(config_error(c), "no S3 credentials: an access key and a secret key are needed");
	c = config("http://h:1");
	c.region = "EU";
	EXPECT_NE(config_error(c).find("invalid S3 region \"EU\""), std::string::npos);
	c = config("http://h:1");
	c.ca_file = "/nonexistent/ca.pem";
	EXPECT_EQ(config_error(c),
			  "could not open S3 CA file \"/nonexistent/ca.pem\": No such file or directory");
	c = config("http://h:1");
	c.retry.max_attempts = 0;
	EXPECT_NE(config_error(c).find("at least one attempt"), std::string::npos);
	EXPECT_EQ(parse_uri_style("host"), UriStyle::Host);
	EXPECT_EQ(parse_uri_style("path"), UriStyle::Path);
	EXPECT_THROW(parse_uri_style("virtual"), ConfigError);
	EXPECT_STREQ(uri_style_name(UriStyle::Path), "path");
}

TEST(S3Config, Targets)
{
	Endpoint rgw = parse_endpoint(config("http://127.0.0.1:7480"));
	Target t = target(rgw, UriStyle::Path, "wal", "prod/wal/0001 x");
	EXPECT_EQ(t.host, "127.0.0.1:7480");
	EXPECT_EQ(t.path, "/wal/prod/wal/0001%20x");
	EXPECT_EQ(t.url, "http://127.0.0.1:7480/wal/prod/wal/0001%20x");
	t = target(rgw, UriStyle::Path, "wal", "");
	EXPECT_EQ(t.path, "/wal");

	Endpoint aws = parse_endpoint(config("https://s3.us-east-1.amazonaws.com"));
	t = target(aws, UriStyle::Host, "wal", "a/b");
	EXPECT_EQ(t.host, "wal.s3.us-east-1.amazonaws.com");
	EXPECT_EQ(t.url, "https://wal.s3.us-east-1.amazonaws.com/a/b");
	t = target(aws, UriStyle::Host, "wal", "");
	EXPECT_EQ(t.path, "/");
}

} // namespace
} // namespace pgls::s3
