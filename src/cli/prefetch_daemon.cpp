/*
 * prefetch_daemon.cpp -- starting the prefetcher as a detached process.
 *
 * The restore call that finds the spool's lock free forks twice: the grandchild, in its own
 * session, with its standard streams on /dev/null, cwd /, and no other inherited descriptor than
 * the lock's, runs the prefetcher (core/prefetch_worker.hpp) and exits. The restore call waits
 * only for the intermediate child, so it returns at once; PostgreSQL (which runs restore_command
 * through system()) and a caller reading the command's output (a pipe) do not wait for the
 * prefetcher. The flock is taken before the fork and inherited, so no second prefetcher can
 * start in between. SIGTERM, SIGINT and SIGHUP make the prefetcher stop and clear the spool. Its
 * command name (ps -o comm) is pgls_prefetch.
 */
#include "cli.hpp"
#include "prefetch.hpp"

#include "core/fileio.hpp"
#include "core/prefetch_spool.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace pgls::cli
{

namespace
{

std::atomic<bool> g_stop{false};

extern "C" void
on_stop_signal(int)
{
	g_stop.store(true);
}

/* Standard streams to /dev/null; every other descriptor but keep_fd closed. */
void
detach_descriptors(int keep_fd)
{
	int null_fd = ::open("/dev/null", O_RDWR);
	if (null_fd >= 0)
	{
		for (int fd = 0; fd <= 2; fd++)
			if (fd != null_fd)
				::dup2(null_fd, fd);
		if (null_fd > 2)
			::close(null_fd);
	}
	std::vector<int> open_fds;
	if (DIR *d = ::opendir("/proc/self/fd"))
	{
		while (struct dirent *e = ::readdir(d))
			if (e->d_name[0] >= '0' && e->d_name[0] <= '9')
				open_fds.push_back(std::atoi(e->d_name));
		::closedir(d);
	}
	else
	{
		for (int fd = 3; fd < 1024; fd++)
			open_fds.push_back(fd);
	}
	for (int fd : open_fds)
		if (fd > 2 && fd != keep_fd)
			::close(fd);
}

void
set_signals()
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, nullptr);
	struct sigaction sa = {};
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	for (int sig : {SIGTERM, SIGINT, SIGHUP})
		sigaction(sig, &sa, nullptr);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, nullptr);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, nullptr);
}

/* In the first child: becomes the prefetcher's grandparent, then exits. */
[[noreturn]] void
become_prefetcher(const PrefetchConfig &config, int lock_fd)
{
	if (::setsid() < 0)
		::_exit(1);
	pid_t pid = ::fork();
	if (pid != 0)
		::_exit(pid < 0 ? 1 : 0);
	int code = 0;
	try
	{
		if (::chdir("/") != 0)
			::_exit(1);
		detach_descriptors(lock_fd);
		set_signals();
		::prctl(PR_SET_NAME, "pgls_prefetch", 0, 0, 0); /* ps -o comm, top */
		run_prefetcher(config, &g_stop);
	}
	catch (...)
	{
		code = 1;
	}
	::_exit(code);
}

} // namespace

bool
start_prefetcher(const PrefetchConfig &config)
{
	Fd lock = try_lock_spool(config.spool);
	if (lock.get() < 0)
		return false; /* one is running */
	std::fflush(nullptr);
	pid_t child = ::fork();
	if (child < 0)
		throw_io("fork the prefetcher of", config.spool, errno);
	if (child == 0)
		become_prefetcher(config, lock.get());
	lock.reset();
	int status;
	while (::waitpid(child, &status, 0) < 0 && errno == EINTR)
	{
	}
	return true;
}

} // namespace pgls::cli
