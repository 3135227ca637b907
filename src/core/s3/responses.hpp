/*
 * responses.hpp -- what S3's responses say: error bodies, listings, batch-delete results, dates,
 * object info from headers; and the batch-delete request body. PG-free and network-free, so
 * that all of it is unit-tested on sample documents.
 */
#pragma once

#include "client.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace pgls::s3
{

struct S3ErrorBody
{
	std::string code; /* empty when the body is not an S3 <Error> document */
	std::string message;
};

/* The <Error><Code/><Message/></Error> of an error response; empty fields when body is empty
 * or not such a document (a proxy's HTML page, say). */
S3ErrorBody parse_error_body(const std::string &body);

/* A ListObjectsV2 result (throws XmlError when it is not one). next_token is set only when
 * IsTruncated is true; a truncated page without a token is an XmlError too. */
Client::Page parse_list_result(const std::string &body);

/* The <Error> entries of a DeleteResult: (key, "Code: Message"). */
std::vector<std::pair<std::string, std::string>> parse_delete_result(const std::string &body);

/* <Delete><Quiet>true</Quiet><Object><Key>k</Key></Object>...</Delete> */
std::string delete_request_body(const std::vector<std::string>::const_iterator &begin,
								const std::vector<std::string>::const_iterator &end);

/* "Wed, 21 Oct 2015 07:28:00 GMT" (RFC 7231 IMF-fixdate) -> unix seconds; -1 if malformed. */
int64_t parse_http_date(const std::string &s);

/* "2015-10-21T07:28:00.000Z" (ISO 8601, UTC, optional fraction) -> unix seconds; -1 if bad. */
int64_t parse_iso8601(const std::string &s);

/* Size, mtime, ETag and x-amz-meta-* of a HEAD or GET response's headers (lower-case names).
 * For a 206, the size is the object's (from Content-Range), not the part's. Returns false when
 * a header needed for the size is missing or malformed. */
bool info_from_headers(const std::map<std::string, std::string> &headers, int status,
					   ObjectInfo &info);

} // namespace pgls::s3
