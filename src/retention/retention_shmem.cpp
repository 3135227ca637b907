/*
 * retention_shmem.cpp -- registering and reading the retention worker's shared state.
 */
#include "retention/retention_shmem.hpp"

#include "shmem.hpp"

extern "C"
{
#include "replication/slot.h"
}

namespace pgls
{

namespace
{

RetentionShared *state = nullptr;

Size
shared_size(void)
{
	return add_size(offsetof(RetentionShared, slots),
					mul_size(sizeof(SlotTrack), static_cast<Size>(Max(max_replication_slots, 0))));
}

void
init_state(void *mem)
{
	RetentionShared *s = static_cast<RetentionShared *>(mem);
	SpinLockInit(&s->mutex);
	s->nslots = max_replication_slots;
}

} // namespace

void
retention_shmem_register(void)
{
	shmem_register("pg_logship retention", shared_size(), init_state,
				   reinterpret_cast<void **>(&state));
}

RetentionShared *
retention_shared(void)
{
	return state;
}

bool
slot_track_copy(int i, const char *name, SlotTrack *out)
{
	if (state == nullptr || i < 0 || i >= state->nslots)
		return false;
	SpinLockAcquire(&state->mutex);
	memcpy(out, &state->slots[i], sizeof *out);
	SpinLockRelease(&state->mutex);
	return strcmp(out->name, name) == 0;
}

void
cleanup_status_set(const CleanupStatus &status)
{
	if (state == nullptr)
		return;
	SpinLockAcquire(&state->mutex);
	state->cleanup = status;
	SpinLockRelease(&state->mutex);
}

void
cleanup_status_copy(CleanupStatus *out)
{
	memset(out, 0, sizeof *out);
	if (state == nullptr)
		return;
	SpinLockAcquire(&state->mutex);
	*out = state->cleanup;
	SpinLockRelease(&state->mutex);
}

} // namespace pgls
