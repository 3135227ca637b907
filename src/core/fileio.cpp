/*
 * fileio.cpp -- durable POSIX file operations used by the archiver and the CLI.
 */
#include "pure.hpp"
#include "fileio.hpp"

#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

namespace pgls
{

namespace
{
constexpr size_t kCopyBuf = 1 << 20;
constexpr uint64_t kWriteBackDistance = 1 << 20; /* PostgreSQL's FLUSH_DISTANCE in copydir.c */
} // namespace

void
WriteBack::wrote(size_t n)
{
	written_ += n;
	if (written_ - started_ < kWriteBackDistance)
		return;
#if defined(__linux__) && defined(SYNC_FILE_RANGE_WRITE)
	(void) ::sync_file_range(fd_, static_cast<off_t>(started_),
							 static_cast<off_t>(written_ - started_), SYNC_FILE_RANGE_WRITE);
#endif
	started_ = written_;
}

void
write_all(int fd, const char *buf, size_t len, const std::string &path)
{
	while (len > 0)
	{
		ssize_t n = ::write(fd, buf, len);
		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			throw_io("write to file", path, errno);
		}
		if (n == 0)
			throw_io("write to file", path, ENOSPC);
		buf += n;
		len -= static_cast<size_t>(n);
	}
}

ssize_t
read_some(int fd, char *buf, size_t len, const std::string &path)
{
	for (;;)
	{
		ssize_t n = ::read(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			throw_io("read file", path, errno);
		return n;
	}
}

/* Reads until len bytes or EOF. */
size_t
read_full(int fd, char *buf, size_t len, const std::string &path)
{
	size_t got = 0;
	while (got < len)
	{
		ssize_t n = read_some(fd, buf + got, len - got, path);
		if (n == 0)
			break;
		got += static_cast<size_t>(n);
	}
	return got;
}

Fd
open_or_throw(const std::string &path, int flags, unsigned mode, const char *action)
{
	int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
	if (fd < 0)
		throw_io(action, path, errno);
	return Fd(fd);
}

void
throw_io(const std::string &action, const std::string &path, int err)
{
	throw IoError("could not " + action + " \"" + path + "\": " + std::strerror(err), err);
}

void
Fd::reset()
{
	if (fd_ >= 0)
		::close(fd_);
	fd_ = -1;
}

bool
path_exists(const std::string &path)
{
	struct stat st;
	return ::lstat(path.c_str(), &st) == 0;
}

bool
is_directory(const std::string &path)
{
	struct stat st;
	return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

uint64_t
file_size(const std::string &path)
{
	struct stat st;
	if (::stat(path.c_str(), &st) != 0)
		throw_io("stat file", path, errno);
	return static_cast<uint64_t>(st.st_size);
}

std::string
parent_dir(const std::string &path)
{
	auto pos = path.find_last_of('/');
	if (pos == std::string::npos)
		return ".";
	if (pos == 0)
		return "/";
	return path.substr(0, pos);
}

std::string
base_name(const std::string &path)
{
	auto pos = path.find_last_of('/');
	return pos == std::string::npos ? path : path.substr(pos + 1);
}

void
fsync_path(const std::string &path, bool is_dir)
{
	Fd fd = open_or_throw(path, is_dir ? O_RDONLY | O_DIRECTORY : O_RDONLY, 0, "open");
	if (::fsync(fd.get()) != 0)
		throw_io("fsync", path, errno);
}

void
make_dirs_durable(const std::string &path, unsigned mode)
{
	if (path.empty() || is_directory(path))
		return;
	std::string parent = parent_dir(path);
	if (parent != path)
		make_dirs_durable(parent, mode);
	if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST)
		throw_io("create directory", path, errno);
	fsync_path(path, true);
	fsync_path(parent, true);
}

std::vector<std::string>
list_dir(const std::string &dir)
{
	std::unique_ptr<DIR, int (*)(DIR *)> d(::opendir(dir.c_str()), ::closedir);
	if (!d)
		throw_io("open directory", dir, errno);
	std::vector<std::string> out;
	errno = 0;
	while (struct dirent *e = ::readdir(d.get()))
	{
		if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
			out.emplace_back(e->d_name);
		errno = 0;
	}
	if (errno != 0)
		throw_io("read directory", dir, errno);
	return out;
}

uint64_t
copy_file_new(const std::string &src, const std::string &dst, bool durable)
{
	Fd in = open_or_throw(src, O_RDONLY, 0, "open file");
	Fd out = open_or_throw(dst, O_WRONLY | O_CREAT | O_EXCL, 0600, "create file");
	std::unique_ptr<char[]> buf(new char[kCopyBuf]);
	WriteBack write_back(out.get());
	uint64_t total = 0;
	for (;;)
	{
		ssize_t n = read_some(in.get(), buf.get(), kCopyBuf, src);
		if (n == 0)
			break;
		write_all(out.get(), buf.get(), static_cast<size_t>(n), dst);
		if (durable)
			write_back.wrote(static_cast<size_t>(n));
		total += static_cast<uint64_t>(n);
	}
	if (durable && ::fsync(out.get()) != 0)
		throw_io("fsync file", dst, errno);
	return total;
}

bool
files_identical(const std::string &a, const std::string &b)
{
	Fd fa = open_or_throw(a, O_RDONLY, 0, "open file");
	Fd fb = open_or_throw(b, O_RDONLY, 0, "open file");
	struct stat sa, sb;
	if (::fstat(fa.get(), &sa) != 0)
		throw_io("stat file", a, errno);
	if (::fstat(fb.get(), &sb) != 0)
		throw_io("stat file", b, errno);
	if (sa.st_size != sb.st_size)
		return false;
	std::unique_ptr<char[]> ba(new char[kCopyBuf]), bb(new char[kCopyBuf]);
	for (;;)
	{
		size_t na = read_full(fa.get(), ba.get(), kCopyBuf, a);
		size_t nb = read_full(fb.get(), bb.get(), kCopyBuf, b);
		if (na != nb || std::memcmp(ba.get(), bb.get(), na) != 0)
			return false;
		if (na < kCopyBuf)
			return true;
	}
}

bool
publish_noreplace(const std::string &temp, const std::string &final_path)
{
	if (::link(temp.c_str(), final_path.c_str()) == 0)
		return true;
	int err = errno;
	if (err == EEXIST)
	{
		/* NFS: a retransmitted link whose first attempt succeeded reports EEXIST too. */
		struct stat st;
		if (::stat(temp.c_str(), &st) == 0 && st.st_nlink == 2)
			return true;
		return false;
	}
	struct stat st;
	if (::stat(temp.c_str(), &st) == 0 && st.st_nlink == 2)
		return true;
	throw_io("link file to", final_path, err);
}

void
remove_if_exists(const std::string &path)
{
	if (::unlink(path.c_str()) != 0 && errno != ENOENT)
		throw_io("remove file", path, errno);
}

void
write_file_atomic(const std::string &path, const std::string &contents)
{
	std::string tmp = path + ".tmp";
	remove_if_exists(tmp);
	{
		Fd fd = open_or_throw(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600, "create file");
		write_all(fd.get(), contents.data(), contents.size(), tmp);
		if (::fsync(fd.get()) != 0)
			throw_io("fsync file", tmp, errno);
	}
	if (::rename(tmp.c_str(), path.c_str()) != 0)
		throw_io("rename file to", path, errno);
	fsync_path(parent_dir(path), true);
}

} // namespace pgls
