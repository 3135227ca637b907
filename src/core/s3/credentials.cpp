/*
 * credentials.cpp -- reading AWS shared-credentials files and AWS_* variables.
 */
#include "../pure.hpp"
#include "credentials.hpp"

#include "error.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pgls::s3
{

namespace
{

std::string
trim(const std::string &s)
{
	size_t b = s.find_first_not_of(" \t\r");
	if (b == std::string::npos)
		return {};
	size_t e = s.find_last_not_of(" \t\r");
	return s.substr(b, e - b + 1);
}

std::string
quoted(const std::string &s)
{
	return "\"" + s + "\"";
}

} // namespace

Credentials
parse_credentials(const std::string &text, const std::string &path, const std::string &profile_in)
{
	const std::string profile = profile_in.empty() ? "default" : profile_in;
	const std::string where = "credentials file " + quoted(path);
	bool in_profile = false, found = false;
	Credentials c;
	size_t line_no = 0;
	for (size_t pos = 0; pos < text.size();)
	{
		size_t nl = text.find('\n', pos);
		std::string line = trim(text.substr(pos, nl == std::string::npos ? nl : nl - pos));
		pos = nl == std::string::npos ? text.size() : nl + 1;
		line_no++;
		if (line.empty() || line[0] == '#' || line[0] == ';')
			continue;
		if (line[0] == '[')
		{
			if (line.back() != ']')
				throw ConfigError("line " + std::to_string(line_no) + " of " + where +
								  " is not a valid [section] line");
			std::string name = trim(line.substr(1, line.size() - 2));
			if (name.rfind("profile ", 0) == 0)
				name = trim(name.substr(8));
			in_profile = name == profile;
			found = found || in_profile;
			continue;
		}
		size_t eq = line.find('=');
		if (eq == std::string::npos)
			throw ConfigError("line " + std::to_string(line_no) + " of " + where +
							  " is neither a [section] nor a key = value line");
		if (!in_profile)
			continue;
		std::string key = trim(line.substr(0, eq));
		std::string value = trim(line.substr(eq + 1));
		if (key == "aws_access_key_id")
			c.access_key = value;
		else if (key == "aws_secret_access_key")
			c.secret_key = value;
		else if (key == "aws_session_token" || key == "aws_security_token")
			c.session_token = value;
	}
	if (!found)
		throw ConfigError(where + " has no profile " + quoted(profile));
	if (c.access_key.empty())
		throw ConfigError("profile " + quoted(profile) + " in " + where +
						  " has no aws_access_key_id");
	if (c.secret_key.empty())
		throw ConfigError("profile " + quoted(profile) + " in " + where +
						  " has no aws_secret_access_key");
	return c;
}

Credentials
load_credentials_file(const std::string &path, const std::string &profile)
{
	const std::string where = "credentials file " + quoted(path);
	int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		throw ConfigError("could not open " + where + ": " + std::strerror(errno));
	std::string text;
	struct stat st;
	int err = 0;
	if (::fstat(fd, &st) != 0)
		err = errno;
	else if (S_ISREG(st.st_mode) && (st.st_mode & 077) != 0)
	{
		::close(fd);
		char mode[8];
		snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
		throw ConfigError(where + " is accessible by other users than its owner (mode " + mode +
						  "); it must be readable only by its owner (chmod 600)");
	}
	else
	{
		char buf[4096];
		for (;;)
		{
			ssize_t n = ::read(fd, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				err = errno;
			if (n <= 0)
				break;
			text.append(buf, static_cast<size_t>(n));
			if (text.size() > (1 << 20))
			{
				::close(fd);
				throw ConfigError(where + " is larger than 1 MB");
			}
		}
	}
	::close(fd);
	if (err != 0)
		throw ConfigError("could not read " + where + ": " + std::strerror(err));
	return parse_credentials(text, path, profile);
}

std::optional<Credentials>
credentials_from_environment()
{
	auto env = [](const char *name) -> std::string
	{
		const char *v = std::getenv(name);
		return v ? v : "";
	};
	Credentials c{env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"), env("AWS_SESSION_TOKEN")};
	if (!c.access_key.empty() && !c.secret_key.empty())
		return c;
	if (!c.access_key.empty())
		throw ConfigError("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
	if (!c.secret_key.empty())
		throw ConfigError("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");

	std::string path = env("AWS_SHARED_CREDENTIALS_FILE");
	if (path.empty())
	{
		std::string home = env("HOME");
		if (home.empty())
			return std::nullopt;
		path = home + "/.aws/credentials";
		if (::access(path.c_str(), F_OK) != 0)
			return std::nullopt;
	}
	return load_credentials_file(path, env("AWS_PROFILE"));
}

} // namespace pgls::s3
