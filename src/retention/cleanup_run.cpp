/*
 * cleanup_run.cpp -- gathering what needs archived WAL, planning, removing, recording.
 */
#include "retention/cleanup_run.hpp"

#include "archive/server_identity.hpp"
#include "pg/guard.hpp"
#include "retention/archive_check.hpp"
#include "retention/holds.hpp"
#include "retention/retention.hpp"
#include "retention/retention_shmem.hpp"
#include "settings.hpp"

#include "core/archive_format.hpp"
#include "core/store.hpp"
#include "core/fileio.hpp"
#include "core/interrupt.hpp"
#include "core/retention_cleanup.hpp"
#include "core/wal_name.hpp"

extern "C"
{
#include "replication/slot.h"
#include "replication/walsender.h"
#include "replication/walsender_private.h"
}

#include <sys/stat.h>
#include <unordered_map>

namespace pgls
{

namespace
{

struct Position
{
	char who[128];
	XLogRecPtr lsn;
	TimeLineID tli;
};

/* What the PG side gathered, as plain data. */
struct Gathered
{
	ArchiveTarget target;
	int keep_backups;
	int min_age_s;
	int64 now_s;
	int npos;
	Position *pos;
	char refusal[512]; /* set when slot or standby state could not be read */
};

void
add_position(Gathered *g, int max, const char *who, XLogRecPtr lsn, TimeLineID tli)
{
	if (g->npos >= max || XLogRecPtrIsInvalid(lsn))
		return;
	Position &p = g->pos[g->npos++];
	strlcpy(p.who, who, sizeof p.who);
	p.lsn = lsn;
	p.tli = tli;
}

/* PG calls only. */
void
gather(Gathered *g)
{
	memset(g, 0, sizeof *g);
	TimeLineID tli;
	XLogRecPtr flush = GetFlushRecPtr(&tli);
	read_archive_target(&g->target, tli);
	g->keep_backups = pgls_keep_backups;
	g->min_age_s = pgls_archive_keep_min_age_s;
	g->now_s = static_cast<int64>(time(nullptr));

	SlotRow *rows;
	int n = read_slots(&rows);
	int nholds_max = Max(max_replication_slots, 1);
	HoldEntry *holds = static_cast<HoldEntry *>(palloc(sizeof(HoldEntry) * nholds_max));
	char why[400];
	int nholds = load_holds(holds, nholds_max, why, sizeof why);
	if (nholds < 0)
	{
		snprintf(g->refusal, sizeof g->refusal, "cannot read the retention hold file: %s", why);
		return;
	}

	int max = 2 * n + max_wal_senders + 1;
	g->pos = static_cast<Position *>(palloc0(sizeof(Position) * max));
	char who[128];
	for (int k = 0; k < n; k++)
	{
		const SlotRow &r = rows[k];
		if (slot_lost(r))
		{
			/* PG15 says where it was invalidated; PG18's idle timeout leaves restart_lsn; else
			 * (PG16+, WAL removed) the worker's hold below has the last position it saw. */
			snprintf(who, sizeof who, "slot \"%s\" (lost; where it was invalidated)", r.name);
			add_position(g, max, who,
						 !XLogRecPtrIsInvalid(r.invalidated_at) ? r.invalidated_at : r.restart_lsn,
						 tli);
		}
		else
		{
			snprintf(who, sizeof who, "slot \"%s\"", r.name);
			add_position(g, max, who, r.restart_lsn, tli);
		}
		for (int h = 0; h < nholds; h++)
			if (strcmp(holds[h].slot, r.name) == 0)
			{
				snprintf(who, sizeof who, "slot \"%s\" (its standby, before the slot was %s)",
						 r.name, slot_lost(r) ? "lost" : "advanced");
				add_position(g, max, who, holds[h].lsn, tli);
			}
	}

	for (int i = 0; WalSndCtl != nullptr && i < max_wal_senders; i++)
	{
		WalSnd *w = &WalSndCtl->walsnds[i];
		SpinLockAcquire(&w->mutex);
		pid_t pid = w->pid;
		WalSndState state = w->state;
		XLogRecPtr apply = w->apply;
		XLogRecPtr flushed = w->flush;
		XLogRecPtr written = w->write;
		SpinLockRelease(&w->mutex);
		if (pid == 0 || state == WALSNDSTATE_BACKUP)
			continue;
		/* A standby reports where it replayed; pg_receivewal and pg_basebackup's WAL stream
		 * report only what they wrote and flushed. */
		const char *what = "replay";
		XLogRecPtr p = apply;
		if (XLogRecPtrIsInvalid(p))
		{
			what = "flush";
			p = !XLogRecPtrIsInvalid(flushed) ? flushed : written;
		}
		if (XLogRecPtrIsInvalid(p))
		{
			snprintf(g->refusal, sizeof g->refusal,
					 "the standby of walsender PID %d has not reported its position yet",
					 static_cast<int>(pid));
			return;
		}
		snprintf(who, sizeof who, "standby of walsender PID %d (%s)", static_cast<int>(pid), what);
		add_position(g, max, who, p, tli);
	}
	add_position(g, max, "the current WAL position", flush, tli);
}

void *
pg_alloc(size_t size)
{
	return pg_call([size]() { return palloc0(size); });
}

/* C++: list, plan, remove; fills run. PgError (an interrupt) goes through. */
void
plan_and_remove(const Gathered &g, CleanupRun *run)
{
	const uint64_t seg = static_cast<uint64_t>(wal_segment_size);
	ArchiveChecker checker(g.target, seg);
	strlcpy(run->dir, checker.dir().c_str(), sizeof run->dir);
	if (!checker.usable())
	{
		run->status = CleanupRunStatus::Failed;
		strlcpy(run->message, checker.problem().c_str(), sizeof run->message);
		return;
	}

	Store &store = checker.store();
	const std::string &folder = checker.folder();
	CleanupInput in;
	in.seg_size = seg;
	std::vector<StoreEntry> entries = store.list(folder);
	std::unordered_map<std::string, int64_t> mtimes;
	for (const StoreEntry &e : entries)
	{
		/* Only regular files are removed; a .backup name that is not one is unreadable. */
		if (e.type == EntryType::Regular)
		{
			in.names.push_back(e.name);
			mtimes[e.name] = e.mtime;
		}
		check_interrupts();
		if (parse_wal_file_name(e.name).kind != WalFileKind::Backup)
			continue;
		try
		{
			in.backups.push_back(
				parse_backup_file(e.name, read_archived_text(store, folder, e.name), seg));
		}
		catch (const PgError &)
		{
			throw; /* an interrupt, not an unreadable file */
		}
		catch (const ArchiveFormatError &err)
		{
			in.unreadable.push_back("backup history file \"" + store.where(folder, e.name) +
									"\": it " + err.problem());
		}
		catch (const std::exception &err)
		{
			in.unreadable.push_back(err.what());
		}
	}
	in.keep_backups = g.keep_backups;
	for (int i = 0; i < g.npos; i++)
		in.positions.push_back(KeepPosition{g.pos[i].who, g.pos[i].lsn, g.pos[i].tli});
	in.now_s = g.now_s;
	in.min_age_s = g.min_age_s;
	in.mtime = [&mtimes](const std::string &name) -> std::optional<int64_t>
	{
		auto it = mtimes.find(name);
		if (it == mtimes.end())
			return std::nullopt;
		return it->second;
	};

	CleanupPlan plan = plan_archive_cleanup(in);
	if (plan.refused)
	{
		run->status = CleanupRunStatus::Refused;
		strlcpy(run->message, plan.refusal.c_str(), sizeof run->message);
		return;
	}
	strlcpy(run->oldest_kept, plan.oldest_kept.c_str(), sizeof run->oldest_kept);
	strlcpy(run->kept_by, plan.kept_by.c_str(), sizeof run->kept_by);
	run->kept_lsn = plan.boundary_lsn;
	run->nbackups_kept = static_cast<int>(plan.kept_backups.size());
	run->nfiles = static_cast<int>(plan.remove.size());
	run->files = static_cast<CleanupFile *>(pg_alloc(sizeof(CleanupFile) * Max(run->nfiles, 1)));
	for (int i = 0; i < run->nfiles; i++)
		strlcpy(run->files[i].name, plan.remove[i].c_str(), sizeof run->files[i].name);
	run->status = CleanupRunStatus::Done;
	if (run->dry_run || run->nfiles == 0)
		return;

	/* The store removes durably (a filesystem fsyncs the folder, also when interrupted), and
	 * says how far it got: what was removed is listed whatever happens. */
	std::vector<std::string> names(plan.remove.begin(), plan.remove.end());
	size_t done = 0;
	auto progress = [run, &done](size_t removed)
	{
		for (; done < removed; done++)
			run->files[done].removed = true;
	};
	try
	{
		store.remove(folder, names, progress);
	}
	catch (const PgError &)
	{
		/* Interrupted: what was removed is listed, and the interrupt goes on up. */
		run->nfiles = static_cast<int>(done);
		throw;
	}
	catch (const std::exception &e)
	{
		run->status = CleanupRunStatus::Failed;
		strlcpy(run->message, e.what(), sizeof run->message);
		run->nfiles = static_cast<int>(done); /* list what was removed */
	}
}

} // namespace

void
run_archive_cleanup(CleanupRun *run, bool by_worker)
{
	if (RecoveryInProgress())
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						errmsg("pg_logship archive cleanup runs only on a primary"),
						errdetail("A standby does not know its primary's slots, standbys and "
								  "backups.")));
	if (pgls_archive_dir == nullptr || pgls_archive_dir[0] == '\0')
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						errmsg("pg_logship.archive_dir is not set: there is no archive to clean")));

	bool dry_run = run->dry_run;
	memset(run, 0, sizeof *run);
	run->dry_run = dry_run;
	Gathered *g = static_cast<Gathered *>(palloc(sizeof(Gathered)));
	gather(g);
	/* Under a name another server holds, this server's folder may be that server's. */
	char identity[1024];
	if (g->refusal[0] == '\0' && identity_problem(identity, sizeof identity))
		strlcpy(g->refusal, identity, sizeof g->refusal);
	ErrorData *interrupted = nullptr;
	if (g->refusal[0] != '\0')
	{
		run->status = CleanupRunStatus::Refused;
		strlcpy(run->message, g->refusal, sizeof run->message);
	}
	else
		cpp_entry(
			[&]()
			{
				try
				{
					plan_and_remove(*g, run);
				}
				catch (const PgError &e)
				{
					interrupted = e.edata();
				}
				catch (const std::exception &e)
				{
					run->status = CleanupRunStatus::Failed;
					strlcpy(run->message, e.what(), sizeof run->message);
				}
			});

	if (interrupted != nullptr)
	{
		/* A cancel or statement_timeout: say what was removed, record it, raise it. */
		run->status = CleanupRunStatus::Failed;
		snprintf(run->message, sizeof run->message, "interrupted: %s",
				 interrupted->message ? interrupted->message : "unknown error");
		if (run->dry_run)
			ReThrowError(interrupted);
		int removed = 0;
		for (int i = 0; i < run->nfiles; i++)
			removed += run->files != nullptr && run->files[i].removed ? 1 : 0;
		ereport(LOG, (errmsg("pg_logship archive cleanup was interrupted after removing %d "
							 "archived WAL file(s) from \"%s\"",
							 removed, run->dir)));
	}
	if (run->dry_run)
		return;
	CleanupStatus st;
	memset(&st, 0, sizeof st);
	st.time = GetCurrentTimestamp();
	st.by_worker = by_worker;
	st.outcome = run->status == CleanupRunStatus::Done      ? CleanupOutcome::Removed
				 : run->status == CleanupRunStatus::Refused ? CleanupOutcome::Refused
															: CleanupOutcome::Failed;
	for (int i = 0; i < run->nfiles; i++)
		st.removed += run->files[i].removed ? 1 : 0;
	strlcpy(st.oldest_kept, run->oldest_kept, sizeof st.oldest_kept);
	strlcpy(st.kept_by, run->kept_by, sizeof st.kept_by);
	strlcpy(st.detail, run->message, sizeof st.detail);
	cleanup_status_set(st);
	if (interrupted != nullptr)
		ReThrowError(interrupted);
}

} // namespace pgls
