/*
 * test_s3_credentials.cpp -- AWS shared-credentials files and the AWS_* variables.
 */
#include "core/s3/credentials.hpp"
#include "core/s3/error.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace pgls::s3
{
namespace
{

const char *file_text = "# a comment\n"
						"[default]\n"
						"aws_access_key_id = AKDEFAULT\n"
						"aws_secret_access_key=secretdefault\n"
						"\n"
						"; another comment\n"
						"[profile other]\n"
						"  aws_access_key_id =  AKOTHER  \r\n"
						"aws_secret_access_key = secret/other+x=\n"
						"aws_session_token = tok\n"
						"region = eu-west-1\n"
						"[nokeys]\n"
						"region = x\n"
						"[nosecret]\n"
						"aws_access_key_id = AKNOSECRET\n";

class TempFile
{
public:
	TempFile(const std::string &text, mode_t mode)
	{
		char tmpl[] = "/tmp/pgls-creds-XXXXXX";
		int fd = mkstemp(tmpl);
		EXPECT_GE(fd, 0);
		path_ = tmpl;
		EXPECT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
		close(fd);
		chmod(path_.c_str(), mode);
	}
	~TempFile() { unlink(path_.c_str()); }
	const std::string &
	path() const
	{
		return path_;
	}

private:
	std::string path_;
};

/* The message of the ConfigError that f throws ("" when it throws none). */
template <typename F>
std::string
config_error(F f)
{
	try
	{
		f();
	}
	catch (const ConfigError &e)
	{
		return e.what();
	}
	return "";
}

TEST(S3Credentials, Profiles)
{
	Credentials d = parse_credentials(file_text, "f", "");
	EXPECT_EQ(d.access_key, "AKDEFAULT");
	EXPECT_EQ(d.secret_key, "secretdefault");
	EXPECT_EQ(d.session_token, "");
	EXPECT_EQ(parse_credentials(file_text, "f", "default").access_key, "AKDEFAULT");
	Credentials o = parse_credentials(file_text, "f", "other");
	EXPECT_EQ(o.access_key, "AKOTHER");
	EXPECT_EQ(o.secret_key, "secret/other+x=");
	EXPECT_EQ(o.session_token, "tok");
}

TEST(S3Credentials, MissingProfileOrKeysNamedWithoutValues)
{
	std::string e = config_error([] { parse_credentials(file_text, "/x/creds", "nope"); });
	EXPECT_EQ(e, "credentials file \"/x/creds\" has no profile \"nope\"");
	e = config_error([] { parse_credentials(file_text, "/x/creds", "nokeys"); });
	EXPECT_EQ(e, "profile \"nokeys\" in credentials file \"/x/creds\" has no aws_access_key_id");
	e = config_error([] { parse_credentials(file_text, "/x/creds", "nosecret"); });
	EXPECT_EQ(e,
			  "profile \"nosecret\" in credentials file \"/x/creds\" has no aws_secret_access_key");
	EXPECT_EQ(e.find("AKNOSECRET"), std::string::npos);
}

TEST(S3Credentials, BadLineNamedByNumberNotText)
{
	std::string e = config_error(
		[] { parse_credentials("[default]\naws_secret_access_key SECRETVALUE\n", "f", ""); });
	EXPECT_EQ(e, "line 2 of credentials file \"f\" is neither a [section] nor a key = value line");
	e = config_error([] { parse_credentials("[default\n", "f", ""); });
	EXPECT_EQ(e, "line 1 of credentials file \"f\" is not a valid [section] line");
}

TEST(S3Credentials, FilePermissions)
{
	TempFile ok(file_text, 0600);
	EXPECT_EQ(load_credentials_file(ok.path(), "other").access_key, "AKOTHER");
	TempFile ro(file_text, 0400);
	EXPECT_EQ(load_credentials_file(ro.path(), "").access_key, "AKDEFAULT");

	for (mode_t mode : {0640, 0604, 0660, 0644})
	{
		TempFile open_file(file_text, mode);
		std::string e = config_error([&] { load_credentials_file(open_file.path(), ""); });
		char m[8];
		snprintf(m, sizeof(m), "%04o", static_cast<unsigned>(mode));
		EXPECT_EQ(e, "credentials file \"" + open_file.path() +
						 "\" is accessible by other users than its owner (mode " + m +
						 "); it must be readable only by its owner (chmod 600)");
	}
	std::string e = config_error([] { load_credentials_file("/nonexistent/creds", ""); });
	EXPECT_EQ(e,
			  "could not open credentials file \"/nonexistent/creds\": No such file or directory");
}

class Env
{
public:
	Env()
	{
		const char *home = getenv("HOME");
		home_ = home ? home : "";
		for (const char *n : names)
			unsetenv(n);
	}
	~Env()
	{
		for (const char *n : names)
			unsetenv(n);
		setenv("HOME", home_.c_str(), 1);
	}
	std::string home_;
	static constexpr const char *names[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
											"AWS_SESSION_TOKEN", "AWS_SHARED_CREDENTIALS_FILE",
											"AWS_PROFILE"};
};

TEST(S3Credentials, Environment)
{
	Env env;
	TempFile f(file_text, 0600);
	setenv("HOME", "/nonexistent", 1);
	EXPECT_FALSE(credentials_from_environment().has_value());

	setenv("AWS_ACCESS_KEY_ID", "AKENV", 1);
	EXPECT_EQ(config_error([] { credentials_from_environment(); }),
			  "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
	setenv("AWS_SECRET_ACCESS_KEY", "secretenv", 1);
	setenv("AWS_SESSION_TOKEN", "tokenv", 1);
	auto c = credentials_from_environment();
	ASSERT_TRUE(c.has_value());
	EXPECT_EQ(c->access_key, "AKENV");
	EXPECT_EQ(c->secret_key, "secretenv");
	EXPECT_EQ(c->session_token, "tokenv");

	/* The variables win over the file. */
	setenv("AWS_SHARED_CREDENTIALS_FILE", f.path().c_str(), 1);
	EXPECT_EQ(credentials_from_environment()->access_key, "AKENV");

	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	EXPECT_EQ(credentials_from_environment()->access_key, "AKDEFAULT");
	setenv("AWS_PROFILE", "other", 1);
	EXPECT_EQ(credentials_from_environment()->access_key, "AKOTHER");
	setenv("AWS_PROFILE", "nope", 1);
	EXPECT_NE(config_error([] { credentials_from_environment(); }).find("has no profile \"nope\""),
			  std::string::npos);
}

} // namespace
} // namespace pgls::s3
