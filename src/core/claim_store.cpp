/*
 * claim_store.cpp -- claims on a filesystem archive: create-if-absent with link(2), and read.
 */
#include "pure.hpp"
#include "claim_store.hpp"

#include "archive_writer.hpp"
#include "fileio.hpp"
#include "layout.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pgls
{

namespace
{

constexpr long kTempMaxAgeSeconds = 24 * 3600;

unsigned long
claim_nonce()
{
	static std::atomic<unsigned long> counter{0};
	auto now = std::chrono::steady_clock::now().time_since_epoch().count();
	return (static_cast<unsigned long>(now) & 0xFFFFFFFFul) * 1000 + (counter++ % 1000);
}

} // namespace

bool
FsClaimStore::create_if_absent(const std::string &name, const std::string &contents)
{
	std::string final_path = location(name);
	std::string dir = parent_dir(final_path);
	make_dirs_durable(dir);
	/* Temp files of ours that a crash left here (a claim is made once, so there are few). */
	sweep_temp_files(dir, instance_, pid_, pid_is_alive, std::time(nullptr), kTempMaxAgeSeconds);

	std::string temp =
		dir + "/" + temp_file_name(base_name(final_path), server_, instance_, pid_, claim_nonce());
	bool published = false;
	try
	{
		{
			Fd fd = open_or_throw(temp, O_WRONLY | O_CREAT | O_EXCL, 0600, "create file");
			write_all(fd.get(), contents.data(), contents.size(), temp);
			if (::fsync(fd.get()) != 0)
				throw_io("fsync file", temp, errno);
		}
		published = publish_noreplace(temp, final_path);
		remove_if_exists(temp);
	}
	catch (...)
	{
		::unlink(temp.c_str());
		throw;
	}
	if (published)
		fsync_path(dir, true);
	return published;
}

std::optional<std::string>
FsClaimStore::read(const std::string &name, size_t max_bytes)
{
	std::string path = location(name);
	/* Not blocking on a FIFO, not following a symlink: whatever is there, it is not ours. */
	int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
	{
		if (errno == ENOENT)
			return std::nullopt;
		throw_io("open file", path, errno);
	}
	Fd owner(fd);
	struct stat st;
	if (::fstat(fd, &st) != 0)
		throw_io("stat file", path, errno);
	if (!S_ISREG(st.st_mode))
		throw IoError("\"" + path + "\" is not a regular file", EINVAL);
	std::string out(max_bytes, '\0');
	out.resize(read_full(fd, out.data(), max_bytes, path));
	return out;
}

std::string
FsClaimStore::location(const std::string &name) const
{
	return root_ + "/" + name;
}

} // namespace pgls
