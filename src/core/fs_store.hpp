/*
 * fs_store.hpp -- an archive in a filesystem folder tree (see store.hpp).
 *
 *   <root>/<folder>/<name>
 *
 * publish writes "<name>.pgls-tmp.<server>.<pid>.<nonce>" in the folder (layout.hpp), fsyncs it,
 * and gives it the final name with link(2), which never replaces a name: of many concurrent
 * writers exactly one links, the others see EEXIST. On NFS a link whose reply was lost reports
 * EEXIST although it succeeded; the temp file's link count tells. The folder is fsynced after.
 * A filesystem without hard links cannot do this, and says so.
 *
 * Opens are hardened (open_regular()): nothing but a regular file is ever opened, a FIFO never
 * blocks the caller, and a symlink is never followed.
 */
#pragma once

#include "store.hpp"

#include <memory>
#include <string>

namespace pgls
{

/*
 * Opens path for reading only if it is a regular file: non-blocking (a FIFO cannot hang the
 * caller) and without following a symlink, with the type checked on the open descriptor (no
 * stat-then-open race). Returns an invalid Fd when path does not exist; throws NotRegularFile for
 * anything but a regular file, IoError for other failures.
 */
Fd open_regular(const std::string &path);

/* An ObjectReader of a local regular file (open_regular()); nullptr when it does not exist. */
std::unique_ptr<ObjectReader> open_local_object(const std::string &path);

/* An ObjectWriter into an open file descriptor, starting the write-back as it goes. */
class FdObjectWriter : public ObjectWriter
{
public:
	FdObjectWriter(int fd, std::string path) : fd_(fd), path_(std::move(path)), write_back_(fd) {}
	void write(const char *buf, size_t len) override;
	void write_at(uint64_t offset, const char *buf, size_t len) override;

private:
	int fd_;
	std::string path_;
	WriteBack write_back_;
};

/* The link(2) the store publishes with; tests replace it to play a filesystem without hard
 * links. Returns 0 or -1 with errno, as link(2). */
using LinkFunction = int (*)(const char *from, const char *to);

class FsStore : public Store
{
public:
	FsStore(std::string root, StoreWriter writer = {}, FileModes modes = {});

	const std::string &
	location() const override
	{
		return root_;
	}
	std::string where(const std::string &folder, const std::string &name = "") const override;
	bool
	local() const override
	{
		return true;
	}

	std::optional<StoreEntry> stat(const std::string &folder, const std::string &name) override;
	bool folder_exists(const std::string &folder) override;
	std::vector<StoreEntry> list(const std::string &folder) override;
	std::unique_ptr<ObjectReader> open(const std::string &folder, const std::string &name) override;
	void make_folder(const std::string &folder) override;
	PublishResult publish(const std::string &folder, const std::string &name,
						  const ObjectFill &fill) override;
	void make_durable(const std::string &folder, const std::string &name) override;
	void remove(const std::string &folder, const std::vector<std::string> &names,
				const RemoveProgress &progress = nullptr) override;

	/* The path of a folder, or of a name in it. */
	std::string path(const std::string &folder, const std::string &name = "") const;
	void
	set_link_function(LinkFunction fn)
	{
		link_ = fn;
	}

private:
	std::string root_;
	StoreWriter writer_;
	FileModes modes_;
	LinkFunction link_;
};

} // namespace pgls
