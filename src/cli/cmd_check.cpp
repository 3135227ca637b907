/*
 * cmd_check.cpp -- "pg_logship check": pg_logship.health() for monitoring systems, Nagios-style.
 *
 * Connects with libpq (loaded at run time: libpq.hpp) to a connection string or the usual PG*
 * environment, prints a status line "PG_LOGSHIP OK|WARNING|CRITICAL - ..." and one line per
 * finding, and exits 0 ok, 1 warning, 2 critical, 3 unknown (cannot connect, extension missing,
 * libpq missing, bad usage).
 */
#include "cli.hpp"
#include "libpq.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace pgls::cli
{

namespace
{

constexpr int kNagiosOk = 0;
constexpr int kNagiosWarning = 1;
constexpr int kNagiosCritical = 2;
constexpr int kNagiosUnknown = 3;

void
usage()
{
	std::printf("pg_logship check runs pg_logship.health() on a server and reports like a Nagios\n"
				"plugin.\n\n"
				"Usage:\n"
				"  pg_logship check [-d CONNINFO]\n\n"
				"Options:\n"
				"  -d, --dbname=CONNINFO  database name or connection string (default: the PG*\n"
				"                         environment variables, as psql)\n"
				"  -h, --help             show this help, then exit\n\n"
				"The role needs pg_monitor (or superuser) and the extension must be installed in\n"
				"the database.\n\n"
				"Exit status: 0 ok, 1 warning, 2 critical, 3 unknown.\n");
}

struct Finding
{
	std::string severity, component, message, hint;
};

int
severity_rank(const std::string &s)
{
	return s == "critical" ? kNagiosCritical : s == "warning" ? kNagiosWarning : kNagiosOk;
}

/* libpq's messages span lines; a status line is one line. */
std::string
one_line(std::string text)
{
	for (char &c : text)
		if (c == '\n' || c == '\t')
			c = ' ';
	while (!text.empty() && text.back() == ' ')
		text.pop_back();
	return text;
}

int
unknown(const std::string &why)
{
	std::printf("PG_LOGSHIP UNKNOWN - %s\n", one_line(why).c_str());
	return kNagiosUnknown;
}

} // namespace

int
cmd_check(int argc, char **argv)
{
	static const struct option long_options[] = {
		{"dbname", required_argument, nullptr, 'd'},
		{"help", no_argument, nullptr, 'h'},
		{nullptr, 0, nullptr, 0},
	};
	std::string conninfo;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:h", long_options, nullptr)) != -1)
	{
		switch (c)
		{
			case 'd':
				conninfo = optarg;
				break;
			case 'h':
				usage();
				return kExitOk;
			default:
				bad_option(c, argv);
		}
	}
	if (optind < argc)
		throw UsageError(std::string("unexpected argument \"") + argv[optind] + "\"");

	const LibPq *pq;
	try
	{
		pq = &libpq();
	}
	catch (const std::exception &e)
	{
		return unknown(e.what());
	}
	std::unique_ptr<PGconn, void (*)(PGconn *)> conn(pq->connectdb(conninfo.c_str()), pq->finish);
	if (pq->status(conn.get()) != CONNECTION_OK)
		return unknown(std::string("cannot connect: ") + pq->error_message(conn.get()));
	std::unique_ptr<PGresult, void (*)(PGresult *)> res(
		pq->exec(conn.get(), "SELECT severity, component, message, coalesce(hint, '') "
							 "FROM pg_logship.health()"),
		pq->clear);
	if (pq->result_status(res.get()) != PGRES_TUPLES_OK)
	{
		const char *primary = pq->result_error_field(res.get(), PG_DIAG_MESSAGE_PRIMARY);
		return unknown(std::string("health() failed: ") +
					   (primary ? primary : pq->result_error_message(res.get())));
	}

	std::vector<Finding> findings;
	int worst = kNagiosOk;
	for (int i = 0; i < pq->ntuples(res.get()); i++)
	{
		Finding f{pq->getvalue(res.get(), i, 0), pq->getvalue(res.get(), i, 1),
				  pq->getvalue(res.get(), i, 2), pq->getvalue(res.get(), i, 3)};
		worst = std::max(worst, severity_rank(f.severity));
		findings.push_back(f);
	}

	const char *status = worst == kNagiosCritical  ? "CRITICAL"
						 : worst == kNagiosWarning ? "WARNING"
												   : "OK";
	std::string summary;
	for (const Finding &f : findings)
		if (severity_rank(f.severity) == worst)
			summary += (summary.empty() ? "" : "; ") + f.message;
	if (summary.empty())
		summary = "no problems found";
	std::printf("PG_LOGSHIP %s - %s\n", status, summary.c_str());
	for (const Finding &f : findings)
	{
		std::printf("%s %s: %s\n", f.severity.c_str(), f.component.c_str(), f.message.c_str());
		if (!f.hint.empty())
			std::printf("  hint: %s\n", f.hint.c_str());
	}
	return worst;
}

} // namespace pgls::cli
