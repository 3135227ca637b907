/*
 * cmd_status.cpp -- "pg_logship status": the replication picture of one server at a glance.
 *
 * One query a redraw, SELECT pg_logship.status(since, points), returns everything as one JSON
 * document (sql/parts/50_status.sql); this draws it (cmd_status_render.cpp) or prints it as is
 * (--json). libpq is loaded at run time (libpq.hpp), so the other commands never load it.
 * Exit status as "pg_logship check": 0 ok, 1 warning, 2 critical, 3 unknown (cannot connect,
 * extension missing, libpq missing, bad usage). With --watch, the status of the last redraw.
 */
#include "cli.hpp"
#include "cmd_status.hpp"
#include "libpq.hpp"

#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>
#include <unistd.h>

namespace pgls::cli
{

namespace
{

constexpr int kUnknown = 3;

volatile sig_atomic_t g_stop = 0;

void
on_signal(int)
{
	g_stop = 1;
}

void
usage()
{
	std::printf(
		"pg_logship status shows a server's archiving, standbys, slots and health on one "
		"screen.\n\n"
		"Usage:\n"
		"  pg_logship status [-d CONNINFO] [--watch SECONDS] [--since INTERVAL] [--json]\n\n"
		"Options:\n"
		"  -d, --dbname=CONNINFO     database name or connection string (default: the PG*\n"
		"                            environment variables, as psql)\n"
		"  -w, --watch=SECONDS       redraw every SECONDS (at least 0.1) until interrupted\n"
		"  -s, --since=INTERVAL      lag history shown, as a PostgreSQL interval (default:\n"
		"                            1 hour)\n"
		"  -j, --json                print the data as one JSON document (with --watch: one\n"
		"                            document a line)\n"
		"  -h, --help                show this help, then exit\n\n"
		"Colours and Unicode only on a terminal (NO_COLOR turns colours off). The role needs\n"
		"pg_monitor (or superuser) and the extension must be installed in the database.\n\n"
		"Exit status: 0 ok, 1 warning, 2 critical, 3 unknown, as \"pg_logship check\".\n");
}

struct Options
{
	std::string conninfo;
	std::string since = "1 hour";
	double watch = 0;
	bool json = false;
};

Options
parse(int argc, char **argv)
{
	static const struct option long_options[] = {
		{"dbname", required_argument, nullptr, 'd'}, {"watch", required_argument, nullptr, 'w'},
		{"since", required_argument, nullptr, 's'},  {"json", no_argument, nullptr, 'j'},
		{"help", no_argument, nullptr, 'h'},         {nullptr, 0, nullptr, 0},
	};
	Options o;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:w:s:jh", long_options, nullptr)) != -1)
	{
		switch (c)
		{
			case 'd':
				o.conninfo = optarg;
				break;
			case 'w':
			{
				char *end = nullptr;
				o.watch = std::strtod(optarg, &end);
				if (end == optarg || *end != '\0' || !std::isfinite(o.watch) || o.watch < 0.1)
					throw UsageError(std::string("invalid --watch \"") + optarg +
									 "\": give seconds, at least 0.1");
				break;
			}
			case 's':
				o.since = optarg;
				break;
			case 'j':
				o.json = true;
				break;
			case 'h':
				usage();
				std::exit(kExitOk);
			default:
				bad_option(c, argv);
		}
	}
	if (optind < argc)
		throw UsageError(std::string("unexpected argument \"") + argv[optind] + "\"");
	return o;
}

/* libpq's messages span lines; ours are one line. */
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

/* A connection, and one query a redraw. */
class Source
{
public:
	Source(const LibPq &pq, const Options &o, int points)
		: pq_(pq), opts_(o), points_(std::to_string(points)), conn_(nullptr, pq.finish)
	{
	}

