/*
 * http.hpp -- one HTTP request at a time over libcurl, reusing its connections.
 *
 * An Http owns one libcurl easy handle; libcurl keeps the connections it opened alive between
 * requests (HTTP keep-alive, TLS sessions), and opens a new one when the server closed the old
 * one (a gateway that restarted). Not thread-safe: one Http per thread.
 */
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace pgls::s3
{

struct HttpRequest
{
	std::string method;               /* GET, HEAD, PUT, POST */
	std::string url;                  /* scheme://host/path?query, encoded */
	std::vector<std::string> headers; /* "Name: value" */
	const char *body = nullptr;       /* PUT/POST body; not copied */
	size_t body_len = 0;
	/* When set, the body of a 2xx response goes here, chunk by chunk, instead of into
	 * HttpResponse::body. It may throw: the transfer is aborted and the exception rethrown. */
	std::function<void(const char *, size_t)> sink;
	/* Called once before the first chunk of a 2xx body goes to the sink, with the status and
	 * the headers (lower-case names). It may throw, as the sink may. */
	std::function<void(int, const std::map<std::string, std::string> &)> on_start;
	long connect_timeout_ms = 5000;
	long timeout_ms = 60000;
};

struct HttpResponse
{
	int status = 0;
	std::map<std::string, std::string> headers; /* lower-case names; of the final response */
	std::string body;  /* the body, unless a 2xx went to the sink; error bodies up to 64 kB */
	uint64_t sunk = 0; /* bytes passed to the sink */
};

class Http
{
public:
	/* Ignores SIGPIPE when its disposition is the default (see http.cpp). libcurl is loaded, and
	 * the handle made, by the first perform(). */
	Http(bool verify_tls, std::string ca_file);
	~Http();
	Http(const Http &) = delete;
	Http &operator=(const Http &) = delete;

	/* Sends req and returns the response, whatever its status. Without a (complete) response
	 * it throws Error (what: "<what> failed: <libcurl's message>") with Failure::Transport
	 * (retryable for connection, send and receive errors, non-retryable for TLS verification
	 * and the like), Failure::Timeout (retryable) or Failure::Stopped (should_stop returned
	 * true; it is called about once a second during the transfer). Exceptions thrown by the
	 * sink or by should_stop are rethrown as they are. */
	HttpResponse perform(const HttpRequest &req, const std::string &what,
						 const std::function<bool()> &should_stop);

private:
	void *curl_ = nullptr;
	bool verify_tls_;
	std::string ca_file_;
};

} // namespace pgls::s3
