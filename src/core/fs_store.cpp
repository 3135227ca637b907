/*
 * fs_store.cpp -- the filesystem store: hardened opens, link(2) publishing (see the header).
 */
#include "pure.hpp"
#include "fs_store.hpp"

#include "interrupt.hpp"
#include "layout.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pgls
{

namespace
{

/* Interrupts are checked once per this many directory entries or removals. */
constexpr int kInterruptEvery = 256;

EntryType
type_of(mode_t mode)
{
	if (S_ISREG(mode))
		return EntryType::Regular;
	if (S_ISDIR(mode))
		return EntryType::Directory;
	if (S_ISLNK(mode))
		return EntryType::Symlink;
	return EntryType::Other;
}

StoreEntry
entry_of(const std::string &name, const struct stat &st)
{
	StoreEntry e;
	e.name = name;
	e.type = type_of(st.st_mode);
	e.type_name = entry_type_name(e.type, st.st_mode);
	e.size = static_cast<uint64_t>(st.st_size);
	e.mtime = static_cast<int64_t>(st.st_mtime);
	return e;
}

class LocalReader : public ObjectReader
{
public:
	LocalReader(Fd fd, std::string path, uint64_t size)
		: fd_(std::move(fd)), path_(std::move(path)), size_(size)
	{
	}
	size_t
	read(char *buf, size_t len) override
	{
		return static_cast<size_t>(read_some(fd_.get(), buf, len, path_));
	}
	uint64_t
	size() const override
	{
		return size_;
	}
	const std::string &
	where() const override
	{
		return path_;
	}

private:
	Fd fd_;
	std::string path_;
	uint64_t size_;
};

unsigned long
next_nonce()
{
	static std::atomic<unsigned long> counter{0};
	auto now = std::chrono::steady_clock::now().time_since_epoch().count();
	return (static_cast<unsigned long>(now) & 0xFFFFFFFFul) * 1000 + (counter++ % 1000);
}

/* Removes a temp file when it goes out of scope. */
class TempName
{
public:
	explicit TempName(std::string path) : path_(std::move(path)) {}
	TempName(const TempName &) = delete;
	TempName &operator=(const TempName &) = delete;
	~TempName() { ::unlink(path_.c_str()); }
	const std::string &
	path() const
	{
		return path_;
	}

private:
	std::string path_;
};

bool
links_unsupported(int err)
{
	return err == EPERM || err == EOPNOTSUPP || err == ENOTSUP || err == ENOSYS;
}

} // namespace

Fd
open_regular(const std::string &path)
{
	/* lstat first, so that a device or FIFO is not even opened in the common case; the type is
	 * checked again on the descriptor, which closes the race with a name replaced meanwhile. */
	struct stat st;
	if (::lstat(path.c_str(), &st) != 0)
	{
		if (errno == ENOENT || errno == ENOTDIR)
			return Fd();
		throw_io("stat file", path, errno);
	}
	if (!S_ISREG(st.st_mode))
		throw NotRegularFile(path, entry_type_name(type_of(st.st_mode), st.st_mode));
	int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
	{
		int err = errno;
		if (err == ENOENT)
			return Fd();
		if (err == ELOOP)
			throw NotRegularFile(path, "symbolic link");
		if (err == ENXIO)
			throw NotRegularFile(path, "socket");
		throw_io("open file", path, err);
	}
	Fd out(fd);
	if (::fstat(fd, &st) != 0)
		throw_io("stat file", path, errno);
	if (!S_ISREG(st.st_mode))
		throw NotRegularFile(path, entry_type_name(type_of(st.st_mode), st.st_mode));
	int flags = ::fcntl(fd, F_GETFL);
	if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0)
		throw_io("set flags of file", path, errno);
	return out;
}

std::unique_ptr<ObjectReader>
open_local_object(const std::string &path)
{
	Fd fd = open_regular(path);
	if (fd.get() < 0)
		return nullptr;
	struct stat st;
	if (::fstat(fd.get(), &st) != 0)
		throw_io("stat file", path, errno);
	return std::make_unique<LocalReader>(std::move(fd), path, static_cast<uint64_t>(st.st_size));
}

void
FdObjectWriter::write(const char *buf, size_t len)
{
	write_all(fd_, buf, len, path_);
	write_back_.wrote(len);
}

