/*
 * config.hpp -- where the S3 client goes and how: s3:// locations, the endpoint, addressing.
 *
 * A location is "s3://BUCKET" or "s3://BUCKET/PREFIX". BUCKET follows S3's naming rules (3-63
 * characters: a-z 0-9 . -, starting and ending with a letter or digit, not an IP address);
 * PREFIX is a '/'-separated path without empty, "." or ".." parts and without control
 * characters; one trailing '/' is allowed and dropped.
 *
 * The endpoint is "http(s)://host[:port]" (no path, no user info); empty means AWS for the
 * region, https://s3.<region>.amazonaws.com. uri_style Host sends https://BUCKET.host/KEY
 * (AWS's default), Path sends https://host/BUCKET/KEY (Ceph RGW, MinIO, and any endpoint that
 * is an IP address).
 */
#pragma once

#include "credentials.hpp"
#include "retry.hpp"

#include <string>
#include <string_view>

namespace pgls::s3
{

struct Location
{
	std::string bucket;
	std::string prefix; /* without a leading or trailing '/'; may be empty */
};

/* Starts with "s3://". */
bool is_s3_url(std::string_view s);

/* Throws ConfigError saying what is wrong with url. */
Location parse_s3_url(std::string_view url);

enum class UriStyle
{
	Host,
	Path
};

/* "host" / "path" (ConfigError otherwise) and back. */
UriStyle parse_uri_style(std::string_view s);
const char *uri_style_name(UriStyle s);

struct Config
{
	std::string endpoint; /* "https://host:port" or "http://..."; empty: AWS for the region */
	std::string region = "us-east-1";
	UriStyle uri_style = UriStyle::Host;
	bool verify_tls = true;
	std::string ca_file; /* PEM file of the CAs to trust; empty: the system's */
	Credentials credentials;
	long connect_timeout_ms = 5000;
	long request_timeout_ms = 60000; /* one try, transfer included */
	RetryPolicy retry;
};

/* A parsed endpoint. */
struct Endpoint
{
	bool tls = true;
	std::string host; /* lower case; an IPv6 address keeps its brackets */
	int port = 0;     /* 0: the scheme's default */
	/* "host" or "host:port", as the Host header and the signature want it. */
	std::string authority() const;
};

/* The endpoint of cfg (the AWS one for the region when cfg.endpoint is empty); throws
 * ConfigError naming the endpoint and what is wrong with it. */
Endpoint parse_endpoint(const Config &cfg);

/* Checks everything Client needs before a request: endpoint, region (letters, digits, '-'),
 * credentials present, a CA file that can be opened, timeouts and retry bounds > 0. Throws
 * ConfigError naming the field. */
void validate(const Config &cfg, const Location &loc);

/* Where a request for key goes (empty key: the bucket itself). */
struct Target
{
	std::string url;  /* scheme://authority + path; without the query */
	std::string host; /* the Host header */
	std::string path; /* the encoded path, as signed */
};
Target target(const Endpoint &ep, UriStyle style, const std::string &bucket,
			  const std::string &key);

} // namespace pgls::s3
