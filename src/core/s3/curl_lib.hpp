/*
 * curl_lib.hpp -- libcurl, loaded at run time (dynlib.hpp) on first use.
 *
 * libcurl.so.4 (Debian's libcurl4, OpenSSL) first, then libcurl-gnutls.so.4 (the same API).
 * curl_global_init runs once, when it is loaded. Throws ConfigError when neither loads.
 */
#pragma once

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

namespace pgls::s3
{

struct LibCurl
{
	decltype(&::curl_easy_init) easy_init;
	decltype(&::curl_easy_cleanup) easy_cleanup;
	decltype(&::curl_easy_reset) easy_reset;
	decltype(&::curl_easy_setopt) easy_setopt;
	decltype(&::curl_easy_perform) easy_perform;
	decltype(&::curl_easy_getinfo) easy_getinfo;
	decltype(&::curl_easy_strerror) easy_strerror;
	decltype(&::curl_slist_append) slist_append;
	decltype(&::curl_slist_free_all) slist_free_all;
};

const LibCurl &libcurl();

} // namespace pgls::s3
