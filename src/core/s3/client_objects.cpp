/*
 * client_objects.cpp -- Client's object calls: put_if_absent, head, get, get_to.
 */
#include "../pure.hpp"
#include "client_impl.hpp"

#include "crypto.hpp"
#include "responses.hpp"

#include <cctype>
#include <stdexcept>

namespace pgls::s3
{

namespace
{

void
check_metadata(const std::map<std::string, std::string> &metadata)
{
	for (const auto &[name, value] : metadata)
	{
		if (name.empty())
			throw std::invalid_argument("S3 metadata name is empty");
		for (unsigned char c : name)
			if (!(std::islower(c) || std::isdigit(c) || c == '-'))
				throw std::invalid_argument("S3 metadata name \"" + name +
											"\" may only contain a-z, 0-9 and '-'");
		for (unsigned char c : value)
			if (c < 0x20 || c > 0x7e)
				throw std::invalid_argument("S3 metadata \"" + name +
											"\" has a value that is not printable ASCII");
		if (!value.empty() && (value.front() == ' ' || value.back() == ' '))
			throw std::invalid_argument("S3 metadata \"" + name +
										"\" has a value with leading or trailing spaces");
	}
}

bool
no_such_key(const HttpResponse &r)
{
	std::string code = parse_error_body(r.body).code;
	return code.empty() || code == "NoSuchKey";
}

} // namespace

PutOutcome
Client::put_if_absent(const std::string &key, const void *data, size_t len,
					  const std::map<std::string, std::string> &metadata)
{
	check_metadata(metadata);
	Call call;
	call.op = "PutObject";
	call.url = url_of(key);
	call.method = "PUT";
	call.key = key;
	call.headers.emplace_back("if-none-match", "*");
	for (const auto &[name, value] : metadata)
		call.headers.emplace_back("x-amz-meta-" + name, value);
	call.body = static_cast<const char *>(data);
	call.body_len = len;
	call.payload_hash = sha256_hex(data, len);
	call.pass = {412};
	call.retry_409 = true;
	HttpResponse r = impl_->execute(call);
	return r.status == 412 ? PutOutcome::AlreadyExists : PutOutcome::Created;
}

std::optional<ObjectInfo>
Client::head(const std::string &key)
{
	Call call;
	call.op = "HeadObject";
	call.url = url_of(key);
	call.method = "HEAD";
	call.key = key;
	call.payload_hash = empty_payload_hash();
	call.pass = {404};
	HttpResponse r = impl_->execute(call);
	if (r.status == 404)
		return std::nullopt;
	ObjectInfo info;
	info.key = key;
	if (!info_from_headers(r.headers, r.status, info))
		throw Error(impl_->what(call) + " failed: the response has no valid Content-Length",
					Failure::Protocol, r.status, "", false);
	return info;
}

std::optional<std::string>
Client::get(const std::string &key, std::optional<std::pair<uint64_t, uint64_t>> range,
			ObjectInfo *info)
{
	if (range && range->second == 0)
		throw std::invalid_argument("S3 GetObject of an empty range");
	Call call;
	call.op = "GetObject";
	call.url = url_of(key);
	call.method = "GET";
	call.key = key;
	call.payload_hash = empty_payload_hash();
	call.pass = {404};
	if (range)
		call.headers.emplace_back("range", "bytes=" + std::to_string(range->first) + "-" +
											   std::to_string(range->first + range->second - 1));
	HttpResponse r = impl_->execute(call);
	if (r.status == 404)
	{
		if (no_such_key(r))
			return std::nullopt;
		throw impl_->http_error(call, r, "");
	}
	ObjectInfo got;
	got.key = key;
	if (!info_from_headers(r.headers, r.status, got))
		throw Error(impl_->what(call) + " failed: the response has no valid Content-Length or " +
						"Content-Range",
					Failure::Protocol, r.status, "", false);
	if (info != nullptr)
		*info = got;
	if (range && r.status == 200)
	{
		/* The server ignored the Range: cut the part out ourselves. */
		if (range->first >= r.body.size())
			return std::string();
		return r.body.substr(range->first, range->second);
	}
	return std::move(r.body);
}

bool
Client::get_to(const std::string &key, const std::function<void(const char *, size_t)> &sink,
			   ObjectInfo *info)
{
	Call call;
	call.op = "GetObject";
	call.url = url_of(key);
	call.method = "GET";
	call.key = key;
	call.payload_hash = empty_payload_hash();
	call.pass = {404};

	/* Resuming: what the sink has had, the version it came from, and how much of a try's
	 * body to drop (a server that ignored our Range sends the whole object again). */
	uint64_t delivered = 0, skip = 0;
	bool have_info = false;
	ObjectInfo got;
	got.key = key;
	const std::string what = impl_->what(call);
	call.before_try = [&](Params &headers)
	{
		if (delivered == 0)
			return;
		headers.emplace_back("range", "bytes=" + std::to_string(delivered) + "-");
		if (!got.etag.empty())
			headers.emplace_back("if-match", got.etag);
	};
	call.on_start = [&](int status, const std::map<std::string, std::string> &headers)
	{
		ObjectInfo now;
		if (!info_from_headers(headers, status, now))
			throw Error(what + " failed: the response has no valid Content-Length or " +
							"Content-Range",
						Failure::Protocol, status, "", false);
		skip = 0;
		if (!have_info)
		{
			got.size = now.size;
			got.mtime = now.mtime;
			got.etag = now.etag;
			got.metadata = now.metadata;
			have_info = true;
			return;
		}
		if (now.etag != got.etag || now.size != got.size)
			throw Error(what + " failed: the object changed while it was being read",
						Failure::Protocol, status, "", false);
		if (status == 200)
			skip = delivered;
		else
		{
			auto it = headers.find("content-range");
			std::string expect = "bytes " + std::to_string(delivered) + "-";
			if (it == headers.end() || it->second.rfind(expect, 0) != 0)
				throw Error(what + " failed: the server resumed at the wrong offset",
							Failure::Protocol, status, "", false);
		}
	};
	call.sink = [&](const char *data, size_t len)
	{
		if (skip > 0)
		{
			size_t drop = static_cast<size_t>(std::min<uint64_t>(skip, len));
			skip -= drop;
			data += drop;
			len -= drop;
		}
		if (len > 0)
			sink(data, len);
		delivered += len;
	};
	call.pass = {404, 412};
	HttpResponse r = impl_->execute(call);
	if (r.status == 404)
	{
		if (no_such_key(r))
			return false;
		throw impl_->http_error(call, r, "");
	}
	if (r.status == 412)
		throw Error(what + " failed: the object changed while it was being read", Failure::Protocol,
					412, "PreconditionFailed", false);
	if (!have_info)
	{
		/* An empty object: no chunk, so no on_start. */
		if (!info_from_headers(r.headers, r.status, got))
			throw Error(what + " failed: the response has no valid Content-Length",
						Failure::Protocol, r.status, "", false);
	}
	if (delivered != got.size)
		throw Error(what + " failed: got " + std::to_string(delivered) + " of " +
						std::to_string(got.size) + " bytes",
					Failure::Protocol, r.status, "", false);
	if (info != nullptr)
		*info = got;
	return true;
}

} // namespace pgls::s3
