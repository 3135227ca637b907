/*
 * fileio.hpp -- POSIX file helpers for durable archiving. Errors throw IoError (with errno).
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <sys/types.h>

namespace pgls
{

class IoError : public std::runtime_error
{
public:
	IoError(const std::string &what, int err) : std::runtime_error(what), errno_(err) {}
	int
	error_number() const
	{
		return errno_;
	}

private:
	int errno_;
};

/* Throws IoError "could not <action> \"path\": strerror". */
[[noreturn]] void throw_io(const std::string &action, const std::string &path, int err);

/* Owns a file descriptor. */
class Fd
{
public:
	Fd() = default;
	explicit Fd(int fd) : fd_(fd) {}
	Fd(const Fd &) = delete;
	Fd &operator=(const Fd &) = delete;
	Fd(Fd &&o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
	Fd &
	operator=(Fd &&o) noexcept
	{
		if (this != &o)
		{
			reset();
			fd_ = o.fd_;
			o.fd_ = -1;
		}
		return *this;
	}
	~Fd() { reset(); }
	int
	get() const
	{
		return fd_;
	}
	void reset();

private:
	int fd_ = -1;
};

/* open(2) with O_CLOEXEC; throws IoError "could not <action> ..." on failure. */
Fd open_or_throw(const std::string &path, int flags, unsigned mode, const char *action);

/* Writes all of buf (retrying on EINTR and short writes); path is for the message. */
void write_all(int fd, const char *buf, size_t len, const std::string &path);

/* Reads once (retrying on EINTR); 0 at end of file. */
ssize_t read_some(int fd, char *buf, size_t len, const std::string &path);

/* Reads until len bytes or end of file; returns the bytes read. */
size_t read_full(int fd, char *buf, size_t len, const std::string &path);

bool path_exists(const std::string &path);
bool is_directory(const std::string &path);
uint64_t file_size(const std::string &path);

/* mkdir -p with mode, fsyncing each created directory and its parent. */
void make_dirs_durable(const std::string &path, unsigned mode = 0700);

void fsync_path(const std::string &path, bool is_dir);

/* Directory of a path ("a/b/c" -> "a/b"; "c" -> "."). */
std::string parent_dir(const std::string &path);
std::string base_name(const std::string &path);

/* Names in a directory (no "." and ".."); throws if unreadable. */
std::vector<std::string> list_dir(const std::string &dir);

/*
 * Starts the write-back of a file that is being written sequentially, every 1 MB, without
 * waiting for it: sync_file_range(SYNC_FILE_RANGE_WRITE) on Linux, nothing elsewhere. This is
 * what PostgreSQL's pg_flush_data does while it copies a file (basic_archive): the disk writes
 * overlap the rest of the work, and the fsync that follows waits for less. Best effort: a
 * failure is left for that fsync to report.
 */
class WriteBack
{
public:
	explicit WriteBack(int fd) : fd_(fd) {}
	/* n more bytes were written, after the ones before. */
	void wrote(size_t n);

private:
	int fd_;
	uint64_t written_ = 0; /* bytes written so far */
	uint64_t started_ = 0; /* write-back requested up to here */
};

/* Copies src into a new file dst (O_EXCL) and fsyncs it when durable (with WriteBack as it
 * goes, as basic_archive's copy does). Returns bytes copied. */
uint64_t copy_file_new(const std::string &src, const std::string &dst, bool durable);

/* True when both files have the same size and bytes. */
bool files_identical(const std::string &a, const std::string &b);

/*
 * Gives temp the name final unless final exists, with link(2), which never replaces. Returns true
 * when published, false when final already existed. On NFS a link may succeed on the server while
 * the reply is lost: then the temp's link count tells (the classic NFS-safe locking idiom).
 * The temp name is left in place either way; the caller unlinks it.
 */
bool publish_noreplace(const std::string &temp, const std::string &final_path);

/* unlink that ignores ENOENT. */
void remove_if_exists(const std::string &path);

/* Writes the whole buffer to a new file atomically (temp + fsync + rename + dir fsync). */
void write_file_atomic(const std::string &path, const std::string &contents);

} // namespace pgls
