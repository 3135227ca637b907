/*
 * responses.cpp -- reading S3's response documents and headers (see responses.hpp).
 */
#include "../pure.hpp"
#include "responses.hpp"

#include "xml.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace pgls::s3
{

namespace
{

bool
parse_u64(const std::string &s, uint64_t &out)
{
	if (s.empty() || s.size() > 20 || s.find_first_not_of("0123456789") != std::string::npos)
		return false;
	errno = 0;
	char *end = nullptr;
	unsigned long long v = std::strtoull(s.c_str(), &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	out = v;
	return true;
}

int64_t
to_unix(int year, int mon, int day, int hour, int min, int sec)
{
	if (year < 1970 || mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 ||
		sec > 60 || hour < 0 || min < 0 || sec < 0)
		return -1;
	struct tm tm = {};
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	return static_cast<int64_t>(timegm(&tm));
}

} // namespace

S3ErrorBody
parse_error_body(const std::string &body)
{
	S3ErrorBody e;
	if (body.empty())
		return e;
	try
	{
		XmlNode root = parse_xml(body);
		if (root.name != "Error")
			return e;
		e.code = root.child_text("Code");
		e.message = root.child_text("Message");
	}
	catch (const XmlError &)
	{
	}
	return e;
}

Client::Page
parse_list_result(const std::string &body)
{
	XmlNode root = parse_xml(body);
	if (root.name != "ListBucketResult")
		throw XmlError("expected a ListBucketResult, got <" + root.name + ">");
	Client::Page page;
	for (const XmlNode *c : root.all("Contents"))
	{
		ObjectInfo o;
		o.key = c->child_text("Key");
		if (o.key.empty())
			throw XmlError("a <Contents> entry has no <Key>");
		if (!parse_u64(c->child_text("Size"), o.size))
			throw XmlError("bad <Size> of \"" + o.key + "\"");
		o.mtime = parse_iso8601(c->child_text("LastModified"));
		o.etag = c->child_text("ETag");
		page.objects.push_back(std::move(o));
	}
	for (const XmlNode *p : root.all("CommonPrefixes"))
		page.prefixes.push_back(p->child_text("Prefix"));
	if (root.child_text("IsTruncated") == "true")
	{
		page.next_token = root.child_text("NextContinuationToken");
		if (page.next_token.empty())
			throw XmlError("a truncated listing without a NextContinuationToken");
	}
	return page;
}

std::vector<std::pair<std::string, std::string>>
parse_delete_result(const std::string &body)
{
	XmlNode root = parse_xml(body);
	if (root.name != "DeleteResult")
		throw XmlError("expected a DeleteResult, got <" + root.name + ">");
	std::vector<std::pair<std::string, std::string>> failed;
	for (const XmlNode *e : root.all("Error"))
	{
		std::string why = e->child_text("Code");
		std::string msg = e->child_text("Message");
		if (!msg.empty())
			why += (why.empty() ? "" : ": ") + msg;
		failed.emplace_back(e->child_text("Key"), why.empty() ? "unknown error" : why);
	}
	return failed;
}

std::string
delete_request_body(const std::vector<std::string>::const_iterator &begin,
					const std::vector<std::string>::const_iterator &end)
{
	std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
					  "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
					  "<Quiet>true</Quiet>";
	for (auto it = begin; it != end; ++it)
		xml += "<Object><Key>" + xml_escape(*it) + "</Key></Object>";
	xml += "</Delete>";
	return xml;
}

int64_t
parse_http_date(const std::string &s)
{
	/* "Wed, 21 Oct 2015 07:28:00 GMT" */
	static const char *months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
								   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	char wday[4], mon[4], zone[4];
	int day, year, hour, min, sec, n = 0;
	if (s.size() != 29 ||
		sscanf(s.c_str(), "%3s, %d %3s %d %d:%d:%d %3s%n", wday, &day, mon, &year, &hour, &min,
			   &sec, zone, &n) != 8 ||
		n != 29 || std::strcmp(zone, "GMT") != 0)
		return -1;
	for (int m = 0; m < 12; m++)
		if (std::strcmp(mon, months[m]) == 0)
			return to_unix(year, m + 1, day, hour, min, sec);
	return -1;
}

int64_t
parse_iso8601(const std::string &s)
{
	/* "2015-10-21T07:28:00.000Z" or without the fraction */
	int year, mon, day, hour, min, sec, n = 0;
	if (sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &mon, &day, &hour, &min, &sec, &n) !=
			6 ||
		n != 19)
		return -1;
	size_t i = 19;
	if (i < s.size() && s[i] == '.')
	{
		i++;
		while (i < s.size() && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i + 1 != s.size() || s[i] != 'Z')
		return -1;
	return to_unix(year, mon, day, hour, min, sec);
}

bool
info_from_headers(const std::map<std::string, std::string> &headers, int status, ObjectInfo &info)
{
	auto get = [&](const char *name) -> std::string
	{
		auto it = headers.find(name);
		return it == headers.end() ? std::string() : it->second;
	};
	if (status == 206)
	{
		/* "bytes 0-9/443" */
		std::string cr = get("content-range");
		size_t slash = cr.rfind('/');
		if (cr.rfind("bytes ", 0) != 0 || slash == std::string::npos ||
			!parse_u64(cr.substr(slash + 1), info.size))
			return false;
	}
	else if (!parse_u64(get("content-length"), info.size))
		return false;
	info.mtime = parse_http_date(get("last-modified"));
	info.etag = get("etag");
	info.metadata.clear();
	static const std::string meta = "x-amz-meta-";
	for (const auto &[name, value] : headers)
		if (name.compare(0, meta.size(), meta) == 0 && name.size() > meta.size())
			info.metadata[name.substr(meta.size())] = value;
	return true;
}

} // namespace pgls::s3
