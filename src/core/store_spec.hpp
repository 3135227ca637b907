/*
 * store_spec.hpp -- which store an archive location names, and opening it.
 *
 * A location is an absolute directory ("/var/lib/wal_archive": FsStore) or an S3 URL
 * ("s3://bucket/prefix": S3Store, with the S3 settings). A StoreSpec is plain data, so that any
 * process (an archive worker, a prefetcher) can open its own store from it.
 */
#pragma once

#include "store.hpp"

#include <memory>
#include <string>

namespace pgls
{

/* How to reach an S3 location: pg_logship.s3_* in the server, --s3-* in the CLI. */
struct S3Settings
{
	std::string endpoint; /* empty: AWS for the region */
	std::string region = "us-east-1";
	std::string uri_style = "host"; /* host | path */
	bool verify_tls = true;
	std::string ca_file;
	std::string credentials_file; /* an AWS shared-credentials file */
	std::string profile;          /* empty: default */
	/* Without a credentials file: the AWS_* environment variables (the CLI), else an error. */
	bool credentials_from_environment = false;
	/* How settings are named in errors: "pg_logship.s3_" (server) or "--s3-" (CLI). */
	std::string setting_prefix = "pg_logship.s3_";
	/* One try, short timeouts: for a quick look whether the store answers at all. */
	bool quick = false;
};

/* The server's S3 settings as C strings (its GUC values), to cross from PostgreSQL code. */
struct S3SettingValues
{
	const char *endpoint;
	const char *region;
	const char *uri_style;
	bool verify_tls;
	const char *ca_file;
	const char *credentials_file;
	const char *profile;
};

/* The S3Settings of the server's values (nullptr strings are empty). */
S3Settings s3_settings_from(const S3SettingValues &v);

struct StoreSpec
{
	std::string location;
	S3Settings s3;
	StoreWriter writer;
	FileModes modes;
};

/* True for an "s3://" location. */
bool is_object_store_location(const std::string &location);

/*
 * Opens the store of spec.location. Sends nothing. Throws std::invalid_argument for a location
 * or setting it cannot use, naming it (an S3 URL that does not parse, a bad endpoint or region,
 * missing or unreadable credentials), and what is wrong; never a secret.
 */
std::unique_ptr<Store> open_store(const StoreSpec &spec);

/* What opening an S3 location needs, as text identifying it (to cache an open store: the same
 * key, the same store). */
std::string store_spec_key(const StoreSpec &spec);

} // namespace pgls
