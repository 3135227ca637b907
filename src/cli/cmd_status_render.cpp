/*
 * cmd_status_render.cpp -- the screen of "pg_logship status", drawn from pg_logship.status().
 *
 * Sections, each a title line and indented lines: Server, Archive, Standbys (one line per
 * walsender and a sparkline of its lag), Receiver (on a standby), Slots, Health (every finding of
 * health(), worst first, whatever its component). Plain ASCII unless the style says otherwise.
 */
#include "cmd_status.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace pgls::cli::status
{

namespace
{

constexpr int kBarWidth = 10;

std::string
bytes_text(const Json &v)
{
	auto n = number(v);
	return n ? format_bytes(*n) : "-";
}

std::string
seconds_text(const Json &v)
{
	auto n = number(v);
	return n ? format_seconds(*n) : "-";
}

std::string
title(const Style &style, const std::string &name, const std::string &rest, Tone tone = Tone::None)
{
	return paint(style, Tone::Bold, name + ":") +
		   (rest.empty() ? "" : " " + paint(style, tone, rest)) + "\n";
}

/* The worst finding of health() about a component, or null. */
const Json *
worst_finding(const Json &doc, const std::string &component)
{
	const Json &health = field(doc, "health");
	if (!health.is_array())
		return nullptr;
	for (const Json &f : health) /* worst first */
		if (text(field(f, "component"), "") == component && text(field(f, "severity"), "") != "ok")
			return &f;
	return nullptr;
}

/* How full the lag bar is: the larger of bytes and seconds over their lag_warning_*. */
double
lag_fraction(const Json &doc, std::optional<double> bytes, std::optional<double> seconds)
{
	const Json &settings = field(doc, "settings");
	auto warn_bytes = number(field(settings, "lag_warning_bytes"));
	auto warn_seconds = number(field(settings, "lag_warning_seconds"));
	double f = 0;
	if (bytes && warn_bytes && *warn_bytes > 0)
		f = std::max(f, *bytes / *warn_bytes);
	if (seconds && warn_seconds && *warn_seconds > 0)
		f = std::max(f, *seconds / *warn_seconds);
	return f;
}

/* "    history [▁▂▃] max 2.0 s" for the "history" object of a standby or the receiver. */
std::string
history_line(const Style &style, const Json &history, const std::string &indent)
{
	const Json &secs = field(history, "lag_seconds");
	if (!secs.is_array())
		return "";
	std::vector<std::optional<double>> points;
	double max = 0;
	for (const Json &v : secs)
	{
		points.push_back(number(v));
		if (points.back())
			max = std::max(max, *points.back());
	}
	/* Below a second, lags are sampling noise: scale to at least 1 s. */
	std::string line = std::string(style.unicode ? "" : "[") +
					   sparkline(style, points, std::max(max, 1.0)) + (style.unicode ? "" : "]");
	return indent + paint(style, Tone::Dim, "history ") + line + " max " + format_seconds(max) +
		   "\n";
}

std::string
server_section(const Json &doc, const Style &style)
{
	const Json &server = field(doc, "server");
	const Json &monitor = field(doc, "monitor");
	const Json &settings = field(doc, "settings");
	std::string out =
		title(style, "Server",
			  text(field(server, "server_name"), "?") + ", " + text(field(server, "role"), "?") +
				  ", timeline " + text(field(server, "timeline"), "?") + ", WAL " +
				  text(field(server, "current_lsn"), "?") + " at " +
				  format_time(text(field(server, "now"), "?")));
	std::string mon = "  monitor up " + seconds_text(field(monitor, "uptime_seconds")) +
					  ", sampling every " +
					  seconds_text(field(settings, "sample_interval_seconds"));
	if (auto age = number(field(monitor, "last_sample_age_seconds")))
		mon += ", last sample " + format_seconds(*age) + " ago";
	else
		mon += ", " + paint(style, Tone::Warn, "no sample in the history window");
	return out + mon + "; PostgreSQL " + text(field(server, "server_version"), "?") + "\n";
}

std::string
archive_section(const Json &doc, const Style &style)
{
	const Json &a = field(doc, "archive");
	const Json *finding = worst_finding(doc, "archive");
	if (a.is_null())
		return title(style, "Archive", "unknown");
	const Json &settings = field(doc, "settings");
	if (text(field(field(doc, "server"), "role"), "") == "standby" &&
		text(field(settings, "archive_mode"), "") == "on")
		return title(style, "Archive",
					 "not archiving on this standby (archive_mode is on; always archives here too)",
					 Tone::Dim);
	if (field(a, "archive_mode_active") == false || field(a, "archive_library_active") == false)
	{
		std::string why = field(a, "archive_mode_active") == false
							  ? "archive_mode is off"
							  : "archive_library is not pg_logship";
		return title(style, "Archive", "not archiving with pg_logship (" + why + ")", Tone::Dim);
	}
	std::string out = finding ? title(style, "Archive", text(field(*finding, "message")),
									  severity_tone(text(field(*finding, "severity"), "")))
							  : title(style, "Archive", "ok", Tone::Good);
	/* A location others may add (an object store URL), else the folder. */
	std::string where = text(field(a, "archive_location"), text(field(a, "archive_dir"), "?"));
	std::string line = "  " + where + " (" + text(field(a, "archive_layout"), "?") + "), " +
					   text(field(a, "compression"), "?");
	if (auto ratio = number(field(a, "compression_ratio")))
	{
		char buf[32];
		std::snprintf(buf, sizeof buf, " %.2fx", *ratio);
		line += buf;
	}
	if (auto fps = number(field(a, "files_per_second")))
	{
		char buf[48];
		std::snprintf(buf, sizeof buf, ", %.2f files/s", *fps);
		line += buf;
	}
	out += line + "\n";
	out += "  last archived " + text(field(a, "last_archived_wal"), "none");
	if (auto age = number(field(a, "last_archived_age_seconds")))
		out += ", " + format_seconds(*age) + " ago";
	out += "\n";

	auto ready = number(field(a, "ready_count"));
	std::string backlog = "  backlog " + text(field(a, "ready_count"), "?") +
						  (ready && *ready == 1 ? " file (" : " files (") +
						  bytes_text(field(a, "ready_bytes")) + ")";
	if (ready && *ready > 0)
		backlog += ", oldest " + text(field(a, "oldest_ready_file")) + " waiting " +
				   seconds_text(field(a, "oldest_ready_age_seconds"));
	out += backlog + "\n";

	auto nonzero = [&](const char *key)
	{
		auto n = number(field(a, key));
		return n && *n > 0;
	};
	bool bad = nonzero("conflict_count") || nonzero("quarantined_files");
	bool failing = nonzero("failed_count") || nonzero("io_failure_count");
	std::string counts = "failures " + text(field(a, "failed_count"), "?") + " (I/O " +
						 text(field(a, "io_failure_count"), "?") + "), conflicts " +
						 text(field(a, "conflict_count"), "?") + ", quarantined " +
						 text(field(a, "quarantined_files"), "?") + ", refused " +
						 text(field(a, "refused_count"), "?");
	out += "  " + paint(style, bad ? Tone::Bad : failing ? Tone::Warn : Tone::None, counts) + "\n";
	if (auto err = field(a, "last_error"); err.is_string())
		out += "  last error: " + err.get<std::string>() + "\n";
	return out;
}

std::string
standbys_section(const Json &doc, const Style &style, const std::string &since)
{
	const Json &rep = field(doc, "replication");
	const Json &settings = field(doc, "settings");
	if (!rep.is_array() || rep.empty())
		return title(style, "Standbys", "none");
	std::string out = title(style, "Standbys",
							std::to_string(rep.size()) + ", lag bar full at " +
								bytes_text(field(settings, "lag_warning_bytes")) + " or " +
								seconds_text(field(settings, "lag_warning_seconds")) +
								", history of the last " + since);
	Table table;
	table.header("NAME STATE SYNC >LAG >SECONDS BAR BOTTLENECK CATCH-UP");
	std::vector<std::string> extra{""};
	for (const Json &r : rep)
	{
		auto bytes = number(field(r, "total_lag_bytes"));
		std::optional<double> secs = number(field(r, "replay_lag_seconds"));
		if (!secs)
			secs = number(field(r, "flush_lag_seconds"));
		if (!secs)
			secs = number(field(r, "write_lag_seconds"));
		std::string state = text(field(r, "state"));
		std::string bottleneck = text(field(r, "bottleneck"));
		auto eta = number(field(r, "catchup_eta_seconds"));
		std::string catchup = eta && *eta == 0 ? "caught up"
							  : eta            ? "in " + format_seconds(*eta)
							  : bytes && *bytes == 0 && secs && *secs == 0 ? "caught up"
																		   : "not catching up";
		std::string name = text(field(r, "application_name"), text(field(r, "pid"), "?"));
		double fraction = lag_fraction(doc, bytes, secs);
		table.add({{name, Tone::Bold},
				   {state, state == "streaming" ? Tone::Good : Tone::Warn},
				   {text(field(r, "sync_state"))},
				   {bytes ? format_bytes(*bytes) : "-", Tone::None, true},
				   {secs ? format_seconds(*secs) : "-", Tone::None, true},
				   {bar(Style{}, fraction, kBarWidth), Tone::None, false,
					bar(style, fraction, kBarWidth)},
				   {bottleneck, bottleneck == "none" ? Tone::Dim : Tone::Warn},
				   {catchup, catchup == "not catching up" ? Tone::Warn : Tone::None}});
		extra.push_back(history_line(style, field(r, "history"), "    "));
	}
	return out + table.draw(style, extra);
}

std::string
receiver_section(const Json &doc, const Style &style)
{
	const Json &rc = field(doc, "receiver");
	if (!rc.is_object())
		return "";
	bool link_ok = field(rc, "link_ok") == true;
	std::string upstream = text(field(rc, "upstream_host"), "?");
	if (field(rc, "upstream_port").is_number())
		upstream += ":" + text(field(rc, "upstream_port"));
	std::string head = text(field(rc, "status")) + " from " + upstream;
	if (field(rc, "slot_name").is_string())
		head += " (slot " + text(field(rc, "slot_name")) + ")";
	head += link_ok ? ", link ok" : ", link DOWN";
	if (auto age = number(field(rc, "last_message_age_seconds")))
		head += ", last message " + format_seconds(*age) + " ago";
	std::string out = title(style, "Receiver", head, link_ok ? Tone::None : Tone::Bad);
	auto bytes = number(field(rc, "receive_replay_lag_bytes"));
	auto secs = number(field(rc, "replay_delay_seconds"));
	out += "  received " + text(field(rc, "received_lsn")) + ", replayed " +
		   text(field(rc, "replayed_lsn")) + ", " + (bytes ? format_bytes(*bytes) : "-") + " and " +
		   (secs ? format_seconds(*secs) : "-") + " behind " +
		   bar(style, lag_fraction(doc, bytes, secs), kBarWidth);
	if (field(rc, "replay_paused") == true)
		out += "  " + paint(style, Tone::Warn, "replay paused");
	out += "\n" + history_line(style, field(rc, "history"), "  ");
	return out;
}

std::string
slots_section(const Json &doc, const Style &style)
{
	const Json &slots = field(doc, "slots");
	if (!slots.is_array() || slots.empty())
		return title(style, "Slots", "none");
	Table table;
	table.header("NAME TYPE ACTIVE >RETAINED WAL_STATUS TO_LIMIT");
	for (const Json &s : slots)
	{
		std::string wal = text(field(s, "wal_status"));
		auto to_limit = number(field(s, "seconds_to_limit"));
		std::string limit =
			to_limit ? format_seconds(*to_limit) + " (" + text(field(s, "limit_kind"), "?") + ")"
					 : "-";
		table.add({{text(field(s, "slot_name")), Tone::Bold},
				   {text(field(s, "slot_type"))},
				   {text(field(s, "active"))},
				   {bytes_text(field(s, "retained_bytes")), Tone::None, true},
				   {wal, wal == "lost"         ? Tone::Bad
						 : wal == "unreserved" ? Tone::Warn
											   : Tone::None},
				   {limit, to_limit && *to_limit < 3600 ? Tone::Warn : Tone::None}});
	}
	return title(style, "Slots", std::to_string(slots.size())) + table.draw(style);
}

std::string
health_section(const Json &doc, const Style &style)
{
	const Json &health = field(doc, "health");
	std::string status = text(field(doc, "status"), "unknown");
	std::string upper = status;
	std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
	std::string out = title(style, "Health", upper, severity_tone(status));
	if (!health.is_array())
		return out;
	size_t width = 0;
	for (const Json &f : health)
		width = std::max(width, text(field(f, "severity")).size());
	for (const Json &f : health)
	{
		std::string sev = text(field(f, "severity"));
		out += "  " + paint(style, severity_tone(sev), sev) + std::string(width - sev.size(), ' ') +
			   "  " + text(field(f, "component")) + ": " + text(field(f, "message")) + "\n";
		if (field(f, "hint").is_string())
			out += "  " + std::string(width, ' ') + "  hint: " + text(field(f, "hint")) + "\n";
	}
	return out;
}

} // namespace

std::string
render(const Json &doc, const Style &style, const std::string &since)
{
	return server_section(doc, style) + archive_section(doc, style) +
		   standbys_section(doc, style, since) + receiver_section(doc, style) +
		   slots_section(doc, style) + health_section(doc, style);
}

int
exit_status(const Json &doc)
{
	int worst = 0;
	const Json &health = field(doc, "health");
	if (health.is_array())
		for (const Json &f : health)
		{
			std::string sev = text(field(f, "severity"), "");
			worst = std::max(worst, sev == "critical" ? 2 : sev == "warning" ? 1 : 0);
		}
	return worst;
}

} // namespace pgls::cli::status
