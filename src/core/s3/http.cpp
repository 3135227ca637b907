/*
 * http.cpp -- HTTP requests over libcurl (see http.hpp).
 */
#include "../pure.hpp"
#include "http.hpp"

#include "curl_lib.hpp"
#include "error.hpp"

#include <cctype>
#include <signal.h>
#include <strings.h>
#include <exception>
#include <memory>

namespace pgls::s3
{

namespace
{

constexpr size_t max_error_body = 64 * 1024;

struct Transfer
{
	CURL *curl;
	const HttpRequest *req;
	HttpResponse *resp;
	const std::function<bool()> *should_stop;
	std::exception_ptr error; /* thrown by the sink or by should_stop */
	bool stop = false;
	bool started = false; /* the sink has had its first chunk */
};

size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
	auto *t = static_cast<Transfer *>(arg);
	size_t len = size * n;
	std::string line(data, len);
	while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
		line.pop_back();
	if (line.rfind("HTTP/", 0) == 0)
	{
		/* A new response (after a 100 Continue, say): forget the previous one's headers. */
		t->resp->headers.clear();
		return len;
	}
	size_t colon = line.find(':');
	if (colon == std::string::npos)
		return len;
	std::string name = line.substr(0, colon);
	for (char &c : name)
		c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
	size_t b = line.find_first_not_of(" \t", colon + 1);
	std::string value = b == std::string::npos ? "" : line.substr(b);
	while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
		value.pop_back();
	t->resp->headers[name] = value;
	return len;
}

size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	auto *t = static_cast<Transfer *>(arg);
	size_t len = size * n;
	long status = 0;
	libcurl().easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 200 && status < 300 && t->req->sink)
	{
		try
		{
			if (!t->started && t->req->on_start)
				t->req->on_start(static_cast<int>(status), t->resp->headers);
			t->started = true;
			t->req->sink(data, len);
		}
		catch (...)
		{
			t->error = std::current_exception();
			return 0; /* fewer bytes than given: libcurl aborts */
		}
		t->resp->sunk += len;
		return len;
	}
	if (status >= 200 && status < 300)
		t->resp->body.append(data, len);
	else if (t->resp->body.size() < max_error_body)
		t->resp->body.append(data, std::min(len, max_error_body - t->resp->body.size()));
	return len;
}

int
on_progress(void *arg, curl_off_t, curl_off_t, curl_off_t, curl_off_t)
{
	auto *t = static_cast<Transfer *>(arg);
	if (!*t->should_stop)
		return 0;
	try
	{
		if ((*t->should_stop)())
		{
			t->stop = true;
			return 1;
		}
	}
	catch (...)
	{
		t->error = std::current_exception();
		return 1;
	}
	return 0;
}

bool
retryable_curl_error(CURLcode rc)
{
	switch (rc)
	{
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_CONNECT:
		case CURLE_OPERATION_TIMEDOUT:
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_GOT_NOTHING:
		case CURLE_SEND_ERROR:
		case CURLE_RECV_ERROR:
		case CURLE_PARTIAL_FILE:
		case CURLE_HTTP2:
		case CURLE_HTTP2_STREAM:
			return true;
		default:
			return false;
	}
}

struct SlistDeleter
{
	void
	operator()(curl_slist *l) const
	{
		libcurl().slist_free_all(l);
	}
};

} // namespace

