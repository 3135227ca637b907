/*
 * identity_call.cpp -- runs the claim check for the archiver, catching everything.
 *
 * PostgreSQL-free on purpose: nothing here can longjmp.
 */
#include "core/pure.hpp"
#include "archive/identity_call.hpp"

#include "archive/store_cache.hpp"
#include "core/claim_store.hpp"
#include "core/fileio.hpp"
#include "core/identity.hpp"
#include "core/instance_file.hpp"

#include <cstring>

namespace pgls
{

namespace
{

void
copy_text(char *dst, size_t len, const std::string &src)
{
	std::strncpy(dst, src.c_str(), len - 1);
	dst[len - 1] = '\0';
}

void
run(IdentityCall *call)
{
	ServerIdentity me;
	me.name = call->server;
	me.system_identifier = call->sysid;
	me.host = local_host_name();
	me.machine_id = local_machine_id();
	me.data_directory = call->data_directory;
	me.port = call->port;

	if (call->instance[0] == '\0')
	{
		InstanceInfo info =
			load_or_create_instance(me.data_directory + "/" + std::string(kInstanceFile), me.host,
									me.machine_id, me.data_directory, call->now);
		copy_text(call->instance, sizeof call->instance, info.instance_id);
		call->instance_created = info.created;
		copy_text(call->instance_why, sizeof call->instance_why, info.why_new);
	}
	me.instance_id = call->instance;
	copy_text(call->me, sizeof call->me, describe_server(me));

	StoreSpec spec;
	spec.location = call->root;
	spec.writer = StoreWriter{me.name, call->pid, me.instance_id};
	spec.modes =
		FileModes{call->file_mode ? call->file_mode : 0600, call->dir_mode ? call->dir_mode : 0700};
	spec.s3 = s3_settings_from(call->s3);
	Store &store = archive_store(spec);
	if (!store.local() && !call->probe_ok)
	{
		probe_store(store, me.name + "-" + std::to_string(call->pid));
		call->probe_ran = true;
	}
	StoreClaimStore claims(store);
	ClaimCheck check = check_claim(claims, me, call->now);
	copy_text(call->claim_path, sizeof call->claim_path, check.location);
	copy_text(call->reason, sizeof call->reason, check.reason);
	if (check.holder)
		copy_text(call->holder, sizeof call->holder, describe_server(check.holder->server));
	switch (check.status)
	{
		case ClaimStatus::Created:
			call->status = IdentityCallStatus::Created;
			break;
		case ClaimStatus::Ours:
			call->status = IdentityCallStatus::Ours;
			break;
		case ClaimStatus::Rebuilt:
			call->status = IdentityCallStatus::Rebuilt;
			break;
		case ClaimStatus::Foreign:
			call->status = IdentityCallStatus::Foreign;
			break;
		case ClaimStatus::Damaged:
			call->status = IdentityCallStatus::Damaged;
			break;
	}
}

} // namespace

void
run_identity_call(IdentityCall *call) noexcept
{
	call->status = IdentityCallStatus::Failed;
	call->instance_created = false;
	call->probe_ran = false;
	call->err = 0;
	call->instance_why[0] = call->claim_path[0] = call->holder[0] = call->me[0] = '\0';
	call->reason[0] = call->message[0] = '\0';
	try
	{
		run(call);
	}
	catch (const IoError &e)
	{
		call->status = IdentityCallStatus::Failed;
		call->err = e.error_number();
		copy_text(call->message, sizeof call->message, e.what());
	}
	catch (const std::exception &e)
	{
		call->status = IdentityCallStatus::Failed;
		copy_text(call->message, sizeof call->message, e.what());
		copy_text(call->reason, sizeof call->reason, s3_error_hint(e));
	}
	catch (...)
	{
		call->status = IdentityCallStatus::Failed;
		copy_text(call->message, sizeof call->message, "unknown error");
	}
}

} // namespace pgls
