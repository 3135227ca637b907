/*
 * cli.hpp -- what the commands of the pg_logship tool share: exit codes, errors, archive options.
 *
 * Each command lives in its own cmd_<name>.cpp and is listed in main.cpp's table. A command gets
 * argv with its own name as argv[0], parses it with getopt_long, and returns its exit code; it
 * reports failures by throwing (UsageError for bad usage), and main prints them.
 */
#pragma once

#include "core/layout.hpp"
#include "core/store_spec.hpp"

#include <getopt.h>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace pgls::cli
{

constexpr const char *kVersion = "1.0";

constexpr int kExitOk = 0;
constexpr int kExitNotFound = 1; /* restore: not in the archive */
constexpr int kExitProblems = 1; /* verify: problems found */
constexpr int kExitError = 2;
constexpr int kExitUsage = 3;

/* Bad options or arguments; main prints the message and a hint to --help. */
class UsageError : public std::runtime_error
{
public:
	explicit UsageError(const std::string &msg) : std::runtime_error(msg) {}
};

/* --archive-dir, --layout, --server and the --s3-* options, shared by every command that reads
 * an archive. */
struct ArchiveOptions
{
	std::string root;
	Layout layout = Layout::Shared;
	std::vector<std::string> servers;
	S3Settings s3; /* defaults from the AWS_* environment, then --s3-* */
	ArchiveOptions();
};

/* getopt_long codes of the options above (for a command's struct option table). */
enum
{
	kOptArchiveDir = 1000,
	kOptLayout,
	kOptServer,
	kOptS3Endpoint,
	kOptS3Region,
	kOptS3UriStyle,
	kOptS3VerifyTls,
	kOptS3CaFile,
	kOptS3CredentialsFile,
	kOptS3Profile,
};

/* The struct option entries of the archive options (terminated by a zero entry), to put first in
 * a command's table. */
#define PGLS_ARCHIVE_LONG_OPTIONS                                                                  \
	{"archive-dir", required_argument, nullptr, pgls::cli::kOptArchiveDir},                        \
		{"layout", required_argument, nullptr, pgls::cli::kOptLayout},                             \
		{"server", required_argument, nullptr, pgls::cli::kOptServer},                             \
		{"s3-endpoint", required_argument, nullptr, pgls::cli::kOptS3Endpoint},                    \
		{"s3-region", required_argument, nullptr, pgls::cli::kOptS3Region},                        \
		{"s3-uri-style", required_argument, nullptr, pgls::cli::kOptS3UriStyle},                   \
		{"s3-verify-tls", required_argument, nullptr, pgls::cli::kOptS3VerifyTls},                 \
		{"s3-ca-file", required_argument, nullptr, pgls::cli::kOptS3CaFile},                       \
		{"s3-credentials-file", required_argument, nullptr, pgls::cli::kOptS3CredentialsFile},     \
	{                                                                                              \
		"s3-profile", required_argument, nullptr, pgls::cli::kOptS3Profile                         \
	}

/* The --help lines of the archive options. */
extern const char *const kArchiveOptionsHelp;

/* Takes an archive option; returns false when c is not one of them. Throws UsageError. */
bool take_archive_option(int c, const char *arg, ArchiveOptions *opts);

/* An archive opened for a command: its store and the folders to read, in order. */
struct OpenArchive
{
	StoreSpec spec;
	std::unique_ptr<Store> store;
	std::vector<std::string> folders;
};

/*
 * Opens the archive the options name. The folders to read, in order: wal for the shared layout,
 * servers/<server> for each --server with per_server. max_servers 1: exactly one --server is
 * needed for per_server. Throws UsageError for missing or misplaced options,
 * std::runtime_error if the root is not a folder.
 */
OpenArchive open_archive(const ArchiveOptions &opts, size_t max_servers);

/* Throws the UsageError for what getopt_long returned as '?' or ':'. */
[[noreturn]] void bad_option(int c, char **argv);

/* The commands; each returns its exit code. */
int cmd_restore(int argc, char **argv);
int cmd_cleanup(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_status(int argc, char **argv);

} // namespace pgls::cli
