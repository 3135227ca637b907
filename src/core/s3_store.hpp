/*
 * s3_store.hpp -- an archive in S3-compatible object storage (see store.hpp).
 *
 *   s3://<bucket>/<prefix>/<folder>/<name>
 *
 * publish is one PUT with If-None-Match: * of the whole object (header and compressed payload):
 * S3 creates the key only if it does not exist and answers 412 otherwise, so of many concurrent
 * publishers exactly one creates it, and nothing partial is ever visible under the key (no
 * multipart upload: its completion is not conditional on Ceph RGW 16). The original size and
 * XXH3-128 of the content go into the object's metadata too, so that stat() (a HEAD) tells a
 * different copy without reading it. A success response is durable; there is nothing to fsync
 * and no folder to create. Folders are key prefixes: list() lists one level with the delimiter
 * "/", and a folder exists when an object lies under it (the shared layout's "wal" and the
 * quarantine always do, once the bucket is readable).
 *
 * A store that does not honour If-None-Match: * would let a second publisher overwrite the
 * first: probe_conditional_put() finds out, with a key of its own, before anything is archived.
 */
#pragma once

#include "s3/client.hpp"
#include "store.hpp"

#include <memory>
#include <string>

namespace pgls
{

/* Metadata names of the content id (x-amz-meta-...). */
constexpr const char *kMetaOriginalSize = "pgls-original-size";
constexpr const char *kMetaChecksum = "pgls-xxh3-128";

class S3Store : public Store
{
public:
	S3Store(s3::Config config, const std::string &location);

	const std::string &
	location() const override
	{
		return location_;
	}
	std::string where(const std::string &folder, const std::string &name = "") const override;
	bool
	local() const override
	{
		return false;
	}

	std::optional<StoreEntry> stat(const std::string &folder, const std::string &name) override;
	bool folder_exists(const std::string &folder) override;
	std::vector<StoreEntry> list(const std::string &folder) override;
	std::unique_ptr<ObjectReader> open(const std::string &folder, const std::string &name) override;
	void
	make_folder(const std::string &) override
	{
	}
	PublishResult publish(const std::string &folder, const std::string &name,
						  const ObjectFill &fill) override;
	bool
	look_before_publish() const override
	{
		return last_publish_found_name_;
	}
	void
	make_durable(const std::string &, const std::string &) override
	{
	}
	void remove(const std::string &folder, const std::vector<std::string> &names,
				const RemoveProgress &progress = nullptr) override;

	/*
	 * Checks that the store refuses to overwrite with If-None-Match: *: PUTs a probe key under
	 * "<prefix>/.pgls-probe/" twice and removes it. Returns "" when the second PUT was refused,
	 * else what went wrong (one line). Throws s3::Error when the store cannot be reached.
	 */
	std::string probe_conditional_put(const std::string &who);

	s3::Client &
	client()
	{
		return client_;
	}

private:
	std::string rel(const std::string &folder, const std::string &name = "") const;

	std::string location_;
	s3::Client client_;
	/* The last publish got 412 (the key existed): look (HEAD) before the next one. */
	bool last_publish_found_name_ = false;
};

} // namespace pgls
