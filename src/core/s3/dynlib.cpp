/*
 * dynlib.cpp -- dlopen(3) with a clear error (see dynlib.hpp).
 */
#include "../pure.hpp"
#include "dynlib.hpp"

#include "error.hpp"

#include <dlfcn.h>

namespace pgls::s3
{

DynLib::DynLib(const char *what, std::initializer_list<const char *> sonames, const char *hint)
	: what_(what)
{
	std::string errors;
	for (const char *name : sonames)
	{
		handle_ = ::dlopen(name, RTLD_NOW | RTLD_LOCAL);
		if (handle_ != nullptr)
			return;
		const char *why = ::dlerror();
		errors += std::string(errors.empty() ? "" : "; ") + (why ? why : name);
	}
	throw ConfigError("could not load " + what_ + ": " + errors + " (" + hint + ")");
}

void *
DynLib::lookup(const char *symbol) const
{
	void *p = ::dlsym(handle_, symbol);
	if (p == nullptr)
		throw ConfigError("could not load " + what_ + ": no symbol " + symbol);
	return p;
}

} // namespace pgls::s3
