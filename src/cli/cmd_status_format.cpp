/*
 * cmd_status_format.cpp -- numbers, times, bars, sparklines and tables for "pg_logship status".
 */
#include "cmd_status.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/ioctl.h>
#include <unistd.h>

namespace pgls::cli::status
{

namespace
{

bool
env_set(const char *name)
{
	const char *v = std::getenv(name);
	return v != nullptr && v[0] != '\0';
}

/* The locale's character set is UTF-8, as the C library would decide it from the environment. */
bool
utf8_locale()
{
	const char *value = nullptr;
	for (const char *name : {"LC_ALL", "LC_CTYPE", "LANG"})
		if (env_set(name))
		{
			value = std::getenv(name);
			break;
		}
	if (value == nullptr)
		return false;
	std::string v(value);
	std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
	return v.find("utf-8") != std::string::npos || v.find("utf8") != std::string::npos;
}

std::string
printf_string(const char *fmt, double a)
{
	char buf[64];
	std::snprintf(buf, sizeof buf, fmt, a);
	return buf;
}

} // namespace

Style
detect_style()
{
	Style style;
	bool tty = ::isatty(STDOUT_FILENO) == 1;
	const char *term = std::getenv("TERM");
	style.color = tty && !env_set("NO_COLOR") && !(term && std::strcmp(term, "dumb") == 0);
	style.unicode = tty && utf8_locale();
	struct winsize ws;
	if (tty && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		style.columns = ws.ws_col;
	else if (const char *cols = std::getenv("COLUMNS"); cols && std::atoi(cols) > 0)
		style.columns = std::atoi(cols);
	return style;
}

std::string
paint(const Style &style, Tone tone, const std::string &text)
{
	if (!style.color || tone == Tone::None || text.empty())
		return text;
	const char *code = tone == Tone::Good   ? "32"
					   : tone == Tone::Warn ? "33"
					   : tone == Tone::Bad  ? "1;31"
					   : tone == Tone::Dim  ? "2"
											: "1";
	return std::string("\033[") + code + "m" + text + "\033[0m";
}

Tone
severity_tone(const std::string &severity)
{
	return severity == "critical" ? Tone::Bad : severity == "warning" ? Tone::Warn : Tone::Good;
}

const Json &
field(const Json &obj, const char *key)
{
	static const Json null_value;
	if (!obj.is_object())
		return null_value;
	auto it = obj.find(key);
	return it == obj.end() ? null_value : *it;
}

std::optional<double>
number(const Json &value)
{
	if (value.is_number())
		return value.get<double>();
	if (value.is_string())
	{
		const std::string &s = value.get_ref<const std::string &>();
		char *end = nullptr;
		double d = std::strtod(s.c_str(), &end);
		if (!s.empty() && end && *end == '\0')
			return d;
	}
	return std::nullopt;
}

std::string
text(const Json &value, const std::string &dflt)
{
	if (value.is_string())
		return value.get<std::string>();
	if (value.is_boolean())
		return value.get<bool>() ? "yes" : "no";
	if (value.is_number_integer())
		return std::to_string(value.get<long long>());
	if (value.is_number())
		return printf_string("%g", value.get<double>());
	return dflt;
}

std::string
format_bytes(double bytes)
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
	double v = std::fabs(bytes);
	int u = 0;
	while (v >= 1024 && u < 5)
	{
		v /= 1024;
		u++;
	}
	if (bytes < 0)
		v = -v;
	if (u == 0)
		return printf_string("%.0f", v) + " B";
	return printf_string(std::fabs(v) < 10 ? "%.1f" : "%.0f", v) + " " + units[u];
}

std::string
format_seconds(double s)
{
	if (s < 0)
		s = 0;
	char buf[64];
	if (s < 60)
		std::snprintf(buf, sizeof buf, s < 10 ? "%.1f s" : "%.0f s", s);
	else if (s < 3600)
		std::snprintf(buf, sizeof buf, "%d min %02d s", static_cast<int>(s) / 60,
					  static_cast<int>(s) % 60);
	else if (s < 86400)
		std::snprintf(buf, sizeof buf, "%d h %02d min", static_cast<int>(s) / 3600,
					  static_cast<int>(s) % 3600 / 60);
	else
		std::snprintf(buf, sizeof buf, "%ld d %ld h", static_cast<long>(s) / 86400,
					  static_cast<long>(s) % 86400 / 3600);
	return buf;
}

std::string
format_time(const std::string &iso)
{
	std::string t = iso;
	if (t.size() > 10 && t[10] == 'T')
		t[10] = ' ';
	/* Drop the fraction of a second: "12:00:00.123456+00:00" -> "12:00:00+00:00". */
	auto dot = t.find('.', 11);
	if (dot != std::string::npos)
	{
		auto end = t.find_first_not_of("0123456789", dot + 1);
		t.erase(dot, end == std::string::npos ? std::string::npos : end - dot);
	}
	return t;
}

std::string
bar(const Style &style, double fraction, int width)
{
	if (!std::isfinite(fraction) || fraction < 0)
		fraction = 0;
	bool over = fraction > 1;
	double cells = std::min(fraction, 1.0) * width;
	Tone tone = fraction >= 1 ? Tone::Bad : fraction >= 0.5 ? Tone::Warn : Tone::Good;
	std::string filled, empty;
	if (style.unicode)
	{
		static const char *const eighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
		int full = static_cast<int>(cells);
		int part = static_cast<int>((cells - full) * 8);
		for (int i = 0; i < full; i++)
			filled += "█";
		int used = full;
		if (full < width && part > 0)
		{
			filled += eighths[part];
			used++;
		}
		empty.assign(width - used, ' ');
		return "▕" + paint(style, tone, filled) + empty +
			   (over ? paint(style, Tone::Bad, "▶") : "▏");
	}
	int full = static_cast<int>(std::lround(cells));
	filled.assign(full, '#');
	empty.assign(width - full, '.');
	return "[" + paint(style, tone, filled) + empty + (over ? ">" : "]");
}

std::string
sparkline(const Style &style, const std::vector<std::optional<double>> &points, double scale_max)
{
	static const char *const blocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
	static const char ascii[] = "_.-~=+*#";
	std::string out;
	for (const auto &p : points)
	{
		if (!p)
		{
			out += ' ';
			continue;
		}
		double f = scale_max > 0 ? *p / scale_max : 0;
		int level = static_cast<int>(std::clamp(f, 0.0, 1.0) * 7 + 0.5);
		out += style.unicode ? blocks[level] : std::string(1, ascii[level]);
	}
	return out;
}

int
sparkline_points(const Style &style)
{
	/* "  NAME...    history [" ... "] max 12 min 30 s" around it. */
	return std::clamp(style.columns - 40, 20, 240);
}

void
Table::header(const std::string &names)
{
	std::vector<Cell> row;
	for (size_t at = 0, end; at < names.size(); at = end + 1)
	{
		end = std::min(names.find(' ', at), names.size());
		std::string name = names.substr(at, end - at);
		bool right = name[0] == '>';
		name.erase(0, right ? 1 : 0);
		std::replace(name.begin(), name.end(), '_', ' ');
		row.push_back({name, Tone::None, right, ""});
	}
	add(std::move(row));
}

std::string
Table::draw(const Style &style, const std::vector<std::string> &extra) const
{
	std::vector<size_t> width;
	for (const auto &row : rows_)
		for (size_t c = 0; c < row.size(); c++)
		{
			width.resize(std::max(width.size(), row.size()));
			width[c] = std::max(width[c], row[c].text.size());
		}
	std::string out;
	for (size_t r = 0; r < rows_.size(); r++)
	{
		std::string line = "  ";
		for (size_t c = 0; c < rows_[r].size(); c++)
		{
			const Cell &cell = rows_[r][c];
			std::string pad(width[c] - cell.text.size(), ' ');
			bool last = c + 1 == rows_[r].size();
			std::string shown =
				cell.shown.empty() ? paint(style, cell.tone, cell.text) : cell.shown;
			line += cell.right ? pad + shown : shown + (last ? "" : pad);
			if (!last)
				line += "  ";
		}
		out += line + "\n";
		if (r < extra.size() && !extra[r].empty())
			out += extra[r];
	}
	return out;
}

} // namespace pgls::cli::status