	/* The document, or throws std::runtime_error saying why there is none. */
	status::Json
	fetch()
	{
		if (!conn_ || pq_.status(conn_.get()) != CONNECTION_OK)
		{
			conn_.reset(pq_.connectdb(opts_.conninfo.c_str()));
			if (pq_.status(conn_.get()) != CONNECTION_OK)
				throw std::runtime_error("cannot connect: " +
										 one_line(pq_.error_message(conn_.get())));
		}
		const char *params[] = {opts_.since.c_str(), points_.c_str()};
		std::unique_ptr<PGresult, void (*)(PGresult *)> res(
			pq_.exec_params(conn_.get(), "SELECT pg_logship.status($1::interval, $2::integer)", 2,
							nullptr, params, nullptr, nullptr, 0),
			pq_.clear);
		if (pq_.result_status(res.get()) != PGRES_TUPLES_OK || pq_.ntuples(res.get()) != 1)
		{
			const char *primary = pq_.result_error_field(res.get(), PG_DIAG_MESSAGE_PRIMARY);
			throw std::runtime_error(
				"pg_logship.status() failed: " +
				one_line(primary ? primary : pq_.result_error_message(res.get())));
		}
		try
		{
			return status::Json::parse(pq_.getvalue(res.get(), 0, 0));
		}
		catch (const status::Json::exception &e)
		{
			throw std::runtime_error(std::string("pg_logship.status() returned bad JSON: ") +
									 e.what());
		}
	}

private:
	const LibPq &pq_;
	const Options &opts_;
	std::string points_;
	std::unique_ptr<PGconn, void (*)(PGconn *)> conn_;
};

/* Sleeps up to seconds; returns early on SIGINT or SIGTERM. */
void
nap(double seconds)
{
	struct timespec left;
	left.tv_sec = static_cast<time_t>(seconds);
	left.tv_nsec = static_cast<long>((seconds - std::floor(seconds)) * 1e9);
	while (!g_stop && nanosleep(&left, &left) != 0 && errno == EINTR)
		;
}

/* One frame of output: the screen, the JSON document, or why there is neither. */
std::string
frame(Source &src, const Options &o, const status::Style &style, int *code)
{
	try
	{
		status::Json doc = src.fetch();
		*code = status::exit_status(doc);
		if (o.json)
			return o.watch > 0 ? doc.dump() + "\n" : doc.dump(2) + "\n";
		return status::render(doc, style, o.since);
	}
	catch (const std::runtime_error &e)
	{
		*code = kUnknown;
		if (o.json && o.watch > 0)
			return status::Json{{"status", "unknown"}, {"error", e.what()}}.dump() + "\n";
		if (o.watch > 0)
			return status::paint(style, status::Tone::Bad, std::string("error: ") + e.what()) +
				   "\n";
		throw;
	}
}

int
watch(Source &src, const Options &o, const status::Style &style)
{
	struct sigaction sa = {};
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, nullptr);
	sigaction(SIGTERM, &sa, nullptr);
	bool tty = ::isatty(STDOUT_FILENO) == 1 && !o.json;
	int code = kUnknown;
	char every[64];
	std::snprintf(every, sizeof every, "Every %gs: pg_logship status (Ctrl-C to stop)", o.watch);
	for (bool first = true; !g_stop; first = false)
	{
		std::string body = frame(src, o, style, &code);
		if (tty)
		{
			/* In place, as watch(1) does: home, each line cleared to its end, the rest cleared. */
			std::string out = first ? "\033[H\033[2J" : "\033[H";
			std::string all = status::paint(style, status::Tone::Dim, every) + "\n\n" + body;
			for (size_t at = 0, nl; at < all.size(); at = nl + 1)
			{
				nl = all.find('\n', at);
				if (nl == std::string::npos)
					nl = all.size();
				out += all.substr(at, nl - at) + "\033[K\n";
			}
			std::fputs((out + "\033[J").c_str(), stdout);
		}
		else
			std::fputs((o.json ? body : body + "\n").c_str(), stdout);
		std::fflush(stdout);
		nap(o.watch);
	}
	return code;
}

} // namespace

int
cmd_status(int argc, char **argv)
{
	Options o = parse(argc, argv);
	status::Style style = status::detect_style();
	const LibPq *pq;
	try
	{
		pq = &libpq();
	}
	catch (const std::exception &e)
	{
		std::fprintf(stderr, "pg_logship status: error: %s\n", e.what());
		return kUnknown;
	}
	Source src(*pq, o, status::sparkline_points(style));
	if (o.watch > 0)
		return watch(src, o, style);
	int code = kUnknown;
	try
	{
		std::fputs(frame(src, o, style, &code).c_str(), stdout);
	}
	catch (const std::runtime_error &e)
	{
		std::fprintf(stderr, "pg_logship status: error: %s\n", e.what());
		return kUnknown;
	}
	return code;
}

} // namespace pgls::cli
