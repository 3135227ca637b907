/*
 * client.hpp -- a small S3 client: the calls pg_logship's object store needs, and no others.
 *
 *   Config cfg;                                   (config.hpp)
 *   cfg.endpoint = "http://127.0.0.1:7480";       empty: AWS, https://s3.<region>.amazonaws.com
 *   cfg.region = "us-east-1";
 *   cfg.uri_style = UriStyle::Path;               Host (AWS's default) or Path (RGW, MinIO, IPs)
 *   cfg.credentials = load_credentials_file(path, profile);   or credentials_from_environment()
 *   cfg.retry.should_stop = [] { return shutdown_requested; };
 *   Client s3(cfg, parse_s3_url("s3://bucket/prefix"));
 *   s3.put_if_absent(s3.key("wal/000000010000000000000001"), data, len, {{"xxh3", "..."}});
 *
 * Calls (keys are full object keys; key(rel) builds one under the location's prefix):
 *   put_if_absent  PUT with If-None-Match: * -- the publish primitive. Created (200), or
 *                  AlreadyExists (412: the key exists, the object is left as it was). A 409
 *                  (RGW's answer to the loser of an exact tie, AWS's ConditionalRequestConflict)
 *                  is retried, and the retry gets the 412. AlreadyExists can also mean that an
 *                  earlier try of this same call landed and its answer was lost: a caller
 *                  compares content, as it does for any existing object. The body is signed with
 *                  its SHA-256 (x-amz-content-sha256), so the server refuses a body that changed
 *                  on the way.
 *   head           HEAD: size, mtime, ETag, x-amz-meta-* (nullopt on 404). Note that a HEAD of a
 *                  key in a bucket that does not exist is a 404 too: check_access() tells.
 *   get            GET of the whole object or of [offset, offset + len) (206); nullopt when the
 *                  key does not exist (NoSuchKey); NoSuchBucket throws.
 *   get_to         GET streamed to a sink, chunk by chunk (false on NoSuchKey). A transfer that
 *                  breaks after some bytes is resumed from there with a Range and If-Match of
 *                  the first response's ETag, so the sink sees every byte once, in order, of one
 *                  version of the object.
 *   list_page      ListObjectsV2, one page (max_keys <= 1000), from a continuation token;
 *                  delimiter "/" gives the common prefixes ("folders").
 *   list_all       every page.
 *   delete_objects DeleteObjects in batches of up to 1000 keys (Content-MD5); returns the keys
 *                  that were not deleted, with S3's code and message. Deleting a key that does
 *                  not exist succeeds.
 *   check_access   ListObjectsV2 of one key under the prefix: throws Error (NoSuchBucket,
 *                  AccessDenied, InvalidAccessKeyId, SignatureDoesNotMatch, a connection error)
 *                  when the location cannot be used.
 *
 * Every call is retried on 5xx, 429/SlowDown, timeouts and connection errors within
 * cfg.retry (retry.hpp: backoff with full jitter, max_attempts, an overall deadline, and
 * should_stop), then throws Error (error.hpp) naming the operation, the s3:// URL, the HTTP
 * status and S3's code and message. Secrets never appear in an error.
 *
 * Thread-safety: a Client is used by one thread at a time (it owns one libcurl handle, whose
 * connections it keeps alive across calls and re-opens after the server dropped them). Make one
 * per thread or process; they share nothing. libcurl and libcrypto are loaded by the first
 * request of the process (thread-safe), not by the constructor: a Client that is made and never
 * used (a restore served from the prefetch spool) costs no library loading. The constructor
 * sends nothing and throws ConfigError on a bad Config; a library that cannot be loaded is a
 * ConfigError of the first request.
 */
#pragma once

#include "config.hpp"
#include "error.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pgls::s3
{

struct ObjectInfo
{
	std::string key;    /* full key */
	uint64_t size = 0;  /* the whole object's */
	int64_t mtime = -1; /* Last-Modified, unix seconds; -1 when unknown */
	std::string etag;   /* as S3 sends it, quotes included */
	/* x-amz-meta-*: lower-case names without the prefix (HEAD and GET only). */
	std::map<std::string, std::string> metadata;
};

enum class PutOutcome
{
	Created,
	AlreadyExists
};

class Client
{
public:
	/* Validates cfg (config.hpp: validate); loads nothing (see above). */
	Client(Config cfg, Location loc);
	~Client();
	Client(Client &&) noexcept;
	Client &operator=(Client &&) noexcept;

	const Location &location() const;
	const Config &config() const;

	/* Metadata names: lower-case letters, digits and '-' (RGW turns '_' into '-'); values printable
	 * ASCII without leading or trailing spaces.
	 * std::invalid_argument otherwise. */
	PutOutcome put_if_absent(const std::string &key, const void *data, size_t len,
							 const std::map<std::string, std::string> &metadata = {});

	std::optional<ObjectInfo> head(const std::string &key);

	/* range: (offset, length), length > 0. info, when given, receives the object's info. */
	std::optional<std::string> get(const std::string &key,
								   std::optional<std::pair<uint64_t, uint64_t>> range = {},
								   ObjectInfo *info = nullptr);

	bool get_to(const std::string &key, const std::function<void(const char *, size_t)> &sink,
				ObjectInfo *info = nullptr);

	struct Page
	{
		std::vector<ObjectInfo> objects;   /* key, size, mtime, etag */
		std::vector<std::string> prefixes; /* with a delimiter: full prefixes ending in it */
		std::string next_token;            /* empty: this was the last page */
	};
	/* prefix: a full key prefix (key("wal/") for the location's wal folder). */
	Page list_page(const std::string &prefix, const std::string &token = "",
				   const std::string &delimiter = "", int max_keys = 1000);
	std::vector<ObjectInfo> list_all(const std::string &prefix, const std::string &delimiter = "");

	std::vector<std::pair<std::string, std::string>>
	delete_objects(const std::vector<std::string> &keys);

	void check_access();

	/* prefix + "/" + rel, or rel when the prefix is empty. */
	std::string key(const std::string &rel) const;
	/* "s3://bucket/key", for messages. */
	std::string url_of(const std::string &key) const;

	/* Tries of the last call (1 when it needed no retry); for tests and statistics. */
	int last_attempts() const;

	struct Impl;

private:
	std::unique_ptr<Impl> impl_;
};

} // namespace pgls::s3
