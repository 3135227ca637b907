/*
 * claim_store.hpp -- the archive I/O that claims need (identity.hpp): create a small file unless it
 * exists, and read one. This is the only place claims touch the archive.
 *
 * On a filesystem create-if-absent is the archive's own publish step: a temp file
 * in the same folder, fsync, link(2) (which never replaces), fsync of the folder. On object storage
 * it is a PUT with "If-None-Match: *" (412 when the key exists); a read is a GET (404: absent).
 * Names are relative to the archive root ("claims/<server>").
 */
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace pgls
{

class ClaimStore
{
public:
	virtual ~ClaimStore() = default;

	/*
	 * Creates `name` holding `contents` unless it exists, durably. True when this call created it,
	 * false when it existed (then nothing was changed). Throws IoError when the store fails.
	 */
	virtual bool create_if_absent(const std::string &name, const std::string &contents) = 0;

	/*
	 * The contents of `name`, or nullopt when it does not exist. Reads at most max_bytes (a longer
	 * object reads as its first max_bytes). Throws IoError when the store fails.
	 */
	virtual std::optional<std::string> read(const std::string &name, size_t max_bytes) = 0;

	/* Where `name` is, for messages: a path, or a URL. */
	virtual std::string location(const std::string &name) const = 0;
};

class Store;

/* The ClaimStore of an archive store (store.hpp): create-if-absent is its publish (link(2) on a
 * filesystem, PUT If-None-Match: * on S3), a read opens only a regular file. */
class StoreClaimStore : public ClaimStore
{
public:
	explicit StoreClaimStore(Store &store) : store_(store) {}

	bool create_if_absent(const std::string &name, const std::string &contents) override;
	std::optional<std::string> read(const std::string &name, size_t max_bytes) override;
	std::string location(const std::string &name) const override;

private:
	Store &store_;
};

} // namespace pgls
