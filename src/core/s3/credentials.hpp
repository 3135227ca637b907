/*
 * credentials.hpp -- S3 access keys: from an AWS shared-credentials file, or the environment.
 *
 * The file format is AWS's (~/.aws/credentials): INI sections "[name]" (also "[profile name]"),
 * "key = value" lines, '#' and ';' comments. Recognised keys: aws_access_key_id,
 * aws_secret_access_key, aws_session_token (aws_security_token, its old name); others are
 * ignored. Errors (ConfigError) name the file, the profile, the line number and the key, never a
 * value or the text of a line.
 */
#pragma once

#include <optional>
#include <string>

namespace pgls::s3
{

struct Credentials
{
	std::string access_key;
	std::string secret_key;
	std::string session_token; /* empty: none (long-term keys) */
};

/* The keys of profile (empty: "default") in the file at path. Throws ConfigError when the file
 * cannot be read, is accessible by anyone but its owner (mode & 077: the server requires it to
 * be readable only by its user), lacks the profile, the access key or the secret key, or has a
 * line that is neither a section, a "key = value" nor a comment. */
Credentials load_credentials_file(const std::string &path, const std::string &profile);

/* Parses the text of a credentials file (path only for messages); no permission check. */
Credentials parse_credentials(const std::string &text, const std::string &path,
							  const std::string &profile);

/* The CLI's fallback, as the AWS tools look: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+
 * AWS_SESSION_TOKEN); else the file AWS_SHARED_CREDENTIALS_FILE, or ~/.aws/credentials if it
 * exists, with profile AWS_PROFILE (default "default"). nullopt when none of them is there.
 * Throws ConfigError when only one of the two key variables is set, or the file is bad. */
std::optional<Credentials> credentials_from_environment();

} // namespace pgls::s3
