/*
 * cmd_status.hpp -- what the parts of "pg_logship status" share.
 *
 * cmd_status.cpp runs the command (options, connection, --watch); cmd_status_render.cpp draws
 * the screen from the document pg_logship.status() returns; cmd_status_format.cpp formats
 * numbers, bars, sparklines and tables, in plain ASCII or with colours and Unicode blocks.
 *
 * The document is read by key, and every key may be missing or null: a server with an older or
 * newer extension shows what it has, and columns a view gains are ignored here (and passed
 * through by --json).
 */
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace pgls::cli::status
{

using Json = nlohmann::ordered_json;

/* How to draw: colours (ANSI) and Unicode blocks only on a terminal; the terminal's width. */
struct Style
{
	bool color = false;
	bool unicode = false;
	int columns = 80;
};

enum class Tone
{
	None,
	Good,
	Warn,
	Bad,
	Dim,
	Bold,
};

/* The style for standard output: colour on a terminal unless NO_COLOR or TERM=dumb, Unicode on a
 * terminal with a UTF-8 locale, the terminal's width. */
Style detect_style();

/* text in the tone's colour (unchanged without colour). */
std::string paint(const Style &style, Tone tone, const std::string &text);

/* The tone of a severity of health(): critical Bad, warning Warn, else Good. */
Tone severity_tone(const std::string &severity);

/* A member of an object, or null when obj is not an object or has no such key. */
const Json &field(const Json &obj, const char *key);
/* A number (numbers and numeric strings), or nothing for null and anything else. */
std::optional<double> number(const Json &value);
/* A string as is, a number or boolean as text, or dflt for null. */
std::string text(const Json &value, const std::string &dflt = "-");

/* 1536 -> "1.5 kB", as pg_size_pretty (1024 steps) but with one decimal below 10. */
std::string format_bytes(double bytes);
/* 0.04 -> "0.0 s", 75 -> "1 min 15 s", 7320 -> "2 h 02 min", 200000 -> "2 d 7 h". */
std::string format_seconds(double seconds);
/* ISO time from the server ("2024-05-01T12:00:00.123+00:00") as "2024-05-01 12:00:00+00:00". */
std::string format_time(const std::string &iso);

/* A bar of `width` cells, `fraction` of it filled (more than 1: full and marked). */
std::string bar(const Style &style, double fraction, int width);

/* One character per point, scaled to scale_max; a missing point is a blank. */
std::string sparkline(const Style &style, const std::vector<std::optional<double>> &points,
					  double scale_max);

/* How many sparkline points fit a line of the screen. */
int sparkline_points(const Style &style);

/* A cell of a Table. */
struct Cell
{
	std::string text; /* measured for the column's width */
	Tone tone = Tone::None;
	bool right = false;
	std::string shown; /* if set, printed instead of text: as wide on screen, with styling */
};

/* Rows of cells, padded to their column's width, two spaces apart, indented. */
class Table
{
public:
	void
	add(std::vector<Cell> row)
	{
		rows_.push_back(std::move(row));
	}
	/* Column names, space-separated: '>' right-aligns a column, '_' is a space. */
	void header(const std::string &names);
	/* Lines of the table; extra[i] (if any) is printed after row i, as is. */
	std::string draw(const Style &style, const std::vector<std::string> &extra = {}) const;

private:
	std::vector<std::vector<Cell>> rows_;
};

/* The screen for a document of pg_logship.status(); since is --since as given. */
std::string render(const Json &doc, const Style &style, const std::string &since);

/* The exit status of a document, as "pg_logship check": 0 ok, 1 warning, 2 critical. */
int exit_status(const Json &doc);

} // namespace pgls::cli::status