void
FdObjectWriter::write_at(uint64_t offset, const char *buf, size_t len)
{
	off_t off = static_cast<off_t>(offset);
	while (len > 0)
	{
		ssize_t n = ::pwrite(fd_, buf, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			throw_io("write to file", path_, errno);
		if (n == 0)
			throw_io("write to file", path_, ENOSPC);
		buf += n;
		len -= static_cast<size_t>(n);
		off += n;
	}
}

FsStore::FsStore(std::string root, StoreWriter writer, FileModes modes)
	: root_(std::move(root)), writer_(std::move(writer)), modes_(modes), link_(::link)
{
}

std::string
FsStore::path(const std::string &folder, const std::string &name) const
{
	std::string p = root_;
	for (const std::string *part : {&folder, &name})
	{
		if (part->empty())
			continue;
		if (!p.empty() && p.back() != '/')
			p += '/';
		p += *part;
	}
	return p;
}

std::string
FsStore::where(const std::string &folder, const std::string &name) const
{
	return path(folder, name);
}

std::optional<StoreEntry>
FsStore::stat(const std::string &folder, const std::string &name)
{
	std::string p = path(folder, name);
	struct stat st;
	if (::lstat(p.c_str(), &st) != 0)
	{
		if (errno == ENOENT || errno == ENOTDIR)
			return std::nullopt;
		throw_io("stat file", p, errno);
	}
	return entry_of(name, st);
}

bool
FsStore::folder_exists(const std::string &folder)
{
	std::string p = path(folder);
	struct stat st;
	if (::stat(p.c_str(), &st) != 0)
	{
		if (errno == ENOENT || errno == ENOTDIR)
			return false;
		throw_io("stat directory", p, errno);
	}
	return S_ISDIR(st.st_mode);
}

std::vector<StoreEntry>
FsStore::list(const std::string &folder)
{
	std::string dir = path(folder);
	std::vector<StoreEntry> out;
	int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
	{
		if (errno == ENOENT)
			return out;
		throw_io("open directory", dir, errno);
	}
	DIR *d = ::fdopendir(dfd);
	if (d == nullptr)
	{
		int err = errno;
		::close(dfd);
		throw_io("open directory", dir, err);
	}
	std::unique_ptr<DIR, int (*)(DIR *)> guard(d, ::closedir);
	int n = 0;
	errno = 0;
	while (struct dirent *e = ::readdir(d))
	{
		if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
		{
			struct stat st;
			if (::fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
				out.push_back(entry_of(e->d_name, st));
			else if (errno != ENOENT) /* removed since it was read: gone */
				throw_io("stat file", dir + "/" + e->d_name, errno);
		}
		if (++n % kInterruptEvery == 0)
			check_interrupts();
		errno = 0;
	}
	if (errno != 0)
		throw_io("read directory", dir, errno);
	return out;
}

std::unique_ptr<ObjectReader>
FsStore::open(const std::string &folder, const std::string &name)
{
	return open_local_object(path(folder, name));
}

void
FsStore::make_folder(const std::string &folder)
{
	/* Folders are made inside the archive, never the archive itself: a missing archive
	 * directory (an unmounted share, a typo) is an error to report, not one to create. */
	struct stat st;
	if (::stat(root_.c_str(), &st) != 0)
		throw_io("use archive directory", root_, errno);
	if (!S_ISDIR(st.st_mode))
		throw_io("use archive directory", root_, ENOTDIR);
	make_dirs_durable(path(folder), modes_.dir);
}

PublishResult
FsStore::publish(const std::string &folder, const std::string &name, const ObjectFill &fill)
{
	std::string dir = path(folder);
	std::string final_path = path(folder, name);
	TempName temp(
		dir + "/" +
		temp_file_name(name, writer_.server,
					   writer_.instance.empty() ? std::string(kNoInstance) : writer_.instance,
					   writer_.pid, next_nonce()));
	{
		Fd out = open_or_throw(temp.path(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, modes_.file,
							   "create file");
		FdObjectWriter writer(out.get(), temp.path());
		fill(writer);
		if (::fsync(out.get()) != 0)
			throw_io("fsync file", temp.path(), errno);
	}
	if (link_(temp.path().c_str(), final_path.c_str()) != 0)
	{
		int err = errno;
		struct stat st;
		/* NFS: a retransmitted link whose first attempt succeeded fails (EEXIST or otherwise);
		 * then the temp file has two names. */
		bool linked = ::stat(temp.path().c_str(), &st) == 0 && st.st_nlink == 2;
		if (!linked)
		{
			if (err == EEXIST)
				return PublishResult::Exists;
			if (links_unsupported(err))
				throw IoError("the filesystem of archive folder \"" + dir +
								  "\" does not support hard links (link: " + std::strerror(err) +
								  "); pg_logship publishes archived files with link(2), which "
								  "never replaces a file: use a filesystem with hard links",
							  err);
			throw_io("link file to", final_path, err);
		}
	}
	/* The temp name goes when `temp` does; the folder is fsynced after that, so that the final
	 * name is durable and the temp name is gone. */
	::unlink(temp.path().c_str());
	fsync_path(dir, true);
	return PublishResult::Published;
}

void
FsStore::make_durable(const std::string &folder, const std::string &name)
{
	std::string p = path(folder, name);
	Fd fd = open_regular(p);
	if (fd.get() < 0)
		throw_io("open file", p, ENOENT);
	if (::fsync(fd.get()) != 0)
		throw_io("fsync file", p, errno);
	fsync_path(path(folder), true);
}

void
FsStore::remove(const std::string &folder, const std::vector<std::string> &names,
				const RemoveProgress &progress)
{
	std::string dir = path(folder);
	size_t done = 0;
	try
	{
		/* An interrupt between any two files: a cancelled cleanup stops at once (t/072). */
		for (const std::string &name : names)
		{
			check_interrupts();
			remove_if_exists(dir + "/" + name);
			++done;
			if (progress)
				progress(done);
		}
	}
	catch (...)
	{
		/* Make what was removed stick; the first error is the one to report. */
		try
		{
			if (done > 0)
				fsync_path(dir, true);
		}
		catch (...)
		{
		}
		throw;
	}
	if (done > 0)
		fsync_path(dir, true);
}

} // namespace pgls