Http::Http(bool verify_tls, std::string ca_file)
	: verify_tls_(verify_tls), ca_file_(std::move(ca_file))
{
	/* A peer that closes a TLS connection must not kill the process: OpenSSL may write to the
	 * socket without MSG_NOSIGNAL. The server's processes ignore SIGPIPE already; the CLI does
	 * from here on (its output goes to files and stderr, where EPIPE is an error like any). */
	struct sigaction sa;
	if (sigaction(SIGPIPE, nullptr, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
}

Http::~Http()
{
	if (curl_ != nullptr)
		libcurl().easy_cleanup(static_cast<CURL *>(curl_));
}

HttpResponse
Http::perform(const HttpRequest &req, const std::string &what,
			  const std::function<bool()> &should_stop)
{
	const LibCurl &lib = libcurl();
	/* The handle, and libcurl with it, on the first request: a restore call that serves a
	 * prefetched segment from the spool opens the store and sends nothing, and loading and
	 * initialising libcurl (and OpenSSL under it) took about 9 ms of each such call. */
	if (curl_ == nullptr && (curl_ = lib.easy_init()) == nullptr)
		throw ConfigError("could not create a libcurl handle");
	CURL *h = static_cast<CURL *>(curl_);
	lib.easy_reset(h); /* options only: connections and TLS sessions stay */

	std::unique_ptr<curl_slist, SlistDeleter> headers;
	auto add = [&](const std::string &line)
	{
		curl_slist *l = lib.slist_append(headers.get(), line.c_str());
		if (l == nullptr)
			throw std::bad_alloc();
		headers.release();
		headers.reset(l);
	};
	for (const std::string &line : req.headers)
		add(line);
	add("Expect:"); /* no 100-continue round trip before a body */
	/* A Content-Type sent must be signed (RGW 20.2.4 on refuses it otherwise): it comes from the
	 * caller's signed headers, never from curl (application/x-www-form-urlencoded for a body). */
	bool has_content_type = false;
	for (const std::string &line : req.headers)
		has_content_type =
			has_content_type ||
			(line.size() >= 13 && strncasecmp(line.c_str(), "content-type:", 13) == 0);
	if (!has_content_type)
		add("Content-Type:");

	HttpResponse resp;
	Transfer t{h, &req, &resp, &should_stop, nullptr};
	char errbuf[CURL_ERROR_SIZE] = "";

	lib.easy_setopt(h, CURLOPT_URL, req.url.c_str());
	lib.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	lib.easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
	lib.easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	lib.easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
	lib.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, req.connect_timeout_ms);
	lib.easy_setopt(h, CURLOPT_TIMEOUT_MS, req.timeout_ms);
	lib.easy_setopt(h, CURLOPT_SSL_VERIFYPEER, verify_tls_ ? 1L : 0L);
	lib.easy_setopt(h, CURLOPT_SSL_VERIFYHOST, verify_tls_ ? 2L : 0L);
	if (!ca_file_.empty())
		lib.easy_setopt(h, CURLOPT_CAINFO, ca_file_.c_str());
	lib.easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	lib.easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_header);
	lib.easy_setopt(h, CURLOPT_HEADERDATA, &t);
	lib.easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_body);
	lib.easy_setopt(h, CURLOPT_WRITEDATA, &t);
	lib.easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	lib.easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &on_progress);
	lib.easy_setopt(h, CURLOPT_XFERINFODATA, &t);
	if (req.method == "GET")
		lib.easy_setopt(h, CURLOPT_HTTPGET, 1L);
	else if (req.method == "HEAD")
		lib.easy_setopt(h, CURLOPT_NOBODY, 1L);
	else
	{
		lib.easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
		lib.easy_setopt(h, CURLOPT_POSTFIELDS, req.body != nullptr ? req.body : "");
		lib.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body_len));
	}

	CURLcode rc = lib.easy_perform(h);
	lib.easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
	if (t.error)
		std::rethrow_exception(t.error);
	if (rc == CURLE_OK)
	{
		long status = 0;
		lib.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		resp.status = static_cast<int>(status);
		return resp;
	}
	std::string why = errbuf[0] != '\0' ? errbuf : lib.easy_strerror(rc);
	if (t.stop || rc == CURLE_ABORTED_BY_CALLBACK)
		throw Error(what + " stopped during the transfer", Failure::Stopped, 0, "", false);
	Failure f = rc == CURLE_OPERATION_TIMEDOUT ? Failure::Timeout : Failure::Transport;
	throw Error(what + " failed: " + why, f, 0, "", retryable_curl_error(rc));
}

} // namespace pgls::s3
