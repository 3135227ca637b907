/*
 * claim_store.hpp -- the archive I/O that claims need (identity.hpp): create a small file unless it
 * exists, and read one. This is the only place claims touch the archive.
 *
 * On a filesystem (FsClaimStore) create-if-absent is the archive's own publish step: a temp file
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

/* A ClaimStore on an archive directory. server, instance and pid name its temp files. */
class FsClaimStore : public ClaimStore
{
public:
	FsClaimStore(std::string root, std::string server, std::string instance, long pid)
		: root_(std::move(root)), server_(std::move(server)), instance_(std::move(instance)),
		  pid_(pid)
	{
	}

	bool create_if_absent(const std::string &name, const std::string &contents) override;
	std::optional<std::string> read(const std::string &name, size_t max_bytes) override;
	std::string location(const std::string &name) const override;

private:
	std::string root_;
	std::string server_;
	std::string instance_;
	long pid_;
};

} // namespace pgls
