/*
 * config.cpp -- parsing s3:// URLs and endpoints, addressing requests (see config.hpp).
 */
#include "../pure.hpp"
#include "config.hpp"

#include "error.hpp"
#include "sigv4.hpp"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace pgls::s3
{

namespace
{

std::string
quoted(std::string_view s)
{
	std::string out = "\"";
	for (unsigned char c : s)
	{
		if (c < 0x20 || c == 0x7f)
		{
			char buf[8];
			snprintf(buf, sizeof(buf), "\\x%02x", c);
			out += buf;
		}
		else
			out += static_cast<char>(c);
	}
	return out + "\"";
}

void
check_bucket(const std::string &b, std::string_view url)
{
	auto bad = [&](const std::string &why) {
		throw ConfigError("invalid S3 location " + quoted(url) + ": bucket " + quoted(b) + " " +
						  why);
	};
	if (b.empty())
		throw ConfigError("invalid S3 location " + quoted(url) + ": no bucket name after s3://");
	if (b.size() < 3 || b.size() > 63)
		bad("must be 3 to 63 characters long");
	for (unsigned char c : b)
		if (!(std::islower(c) || std::isdigit(c) || c == '.' || c == '-'))
			bad("may only contain lower-case letters, digits, '.' and '-'");
	if (!std::isalnum(static_cast<unsigned char>(b.front())) ||
		!std::isalnum(static_cast<unsigned char>(b.back())))
		bad("must start and end with a letter or digit");
	if (b.find("..") != std::string::npos)
		bad("must not contain \"..\"");
	bool ip = true;
	int dots = 0;
	for (unsigned char c : b)
	{
		if (c == '.')
			dots++;
		else if (!std::isdigit(c))
			ip = false;
	}
	if (ip && dots == 3)
		bad("must not look like an IP address");
}

} // namespace

bool
is_s3_url(std::string_view s)
{
	return s.substr(0, 5) == "s3://";
}

Location
parse_s3_url(std::string_view url)
{
	if (!is_s3_url(url))
		throw ConfigError("invalid S3 location " + quoted(url) + ": it must start with s3://");
	std::string_view rest = url.substr(5);
	size_t slash = rest.find('/');
	Location loc;
	loc.bucket = std::string(rest.substr(0, slash));
	check_bucket(loc.bucket, url);
	if (slash == std::string_view::npos)
		return loc;
	std::string_view prefix = rest.substr(slash + 1);
	if (!prefix.empty() && prefix.back() == '/')
		prefix.remove_suffix(1);
	if (!prefix.empty())
	{
		for (unsigned char c : prefix)
			if (c < 0x20 || c == 0x7f)
				throw ConfigError("invalid S3 location " + quoted(url) +
								  ": the prefix contains a control character");
		if (prefix.size() > 512)
			throw ConfigError("invalid S3 location " + quoted(url) +
							  ": the prefix is longer than 512 bytes");
		size_t start = 0;
		for (;;)
		{
			size_t end = prefix.find('/', start);
			std::string_view part = prefix.substr(
				start, end == std::string_view::npos ? std::string_view::npos : end - start);
			if (part.empty() || part == "." || part == "..")
				throw ConfigError("invalid S3 location " + quoted(url) +
								  ": the prefix has an empty, \".\" or \"..\" part");
			if (end == std::string_view::npos)
				break;
			start = end + 1;
		}
	}
	loc.prefix = std::string(prefix);
	return loc;
}

UriStyle
parse_uri_style(std::string_view s)
{
	if (s == "host")
		return UriStyle::Host;
	if (s == "path")
		return UriStyle::Path;
	throw ConfigError("invalid S3 URI style " + quoted(s) + ": it must be \"host\" or \"path\"");
}

const char *
uri_style_name(UriStyle s)
{
	return s == UriStyle::Host ? "host" : "path";
}

std::string
Endpoint::authority() const
{
	if (port == 0)
		return host;
	return host + ":" + std::to_string(port);
}

Endpoint
parse_endpoint(const Config &cfg)
{
	std::string url = cfg.endpoint;
	if (url.empty())
		url = "https://s3." + cfg.region + ".amazonaws.com";
	auto bad = [&](const std::string &why)
	{ throw ConfigError("invalid S3 endpoint " + quoted(url) + ": " + why); };
	Endpoint ep;
	std::string rest;
	if (url.rfind("https://", 0) == 0)
		rest = url.substr(8);
	else if (url.rfind("http://", 0) == 0)
	{
		ep.tls = false;
		rest = url.substr(7);
	}
	else
		bad("it must start with http:// or https://");
	if (!rest.empty() && rest.back() == '/')
		rest.pop_back();
	if (rest.find('/') != std::string::npos || rest.find('?') != std::string::npos ||
		rest.find('#') != std::string::npos)
		bad("it must not have a path, query or fragment");
	if (rest.find('@') != std::string::npos)
		bad("it must not contain user information");
	std::string host = rest, port;
	if (!rest.empty() && rest[0] == '[')
	{
		size_t close = rest.find(']');
		if (close == std::string::npos)
			bad("unterminated IPv6 address");
		host = rest.substr(0, close + 1);
		if (close + 1 < rest.size())
		{
			if (rest[close + 1] != ':')
				bad("unexpected text after the IPv6 address");
			port = rest.substr(close + 2);
		}
	}
	else if (size_t colon = rest.find(':'); colon != std::string::npos)
	{
		host = rest.substr(0, colon);
		port = rest.substr(colon + 1);
	}
	if (host.empty())
		bad("no host name");
	for (char &c : host)
	{
		unsigned char u = static_cast<unsigned char>(c);
		if (!(std::isalnum(u) || c == '.' || c == '-' || c == '[' || c == ']' || c == ':'))
			bad("invalid character in the host name");
		c = static_cast<char>(std::tolower(u));
	}
	ep.host = host;
	if (!port.empty() || rest.find(':') != std::string::npos)
	{
		if (port.empty() || port.size() > 5 ||
			port.find_first_not_of("0123456789") != std::string::npos)
			bad("invalid port");
		int p = std::stoi(port);
		if (p < 1 || p > 65535)
			bad("invalid port");
		if (p != (ep.tls ? 443 : 80))
			ep.port = p;
	}
	return ep;
}

void
validate(const Config &cfg, const Location &loc)
{
	if (cfg.region.empty())
		throw ConfigError("no S3 region set");
	for (unsigned char c : cfg.region)
		if (!(std::islower(c) || std::isdigit(c) || c == '-'))
			throw ConfigError("invalid S3 region " + quoted(cfg.region) +
							  ": it may only contain lower-case letters, digits and '-'");
	Endpoint ep = parse_endpoint(cfg);
	if (cfg.uri_style == UriStyle::Host && !ep.host.empty() &&
		(ep.host[0] == '[' || ep.host.find_first_not_of("0123456789.") == std::string::npos))
		throw ConfigError("S3 endpoint " + quoted(cfg.endpoint) +
						  " is an IP address: it needs the path URI style");
	if (cfg.credentials.access_key.empty() || cfg.credentials.secret_key.empty())
		throw ConfigError("no S3 credentials: an access key and a secret key are needed");
	if (!cfg.ca_file.empty())
	{
		int fd = ::open(cfg.ca_file.c_str(), O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			throw ConfigError("could not open S3 CA file " + quoted(cfg.ca_file) + ": " +
							  std::strerror(errno));
		::close(fd);
	}
	if (cfg.connect_timeout_ms <= 0 || cfg.request_timeout_ms <= 0)
		throw ConfigError("S3 timeouts must be positive");
	if (cfg.retry.max_attempts < 1 || cfg.retry.base_delay_ms < 0 || cfg.retry.max_delay_ms < 0)
		throw ConfigError("S3 retry policy needs at least one attempt and delays >= 0");
	if (loc.bucket.empty())
		throw ConfigError("no S3 bucket");
}

Target
target(const Endpoint &ep, UriStyle style, const std::string &bucket, const std::string &key)
{
	Target t;
	std::string authority = ep.authority();
	if (style == UriStyle::Host)
	{
		t.host = bucket + "." + authority;
		t.path = "/" + uri_encode(key, true);
	}
	else
	{
		t.host = authority;
		t.path = "/" + uri_encode(bucket, false);
		if (!key.empty())
			t.path += "/" + uri_encode(key, true);
	}
	t.url = std::string(ep.tls ? "https://" : "http://") + t.host + t.path;
	return t;
}

} // namespace pgls::s3
