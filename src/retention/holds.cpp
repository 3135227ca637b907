/*
 * holds.cpp -- reading and durably replacing the retention hold file.
 */
#include "retention/holds.hpp"

#include "core/fileio.hpp"
#include "core/retention_state.hpp"

#include <cerrno>
#include <fstream>
#include <sstream>

#include <sys/stat.h>

namespace pgls
{

int
load_holds(HoldEntry *out, int max, char *why, size_t why_len)
{
	try
	{
		struct stat st;
		if (::stat(kHoldFile, &st) != 0 && errno == ENOENT)
			return 0;
		std::ifstream in(kHoldFile, std::ios::binary);
		if (!in)
			throw std::runtime_error("could not open the file");
		std::ostringstream text;
		text << in.rdbuf();
		std::vector<SlotHold> holds = parse_hold_state(text.str());
		int n = 0;
		for (const SlotHold &h : holds)
		{
			if (n >= max)
				break;
			strlcpy(out[n].slot, h.slot.c_str(), sizeof out[n].slot);
			out[n].lsn = h.lsn;
			n++;
		}
		return n;
	}
	catch (const std::exception &e)
	{
		snprintf(why, why_len, "%s: %s", kHoldFile, e.what());
	}
	catch (...)
	{
		snprintf(why, why_len, "%s: unknown error", kHoldFile);
	}
	return -1;
}

bool
save_holds(const HoldEntry *holds, int n, char *why, size_t why_len)
{
	try
	{
		std::vector<SlotHold> v;
		for (int i = 0; i < n; i++)
			v.push_back(SlotHold{holds[i].slot, holds[i].lsn});
		make_dirs_durable(kHoldDir);
		write_file_atomic(kHoldFile, format_hold_state(v));
		return true;
	}
	catch (const std::exception &e)
	{
		strlcpy(why, e.what(), why_len);
	}
	catch (...)
	{
		strlcpy(why, "unknown error", why_len);
	}
	return false;
}

} // namespace pgls
