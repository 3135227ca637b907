/*
 * prefetch_depth.cpp -- the --prefetch value (segments or bytes) and the prefetcher's exit names.
 */
#include "pure.hpp"
#include "prefetch_worker.hpp"

#include <algorithm>

namespace pgls
{

uint64_t
PrefetchDepth::segments_for(uint64_t seg_size) const
{
	if (bytes == 0)
		return segments;
	return std::min(kMaxPrefetchSegments, std::max<uint64_t>(1, bytes / seg_size));
}

std::optional<PrefetchDepth>
parse_prefetch_depth(std::string_view text)
{
	size_t digits = 0;
	uint64_t n = 0;
	while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
	{
		if (n > UINT64_C(1) << 40)
			return std::nullopt;
		n = n * 10 + static_cast<uint64_t>(text[digits] - '0');
		digits++;
	}
	if (digits == 0)
		return std::nullopt;
	std::string_view unit = text.substr(digits);
	PrefetchDepth d;
	if (unit.empty())
	{
		if (n > kMaxPrefetchSegments)
			return std::nullopt;
		d.segments = n;
		return d;
	}
	uint64_t mult;
	if (unit == "kB")
		mult = UINT64_C(1) << 10;
	else if (unit == "MB")
		mult = UINT64_C(1) << 20;
	else if (unit == "GB")
		mult = UINT64_C(1) << 30;
	else
		return std::nullopt;
	if (n > (UINT64_C(64) << 30) / mult)
		return std::nullopt;
	d.bytes = n * mult;
	return d;
}

const char *
prefetch_exit_name(PrefetchExit e)
{
	switch (e)
	{
		case PrefetchExit::Idle:
			return "idle";
		case PrefetchExit::SpoolGone:
			return "spool gone";
		case PrefetchExit::Stopped:
			return "stopped";
	}
	return "unknown";
}

} // namespace pgls
