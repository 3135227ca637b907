/*
 * store_spec.cpp -- opening the store a location names (see the header).
 */
#include "pure.hpp"
#include "store_spec.hpp"

#include "fs_store.hpp"
#include "interrupt.hpp"
#include "s3_store.hpp"

namespace pgls
{

namespace
{

s3::Credentials
credentials(const S3Settings &s)
{
	if (!s.credentials_file.empty())
	{
		try
		{
			return s3::load_credentials_file(s.credentials_file, s.profile);
		}
		catch (const s3::ConfigError &e)
		{
			throw s3::ConfigError(s.setting_prefix + "credentials_file: " + e.what());
		}
	}
	if (s.credentials_from_environment)
		if (std::optional<s3::Credentials> c = s3::credentials_from_environment())
			return *c;
	throw s3::ConfigError("no S3 credentials: set " + s.setting_prefix +
						  "credentials_file to an AWS shared-credentials file" +
						  (s.credentials_from_environment
							   ? " (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
							   : ""));
}

} // namespace

S3Settings
s3_settings_from(const S3SettingValues &v)
{
	auto str = [](const char *p) { return std::string(p ? p : ""); };
	S3Settings s;
	s.endpoint = str(v.endpoint);
	s.region = str(v.region);
	s.uri_style = str(v.uri_style);
	s.verify_tls = v.verify_tls;
	s.ca_file = str(v.ca_file);
	s.credentials_file = str(v.credentials_file);
	s.profile = str(v.profile);
	s.credentials_from_environment = false;
	s.setting_prefix = "pg_logship.s3_";
	return s;
}

bool
is_object_store_location(const std::string &location)
{
	return s3::is_s3_url(location);
}

std::unique_ptr<Store>
open_store(const StoreSpec &spec)
{
	if (spec.location.empty())
		throw std::invalid_argument("the archive location is empty");
	if (!is_object_store_location(spec.location))
		return std::make_unique<FsStore>(spec.location, spec.writer, spec.modes);
	try
	{
		const S3Settings &s = spec.s3;
		s3::Config cfg;
		cfg.endpoint = s.endpoint;
		cfg.region = s.region;
		cfg.uri_style = s3::parse_uri_style(s.uri_style);
		cfg.verify_tls = s.verify_tls;
		cfg.ca_file = s.ca_file;
		cfg.credentials = credentials(s);
		/* Between tries: a cancel, a shutdown or a terminate ends the wait. */
		cfg.retry.should_stop = []
		{
			check_interrupts();
			return stop_requested();
		};
		if (s.quick)
		{
			cfg.connect_timeout_ms = 500;
			cfg.request_timeout_ms = 1000;
			cfg.retry.max_attempts = 1;
			cfg.retry.deadline_ms = 1000;
		}
		return std::make_unique<S3Store>(std::move(cfg), spec.location);
	}
	catch (const s3::ConfigError &e)
	{
		throw std::invalid_argument(e.what());
	}
}

std::string
store_spec_key(const StoreSpec &spec)
{
	const S3Settings &s = spec.s3;
	std::string key = spec.location + '\n' + spec.writer.server + '\n' +
					  std::to_string(spec.modes.file) + '\n' + std::to_string(spec.modes.dir);
	if (is_object_store_location(spec.location))
		key += '\n' + s.endpoint + '\n' + s.region + '\n' + s.uri_style + '\n' +
			   (s.verify_tls ? "1" : "0") + '\n' + s.ca_file + '\n' + s.credentials_file + '\n' +
			   s.profile + (s.quick ? "\nquick" : "");
	return key;
}

} // namespace pgls
