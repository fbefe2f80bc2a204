/* SPDX-License-Identifier: GPL-2.0 */
/*
 * helpers.h - the helpers every test program of the message slot shares:
 * slot_test, faults, limits and paths (through harness.h, which includes
 * this header), and fuzz, bench and leak_workload, which have no harness.
 * Nothing here reports or ends a test: each function returns, and a
 * failing one returns -1 with errno set, for its caller to judge.
 *
 *	errno_name(err), signal_name(sig)	"EINVAL", "SIGSEGV"
 *	now_ns(), sleep_ms(ms)			CLOCK_MONOTONIC; a sleep
 *						that EINTR does not cut
 *	mix64(x)				splitmix64's mixer
 *	write_file(path, text), read_file(path, buf, size)
 *	parse_ulong(s, max, &v)			a strict number: no sign,
 *						no blank, nothing after it
 *	module_name_of(path, buf, size)		"message_slot" for
 *						".../message-slot.ko"
 *	module_listed(name)			in /proc/modules
 *	module_load(path, params)		finit_module()
 *	module_unload(name)			delete_module(), O_NONBLOCK
 *	slot_path(buf, size, dir, minor)	"DIR/slotMINOR"
 *	make_node(path, major, minor, mode)	a fresh character device
 *						node, whatever was there
 */
#ifndef SLOT_TEST_HELPERS_H
#define SLOT_TEST_HELPERS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* ---- errno and signal names ---------------------------------------- */

struct helper_name {
	int value;
	const char *name;
};

#define HELPER_NAME(x) { x, #x }

/* EWOULDBLOCK == EAGAIN and EDEADLOCK == EDEADLK on Linux: one name each. */
static const struct helper_name helper_errnos[] = {
	HELPER_NAME(EPERM), HELPER_NAME(ENOENT), HELPER_NAME(ESRCH),
	HELPER_NAME(EINTR), HELPER_NAME(EIO), HELPER_NAME(ENXIO),
	HELPER_NAME(E2BIG), HELPER_NAME(ENOEXEC), HELPER_NAME(EBADF),
	HELPER_NAME(ECHILD), HELPER_NAME(EAGAIN), HELPER_NAME(ENOMEM),
	HELPER_NAME(EACCES), HELPER_NAME(EFAULT), HELPER_NAME(ENOTBLK),
	HELPER_NAME(EBUSY), HELPER_NAME(EEXIST), HELPER_NAME(EXDEV),
	HELPER_NAME(ENODEV), HELPER_NAME(ENOTDIR), HELPER_NAME(EISDIR),
	HELPER_NAME(EINVAL), HELPER_NAME(ENFILE), HELPER_NAME(EMFILE),
	HELPER_NAME(ENOTTY), HELPER_NAME(ETXTBSY), HELPER_NAME(EFBIG),
	HELPER_NAME(ENOSPC), HELPER_NAME(ESPIPE), HELPER_NAME(EROFS),
	HELPER_NAME(EMLINK), HELPER_NAME(EPIPE), HELPER_NAME(EDOM),
	HELPER_NAME(ERANGE), HELPER_NAME(EDEADLK),
	HELPER_NAME(ENAMETOOLONG), HELPER_NAME(ENOLCK), HELPER_NAME(ENOSYS),
	HELPER_NAME(ENOTEMPTY), HELPER_NAME(ELOOP), HELPER_NAME(ENOMSG),
	HELPER_NAME(EIDRM), HELPER_NAME(ENODATA), HELPER_NAME(ETIME),
	HELPER_NAME(EOVERFLOW), HELPER_NAME(EBADFD), HELPER_NAME(EILSEQ),
	HELPER_NAME(EMSGSIZE), HELPER_NAME(EPROTO), HELPER_NAME(ENOTSUP),
	HELPER_NAME(EADDRINUSE), HELPER_NAME(ENOBUFS),
	HELPER_NAME(ETIMEDOUT), HELPER_NAME(EALREADY),
	HELPER_NAME(EINPROGRESS), HELPER_NAME(ESTALE), HELPER_NAME(EDQUOT),
	HELPER_NAME(ECANCELED), HELPER_NAME(ENOKEY),
	HELPER_NAME(EKEYREJECTED), HELPER_NAME(EOWNERDEAD),
	HELPER_NAME(EHWPOISON),
	/* Kernel-internal codes that a buggy driver can leak to user space. */
	{ 512, "ERESTARTSYS" }, { 513, "ERESTARTNOINTR" },
	{ 514, "ERESTARTNOHAND" }, { 515, "ENOIOCTLCMD" },
	{ 516, "ERESTART_RESTARTBLOCK" }, { 517, "EPROBE_DEFER" },
	{ 524, "ENOTSUPP" },
};

