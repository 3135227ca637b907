/*
 * s3_store.cpp -- the object store: one conditional PUT per publish (see the header).
 */
#include "pure.hpp"
#include "s3_store.hpp"

#include "interrupt.hpp"

#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <algorithm>
#include <random>

namespace pgls
{

namespace
{

std::optional<ContentId>
content_from_metadata(const std::map<std::string, std::string> &meta)
{
	auto size = meta.find(kMetaOriginalSize);
	auto sum = meta.find(kMetaChecksum);
	if (size == meta.end() || sum == meta.end() || sum->second.size() != 32)
		return std::nullopt;
	ContentId id;
	char *end = nullptr;
	errno = 0;
	unsigned long long n = std::strtoull(size->second.c_str(), &end, 10);
	if (errno != 0 || end == size->second.c_str() || *end != '\0')
		return std::nullopt;
	id.size = n;
	uint64_t hi = 0, lo = 0;
	if (std::sscanf(sum->second.c_str(), "%16" SCNx64 "%16" SCNx64, &hi, &lo) != 2)
		return std::nullopt;
	id.checksum = Checksum128{lo, hi};
	return id;
}

StoreEntry
entry_of(const std::string &name, const s3::ObjectInfo &o)
{
	StoreEntry e;
	e.name = name;
	e.type = EntryType::Regular;
	e.type_name = entry_type_name(EntryType::Regular);
	e.size = o.size;
	e.mtime = o.mtime;
	e.content = content_from_metadata(o.metadata);
	return e;
}

std::string
random_suffix()
{
	std::random_device rd;
	char buf[32];
	std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
	return buf;
}

} // namespace

S3Store::S3Store(s3::Config config, const std::string &location)
	: location_(location), client_(std::move(config), s3::parse_s3_url(location))
{
}

std::string
S3Store::rel(const std::string &folder, const std::string &name) const
{
	if (folder.empty())
		return name;
	return name.empty() ? folder : folder + "/" + name;
}

std::string
S3Store::where(const std::string &folder, const std::string &name) const
{
	return client_.url_of(client_.key(rel(folder, name)));
}

std::optional<StoreEntry>
S3Store::stat(const std::string &folder, const std::string &name)
{
	std::optional<s3::ObjectInfo> o = client_.head(client_.key(rel(folder, name)));
	if (!o)
		return std::nullopt;
	return entry_of(name, *o);
}

bool
S3Store::folder_exists(const std::string &folder)
{
	client_.check_access();
	if (folder.empty() || folder == "wal" || folder.rfind("quarantine", 0) == 0)
		return true;
	return !client_.list_page(client_.key(folder + "/"), "", "", 1).objects.empty();
}

std::vector<StoreEntry>
S3Store::list(const std::string &folder)
{
	std::string prefix = client_.key(rel(folder, "")) + "/";
	std::vector<StoreEntry> out;
	std::string token;
	do
	{
		check_interrupts();
		s3::Client::Page page = client_.list_page(prefix, token, "/");
		for (const s3::ObjectInfo &o : page.objects)
			if (o.key.size() > prefix.size())
				out.push_back(entry_of(o.key.substr(prefix.size()), o));
		for (const std::string &p : page.prefixes)
		{
			if (p.size() <= prefix.size() + 1)
				continue;
			StoreEntry e;
			e.name = p.substr(prefix.size(), p.size() - prefix.size() - 1);
			e.type = EntryType::Directory;
			e.type_name = entry_type_name(EntryType::Directory);
			out.push_back(e);
		}
		token = page.next_token;
	} while (!token.empty());
	return out;
}

std::unique_ptr<ObjectReader>
S3Store::open(const std::string &folder, const std::string &name)
{
	std::string key = client_.key(rel(folder, name));
	std::string data;
	if (!client_.get_to(key, [&data](const char *p, size_t n) { data.append(p, n); }))
		return nullptr;
	return std::make_unique<StringObjectReader>(std::move(data), client_.url_of(key));
}

PublishResult
S3Store::publish(const std::string &folder, const std::string &name, const ObjectFill &fill)
{
	StringObjectWriter writer;
	std::optional<ContentId> content = fill(writer);
	std::map<std::string, std::string> meta;
	if (content)
	{
		meta[kMetaOriginalSize] = std::to_string(content->size);
		meta[kMetaChecksum] = content->checksum.hex();
	}
	s3::PutOutcome r = client_.put_if_absent(client_.key(rel(folder, name)), writer.data().data(),
											 writer.data().size(), meta);
	last_publish_found_name_ = r != s3::PutOutcome::Created;
	return r == s3::PutOutcome::Created ? PublishResult::Published : PublishResult::Exists;
}

void
S3Store::remove(const std::string &folder, const std::vector<std::string> &names,
				const RemoveProgress &progress)
{
	/* DeleteObjects takes up to 1000 keys: one batch at a time, so that progress is exact. */
	constexpr size_t kBatch = 1000;
	for (size_t from = 0; from < names.size(); from += kBatch)
	{
		check_interrupts();
		std::vector<std::string> keys;
		for (size_t i = from; i < std::min(names.size(), from + kBatch); i++)
			keys.push_back(client_.key(rel(folder, names[i])));
		auto failed = client_.delete_objects(keys);
		if (!failed.empty())
			throw IoError("could not remove " + std::to_string(failed.size()) +
							  " object(s) from \"" + where(folder) + "\", the first \"" +
							  client_.url_of(failed[0].first) + "\": " + failed[0].second,
						  EIO);
		if (progress)
			progress(from + keys.size());
	}
}

std::string
S3Store::probe_conditional_put(const std::string &who)
{
	std::string key = client_.key(".pgls-probe/" + who + "-" + random_suffix());
	const char body[] = "pg_logship probe of If-None-Match: *\n";
	std::string problem;
	if (client_.put_if_absent(key, body, sizeof body - 1) != s3::PutOutcome::Created)
		problem = "a PUT with If-None-Match: * of the new key \"" + client_.url_of(key) +
				  "\" was refused as if the key existed";
	else if (client_.put_if_absent(key, body, sizeof body - 1) != s3::PutOutcome::AlreadyExists)
		problem = "a second PUT with If-None-Match: * of \"" + client_.url_of(key) +
				  "\" replaced the object instead of failing with 412 Precondition Failed";
	client_.delete_objects({key});
	return problem;
}

} // namespace pgls
