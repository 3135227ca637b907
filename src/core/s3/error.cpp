/*
 * error.cpp -- scrubbing secrets from text (see error.hpp).
 */
#include "../pure.hpp"
#include "error.hpp"

namespace pgls::s3
{

namespace
{

void
replace_all(std::string &text, const std::string &secret)
{
	if (secret.empty())
		return;
	static const std::string mark = "[redacted]";
	for (size_t at = text.find(secret); at != std::string::npos;
		 at = text.find(secret, at + mark.size()))
		text.replace(at, secret.size(), mark);
}

} // namespace

std::string
redact(std::string text, const std::string &secret1, const std::string &secret2)
{
	replace_all(text, secret1);
	replace_all(text, secret2);
	return text;
}

} // namespace pgls::s3
