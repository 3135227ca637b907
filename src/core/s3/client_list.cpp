/*
 * client_list.cpp -- Client's bucket calls: ListObjectsV2 pages, DeleteObjects batches,
 * check_access.
 */
#include "../pure.hpp"
#include "client_impl.hpp"

#include "../interrupt.hpp"
#include "crypto.hpp"
#include "responses.hpp"
#include "xml.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace pgls::s3
{

namespace
{

constexpr size_t delete_batch = 1000;

} // namespace

Client::Page
Client::list_page(const std::string &prefix, const std::string &token, const std::string &delimiter,
				  int max_keys)
{
	if (max_keys < 1 || max_keys > 1000)
		throw std::invalid_argument("S3 ListObjectsV2 max_keys must be 1 to 1000");
	Call call;
	call.op = "ListObjectsV2";
	call.url = url_of(prefix);
	call.method = "GET";
	call.payload_hash = empty_payload_hash();
	call.query = {{"list-type", "2"}, {"max-keys", std::to_string(max_keys)}, {"prefix", prefix}};
	if (!delimiter.empty())
		call.query.emplace_back("delimiter", delimiter);
	if (!token.empty())
		call.query.emplace_back("continuation-token", token);
	HttpResponse r = impl_->execute(call);
	try
	{
		return parse_list_result(r.body);
	}
	catch (const XmlError &e)
	{
		throw Error(impl_->what(call) + " failed: bad response: " + e.what(), Failure::Protocol,
					r.status, "", false);
	}
}

std::vector<ObjectInfo>
Client::list_all(const std::string &prefix, const std::string &delimiter)
{
	std::vector<ObjectInfo> all;
	std::set<std::string> seen_tokens;
	std::string token;
	do
	{
		check_interrupts();
		Page page = list_page(prefix, token, delimiter);
		for (ObjectInfo &o : page.objects)
			all.push_back(std::move(o));
		for (std::string &p : page.prefixes)
		{
			ObjectInfo o;
			o.key = std::move(p); /* a "folder": its key ends in the delimiter, size 0 */
			all.push_back(std::move(o));
		}
		token = page.next_token;
		if (!token.empty() && !seen_tokens.insert(token).second)
			throw Error("S3 ListObjectsV2 of " + url_of(prefix) +
							" failed: the server returned the same continuation token twice",
						Failure::Protocol, 200, "", false);
	} while (!token.empty());
	return all;
}

std::vector<std::pair<std::string, std::string>>
Client::delete_objects(const std::vector<std::string> &keys)
{
	std::vector<std::pair<std::string, std::string>> failed;
	for (size_t from = 0; from < keys.size(); from += delete_batch)
	{
		check_interrupts();
		size_t to = std::min(keys.size(), from + delete_batch);
		const std::string body = delete_request_body(keys.begin() + static_cast<long>(from),
													 keys.begin() + static_cast<long>(to));
		Call call;
		call.op = "DeleteObjects";
		call.url = url_of(keys[from]) +
				   (to - from > 1 ? " (and " + std::to_string(to - from - 1) + " more)" : "");
		call.method = "POST";
		call.query = {{"delete", ""}};
		call.body = body.data();
		call.body_len = body.size();
		call.payload_hash = sha256_hex(body.data(), body.size());
		Md5 md = md5(body.data(), body.size());
		call.headers.emplace_back("content-md5", base64(md.data(), md.size()));
		HttpResponse r = impl_->execute(call);
		try
		{
			for (auto &f : parse_delete_result(r.body))
				failed.push_back(std::move(f));
		}
		catch (const XmlError &e)
		{
			throw Error(impl_->what(call) + " failed: bad response: " + e.what(), Failure::Protocol,
						r.status, "", false);
		}
	}
	return failed;
}

void
Client::check_access()
{
	list_page(key(""), "", "", 1);
}

} // namespace pgls::s3
