/*
 * layout.hpp -- where files live in an archive.
 *
 *   <root>/wal/<file>                    shared layout: every server of the cluster writes here
 *   <root>/servers/<server>/<file>       per_server layout: one folder per server
 *   <root>/quarantine/<server>/<file>    a server's copy of a file that conflicted with the archive
 *
 * Temp files are written in the folder of their final name (so the publish step is a link(2)
 * within one directory) and are named "<file>.pgls-tmp.<server>.<instance>.<pid>.<nonce>": never
 * a valid WAL name, and the writer can be identified when sweeping. <instance> is the writing
 * server's instance id (core/identity.hpp), which is bound to one host and data directory: a pid
 * means something only to the instance that wrote it, so a sweep removes a temp file of a dead
 * writer only when the instance is its own.
 */
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace pgls
{

enum class Layout
{
	Shared,
	PerServer,
};

const char *layout_name(Layout layout);
std::optional<Layout> parse_layout(std::string_view text);

/* A character allowed in a server name. */
inline bool
is_server_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		   c == '-';
}

constexpr size_t kMaxServerName = 63;

/* Server names: 1..63 of [A-Za-z0-9_-]. On failure *why says what is wrong. */
bool valid_server_name(std::string_view name, std::string *why = nullptr);

/* Turns any text (e.g. cluster_name "15/main") into a valid server name; empty stays empty. */
std::string sanitize_server_name(std::string_view text);

struct ArchiveLayout
{
	std::string root;
	Layout layout = Layout::Shared;
	std::string server;

	/* Folders relative to the root, as a store names them (store.hpp). */
	std::string wal_folder() const;
	std::string quarantine_folder() const;
	/* The same as paths under root (a filesystem archive). */
	std::string wal_dir() const;
	std::string quarantine_dir() const;
	std::string
	final_path(std::string_view file) const
	{
		return wal_dir() + "/" + std::string(file);
	}
};

/* The folder to read a server's archived files from (restore, verify, cleanup): relative to the
 * root ("wal", "servers/<server>"), and as a path under root. */
std::string archive_folder(Layout layout, const std::string &server);
std::string archive_read_dir(const std::string &root, Layout layout, const std::string &server);
/* "quarantine/<server>" */
std::string quarantine_folder(const std::string &server);

constexpr std::string_view kTempMarker = ".pgls-tmp.";

/* An instance id: 16 lower-case hex digits (core/identity.hpp). */
constexpr size_t kInstanceIdLen = 16;
bool valid_instance_id(std::string_view id);

/* The instance id of a writer without one (tools, tests): no sweep takes it for its own. */
constexpr std::string_view kNoInstance = "0000000000000000";

std::string temp_file_name(std::string_view file, std::string_view server,
						   std::string_view instance, long pid, unsigned long nonce);

struct TempFileName
{
	std::string file;
	std::string server;
	std::string instance; /* empty for a name of the earlier form without it */
	long pid = 0;
};

/*
 * Recognises names made by temp_file_name(), and those of the earlier form
 * "<file>.pgls-tmp.<server>.<pid>.<nonce>" (instance empty), which no sweep takes for its own.
 */
std::optional<TempFileName> parse_temp_file_name(std::string_view name);

/*
 * True when the temp file was written by this instance (my_instance) through a process other than
 * my_pid that is no longer alive: the write can never finish, and nobody else can be writing it.
 * A pid of another instance is never looked up: it may be another host's, or another data
 * directory's process that this one cannot know about.
 */
bool temp_file_is_ours_and_dead(const TempFileName &t, std::string_view my_instance, long my_pid,
								const std::function<bool(long)> &pid_alive);

} // namespace pgls
