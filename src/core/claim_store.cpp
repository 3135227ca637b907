/*
 * claim_store.cpp -- claims in an archive store: create-if-absent with the store's publish, and
 * read (see the header).
 */
#include "pure.hpp"
#include "claim_store.hpp"

#include "fileio.hpp"
#include "store.hpp"

namespace pgls
{

namespace
{

/* "claims/x" -> ("claims", "x"). */
std::pair<std::string, std::string>
split(const std::string &name)
{
	auto slash = name.rfind('/');
	if (slash == std::string::npos)
		return {std::string(), name};
	return {name.substr(0, slash), name.substr(slash + 1)};
}

} // namespace

bool
StoreClaimStore::create_if_absent(const std::string &name, const std::string &contents)
{
	auto [folder, base] = split(name);
	store_.make_folder(folder);
	PublishResult r = store_.publish(folder, base,
									 [&contents](ObjectWriter &w) -> std::optional<ContentId>
									 {
										 w.write(contents.data(), contents.size());
										 return std::nullopt;
									 });
	return r == PublishResult::Published;
}

std::optional<std::string>
StoreClaimStore::read(const std::string &name, size_t max_bytes)
{
	auto [folder, base] = split(name);
	std::unique_ptr<ObjectReader> r = store_.open(folder, base);
	if (!r)
		return std::nullopt;
	std::string out(max_bytes, '\0');
	size_t got = 0;
	while (got < max_bytes)
	{
		size_t n = r->read(out.data() + got, max_bytes - got);
		if (n == 0)
			break;
		got += n;
	}
	out.resize(got);
	return out;
}

std::string
StoreClaimStore::location(const std::string &name) const
{
	auto [folder, base] = split(name);
	return store_.where(folder, base);
}

} // namespace pgls