static const struct helper_name helper_signals[] = {
	HELPER_NAME(SIGHUP), HELPER_NAME(SIGINT), HELPER_NAME(SIGQUIT),
	HELPER_NAME(SIGILL), HELPER_NAME(SIGTRAP), HELPER_NAME(SIGABRT),
	HELPER_NAME(SIGBUS), HELPER_NAME(SIGFPE), HELPER_NAME(SIGKILL),
	HELPER_NAME(SIGUSR1), HELPER_NAME(SIGSEGV), HELPER_NAME(SIGUSR2),
	HELPER_NAME(SIGPIPE), HELPER_NAME(SIGALRM), HELPER_NAME(SIGTERM),
	HELPER_NAME(SIGCHLD), HELPER_NAME(SIGXCPU), HELPER_NAME(SIGXFSZ),
	HELPER_NAME(SIGSYS),
};

static inline const char *helper_lookup(const struct helper_name *tab,
					 size_t n, int value, char *buf,
					 size_t size, const char *unknown)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (tab[i].value == value)
			return tab[i].name;
	snprintf(buf, size, "%s %d", unknown, value);
	return buf;
}

/* Name of an errno value ("EINVAL"); thread-safe for known values. */
static inline const char *errno_name(int err)
{
	static __thread char buf[32];

	if (err == 0)
		return "0";
	return helper_lookup(helper_errnos,
			      sizeof(helper_errnos) / sizeof(helper_errnos[0]),
			      err, buf, sizeof(buf), "errno");
}

static inline const char *signal_name(int sig)
{
	static __thread char buf[32];

	return helper_lookup(helper_signals,
			      sizeof(helper_signals) / sizeof(helper_signals[0]),
			      sig, buf, sizeof(buf), "signal");
}

/* ---- clocks and numbers ------------------------------------------- */

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* splitmix64's finalizer: a bijection of the 64-bit integers. */
static inline uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/*
 * A number for an option: decimal, 0x hex or 0 octal, at most @max; no
 * sign, no leading blank, nothing after it. 0, or -1 if @s is not one.
 */
static inline int parse_ulong(const char *s, unsigned long max,
			      unsigned long *out)
{
	char *end;

	errno = 0;
	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	*out = strtoul(s, &end, 0);
	return errno || *end || *out > max ? -1 : 0;
}

/* ---- small files (/proc, /sys) ------------------------------------ */

/* Write all of @value in one write(); a short write is EIO. */
static inline int write_file(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err;
	ssize_t n = -1;

	if (fd < 0)
		return -1;
	n = write(fd, value, strlen(value));
	err = errno;
	close(fd);
	errno = err;
	if (n >= 0 && n != (ssize_t)strlen(value)) {
		errno = EIO;
		return -1;
	}
	return n < 0 ? -1 : 0;
}

/* The whole of a small file, NUL-terminated; its length, or -1. */
static inline ssize_t read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;
	size_t len = 0;
	ssize_t n = 0;

	if (fd < 0)
		return -1;
	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	err = errno;
	close(fd);
	buf[len] = '\0';
	if (n < 0) {
		errno = err;
		return -1;
	}
	return (ssize_t)len;
}

/* ---- the module --------------------------------------------------- */

/*
 * The name the kernel gives the module in file @path: the file name
 * without ".ko", with '-' as '_' ("message_slot" for message-slot.ko).
 */
static inline void module_name_of(const char *path, char *name, size_t size)
{
	const char *base = strrchr(path, '/');
	size_t i, n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 3 && !strcmp(base + n - 3, ".ko"))
		n -= 3;
	if (n >= size)
		n = size - 1;
	for (i = 0; i < n; i++)
		name[i] = base[i] == '-' ? '_' : base[i];
	name[n] = '\0';
}

/* Whether module @name is in /proc/modules (loaded, or still loading). */
static inline int module_listed(const char *name)
{
	char line[512];
	size_t n = strlen(name);
	FILE *f = fopen("/proc/modules", "re");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, name, n) && line[n] == ' ';
	fclose(f);
	return found;
}

/* finit_module() of the file @path with @params; 0, or -1 with errno. */
static inline int module_load(const char *path, const char *params)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret, err;

	if (fd < 0)
		return -1;
	ret = (int)syscall(SYS_finit_module, fd, params, 0);
	err = errno;
	close(fd);
	errno = err;
	return ret;
}

/* delete_module() without waiting: EWOULDBLOCK while a file is open. */
static inline int module_unload(const char *name)
{
	return (int)syscall(SYS_delete_module, name, O_NONBLOCK);
}

/* ---- device nodes ------------------------------------------------- */

static inline void slot_path(char *buf, size_t size, const char *dir,
			     unsigned int minor)
{
	snprintf(buf, size, "%s/slot%u", dir, minor);
}

/*
 * A character device node @major:@minor at @path with exactly @mode
 * (whatever the umask), replacing what was there; 0, or -1 with errno.
 */
static inline int make_node(const char *path, unsigned int major,
			    unsigned int minor, mode_t mode)
{
	unlink(path);
	if (mknod(path, S_IFCHR | mode, makedev(major, minor)))
		return -1;
	return chmod(path, mode);
}

#endif /* SLOT_TEST_HELPERS_H */
