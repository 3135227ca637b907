/*
 * identity.cpp -- claim records, instance records and the rules about them (see the header).
 */
#include "pure.hpp"
#include "identity.hpp"

#include "claim_store.hpp"
#include "fileio.hpp"

#include <cerrno>
#include <cstdio>
#include <map>
#include <stdexcept>

namespace pgls
{

namespace
{

constexpr std::string_view kClaimMagic = "pg_logship_claim";
constexpr std::string_view kInstanceMagic = "pg_logship_instance";

using Fields = std::map<std::string, std::string, std::less<>>;

void
add_field(std::string &out, std::string_view key, std::string_view value)
{
	if (value.find_first_of("\r\n") != std::string_view::npos)
		throw std::invalid_argument("the " + std::string(key) + " contains a line break");
	out.append(key).append("=").append(value).append("\n");
}

/* "key=value" lines; the first must be "<magic>=1". Later duplicates of a key are refused. */
std::optional<Fields>
parse_fields(std::string_view text, std::string_view magic, std::string *why)
{
	auto fail = [&](const std::string &what) -> std::optional<Fields>
	{
		if (why)
			*why = what;
		return std::nullopt;
	};
	if (text.size() > kMaxRecordBytes)
		return fail("it is longer than " + std::to_string(kMaxRecordBytes) + " bytes");
	if (text.find('\0') != std::string_view::npos)
		return fail("it contains a zero byte");
	Fields fields;
	bool first = true;
	while (!text.empty())
	{
		auto nl = text.find('\n');
		std::string_view line = text.substr(0, nl);
		text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
		if (line.empty() && !first)
			continue;
		auto eq = line.find('=');
		if (eq == std::string_view::npos || eq == 0)
			return fail("line \"" + std::string(line.substr(0, 64)) + "\" is not key=value");
		std::string key(line.substr(0, eq));
		std::string value(line.substr(eq + 1));
		if (first)
		{
			if (key != magic)
				return fail("it does not start with \"" + std::string(magic) + "=\"");
			if (value != "1")
				return fail("its format version \"" + value + "\" is not 1");
			first = false;
			continue;
		}
		if (!fields.emplace(std::move(key), std::move(value)).second)
			return fail("key \"" + std::string(line.substr(0, eq)) + "\" appears twice");
	}
	if (first)
		return fail("it is empty");
	return fields;
}

const std::string *
field(const Fields &f, std::string_view key)
{
	auto it = f.find(key);
	return it == f.end() ? nullptr : &it->second;
}

bool
parse_u64(const std::string &text, uint64_t *out)
{
	if (text.empty() || text.size() > 20)
		return false;
	uint64_t v = 0;
	for (char c : text)
	{
		if (c < '0' || c > '9')
			return false;
		uint64_t d = static_cast<uint64_t>(c - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* Optional numbers (port, times) read as 0 when absent or malformed: they are only shown. */
int64_t
optional_number(const Fields &f, std::string_view key)
{
	const std::string *v = field(f, key);
	uint64_t n = 0;
	if (v && parse_u64(*v, &n) && n <= static_cast<uint64_t>(INT64_MAX))
		return static_cast<int64_t>(n);
	return 0;
}

/* The short host name, made safe for a server name. */
std::string
host_part(std::string_view host)
{
	std::string_view shortname = host.substr(0, host.find('.'));
	std::string out = sanitize_server_name(shortname);
	return out.empty() ? "pg" : out;
}

bool
same_host(const ServerIdentity &a, const ServerIdentity &b)
{
	return a.host == b.host && a.machine_id == b.machine_id;
}

} // namespace

std::string
claim_path(std::string_view server_name)
{
	return std::string(kClaimsDir) + "/" + std::string(server_name);
}

std::string
format_instance_id(uint64_t random)
{
	char buf[kInstanceIdLen + 1];
	if (random == 0)
		random = 1;
	std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(random));
	return buf;
}

std::string
format_claim(const ClaimRecord &claim)
{
	const ServerIdentity &s = claim.server;
	std::string out;
	add_field(out, kClaimMagic, "1");
	add_field(out, "server_name", s.name);
	add_field(out, "system_identifier", std::to_string(s.system_identifier));
	add_field(out, "host", s.host);
	add_field(out, "machine_id", s.machine_id);
	add_field(out, "data_directory", s.data_directory);
	add_field(out, "port", std::to_string(s.port));
	add_field(out, "instance_id", s.instance_id);
	add_field(out, "claimed_at", std::to_string(claim.claimed_at));
	return out;
}

std::optional<ClaimRecord>
parse_claim(std::string_view text, std::string *why)
{
	auto fields = parse_fields(text, kClaimMagic, why);
	if (!fields)
		return std::nullopt;
	auto fail = [&](const std::string &what) -> std::optional<ClaimRecord>
	{
		if (why)
			*why = what;
		return std::nullopt;
	};
	ClaimRecord c;
	ServerIdentity &s = c.server;
	const std::string *v;
	if (!(v = field(*fields, "server_name")) || !valid_server_name(*v))
		return fail("it has no valid server_name");
	s.name = *v;
	if (!(v = field(*fields, "system_identifier")) || !parse_u64(*v, &s.system_identifier))
		return fail("it has no valid system_identifier");
	if (!(v = field(*fields, "host")) || v->empty())
		return fail("it has no host");
	s.host = *v;
	if (!(v = field(*fields, "machine_id")))
		return fail("it has no machine_id");
	s.machine_id = *v;
	if (!(v = field(*fields, "data_directory")) || v->empty())
		return fail("it has no data_directory");
	s.data_directory = *v;
	if (!(v = field(*fields, "instance_id")) || !valid_instance_id(*v))
		return fail("it has no valid instance_id");
	s.instance_id = *v;
	int64_t port = optional_number(*fields, "port");
	s.port = port <= 65535 ? static_cast<int>(port) : 0;
	c.claimed_at = optional_number(*fields, "claimed_at");
	return c;
}

ClaimDecision
decide_claim(const ClaimRecord &claim, const ServerIdentity &me)
{
	const ServerIdentity &them = claim.server;
	ClaimDecision d;
	if (them.name != me.name)
	{
		d.reason = "the record is for server name \"" + them.name + "\"";
		return d;
	}
	if (them.instance_id == me.instance_id)
	{
		d.match = ClaimMatch::Ours;
		return d;
	}
	std::string differs;
	auto note = [&differs](const char *what)
	{
		if (!differs.empty())
			differs += ", ";
		differs += what;
	};
	if (them.host != me.host)
		note("host");
	else if (them.machine_id != me.machine_id)
		note("machine id");
	if (them.data_directory != me.data_directory)
		note("data directory");
	if (them.system_identifier != me.system_identifier)
		note("system identifier");
	if (differs.empty() && same_host(them, me))
	{
		d.match = ClaimMatch::SameServerRebuilt;
		return d;
	}
	d.reason = differs;
	return d;
}

std::string
describe_server(const ServerIdentity &s)
{
	std::string out = "host \"" + s.host + "\"";
	out += ", data directory \"" + s.data_directory + "\"";
	if (s.port != 0)
		out += ", port " + std::to_string(s.port);
	out += ", system identifier " + std::to_string(s.system_identifier);
	out += ", instance " + s.instance_id;
	return out;
}

const char *
claim_status_name(ClaimStatus status)
{
	switch (status)
	{
		case ClaimStatus::Created:
			return "created";
		case ClaimStatus::Ours:
			return "ours";
		case ClaimStatus::Rebuilt:
			return "rebuilt";
		case ClaimStatus::Foreign:
			return "foreign";
		case ClaimStatus::Damaged:
			return "damaged";
	}
	return "?";
}

ClaimCheck
check_claim(ClaimStore &store, const ServerIdentity &me, int64_t now)
{
	ClaimCheck out;
	std::string name = claim_path(me.name);
	out.location = store.location(name);
	/* Read first: checking an existing claim (the usual case) writes nothing. */
	for (int attempt = 0; attempt < 3; attempt++)
	{
		std::optional<std::string> text = store.read(name, kMaxRecordBytes + 1);
		if (!text)
		{
			if (store.create_if_absent(name, format_claim(ClaimRecord{me, now})))
			{
				out.status = ClaimStatus::Created;
				return out;
			}
			/* Created by someone else since we looked: decide on theirs. */
			continue;
		}
		std::string why;
		out.holder = parse_claim(*text, &why);
		if (!out.holder)
		{
			out.status = ClaimStatus::Damaged;
			out.reason = why;
			return out;
		}
		ClaimDecision d = decide_claim(*out.holder, me);
		out.status = d.match == ClaimMatch::Ours                ? ClaimStatus::Ours
					 : d.match == ClaimMatch::SameServerRebuilt ? ClaimStatus::Rebuilt
																: ClaimStatus::Foreign;
		out.reason = d.reason;
		return out;
	}
	/* It exists when we create it and is gone when we read it, again and again. */
	throw IoError("the claim \"" + out.location + "\" keeps appearing and disappearing", EAGAIN);
}

std::string
format_instance(const InstanceRecord &rec)
{
	std::string out;
	add_field(out, kInstanceMagic, "1");
	add_field(out, "instance_id", rec.instance_id);
	add_field(out, "host", rec.host);
	add_field(out, "machine_id", rec.machine_id);
	add_field(out, "data_directory", rec.data_directory);
	add_field(out, "created_at", std::to_string(rec.created_at));
	return out;
}

std::optional<InstanceRecord>
parse_instance(std::string_view text, std::string *why)
{
	auto fields = parse_fields(text, kInstanceMagic, why);
	if (!fields)
		return std::nullopt;
	InstanceRecord rec;
	const std::string *id = field(*fields, "instance_id");
	const std::string *host = field(*fields, "host");
	const std::string *machine = field(*fields, "machine_id");
	const std::string *dir = field(*fields, "data_directory");
	if (!id || !valid_instance_id(*id) || *id == kNoInstance || !host || !machine || !dir)
	{
		if (why)
			*why = "it lacks instance_id, host, machine_id or data_directory";
		return std::nullopt;
	}
	rec.instance_id = *id;
	rec.host = *host;
	rec.machine_id = *machine;
	rec.data_directory = *dir;
	rec.created_at = optional_number(*fields, "created_at");
	return rec;
}

std::string
instance_made_elsewhere(const InstanceRecord &rec, std::string_view host,
						std::string_view machine_id, std::string_view data_directory)
{
	if (rec.host == host && rec.machine_id == machine_id && rec.data_directory == data_directory)
		return "";
	std::string out = "made for host \"" + rec.host + "\"";
	if (rec.host == host && rec.machine_id != machine_id)
		out += " (machine id " + (rec.machine_id.empty() ? "none" : rec.machine_id) + ")";
	out += ", data directory \"" + rec.data_directory + "\"";
	return out;
}

std::string
default_server_name(std::string_view host, std::string_view cluster_name, int port)
{
	std::string suffix =
		cluster_name.empty() ? std::to_string(port) : sanitize_server_name(cluster_name);
	if (suffix.size() > kMaxServerName / 2)
		suffix.resize(kMaxServerName / 2);
	std::string out = host_part(host);
	if (out.size() + 1 + suffix.size() > kMaxServerName)
		out.resize(kMaxServerName - 1 - suffix.size());
	return out + "-" + suffix;
}

} // namespace pgls
