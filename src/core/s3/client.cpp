/*
 * client.cpp -- Client: construction, one signed request with retries, error responses.
 */
#include "../pure.hpp"
#include "client_impl.hpp"

#include "responses.hpp"

#include <algorithm>
#include <ctime>

namespace pgls::s3
{

namespace
{

const char *
reason(int status)
{
	switch (status)
	{
		case 400:
			return "Bad Request";
		case 401:
			return "Unauthorized";
		case 403:
			return "Forbidden";
		case 404:
			return "Not Found";
		case 405:
			return "Method Not Allowed";
		case 409:
			return "Conflict";
		case 412:
			return "Precondition Failed";
		case 416:
			return "Range Not Satisfiable";
		case 429:
			return "Too Many Requests";
		case 500:
			return "Internal Server Error";
		case 502:
			return "Bad Gateway";
		case 503:
			return "Service Unavailable";
		case 504:
			return "Gateway Timeout";
		default:
			return "";
	}
}

/* What an error code means, for the codes a setting causes, when S3 sent no message. */
const char *
explain(const std::string &code)
{
	if (code == "NoSuchBucket")
		return "the bucket does not exist";
	if (code == "InvalidAccessKeyId")
		return "the access key is not known to the server";
	if (code == "SignatureDoesNotMatch")
		return "the request signature does not match (wrong secret key for this access key?)";
	if (code == "AccessDenied")
		return "access denied";
	if (code == "RequestTimeTooSkewed")
		return "this machine's clock differs too much from the server's";
	if (code == "NoSuchKey")
		return "the key does not exist";
	return "";
}

bool
retryable_code(const std::string &code)
{
	return code == "SlowDown" || code == "RequestTimeout" || code == "InternalError" ||
		   code == "ServiceUnavailable" || code == "Throttling" || code == "ThrottlingException";
}

} // namespace

const std::string &
empty_payload_hash()
{
	static const std::string h = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	return h;
}

Client::Impl::Impl(Config c, Location l)
	: cfg((validate(c, l), std::move(c))), loc(std::move(l)), ep(parse_endpoint(cfg)),
	  http(cfg.verify_tls, cfg.ca_file)
{
}

std::string
Client::Impl::what(const Call &call) const
{
	return std::string("S3 ") + call.op + " of " + call.url;
}

Error
Client::Impl::http_error(const Call &call, const HttpResponse &r,
						 const std::string &signature) const
{
	S3ErrorBody e = parse_error_body(r.body);
	std::string msg = what(call) + " failed: HTTP " + std::to_string(r.status);
	if (!e.code.empty())
		msg += " " + e.code;
	else if (*reason(r.status) != '\0')
		msg += std::string(" ") + reason(r.status);
	if (!e.message.empty())
		msg += ": " + e.message;
	else if (*explain(e.code) != '\0')
		msg += std::string(": ") + explain(e.code);
	else if (call.method == "HEAD" && r.status >= 400 && r.status != 404)
		msg += " (a HEAD response carries no error details)";
	msg = redact(redact(msg, cfg.credentials.secret_key, cfg.credentials.session_token), signature);
	bool retryable = r.status >= 500 || r.status == 429 || retryable_code(e.code) ||
					 (call.retry_409 && r.status == 409);
	return Error(msg, Failure::Http, r.status, e.code, retryable);
}

HttpResponse
Client::Impl::execute(Call &call)
{
	const std::string call_what = what(call);
	HttpResponse out;
	last_attempts = 0;
	auto attempt = [&](long time_cap_ms)
	{
		last_attempts++;
		Params headers = call.headers;
		if (call.before_try)
			call.before_try(headers);
		Target t = target(ep, cfg.uri_style, loc.bucket, call.key);
		const std::string date = amz_date(std::time(nullptr));
		headers.emplace_back("host", t.host);
		headers.emplace_back("x-amz-date", date);
		headers.emplace_back("x-amz-content-sha256", call.payload_hash);
		/* Signed: RGW 20.2.4 on refuses a Content-Type that is not among the signed headers. */
		if (call.body != nullptr || call.method == "PUT" || call.method == "POST")
			headers.emplace_back("content-type", "application/octet-stream");
		if (!cfg.credentials.session_token.empty())
			headers.emplace_back("x-amz-security-token", cfg.credentials.session_token);
		SignInput in{call.method, t.path, call.query, headers, call.payload_hash};
		SignOutput sig = sign_v4(in, date, cfg.region, "s3", cfg.credentials.access_key,
								 cfg.credentials.secret_key);

		HttpRequest req;
		req.method = call.method;
		req.url = t.url;
		if (!call.query.empty())
			req.url += "?" + canonical_query(call.query);
		for (const auto &[name, value] : headers)
			req.headers.push_back(name + ": " + value);
		req.headers.push_back("Authorization: " + sig.authorization);
		req.body = call.body;
		req.body_len = call.body_len;
		req.sink = call.sink;
		req.on_start = call.on_start;
		req.connect_timeout_ms = std::min(cfg.connect_timeout_ms, time_cap_ms);
		req.timeout_ms = std::min(cfg.request_timeout_ms, time_cap_ms);

		HttpResponse r = http.perform(req, call_what, cfg.retry.should_stop);
		if ((r.status >= 200 && r.status < 300) ||
			std::find(call.pass.begin(), call.pass.end(), r.status) != call.pass.end())
		{
			out = std::move(r);
			return;
		}
		throw http_error(call, r, sig.signature);
	};
	run_with_retries(cfg.retry, call_what, attempt);
	return out;
}

Client::Client(Config cfg, Location loc)
	: impl_(std::make_unique<Impl>(std::move(cfg), std::move(loc)))
{
}

Client::~Client() = default;
Client::Client(Client &&) noexcept = default;
Client &Client::operator=(Client &&) noexcept = default;

const Location &
Client::location() const
{
	return impl_->loc;
}

const Config &
Client::config() const
{
	return impl_->cfg;
}

std::string
Client::key(const std::string &rel) const
{
	return impl_->loc.prefix.empty() ? rel : impl_->loc.prefix + "/" + rel;
}

std::string
Client::url_of(const std::string &key) const
{
	return "s3://" + impl_->loc.bucket + "/" + key;
}

int
Client::last_attempts() const
{
	return impl_->last_attempts;
}

} // namespace pgls::s3
