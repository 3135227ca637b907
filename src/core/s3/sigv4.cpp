/*
 * sigv4.cpp -- AWS Signature Version 4 (see sigv4.hpp).
 */
#include "../pure.hpp"
#include "sigv4.hpp"

#include "crypto.hpp"

#include <algorithm>
#include <cctype>

namespace pgls::s3
{

namespace
{

std::string
lower(std::string_view s)
{
	std::string out(s);
	for (char &c : out)
		c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
	return out;
}

/* Trims the value and turns every inner run of spaces into one space. */
std::string
trim_all(std::string_view v)
{
	std::string out;
	bool space = false;
	for (char c : v)
	{
		if (c == ' ' || c == '\t')
		{
			space = !out.empty();
			continue;
		}
		if (space)
			out += ' ';
		space = false;
		out += c;
	}
	return out;
}

} // namespace

std::string
uri_encode(std::string_view s, bool keep_slash)
{
	static const char digits[] = "0123456789ABCDEF";
	std::string out;
	out.reserve(s.size());
	for (unsigned char c : s)
	{
		if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' ||
			(keep_slash && c == '/'))
			out += static_cast<char>(c);
		else
		{
			out += '%';
			out += digits[c >> 4];
			out += digits[c & 0xf];
		}
	}
	return out;
}

std::string
canonical_query(const Params &query)
{
	std::vector<std::pair<std::string, std::string>> enc;
	enc.reserve(query.size());
	for (const auto &[name, value] : query)
		enc.emplace_back(uri_encode(name, false), uri_encode(value, false));
	std::sort(enc.begin(), enc.end());
	std::string out;
	for (const auto &[name, value] : enc)
	{
		if (!out.empty())
			out += '&';
		out += name;
		out += '=';
		out += value;
	}
	return out;
}

std::string
amz_date(std::time_t t)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	char buf[32];
	strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
	return buf;
}

SignOutput
sign_v4(const SignInput &in, const std::string &amz_date, const std::string &region,
		const std::string &service, const std::string &access_key, const std::string &secret_key)
{
	/* Headers: lower-case names, sorted; values of repeated names joined with ','. */
	std::vector<std::pair<std::string, std::string>> headers;
	for (const auto &[name, value] : in.headers)
		headers.emplace_back(lower(name), trim_all(value));
	std::stable_sort(headers.begin(), headers.end(),
					 [](const auto &a, const auto &b) { return a.first < b.first; });
	std::string canonical_headers, signed_headers;
	for (size_t i = 0; i < headers.size(); i++)
	{
		if (i > 0 && headers[i].first == headers[i - 1].first)
		{
			canonical_headers.back() = ','; /* replaces the '\n' of the previous line */
			canonical_headers += headers[i].second + "\n";
			continue;
		}
		canonical_headers += headers[i].first + ":" + headers[i].second + "\n";
		if (!signed_headers.empty())
			signed_headers += ';';
		signed_headers += headers[i].first;
	}

	SignOutput out;
	out.signed_headers = signed_headers;
	out.canonical_request = in.method + "\n" + in.canonical_uri + "\n" + canonical_query(in.query) +
							"\n" + canonical_headers + "\n" + signed_headers + "\n" +
							in.payload_hash;

	const std::string date = amz_date.substr(0, 8);
	const std::string scope = date + "/" + region + "/" + service + "/aws4_request";
	out.string_to_sign = "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" +
						 sha256_hex(out.canonical_request.data(), out.canonical_request.size());

	Sha256 k = hmac_sha256("AWS4" + secret_key, date);
	k = hmac_sha256({reinterpret_cast<const char *>(k.data()), k.size()}, region);
	k = hmac_sha256({reinterpret_cast<const char *>(k.data()), k.size()}, service);
	k = hmac_sha256({reinterpret_cast<const char *>(k.data()), k.size()}, "aws4_request");
	out.signature =
		hex(hmac_sha256({reinterpret_cast<const char *>(k.data()), k.size()}, out.string_to_sign));
	out.authorization = "AWS4-HMAC-SHA256 Credential=" + access_key + "/" + scope +
						", SignedHeaders=" + signed_headers + ", Signature=" + out.signature;
	return out;
}

} // namespace pgls::s3
