/*
 * main.cpp -- "pg_logship <command> [options]": finds the command and reports what it throws.
 *
 * A new command is a cmd_<name>.cpp defining cmd_<name>(), declared in cli.hpp and listed in
 * kCommands below.
 */
#include "cli.hpp"

#include "core/restore.hpp"

#include <cstdio>
#include <cstring>
#include <exception>

namespace pgls::cli
{

namespace
{

struct Command
{
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
	int usage_exit; /* exit code for bad usage */
};

const Command kCommands[] = {
	{"restore", cmd_restore, "copy an archived file into place (restore_command)", kExitUsage},
	{"cleanup", cmd_cleanup, "remove archived WAL older than a file (archive_cleanup_command)",
	 kExitError},
	{"verify", cmd_verify, "check an archive for gaps, damaged and foreign files", kExitUsage},
	{"check", cmd_check, "report pg_logship.health() of a server, Nagios-style (exit 0/1/2/3)", 3},
	{"status", cmd_status, "show a server's archiving, standbys, slots and health (exit as check)",
	 3},
};

void
usage(FILE *out)
{
	std::fprintf(out, "pg_logship is the command-line tool of the pg_logship extension.\n\n"
					  "Usage:\n"
					  "  pg_logship COMMAND [OPTION]...\n\n"
					  "Commands:\n");
	for (const Command &cmd : kCommands)
		std::fprintf(out, "  %-10s %s\n", cmd.name, cmd.summary);
	std::fprintf(out, "\nOptions:\n"
					  "  -h, --help     show this help, then exit\n"
					  "  -V, --version  output version information, then exit\n\n"
					  "\"pg_logship COMMAND --help\" shows a command's options.\n");
}

int
run_command(const Command &cmd, int argc, char **argv)
{
	try
	{
		return cmd.run(argc, argv);
	}
	catch (const UsageError &e)
	{
		std::fprintf(stderr, "pg_logship %s: %s\n", cmd.name, e.what());
		std::fprintf(stderr, "Try \"pg_logship %s --help\" for more information.\n", cmd.name);
		return cmd.usage_exit;
	}
	catch (const InvalidWalFileName &e)
	{
		std::fprintf(stderr, "pg_logship %s: error: %s\n", cmd.name, e.what());
		return cmd.usage_exit;
	}
	catch (const std::exception &e)
	{
		std::fprintf(stderr, "pg_logship %s: error: %s\n", cmd.name, e.what());
		return kExitError;
	}
	catch (...)
	{
		std::fprintf(stderr, "pg_logship %s: error: unexpected exception\n", cmd.name);
		return kExitError;
	}
}

} // namespace

} // namespace pgls::cli

int
main(int argc, char **argv)
{
	using namespace pgls::cli;

	if (argc < 2)
	{
		usage(stderr);
		return kExitUsage;
	}
	const char *name = argv[1];
	if (std::strcmp(name, "--help") == 0 || std::strcmp(name, "-h") == 0 ||
		std::strcmp(name, "help") == 0)
	{
		usage(stdout);
		return kExitOk;
	}
	if (std::strcmp(name, "--version") == 0 || std::strcmp(name, "-V") == 0)
	{
		std::printf("pg_logship %s\n", kVersion);
		return kExitOk;
	}
	for (const Command &cmd : kCommands)
		if (std::strcmp(name, cmd.name) == 0)
			return run_command(cmd, argc - 1, argv + 1);

	std::fprintf(stderr, "pg_logship: unknown command \"%s\"\n\n", name);
	usage(stderr);
	return kExitUsage;
}
