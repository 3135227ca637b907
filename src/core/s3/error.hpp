/*
 * error.hpp -- the S3 client's exceptions.
 *
 * ConfigError: a bad setting, URL or credentials file, found before any request is sent; its
 * message names the setting or file and why, never a value that could be a secret.
 *
 * Error: a request that failed. what() reads
 *     S3 <Operation> of s3://bucket/key failed: HTTP 403 AccessDenied: <S3's message>
 *     S3 PutObject of s3://bucket/key failed: Failed to connect to 127.0.0.1 port 7480 after
 *         0 ms: Couldn't connect to server (gave up after 4 attempts in 1.3 s)
 * with the S3 operation (PutObject, HeadObject, GetObject, ListObjectsV2, DeleteObjects), the
 * s3:// URL of the key or prefix, and the HTTP status and S3 error code and message when there
 * was a response. Secrets (secret key, session token, signatures) never appear in it: the
 * messages a server sends back are scrubbed of them (redact()) before they are kept.
 */
#pragma once

#include <stdexcept>
#include <string>

namespace pgls::s3
{

class ConfigError : public std::runtime_error
{
public:
	using std::runtime_error::runtime_error;
};

/* Why a request failed. */
enum class Failure
{
	Http,      /* the server answered with an error status (http_status(), code()) */
	Transport, /* no (complete) response: connection refused or reset, TLS, DNS */
	Timeout,   /* the request or the call's deadline ran out */
	Stopped,   /* RetryPolicy::should_stop said so */
	Protocol,  /* a response we cannot use (bad XML, a missing header, a short body) */
};

class Error : public std::runtime_error
{
public:
	Error(const std::string &what, Failure failure, int http_status, std::string code,
		  bool retryable)
		: std::runtime_error(what), failure_(failure), http_status_(http_status),
		  code_(std::move(code)), retryable_(retryable)
	{
	}
	Failure
	failure() const
	{
		return failure_;
	}
	/* 0: there was no HTTP response (connection, TLS, timeout, stop). */
	int
	http_status() const
	{
		return http_status_;
	}
	/* S3's error code (NoSuchBucket, AccessDenied, InvalidAccessKeyId, SignatureDoesNotMatch,
	 * SlowDown, ...); empty without a response or an error body (HEAD). */
	const std::string &
	code() const
	{
		return code_;
	}
	/* Worth trying again later: 5xx, 429/SlowDown, timeouts, connection errors. The client
	 * has already retried it within its RetryPolicy. */
	bool
	retryable() const
	{
		return retryable_;
	}
	bool
	stopped() const
	{
		return failure_ == Failure::Stopped;
	}

private:
	Failure failure_;
	int http_status_;
	std::string code_;
	bool retryable_;
};

/* text with every occurrence of each non-empty secret replaced by "[redacted]". */
std::string redact(std::string text, const std::string &secret1, const std::string &secret2 = {});

} // namespace pgls::s3
