/*
 * store.hpp -- where archived files live: a filesystem folder tree or an object store.
 *
 * The archive protocol (archive_writer.hpp), restore, verify and cleanup are written once against
 * this interface and never ask which store they have. A store holds objects by folder and name,
 * as the archive layout names them (layout.hpp): "wal/<file>", "servers/<server>/<file>",
 * "quarantine/<server>/<file>". Each store provides the one primitive that makes the protocol
 * race-free, publish-if-absent: link(2) on a filesystem, a PUT with If-None-Match: * on S3.
 *
 * Everything in an archive is untrusted: entries may be FIFOs, sockets, directories or symlinks
 * put there by accident or on purpose. A store never opens anything but a regular file (on a
 * filesystem: opened non-blocking and without following a symlink, then checked on the open
 * descriptor), and says what an entry is when it is not one (NotRegularFile).
 */
#pragma once

#include "archive_format.hpp"
#include "fileio.hpp"
#include "object_io.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pgls
{

enum class EntryType
{
	Regular,
	Directory,
	Symlink,
	Other, /* FIFO, socket, device */
};

/* "regular file", "directory", "symbolic link", "FIFO", "socket", "device": for messages. */
const char *entry_type_name(EntryType type, unsigned mode_bits = 0);

struct StoreEntry
{
	std::string name; /* bare name within its folder */
	EntryType type = EntryType::Regular;
	std::string type_name; /* what entry_type_name() says, more precise for Other */
	uint64_t size = 0;     /* stored bytes */
	int64_t mtime = 0;     /* unix seconds */
	/* The original content, when the store keeps it beside the object (S3 metadata): lets a
	 * writer tell a different copy without reading it. */
	std::optional<ContentId> content;
};

/* An entry that is not a regular file where one was expected. Never opened. */
class NotRegularFile : public IoError
{
public:
	NotRegularFile(const std::string &where, const std::string &type_name);
	const std::string &
	type_name() const
	{
		return type_name_;
	}

private:
	std::string type_name_;
};

enum class PublishResult
{
	Published, /* this call created folder/name; it is durable */
	Exists,    /* folder/name already existed (nothing was changed) */
};

/* What a publish writes: fill() writes the object and returns the original content it stands for
 * (an archive file's size and checksum), which a store may keep as metadata; nullopt for an object
 * that is not an archive file (a claim). */
using ObjectFill = std::function<std::optional<ContentId>(ObjectWriter &)>;

/* Who writes: a filesystem store names its temp files after it, so that its sweep can tell its
 * own from another writer's. */
struct StoreWriter
{
	std::string server;
	long pid = 0;
	std::string instance; /* a writer instance id (may be empty) */
};

/* Modes for what a store creates on a filesystem: 0600/0700, or 0640/0750 with group access. */
struct FileModes
{
	unsigned file = 0600;
	unsigned dir = 0700;
};

class Store
{
public:
	virtual ~Store() = default;

	/* The root as the user wrote it: "/var/lib/archive" or "s3://bucket/prefix". */
	virtual const std::string &location() const = 0;
	/* A path or URL for a folder, or for an object in it; for messages. */
	virtual std::string where(const std::string &folder, const std::string &name = "") const = 0;
	/* A filesystem: temp files, pids on this host, fsync. */
	virtual bool local() const = 0;

	/* The entry, not following a symlink; nullopt when absent. */
	virtual std::optional<StoreEntry> stat(const std::string &folder, const std::string &name) = 0;
	/* True when the folder exists (on S3: the bucket is readable; folders always exist). */
	virtual bool folder_exists(const std::string &folder) = 0;
	/* The entries of a folder, in no particular order; empty when the folder does not exist.
	 * Long listings check for interrupts. Throws IoError when it cannot be read. */
	virtual std::vector<StoreEntry> list(const std::string &folder) = 0;
	/* Opens a regular file for reading; nullptr when absent; throws NotRegularFile for anything
	 * else and IoError when it cannot be read. */
	virtual std::unique_ptr<ObjectReader> open(const std::string &folder,
											   const std::string &name) = 0;

	/* Creates the folder (durably) if needed; nothing to do on S3. */
	virtual void make_folder(const std::string &folder) = 0;
	/*
	 * Writes a new object with fill and gives it the name folder/name unless that name exists:
	 * never replaces, never shows a partial object under the name, durable when Published. Of
	 * several concurrent publishers of one name exactly one gets Published. Throws IoError; on
	 * any failure nothing is left under the name (a filesystem may leave a temp file of its own,
	 * which sweep_temp() removes later).
	 */
	virtual PublishResult publish(const std::string &folder, const std::string &name,
								  const ObjectFill &fill) = 0;
	/*
	 * Whether a writer should look (stat) before it publishes a name. publish() never replaces
	 * an existing name either way; looking first only saves writing an object that would be
	 * refused. A filesystem always looks: a stat is cheap. An object store looks only while its
	 * last publish found the name taken (a standby archiving what its primary published
	 * already), because there a look is one more round trip per file, and a PUT with
	 * If-None-Match: * is refused anyway when the key exists.
	 */
	virtual bool
	look_before_publish() const
	{
		return true;
	}
	/* Makes an existing object, and its name, durable (fsync; nothing on S3). */
	virtual void make_durable(const std::string &folder, const std::string &name) = 0;
	/* Tells how many of the names are removed so far (in order), durably or not yet. */
	using RemoveProgress = std::function<void(size_t removed)>;
	/* Removes names from folder, in order (a name already gone is fine), durably. Checks for
	 * interrupts. progress, when given, is told the count as the removals go. */
	virtual void remove(const std::string &folder, const std::vector<std::string> &names,
						const RemoveProgress &progress = nullptr) = 0;
};

/* Reads up to max bytes of an object into a string; throws std::runtime_error naming the object
 * when it is larger. */
std::string read_object_bounded(ObjectReader &reader, uint64_t max);

/*
 * The original bytes of an archived history or backup history file: decoded and checked, its
 * size bounded before anything is decoded, and a raw one checked as text of its kind
 * (content_rules.hpp). Throws IoError (ENOENT when absent), NotRegularFile or
 * ArchiveFormatError, each naming the file.
 */
std::string read_archived_text(Store &store, const std::string &folder, const std::string &name);

} // namespace pgls
