/*
 * retention_state.cpp -- reading and writing the retention hold file.
 */
#include "pure.hpp"
#include "retention_state.hpp"

#include "wal_name.hpp"

#include <sstream>

namespace pgls
{

namespace
{

/* Replication slot names: lower-case letters, digits and underscores, at most 63. */
bool
valid_slot_name(const std::string &s)
{
	if (s.empty() || s.size() > 63)
		return false;
	for (char c : s)
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	return true;
}

} // namespace

std::string
format_hold_state(const std::vector<SlotHold> &holds)
{
	std::string out = "# pg_logship retention holds: slot, position its standby still needs\n";
	for (const SlotHold &h : holds)
		out += h.slot + " " + format_lsn(h.lsn) + "\n";
	return out;
}

std::vector<SlotHold>
parse_hold_state(const std::string &text)
{
	std::vector<SlotHold> holds;
	std::istringstream in(text);
	std::string line;
	int lineno = 0;
	while (std::getline(in, line))
	{
		lineno++;
		if (line.empty() || line[0] == '#')
			continue;
		size_t sp = line.find(' ');
		std::string name = line.substr(0, sp);
		uint64_t lsn = 0;
		if (sp != std::string::npos)
			lsn = parse_lsn(line.substr(sp + 1)).value_or(0);
		if (!valid_slot_name(name) || lsn == 0)
			throw HoldStateError("malformed line " + std::to_string(lineno) + ": \"" + line + "\"");
		holds.push_back(SlotHold{name, lsn});
	}
	return holds;
}

} // namespace pgls
