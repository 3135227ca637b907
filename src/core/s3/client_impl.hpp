/*
 * client_impl.hpp -- the inside of Client, shared by client*.cpp: one signed request with
 * retries, and turning an error response into Error.
 */
#pragma once

#include "client.hpp"
#include "http.hpp"
#include "sigv4.hpp"

#include <functional>
#include <string>
#include <vector>

namespace pgls::s3
{

/* One S3 request, as retried. */
struct Call
{
	const char *op = ""; /* S3's name for it: PutObject, GetObject, ... (for messages) */
	std::string url;     /* s3://bucket/key or s3://bucket/prefix (for messages) */
	std::string method;
	std::string key; /* empty: the bucket itself */
	Params query;
	Params headers; /* besides host, x-amz-date, x-amz-content-sha256, token */
	const char *body = nullptr;
	size_t body_len = 0;
	std::string payload_hash; /* hex SHA-256 of the body (computed once, before the tries) */
	std::function<void(const char *, size_t)> sink; /* for a 2xx body */
	std::function<void(int, const std::map<std::string, std::string> &)> on_start; /* http.hpp */
	std::vector<int> pass;  /* statuses returned rather than thrown (404, 412, ...) */
	bool retry_409 = false; /* PutObject: a 409 is a conditional-write conflict, try again */
	std::function<void(Params &)> before_try; /* last changes to the headers of each try */
};

struct Client::Impl
{
	Impl(Config c, Location l);

	/* Sends call with retries (cfg.retry); returns a 2xx response or one whose status is in
	 * call.pass; throws Error otherwise. */
	HttpResponse execute(Call &call);

	/* The Error of an error response (status, S3 code and message, retryable or not). */
	Error http_error(const Call &call, const HttpResponse &r, const std::string &signature) const;

	std::string what(const Call &call) const;

	Config cfg;
	Location loc;
	Endpoint ep;
	Http http;
	int last_attempts = 0;
};

/* The hex SHA-256 of an empty body. */
const std::string &empty_payload_hash();

} // namespace pgls::s3
