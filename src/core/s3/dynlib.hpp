/*
 * dynlib.hpp -- loading a shared library at run time (dlopen), for libcurl and libcrypto.
 *
 * The command-line tool is restore_command: its start-up is on recovery's critical path, and
 * linking libcurl (with its dozen dependencies) or libcrypto into it would add milliseconds to
 * every restore, from a filesystem archive too. So the S3 client loads them with dlopen(3) when
 * it is first used, as the tool loads libpq for "check" (src/cli/libpq.cpp). The handles stay
 * open for the life of the process.
 */
#pragma once

#include <initializer_list>
#include <string>

namespace pgls::s3
{

class DynLib
{
public:
	/* Opens the first of sonames that loads; throws ConfigError "could not load <what>: ..."
	 * with each dlerror() and what to install (hint). */
	DynLib(const char *what, std::initializer_list<const char *> sonames, const char *hint);

	/* *out = the symbol; throws ConfigError when it is missing. */
	template <typename F>
	void
	bind(const char *symbol, F *out) const
	{
		*out = reinterpret_cast<F>(lookup(symbol));
	}

private:
	void *lookup(const char *symbol) const;
	std::string what_;
	void *handle_ = nullptr;
};

} // namespace pgls::s3
