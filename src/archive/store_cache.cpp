/*
 * store_cache.cpp -- one open archive store per process (see the header).
 */
#include "core/pure.hpp"
#include "archive/store_cache.hpp"

#include "core/s3/error.hpp"
#include "core/s3_store.hpp"

#include <memory>

namespace pgls
{

namespace
{
std::string cached_key;
std::unique_ptr<Store> cached;
} // namespace

Store &
archive_store(const StoreSpec &spec)
{
	std::string key = store_spec_key(spec);
	if (!cached || key != cached_key)
	{
		cached.reset();
		cached = open_store(spec);
		cached_key = key;
	}
	return *cached;
}

bool
store_reachable(const StoreSpec &spec) noexcept
{
	static std::string key;
	static std::unique_ptr<Store> quick;
	try
	{
		StoreSpec q = spec;
		q.s3.quick = true;
		std::string k = store_spec_key(q);
		if (!quick || k != key)
		{
			quick.reset();
			quick = open_store(q);
			key = k;
		}
		return quick->folder_exists("");
	}
	catch (...)
	{
		return false;
	}
}

bool
store_unreachable_error(const std::exception &e) noexcept
{
	const auto *err = dynamic_cast<const s3::Error *>(&e);
	return err != nullptr && (err->http_status() == 0 || err->http_status() >= 500);
}

void
probe_store(Store &store, const std::string &who)
{
	auto *s3 = dynamic_cast<S3Store *>(&store);
	if (s3 == nullptr)
		return;
	std::string problem = s3->probe_conditional_put(who);
	if (!problem.empty())
		throw IoError("the object store of pg_logship.archive_dir \"" + store.location() +
						  "\" does not honour If-None-Match: * (" + problem +
						  "); pg_logship archives only where a publish can never overwrite",
					  0);
}

const char *
s3_error_hint(const std::exception &e) noexcept
{
	const auto *err = dynamic_cast<const s3::Error *>(&e);
	if (err == nullptr)
		return "";
	const std::string &code = err->code();
	if (code == "NoSuchBucket")
		return "The bucket named in pg_logship.archive_dir does not exist: create it, or fix "
			   "the setting.";
	if (code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" || code == "AccessDenied" ||
		code == "ExpiredToken" || code == "InvalidToken")
		return "The object store refused the keys of pg_logship.s3_credentials_file (profile "
			   "pg_logship.s3_profile), or they may not write the bucket: check them.";
	if (err->http_status() == 0)
		return "The object store did not answer: check pg_logship.s3_endpoint (and "
			   "pg_logship.s3_verify_tls, pg_logship.s3_ca_file for https) and the network.";
	return "";
}

} // namespace pgls
