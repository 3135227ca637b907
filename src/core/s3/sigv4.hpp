/*
 * sigv4.hpp -- AWS Signature Version 4, by hand.
 *
 * Why not libcurl's CURLOPT_AWS_SIGV4: in curl 7.88 (Debian bookworm) it sends no
 * x-amz-content-sha256, which S3 and Ceph RGW require (RGW answers 403), and it does not sort
 * the query parameters. The algorithm is small and fully specified:
 *
 *   canonical request = METHOD \n URI \n sorted query \n lower-case sorted headers (name:value
 *                       trimmed, inner runs of spaces as one) \n signed header names \n payload
 * hash string to sign    = "AWS4-HMAC-SHA256" \n x-amz-date \n date/region/service/aws4_request \n
 *                       hex SHA-256 of the canonical request
 *   signing key       = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
 *                       "aws4_request")
 *   signature         = hex HMAC(signing key, string to sign)
 *
 * Unit-tested against AWS's published examples (the SigV4 test suite and the S3 API reference).
 * Every header passed in is signed: the caller passes host, x-amz-date, x-amz-content-sha256
 * and x-amz-security-token (a session token), plus any other header it sends on purpose.
 */
#pragma once

#include <ctime>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgls::s3
{

using Params = std::vector<std::pair<std::string, std::string>>;

struct SignInput
{
	std::string method;        /* "GET", "PUT", ... */
	std::string canonical_uri; /* the path as sent: already URI-encoded ("/bucket/a%24b") */
	Params query;              /* raw (not encoded) names and values; any order */
	Params headers;            /* names in any case; all of them are signed */
	std::string payload_hash;  /* hex SHA-256 of the body (or "UNSIGNED-PAYLOAD") */
};

struct SignOutput
{
	std::string canonical_request;
	std::string string_to_sign;
	std::string signed_headers; /* "host;x-amz-date" */
	std::string signature;      /* hex */
	std::string authorization;  /* the Authorization header's value */
};

/* amz_date: "YYYYMMDDTHHMMSSZ" (the x-amz-date header the caller also passes in headers). */
SignOutput sign_v4(const SignInput &in, const std::string &amz_date, const std::string &region,
				   const std::string &service, const std::string &access_key,
				   const std::string &secret_key);

/* RFC 3986 percent-encoding as SigV4 wants it: A-Z a-z 0-9 - . _ ~ as they are, everything
 * else %XX (upper-case hex); '/' kept when keep_slash (object key paths). */
std::string uri_encode(std::string_view s, bool keep_slash);

/* "a=1&b=2": names and values encoded, sorted by name then value. Also the query string sent. */
std::string canonical_query(const Params &query);

/* The x-amz-date of a time: "20130524T000000Z" (UTC). */
std::string amz_date(std::time_t t);

} // namespace pgls::s3
