/*
 * instance_file.cpp -- the host's identity and the data directory's instance file.
 */
#include "pure.hpp"
#include "instance_file.hpp"

#include "fileio.hpp"

#include <cerrno>
#include <climits>
#include <fcntl.h>
#include <random>
#include <sys/stat.h>
#include <unistd.h>

namespace pgls
{

namespace
{

/* A small file's contents (at most kMaxRecordBytes + 1), or nullopt when it does not exist. */
std::optional<std::string>
read_small_file(const std::string &path)
{
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
	std::string out(kMaxRecordBytes + 1, '\0');
	out.resize(read_full(fd, out.data(), out.size(), path));
	return out;
}

uint64_t
random_u64()
{
	std::random_device rd; /* getrandom(2) on Linux */
	return (static_cast<uint64_t>(rd()) << 32) ^ static_cast<uint64_t>(rd());
}

} // namespace

std::string
local_host_name()
{
	char buf[HOST_NAME_MAX + 1];
	if (::gethostname(buf, sizeof buf) != 0)
		return "localhost";
	buf[HOST_NAME_MAX] = '\0';
	return buf[0] ? buf : "localhost";
}

std::string
local_machine_id()
{
	for (const char *path : {"/etc/machine-id", "/var/lib/dbus/machine-id"})
	{
		try
		{
			auto text = read_small_file(path);
			if (!text)
				continue;
			std::string id = text->substr(0, text->find('\n'));
			if (id.size() != 32)
				continue;
			bool hex = true;
			for (char c : id)
				hex = hex && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
			if (hex)
				return id;
		}
		catch (const IoError &)
		{
		}
	}
	return "";
}

InstanceInfo
load_or_create_instance(const std::string &path, const std::string &host,
						const std::string &machine_id, const std::string &data_directory,
						int64_t now)
{
	InstanceInfo info;
	if (auto text = read_small_file(path))
	{
		std::string why;
		auto rec = parse_instance(*text, &why);
		if (rec)
		{
			info.why_new = instance_made_elsewhere(*rec, host, machine_id, data_directory);
			if (info.why_new.empty())
			{
				info.instance_id = rec->instance_id;
				return info;
			}
			info.why_new = "it was " + info.why_new + " (instance " + rec->instance_id + ")";
		}
		else
			info.why_new = "it cannot be read: " + why;
	}
	InstanceRecord rec;
	rec.instance_id = format_instance_id(random_u64());
	rec.host = host;
	rec.machine_id = machine_id;
	rec.data_directory = data_directory;
	rec.created_at = now;
	make_dirs_durable(parent_dir(path));
	write_file_atomic(path, format_instance(rec));
	info.instance_id = rec.instance_id;
	info.created = true;
	return info;
}

} // namespace pgls
