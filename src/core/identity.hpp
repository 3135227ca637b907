/*
 * identity.hpp -- which server a name in the archive belongs to: claims, instance ids, the rules.
 *
 * A server's name (pg_logship.server_name, or the default made from the host name) names its
 * per-server folder, its quarantine folder and its temp files. Two servers with one name would
 * write into each other's folders and sweep each other's temp files, silently. So a server claims
 * its name in the archive on first use: the claim record <root>/claims/<name> (claim_path())
 * holds what identifies the server, and is created with the store's never-replace primitive
 * (ClaimStore::create_if_absent: link(2) on a filesystem, PUT If-None-Match: * on S3), so of two
 * servers starting at once exactly one gets the name. A server that finds its name claimed by
 * another one (decide_claim) archives nothing, touches nothing, and says so.
 *
 * What identifies a server:
 *   - the instance id: 16 random hex digits, made once and kept in $PGDATA/pg_logship/instance
 *     (instance_file.hpp) with the host and data directory it was made for. A copy of the data
 *     directory (pg_basebackup, rsync, a snapshot) brings the file along; the copy finds it was
 *     made for another host or directory and makes its own. It also names the writer of temp
 *     files (layout.hpp), so a sweep judges only its own instance's pids;
 *   - the host (its name, and /etc/machine-id when there is one), the data directory and the
 *     system identifier: the same data directory on the same host, rebuilt (a new pg_basebackup of
 *     the same cluster in place, a restored backup), is the same server even with a new instance
 *     id. Another host, another directory or another cluster is not;
 *   - the port, and when the claim was made: for people reading it, not compared.
 *
 * The claim record is text, one "key=value" a line, values without line breaks:
 *   pg_logship_claim=1
 *   server_name=db1-15_main
 *   system_identifier=7301234567890123456
 *   host=db1.example.com
 *   machine_id=0a1b...            (may be empty)
 *   data_directory=/var/lib/postgresql/15/main
 *   port=5432
 *   instance_id=9f3c2a1b4d5e6f70
 *   claimed_at=1714564800         (seconds since the epoch)
 * Unknown keys are ignored (later versions may add some); a record without the first line, or
 * without a valid value for one of the keys above (claimed_at and port aside), is damaged.
 */
#pragma once

#include "layout.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pgls
{

class ClaimStore;

/* The claim record of a name, relative to the archive root. */
std::string claim_path(std::string_view server_name);
constexpr std::string_view kClaimsDir = "claims";

/* Claim records and instance files are small; anything longer is not one. */
constexpr size_t kMaxRecordBytes = 4096;

/* 16 lower-case hex digits of a random number (never kNoInstance). */
std::string format_instance_id(uint64_t random);

struct ServerIdentity
{
	std::string name;
	uint64_t system_identifier = 0;
	std::string host;
	std::string machine_id; /* empty when the host has none */
	std::string data_directory;
	int port = 0;
	std::string instance_id;
};

struct ClaimRecord
{
	ServerIdentity server;
	int64_t claimed_at = 0; /* seconds since the epoch */
};

/* The record as text. Throws std::invalid_argument for a value with a line break. */
std::string format_claim(const ClaimRecord &claim);

/* Parses a record; on failure *why says what is wrong. */
std::optional<ClaimRecord> parse_claim(std::string_view text, std::string *why = nullptr);

enum class ClaimMatch
{
	Ours,              /* the claim names this instance */
	SameServerRebuilt, /* another instance of this server: same host, directory and cluster */
	Foreign,           /* another server */
};

struct ClaimDecision
{
	ClaimMatch match = ClaimMatch::Foreign;
	std::string reason; /* Foreign: what differs ("host, data directory", ...) */
};

ClaimDecision decide_claim(const ClaimRecord &claim, const ServerIdentity &me);

/* "host \"db1\", data directory \"/x\", port 5432, system identifier N, instance I" */
std::string describe_server(const ServerIdentity &server);

/* What check_claim() found. */
enum class ClaimStatus
{
	Created, /* the name was free: this call claimed it */
	Ours,    /* claimed by this instance before */
	Rebuilt, /* claimed by an earlier instance of this server (kept as it is) */
	Foreign, /* claimed by another server: do not use the name */
	Damaged, /* the record cannot be read as a claim: do not use the name */
};

const char *claim_status_name(ClaimStatus status);

/* True when the server may use the name. */
inline bool
claim_allows_use(ClaimStatus status)
{
	return status == ClaimStatus::Created || status == ClaimStatus::Ours ||
		   status == ClaimStatus::Rebuilt;
}

struct ClaimCheck
{
	ClaimStatus status = ClaimStatus::Damaged;
	std::string location;              /* where the record is (a path, a URL), for messages */
	std::optional<ClaimRecord> holder; /* the record found (not for Created or Damaged) */
	std::string reason;                /* Foreign: what differs; Damaged: what is wrong */
};

/*
 * Claims me.name in the store, or checks the claim that is there against me. Reads the record,
 * and only when there is none creates it (never replacing one); when another server created it
 * in between, decides on theirs. Never changes a record that exists. Throws IoError when the
 * store fails.
 */
ClaimCheck check_claim(ClaimStore &store, const ServerIdentity &me, int64_t now);

/*
 * The instance file, $PGDATA/pg_logship/instance, in the same key=value form:
 *   pg_logship_instance=1, instance_id, host, machine_id, data_directory, created_at.
 */
struct InstanceRecord
{
	std::string instance_id;
	std::string host;
	std::string machine_id;
	std::string data_directory;
	int64_t created_at = 0;
};

std::string format_instance(const InstanceRecord &rec);
std::optional<InstanceRecord> parse_instance(std::string_view text, std::string *why = nullptr);

/*
 * Whether rec was made for this host and data directory: "" when it was, else what differs
 * ("made for host \"a\", data directory \"/x\""): the data directory is a copy, and needs its own
 * instance id.
 */
std::string instance_made_elsewhere(const InstanceRecord &rec, std::string_view host,
									std::string_view machine_id, std::string_view data_directory);

/*
 * The default server name: "<host>-<cluster_name>" with the host name up to its first dot, and
 * everything made safe (layout.hpp sanitize_server_name); "<host>-<port>" without a cluster_name.
 * cluster_name is often the same on every host (Debian sets "15/main"), the host name is not.
 * At most kMaxServerName characters: the host part is shortened to make room.
 */
std::string default_server_name(std::string_view host, std::string_view cluster_name, int port);

} // namespace pgls
