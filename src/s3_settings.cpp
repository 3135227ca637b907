/*
 * s3_settings.cpp -- defining and checking the pg_logship.s3_* settings (see the header).
 */
#include "s3_settings.hpp"

#include "core/s3/config.hpp"

#include <cstring>
#include <exception>

namespace
{

char *s3_endpoint = nullptr;
char *s3_region = nullptr;
int s3_uri_style = 0;
bool s3_verify_tls = true;
char *s3_ca_file = nullptr;
char *s3_credentials_file = nullptr;
char *s3_profile = nullptr;

const struct config_enum_entry uri_style_options[] = {
	{"host", 0, false},
	{"path", 1, false},
	{nullptr, 0, false},
};

/* Runs a PG-free check; "" when it passed, else its message, into why (no C++ object escapes). */
template <typename F>
void
run_check(F &&check, char *why, size_t len)
{
	why[0] = '\0';
	try
	{
		check();
	}
	catch (const std::exception &e)
	{
		strlcpy(why, e.what(), len);
	}
	catch (...)
	{
		strlcpy(why, "invalid value", len);
	}
}

bool
check_endpoint(char **newval, void **extra, GucSource source)
{
	if (*newval == nullptr || (*newval)[0] == '\0')
		return true;
	char why[256];
	const char *v = *newval;
	run_check(
		[v]()
		{
			pgls::s3::Config cfg;
			cfg.endpoint = v;
			pgls::s3::parse_endpoint(cfg);
		},
		why, sizeof why);
	if (why[0] == '\0')
		return true;
	GUC_check_errdetail("%s", why);
	return false;
}

bool
check_region(char **newval, void **extra, GucSource source)
{
	const char *v = *newval;
	if (v == nullptr || v[0] == '\0')
	{
		GUC_check_errdetail("pg_logship.s3_region must not be empty.");
		return false;
	}
	for (const char *p = v; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
		{
			GUC_check_errdetail("pg_logship.s3_region may contain only lower-case letters, digits "
								"and \"-\" (such as \"eu-west-1\").");
			return false;
		}
	return true;
}

/* A file setting: empty, or an absolute path without line breaks. */
bool
check_file(char **newval, const char *name)
{
	const char *v = *newval;
	if (v == nullptr || v[0] == '\0')
		return true;
	if (v[0] != '/' || strpbrk(v, "\n\r") != nullptr)
	{
		GUC_check_errdetail("%s must be an absolute path.", name);
		return false;
	}
	return true;
}

bool
check_ca_file(char **newval, void **extra, GucSource source)
{
	return check_file(newval, "pg_logship.s3_ca_file");
}

bool
check_credentials_file(char **newval, void **extra, GucSource source)
{
	return check_file(newval, "pg_logship.s3_credentials_file");
}

bool
check_profile(char **newval, void **extra, GucSource source)
{
	const char *v = *newval;
	for (const char *p = v ? v : ""; *p; p++)
		if (*p == '[' || *p == ']' || *p == '\n' || *p == '\r' || *p == '#' || *p == ';')
		{
			GUC_check_errdetail("pg_logship.s3_profile must be a profile name of the credentials "
								"file, without brackets.");
			return false;
		}
	return true;
}

} // namespace

namespace pgls
{

void
s3_url_problem(const char *url, char *why, size_t len)
{
	run_check([url]() { s3::parse_s3_url(url); }, why, len);
}

void
define_s3_settings(void)
{
	DefineCustomStringVariable("pg_logship.s3_endpoint",
							   "Endpoint of the S3-compatible object store of an s3:// archive.",
							   "http(s)://host[:port]; empty: AWS for pg_logship.s3_region.",
							   &s3_endpoint, "", PGC_SIGHUP, 0, check_endpoint, nullptr, nullptr);
	DefineCustomStringVariable("pg_logship.s3_region", "Region of an s3:// archive.",
							   "Part of every request's signature.", &s3_region, "us-east-1",
							   PGC_SIGHUP, 0, check_region, nullptr, nullptr);
	DefineCustomEnumVariable(
		"pg_logship.s3_uri_style",
		"How the bucket of an s3:// archive is addressed: host (bucket.endpoint) or path "
		"(endpoint/bucket).",
		"host is AWS's default; path suits Ceph RGW, MinIO and endpoints given as IP addresses.",
		&s3_uri_style, 0, uri_style_options, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
	DefineCustomBoolVariable("pg_logship.s3_verify_tls",
							 "Whether the object store's TLS certificate is verified.", nullptr,
							 &s3_verify_tls, true, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
	DefineCustomStringVariable(
		"pg_logship.s3_ca_file", "CA certificates (PEM) to trust for the object store.",
		"Empty: the system's.", &s3_ca_file, "", PGC_SIGHUP, 0, check_ca_file, nullptr, nullptr);
	DefineCustomStringVariable(
		"pg_logship.s3_credentials_file",
		"AWS shared-credentials file with the keys for an s3:// archive.",
		"It must be readable only by the server's user. The keys never appear in a setting.",
		&s3_credentials_file, "", PGC_SIGHUP, 0, check_credentials_file, nullptr, nullptr);
	DefineCustomStringVariable(
		"pg_logship.s3_profile", "Profile of pg_logship.s3_credentials_file to use.", nullptr,
		&s3_profile, "default", PGC_SIGHUP, 0, check_profile, nullptr, nullptr);
}

S3SettingValues
s3_setting_values(void)
{
	S3SettingValues v;
	v.endpoint = s3_endpoint;
	v.region = s3_region;
	v.uri_style = uri_style_options[s3_uri_style].name;
	v.verify_tls = s3_verify_tls;
	v.ca_file = s3_ca_file;
	v.credentials_file = s3_credentials_file;
	v.profile = s3_profile;
	return v;
}

} // namespace pgls
