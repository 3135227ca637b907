/*
 * s3_probe.cpp -- the shared table of probed object stores (see the header).
 */
#include "archive/s3_probe.hpp"

#include "shmem.hpp"

extern "C"
{
#include "common/hashfn.h"
}

namespace pgls
{

namespace
{

constexpr int kProbed = 16;

struct ProbeTable
{
	slock_t mutex;
	int next;
	uint32 keys[kProbed]; /* 0: empty */
};

ProbeTable *table = nullptr;
/* Without shared memory: this process's own answer. */
uint32 local_key = 0;

void
init_table(void *mem)
{
	SpinLockInit(&static_cast<ProbeTable *>(mem)->mutex);
}

uint32
key_of(const char *location, const S3SettingValues &s3)
{
	uint32 h = hash_bytes(reinterpret_cast<const unsigned char *>(location), strlen(location));
	const char *endpoint = s3.endpoint ? s3.endpoint : "";
	h = hash_combine(
		h, hash_bytes(reinterpret_cast<const unsigned char *>(endpoint), strlen(endpoint)));
	return h == 0 ? 1 : h;
}

} // namespace

void
register_s3_probe_shmem(void)
{
	shmem_register("pg_logship s3 probes", sizeof(ProbeTable), init_table,
				   reinterpret_cast<void **>(&table));
}

bool
s3_probe_known_ok(const char *location, const S3SettingValues &s3)
{
	uint32 key = key_of(location, s3);
	if (table == nullptr)
		return local_key == key;
	bool known = false;
	SpinLockAcquire(&table->mutex);
	for (int i = 0; i < kProbed; i++)
		known = known || table->keys[i] == key;
	SpinLockRelease(&table->mutex);
	return known;
}

void
s3_probe_note_ok(const char *location, const S3SettingValues &s3)
{
	uint32 key = key_of(location, s3);
	local_key = key;
	if (table == nullptr)
		return;
	SpinLockAcquire(&table->mutex);
	table->keys[table->next] = key;
	table->next = (table->next + 1) % kProbed;
	SpinLockRelease(&table->mutex);
}

} // namespace pgls
