/*
 * curl_lib.cpp -- loading libcurl (see curl_lib.hpp).
 */
#include "../pure.hpp"
#include "curl_lib.hpp"

#include "dynlib.hpp"
#include "error.hpp"

namespace pgls::s3
{

const LibCurl &
libcurl()
{
	static const LibCurl lib = []
	{
		static const DynLib dl("libcurl", {"libcurl.so.4", "libcurl-gnutls.so.4"},
							   "install libcurl4");
		LibCurl l;
		decltype(&::curl_global_init) global_init;
		dl.bind("curl_global_init", &global_init);
		dl.bind("curl_easy_init", &l.easy_init);
		dl.bind("curl_easy_cleanup", &l.easy_cleanup);
		dl.bind("curl_easy_reset", &l.easy_reset);
		dl.bind("curl_easy_setopt", &l.easy_setopt);
		dl.bind("curl_easy_perform", &l.easy_perform);
		dl.bind("curl_easy_getinfo", &l.easy_getinfo);
		dl.bind("curl_easy_strerror", &l.easy_strerror);
		dl.bind("curl_slist_append", &l.slist_append);
		dl.bind("curl_slist_free_all", &l.slist_free_all);
		if (global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			throw ConfigError("could not initialise libcurl");
		return l;
	}();
	return lib;
}

} // namespace pgls::s3
