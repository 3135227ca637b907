/*
 * layout.cpp -- archive folder layout and temp-file naming.
 */
#include "pure.hpp"
#include "layout.hpp"

#include <cstdlib>
#include <vector>

namespace pgls
{

const char *
layout_name(Layout layout)
{
	return layout == Layout::Shared ? "shared" : "per_server";
}

std::optional<Layout>
parse_layout(std::string_view text)
{
	if (text == "shared")
		return Layout::Shared;
	if (text == "per_server")
		return Layout::PerServer;
	return std::nullopt;
}

bool
valid_server_name(std::string_view name, std::string *why)
{
	if (name.empty() || name.size() > kMaxServerName)
	{
		if (why)
			*why = "must be 1 to 63 characters long";
		return false;
	}
	for (char c : name)
		if (!is_server_name_char(c))
		{
			if (why)
				*why = "may contain only letters, digits, \"_\" and \"-\"";
			return false;
		}
	return true;
}

std::string
sanitize_server_name(std::string_view text)
{
	std::string out;
	for (char c : text)
	{
		if (out.size() == kMaxServerName)
			break;
		out.push_back(is_server_name_char(c) ? c : '_');
	}
	return out;
}

std::string
ArchiveLayout::wal_folder() const
{
	return archive_folder(layout, server);
}

std::string
ArchiveLayout::quarantine_folder() const
{
	return pgls::quarantine_folder(server);
}

std::string
ArchiveLayout::wal_dir() const
{
	return root + "/" + wal_folder();
}

std::string
ArchiveLayout::quarantine_dir() const
{
	return root + "/" + quarantine_folder();
}

std::string
archive_folder(Layout layout, const std::string &server)
{
	return layout == Layout::Shared ? "wal" : "servers/" + server;
}

std::string
archive_read_dir(const std::string &root, Layout layout, const std::string &server)
{
	return root + "/" + archive_folder(layout, server);
}

std::string
quarantine_folder(const std::string &server)
{
	return "quarantine/" + server;
}

bool
valid_instance_id(std::string_view id)
{
	if (id.size() != kInstanceIdLen)
		return false;
	for (char c : id)
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	return true;
}

std::string
temp_file_name(std::string_view file, std::string_view server, std::string_view instance, long pid,
			   unsigned long nonce)
{
	std::string out(file);
	out += kTempMarker;
	out += server;
	out += '.';
	out += instance;
	out += '.';
	out += std::to_string(pid);
	out += '.';
	out += std::to_string(nonce);
	return out;
}

std::optional<TempFileName>
parse_temp_file_name(std::string_view name)
{
	auto pos = name.find(kTempMarker);
	if (pos == std::string_view::npos || pos == 0)
		return std::nullopt;
	std::string_view rest = name.substr(pos + kTempMarker.size());
	/* rest = <server>.<instance>.<pid>.<nonce>, or <server>.<pid>.<nonce> (earlier form) */
	std::vector<std::string_view> parts;
	for (;;)
	{
		auto dot = rest.find('.');
		parts.push_back(rest.substr(0, dot));
		if (dot == std::string_view::npos)
			break;
		rest = rest.substr(dot + 1);
	}
	if (parts.size() != 3 && parts.size() != 4)
		return std::nullopt;
	std::string_view server = parts[0];
	std::string_view instance = parts.size() == 4 ? parts[1] : std::string_view();
	std::string_view pid = parts[parts.size() - 2];
	if (!valid_server_name(server) || pid.empty() || pid.size() > 10 || parts.back().empty())
		return std::nullopt;
	if (parts.size() == 4 && !valid_instance_id(instance))
		return std::nullopt;
	for (char c : pid)
		if (c < '0' || c > '9')
			return std::nullopt;
	TempFileName out;
	out.file = std::string(name.substr(0, pos));
	out.server = std::string(server);
	out.instance = std::string(instance);
	out.pid = std::strtol(std::string(pid).c_str(), nullptr, 10);
	return out;
}

bool
temp_file_is_ours_and_dead(const TempFileName &t, std::string_view my_instance, long my_pid,
						   const std::function<bool(long)> &pid_alive)
{
	if (t.instance.empty() || t.instance != my_instance || my_instance == kNoInstance)
		return false;
	return t.pid != my_pid && !pid_alive(t.pid);
}

} // namespace pgls
