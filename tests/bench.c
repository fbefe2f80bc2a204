// SPDX-License-Identifier: GPL-2.0
/*
 * bench.c - speed and memory of the message slot, against the kernel's own
 * IPC, for one or more builds of the module, all in one boot.
 *
 * Runs as root inside the test VM (statically linked). For every candidate
 * module given with --module it loads the module, measures, and unloads it
 * again, so that candidates are compared within one boot, interleaved
 * repeat by repeat (host noise hits them alike). Without --module it
 * measures the module that is loaded, and uses a fresh minor per scale row.
 *
 * Sections (--sections, default all of them):
 *   micro       ns per 128-byte pair: floor (write /dev/null + read
 *               /dev/zero), pipe, POSIX mq, slot (write + read, one
 *               channel). Each repeat runs 10 turns of one chunk of each
 *               kind; ns figures are median chunks, and slot/floor,
 *               slot/pipe, slot/mq are medians of per-turn ratios (a burst
 *               of host load inflates the chunks of one turn alike).
 *   scale       for each channel count C and id pattern (dense 1..C,
 *               scattered over 1..2^32-1): ns per channel created (ioctl +
 *               first write) and the slowest batch of 256 creations; ns
 *               per steady operation (ioctl to a random existing channel +
 *               write + read), and its ratio to the same operations on a
 *               one-channel reference slot, interleaved chunk by chunk
 *               ("steady/ref1"); the same with the channels taken in
 *               creation order ("sweep/ref1"); kernel bytes per channel (/proc/meminfo
 *               Slab + VmallocUsed before and after, after drop_caches so
 *               that RCU-freed memory is gone, with a breakdown from
 *               /proc/slabinfo and /proc/vmallocinfo; with --cgroup, also
 *               what the memory cgroup was charged). The module is
 *               reloaded for every row; a MemFree guard (--guard-mb) stops
 *               creating before the VM runs out of memory.
 *   contention  2 processes (one per CPU) writing + reading the same
 *               channel, and 2 on different channels: pairs per second
 *               (both together), in turns with 2 processes on /dev/null +
 *               /dev/zero (floor2) and as ratios to it; torn messages and
 *               reads that wrote past the message (both must be 0).
 *
 * Every figure is repeated --reps times (default 3) and printed as the
 * median with [min..max] and the spread (max-min)/median. A CSV with the
 * same figures goes to --csv FILE and to standard output between the lines
 * "bench-csv-begin" and "bench-csv-end".
 *
 * Build: make -C tests O=DIR bench (see tests/Makefile)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "message_slot.h"
#include "helpers.h"

#define MSG		128		/* bytes per message in every test */
#define MAX_CANDS	16
#define MAX_REPS	15
#define MAX_COUNTS	12
#define NR_PATTERNS	2
#define MAX_CACHES	512
#define MAX_VMCALLERS	256
#define NAME_LEN	64

enum { DENSE, SCATTERED };
static const char *const pattern_name[NR_PATTERNS] = { "dense", "scattered" };

/* ---- options -------------------------------------------------------- */

struct cand {
	char label[NAME_LEN];
	const char *path;		/* NULL: the module already loaded */
};

static struct cand cands[MAX_CANDS];
static int ncands;
static int reps = 3;
static long micro_ops = 100000;
static long steady_ops = 200000;	/* per row and order, as a plain loop of 200,000 pairs */
static int contention_ms = 500;
static long counts[MAX_COUNTS] = { 1, 16, 256, 4096, 65536, 1048576 };
static int ncounts = 6;
static int patterns_on[NR_PATTERNS] = { 1, 1 };
static int do_micro = 1, do_scale = 1, do_contention = 1;
static const char *csv_path;
static const char *node_dir = "/dev/msgslot-bench";
static const char *module_name = "message_slot";
static long guard_mb = 96;		/* stop creating below this MemFree */
static int use_cgroup;			/* run in a memory cgroup of our own */
static const char *cg_dir = "/sys/fs/cgroup/msgslot-bench";
static unsigned int major_num = MAJOR_NUM;

/* ---- small helpers -------------------------------------------------- */

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);	/* best effort */
}

/* A bijection of the 32-bit integers with f(0) = 0 (C. Wellons' lowbias32). */
static uint32_t mix32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

/* Channel id number i (0-based) of a pattern: distinct and nonzero. */
static uint32_t channel_id(int pattern, uint32_t i)
{
	return pattern == DENSE ? i + 1 : mix32(i + 1);
}

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* Uniform in [0, n). */
static uint32_t rng_below(uint32_t n)
{
	return (uint32_t)(((rng() >> 32) * n) >> 32);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct stat3 {
	double med, min, max, spread;	/* spread: (max - min) / med, in % */
	int n;
};

static struct stat3 stats(const double *v, int n)
{
	struct stat3 s = { 0, 0, 0, 0, n };
	double t[MAX_REPS];
	int i, k = 0;

	for (i = 0; i < n; i++)
		if (v[i] == v[i])		/* skip NaN: no figure */
			t[k++] = v[i];
	s.n = k;
	if (!k)
		return s;
	qsort(t, k, sizeof(t[0]), cmp_double);
	s.med = k % 2 ? t[k / 2] : (t[k / 2 - 1] + t[k / 2]) / 2;
	s.min = t[0];
	s.max = t[k - 1];
	s.spread = s.med ? 100.0 * (s.max - s.min) / s.med : 0;
	return s;
}

/* ---- module and device nodes ---------------------------------------- */

static void unload_module(void)
{
	int i;

	if (!module_listed(module_name))
		return;
	for (i = 0; i < 100; i++) {
		if (!module_unload(module_name))
			return;
		if (errno != EWOULDBLOCK && errno != EAGAIN)
			break;
		sleep_ms(20);		/* a child may still be closing */
	}
	die("delete_module(%s): %s", module_name, strerror(errno));
}

static void load_module(const struct cand *c)
{
	if (!c->path)
		return;
	unload_module();
	if (module_load(c->path, ""))
		die("finit_module(%s): %s", c->path, strerror(errno));
}

static void make_nodes(void)
{
	char path[256];
	int minor;

	mkdir(node_dir, 0700);
	for (minor = 0; minor < 256; minor++) {
		slot_path(path, sizeof(path), node_dir, (unsigned int)minor);
		if (make_node(path, major_num, (unsigned int)minor, 0600))
			die("mknod %s: %s", path, strerror(errno));
	}
}

static int open_slot(int minor)
{
	char path[256];
	int fd;

	slot_path(path, sizeof(path), node_dir, (unsigned int)minor);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("open %s: %s (is the module loaded?)", path, strerror(errno));
	return fd;
}

static void set_channel(int fd, uint32_t id)
{
	if (ioctl(fd, MSG_SLOT_CHANNEL, (unsigned long)id))
		die("ioctl(channel %u): %s", id, strerror(errno));
}

/* Without --module, each scale row takes a fresh minor. */
static int next_minor = 4;

/* ---- micro ---------------------------------------------------------- */

enum { M_FLOOR, M_PIPE, M_MQ, M_SLOT, NR_MICRO };
static const char *const micro_name[NR_MICRO] = { "floor", "pipe", "mq", "slot" };

static void xwrite(int fd, const void *buf, size_t len, const char *what)
{
	ssize_t r = write(fd, buf, len);

	if (r != (ssize_t)len)
		die("%s: write returned %zd: %s", what, r, strerror(errno));
}

static void xread(int fd, void *buf, size_t len, const char *what)
{
	ssize_t r = read(fd, buf, len);

	if (r != (ssize_t)len)
		die("%s: read returned %zd: %s", what, r, strerror(errno));
}

#define NR_CHUNKS	10

/* The median of NR_CHUNKS per-chunk figures: a host hiccup spoils one chunk. */
static double chunk_median(double *v)
{
	qsort(v, NR_CHUNKS, sizeof(v[0]), cmp_double);
	return (v[NR_CHUNKS / 2 - 1] + v[NR_CHUNKS / 2]) / 2;
}

static void micro_pair(int kind, int wfd, int rfd, mqd_t q)
{
	static char buf[MSG], rbuf[MSG];

	if (kind == M_MQ) {
		if (mq_send(q, buf, MSG, 0))
			die("mq_send: %s", strerror(errno));
		if (mq_receive(q, rbuf, MSG, NULL) != MSG)
			die("mq_receive: %s", strerror(errno));
	} else {
		xwrite(wfd, buf, MSG, micro_name[kind]);
		xread(rfd, rbuf, MSG, micro_name[kind]);
	}
}

/* Pairs per chunk: micro_ops pairs of each kind, in NR_CHUNKS chunks. */
static double time_chunk(int kind, int wfd, int rfd, mqd_t q, long m)
{
	uint64_t t0 = now_ns();
	long i;

	for (i = 0; i < m; i++)
		micro_pair(kind, wfd, rfd, q);
	return (double)(now_ns() - t0) / (double)m;
}

enum { R_FLOOR, R_PIPE, R_MQ, NR_RATIOS };
static const char *const ratio_name[NR_RATIOS] = { "slot/floor", "slot/pipe", "slot/mq" };

/*
 * ns per pair of each kind, and the slot's ratios to the others. The kinds
 * take turns chunk by chunk (after a warm-up chunk each), so a burst of
 * host load hits the chunks of one turn alike: the ratios are medians of
 * per-turn ratios, the ns figures medians of the chunks.
 */
static void micro_run(double out[NR_MICRO], double ratio[NR_RATIOS])
{
	static char buf[MSG];
	struct mq_attr attr = { .mq_maxmsg = 8, .mq_msgsize = MSG };
	double t[NR_MICRO][NR_CHUNKS], r[NR_RATIOS][NR_CHUNKS];
	int null_fd, zero_fd, p[2], fd, wfd[NR_MICRO], rfd[NR_MICRO], k, m;
	long n = micro_ops / NR_CHUNKS + 1;
	mqd_t q;

	null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	zero_fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	if (null_fd < 0 || zero_fd < 0)
		die("open /dev/null or /dev/zero: %s", strerror(errno));
	if (pipe2(p, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	mq_unlink("/msgslot-bench");
	q = mq_open("/msgslot-bench", O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
	if (q == (mqd_t)-1)
		die("mq_open: %s (is /dev/mqueue mounted?)", strerror(errno));
	fd = open_slot(0);
	set_channel(fd, 1);
	xwrite(fd, buf, MSG, "slot");

	wfd[M_FLOOR] = null_fd;
	rfd[M_FLOOR] = zero_fd;
	wfd[M_PIPE] = p[1];
	rfd[M_PIPE] = p[0];
	wfd[M_MQ] = rfd[M_MQ] = -1;
	wfd[M_SLOT] = rfd[M_SLOT] = fd;
	for (k = -1; k < NR_CHUNKS; k++)
		for (m = 0; m < NR_MICRO; m++) {
			double x = time_chunk(m, wfd[m], rfd[m], q, n);

			if (k >= 0)
				t[m][k] = x;
		}
	for (k = 0; k < NR_CHUNKS; k++)
		for (m = 0; m < NR_RATIOS; m++)
			r[m][k] = t[M_SLOT][k] / t[m][k];
	for (m = 0; m < NR_MICRO; m++)
		out[m] = chunk_median(t[m]);
	for (m = 0; m < NR_RATIOS; m++)
		ratio[m] = chunk_median(r[m]);

	close(fd);
	mq_close(q);
	mq_unlink("/msgslot-bench");
	close(p[0]);
	close(p[1]);
	close(null_fd);
	close(zero_fd);
}

/* ---- memory --------------------------------------------------------- */

/*
 * --cgroup: move into a child memory cgroup (cgroup v2), as a process of a
 * systemd machine would be. Kernel memory is then charged to it, and each
 * SLAB_ACCOUNT object also costs its obj_cgroup pointer.
 */
static void enter_cgroup(void)
{
	char pid[32], path[256];

	mkdir("/sys/fs/cgroup", 0755);
	mount("none", "/sys/fs/cgroup", "cgroup2", 0, NULL);	/* EBUSY if mounted */
	if (write_file("/sys/fs/cgroup/cgroup.subtree_control", "+memory"))
		die("cannot enable the memory controller: %s", strerror(errno));
	mkdir(cg_dir, 0755);
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg_dir);
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (write_file(path, pid))
		die("cannot enter %s: %s", cg_dir, strerror(errno));
}

/* Bytes charged to our cgroup, or -1. */
static long cgroup_bytes(void)
{
	char path[256], line[64];
	FILE *f;
	long v = -1;

	if (!use_cgroup)
		return -1;
	snprintf(path, sizeof(path), "%s/memory.current", cg_dir);
	f = fopen(path, "re");
	if (f && fgets(line, sizeof(line), f))
		v = atol(line);
	if (f)
		fclose(f);
	return v;
}

struct memsnap {
	long slab_kb, vmalloc_kb, free_kb, charged;
	int ncaches;
	char cache[MAX_CACHES][NAME_LEN];
	long cache_bytes[MAX_CACHES];
	int ncallers;
	char caller[MAX_VMCALLERS][NAME_LEN];
	long caller_bytes[MAX_VMCALLERS];
};

static long meminfo_kb(const char *key)
{
	char line[256];
	size_t n = strlen(key);
	FILE *f = fopen("/proc/meminfo", "re");
	long v = -1;

	if (!f)
		die("/proc/meminfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':') {
			v = atol(line + n + 1);
			break;
		}
	fclose(f);
	return v;
}

static void snap_meminfo(struct memsnap *m)
{
	char line[256];
	FILE *f = fopen("/proc/meminfo", "re");

	m->slab_kb = m->vmalloc_kb = m->free_kb = 0;
	if (!f)
		die("/proc/meminfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Slab:", 5))
			m->slab_kb = atol(line + 5);
		else if (!strncmp(line, "VmallocUsed:", 12))
			m->vmalloc_kb = atol(line + 12);
		else if (!strncmp(line, "MemFree:", 8))
			m->free_kb = atol(line + 8);
	}
	fclose(f);
}

/* slabinfo: bytes of slab pages per cache (num_slabs * pagesperslab). */
static void snap_slabinfo(struct memsnap *m)
{
	long page = sysconf(_SC_PAGESIZE);
	char line[512], name[NAME_LEN];
	long active, num, objsize, perslab, pages, aslabs, nslabs;
	FILE *f = fopen("/proc/slabinfo", "re");

	m->ncaches = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && m->ncaches < MAX_CACHES) {
		if (sscanf(line, "%63s %ld %ld %ld %ld %ld : tunables %*d %*d %*d : slabdata %ld %ld",
			   name, &active, &num, &objsize, &perslab, &pages,
			   &aslabs, &nslabs) != 8)
			continue;
		snprintf(m->cache[m->ncaches], NAME_LEN, "%s", name);
		m->cache_bytes[m->ncaches++] = nslabs * pages * page;
	}
	fclose(f);
}

/* vmallocinfo: pages of vmalloc areas, per caller (function name only). */
static void snap_vmallocinfo(struct memsnap *m)
{
	long page = sysconf(_SC_PAGESIZE);
	char line[512], caller[NAME_LEN];
	FILE *f = fopen("/proc/vmallocinfo", "re");
	long pages;
	int i;

	m->ncallers = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, " pages=");

		if (!p || !strstr(line, " vmalloc"))
			continue;
		pages = atol(p + 7);
		if (sscanf(line, "%*s %*d %63s", caller) != 1)
			continue;
		p = strchr(caller, '+');
		if (p)
			*p = '\0';
		for (i = 0; i < m->ncallers; i++)
			if (!strcmp(m->caller[i], caller))
				break;
		if (i == m->ncallers) {
			if (i == MAX_VMCALLERS)
				continue;
			snprintf(m->caller[i], NAME_LEN, "%s", caller);
			m->caller_bytes[i] = 0;
			m->ncallers++;
		}
		m->caller_bytes[i] += pages * page;
	}
	fclose(f);
}

static void snap(struct memsnap *m)
{
	snap_slabinfo(m);
	snap_vmallocinfo(m);
	snap_meminfo(m);
	m->charged = cgroup_bytes();
}

struct memdelta {
	double total;		/* bytes: meminfo Slab + VmallocUsed */
	char detail[512];	/* the largest contributors, in bytes/channel */
};

static long find_bytes(char names[][NAME_LEN], const long *bytes, int n,
		       const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return bytes[i];
	return 0;
}

/* Contributors of at least 1 % of the total, per channel. */
static void mem_delta(const struct memsnap *a, const struct memsnap *b,
		      long channels, struct memdelta *d)
{
	size_t len = 0;
	long known = 0, delta;
	double other;
	int i;

	d->total = 1024.0 * (double)((b->slab_kb - a->slab_kb) +
				     (b->vmalloc_kb - a->vmalloc_kb));
	d->detail[0] = '\0';
	for (i = 0; i < b->ncaches; i++) {
		delta = b->cache_bytes[i] -
			find_bytes((char (*)[NAME_LEN])a->cache, a->cache_bytes,
				   a->ncaches, b->cache[i]);
		if (!delta)
			continue;
		known += delta;
		if (labs(delta) * 100 >= labs((long)d->total) && len < sizeof(d->detail) - 80)
			len += snprintf(d->detail + len, sizeof(d->detail) - len,
					"%sslab:%s=%.1f", len ? " " : "", b->cache[i],
					(double)delta / channels);
	}
	for (i = 0; i < b->ncallers; i++) {
		delta = b->caller_bytes[i] -
			find_bytes((char (*)[NAME_LEN])a->caller, a->caller_bytes,
				   a->ncallers, b->caller[i]);
		if (!delta)
			continue;
		known += delta;
		if (labs(delta) * 100 >= labs((long)d->total) && len < sizeof(d->detail) - 80)
			len += snprintf(d->detail + len, sizeof(d->detail) - len,
					"%svmalloc:%s=%.1f", len ? " " : "", b->caller[i],
					(double)delta / channels);
	}
	if (a->charged >= 0 && len < sizeof(d->detail) - 40)
		len += snprintf(d->detail + len, sizeof(d->detail) - len,
				"%scharged=%.1f", len ? " " : "",
				(double)(b->charged - a->charged) / channels);
	/* kmalloc() of more than 8 KiB takes pages directly: in Slab, not in slabinfo. */
	other = d->total - (double)known;
	if (len < sizeof(d->detail) - 40 && (other < 0 ? -other : other) * 100 >=
	    (d->total < 0 ? -d->total : d->total))
		snprintf(d->detail + len, sizeof(d->detail) - len, "%sother=%.1f",
			 len ? " " : "", (d->total - (double)known) / channels);
}

/* ---- scale ---------------------------------------------------------- */

/*
 * Before each memory snapshot: ask every shrinker to run (drop_caches 2),
 * which also flushes lazy RCU callbacks and kvfree_rcu() batches, then give
 * RCU time to free what a resize replaced. Otherwise a bucket array freed
 * by RCU would count for up to 10 s (CONFIG_RCU_LAZY).
 */
static void settle(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (write(fd, "2", 1) != 1)
			fprintf(stderr, "bench: drop_caches: %s\n", strerror(errno));
		close(fd);
	}
	sleep_ms(300);
}

struct scale_res {
	double create_ns, steady_ns, bytes;
	double pause_ms;		/* slowest batch of 256 creations */
	double ref_ns, ratio;		/* 1-channel reference, interleaved */
	double sweep_ns, sweep_ratio;	/* channels in creation order */
	long created;
	char detail[512];
};

/*
 * One steady figure of a scale row: NR_CHUNKS turns of steady_ops /
 * NR_CHUNKS operations (ioctl + 128-byte write + read) on the row's slot,
 * its channels picked at random or in creation order (@sweep), each turn
 * followed by as many on the one-channel reference slot. *@ns and *@ref_ns:
 * the median chunks; *@ratio: the median per-turn ratio.
 */
static void steady_run(int fd, int ref, int pattern, long created, int sweep,
		       double *ns, double *ref_ns, double *ratio)
{
	static char buf[MSG], rbuf[MSG];
	double chunk[NR_CHUNKS], refc[NR_CHUNKS], q[NR_CHUNKS];
	long m = steady_ops / NR_CHUNKS, i, next = 0;
	uint32_t k;
	int turn;

	for (turn = -1; turn < NR_CHUNKS; turn++) {
		uint64_t t0 = now_ns(), t1;

		for (i = 0; i < m; i++) {
			if (sweep) {
				k = (uint32_t)next;
				next = next + 1 == created ? 0 : next + 1;
			} else {
				k = rng_below((uint32_t)created);
			}
			set_channel(fd, channel_id(pattern, k));
			xwrite(fd, buf, MSG, "steady");
			xread(fd, rbuf, MSG, "steady");
		}
		t1 = now_ns();
		for (i = 0; i < m; i++) {
			set_channel(ref, 1);
			xwrite(ref, buf, MSG, "reference");
			xread(ref, rbuf, MSG, "reference");
		}
		if (turn < 0)
			continue;
		chunk[turn] = (double)(t1 - t0) / (double)m;
		refc[turn] = (double)(now_ns() - t1) / (double)m;
		q[turn] = chunk[turn] / refc[turn];
	}
	*ns = chunk_median(chunk);
	if (ref_ns)
		*ref_ns = chunk_median(refc);
	*ratio = chunk_median(q);
}

static void scale_row(const struct cand *c, long count, int pattern,
		      struct scale_res *r)
{
	static char buf[MSG];
	struct memsnap *before, *after;
	struct memdelta d;
	uint64_t t0, t1, tb;
	int fd, ref, minor = 0;
	long i;

	before = malloc(sizeof(*before));
	after = malloc(sizeof(*after));
	if (!before || !after)
		die("out of memory");
	if (c->path) {
		load_module(c);
	} else {
		if (next_minor > 255)
			die("no fresh minor left: pass --module to reload instead");
		minor = next_minor++;
	}
	fd = open_slot(minor);
	/* The reference: one channel on minor 1 (3 without --module). */
	ref = open_slot(c->path ? 1 : 3);
	set_channel(ref, 1);
	xwrite(ref, buf, MSG, "reference");
	settle();
	snap(before);

	r->pause_ms = 0;
	t0 = tb = now_ns();
	for (i = 0; i < count; i++) {
		if ((i & 255) == 255) {
			/* A resize shows up as one slow batch. */
			t1 = now_ns();
			if ((double)(t1 - tb) / 1e6 > r->pause_ms)
				r->pause_ms = (double)(t1 - tb) / 1e6;
			tb = t1;
		}
		if ((i & 16383) == 16383 && meminfo_kb("MemFree") < guard_mb * 1024) {
			fprintf(stderr, "bench: %s %s C=%ld: MemFree below %ld MiB after %ld channels: stopped\n",
				c->label, pattern_name[pattern], count, guard_mb, i);
			break;
		}
		buf[0] = (char)i;
		set_channel(fd, channel_id(pattern, (uint32_t)i));
		xwrite(fd, buf, MSG, "create");
	}
	t1 = now_ns();
	r->created = i;
	r->create_ns = (double)(t1 - t0) / (double)i;

	/*
	 * Steady: a warm-up (TCG translates the read path on first use), then
	 * NR_CHUNKS turns of a chunk on this slot and a chunk of the same
	 * operations on a reference slot holding one channel. The ns figure is
	 * the median chunk; the ratio, the median of per-turn ratios, is immune
	 * to bursts of host load. Twice: channels picked at random (every
	 * operation a cold channel and bucket), then in creation order (a
	 * sweep, which is what a loop over the channels it made does: dense
	 * channels share slab pages with their neighbours).
	 */
	steady_run(fd, ref, pattern, r->created, 0, &r->steady_ns, &r->ref_ns, &r->ratio);
	steady_run(fd, ref, pattern, r->created, 1, &r->sweep_ns, NULL, &r->sweep_ratio);
	close(ref);

	/* Count what stays: let RCU free what was replaced (see settle()). */
	settle();
	snap(after);
	mem_delta(before, after, r->created, &d);
	r->bytes = d.total / (double)r->created;
	snprintf(r->detail, sizeof(r->detail), "%s", d.detail);
	close(fd);
	if (c->path)
		unload_module();
	free(before);
	free(after);
}

/* ---- contention ----------------------------------------------------- */

/*
 * Two processes (one per CPU) run in turns: write+read on /dev/null and
 * /dev/zero (floor2: how much of 2 CPUs the VM gets right now), on two
 * different channels, and on the same channel. Per-turn ratios to floor2
 * are immune to the host's load, which moves all three alike.
 */
enum { K_FLOOR, K_DIFF, K_SAME, NR_CKINDS };
static const char *const ckind_name[NR_CKINDS] = { "floor2", "different", "same" };

struct shared {
	volatile int phase;			/* -1: wait; NR_CKINDS: exit */
	volatile long count[NR_CKINDS][2];	/* pairs done, per kind and child */
	volatile long torn[2], tail[2];
};

/* A message whose length follows from its bytes: a mix is detectable. */
static size_t fill_msg(char *buf, unsigned int v)
{
	size_t len = 64 + (v & 0xff) % 65;

	memset(buf, (int)(v & 0xff), len);
	return len;
}

static int msg_ok(const unsigned char *buf, ssize_t n)
{
	ssize_t i;

	if (n < 64 || n > MSG || (size_t)n != 64u + buf[0] % 65u)
		return 0;
	for (i = 1; i < n; i++)
		if (buf[i] != buf[0])
			return 0;
	return 1;
}

#define CHANNEL_SAME	1000
#define CHANNEL_DIFF	1001	/* and 1002 */

static void contention_child(struct shared *sh, int k)
{
	char buf[MSG], rbuf[MSG];
	unsigned int v = (unsigned int)k * 97;
	int fd[NR_CKINDS], zero_fd, i;
	long torn = 0, tail = 0;
	ssize_t n;
	size_t len;

	pin_cpu(k);
	fd[K_FLOOR] = open("/dev/null", O_WRONLY | O_CLOEXEC);
	zero_fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	if (fd[K_FLOOR] < 0 || zero_fd < 0)
		die("open /dev/null or /dev/zero: %s", strerror(errno));
	fd[K_DIFF] = open_slot(0);
	set_channel(fd[K_DIFF], CHANNEL_DIFF + k);
	fd[K_SAME] = open_slot(0);
	set_channel(fd[K_SAME], CHANNEL_SAME);
	for (;;) {
		int ph = sh->phase;

		if (ph == NR_CKINDS)
			break;
		if (ph < 0)
			continue;
		for (i = 0; i < 16; i++) {
			if (ph == K_FLOOR) {
				xwrite(fd[K_FLOOR], buf, MSG, "floor2");
				xread(zero_fd, rbuf, MSG, "floor2");
				continue;
			}
			len = fill_msg(buf, v++);
			xwrite(fd[ph], buf, len, "contention");
			memset(rbuf, 0x5a, sizeof(rbuf));
			n = read(fd[ph], rbuf, MSG);
			if (n < 0)
				die("contention read: %s", strerror(errno));
			torn += !msg_ok((unsigned char *)rbuf, n);
			/* Nothing but the message may be written to the buffer. */
			tail += n < MSG && rbuf[n] != 0x5a;
		}
		sh->count[ph][k] += 16;
	}
	sh->torn[k] = torn;
	sh->tail[k] = tail;
	_exit(0);
}

static long contention_count(struct shared *sh, int kind)
{
	return sh->count[kind][0] + sh->count[kind][1];
}

/*
 * rate[]: pairs per second of both processes together, per kind (median
 * turn); ratio[K_DIFF], ratio[K_SAME]: median per-turn ratio to floor2.
 * *torn: messages seen mixed; *tail: reads that wrote past the message.
 */
static void contention_run(double rate[NR_CKINDS], double ratio[NR_CKINDS],
			   long *torn, long *tail)
{
	double r[NR_CKINDS][NR_CHUNKS], q[NR_CKINDS][NR_CHUNKS];
	long window = contention_ms / NR_CHUNKS + 1, c0;
	struct shared *sh;
	char buf[MSG];
	pid_t pid[2];
	int k, t, fd;
	uint64_t t0;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	memset((void *)sh, 0, sizeof(*sh));
	sh->phase = -1;
	/* Create the channels first: the turns measure steady pairs. */
	fd = open_slot(0);
	for (k = CHANNEL_SAME; k <= CHANNEL_DIFF + 1; k++) {
		set_channel(fd, (uint32_t)k);
		xwrite(fd, buf, fill_msg(buf, 0), "contention");
	}
	close(fd);
	fflush(NULL);
	for (k = 0; k < 2; k++) {
		pid[k] = fork();
		if (pid[k] < 0)
			die("fork: %s", strerror(errno));
		if (!pid[k])
			contention_child(sh, k);
	}
	sleep_ms(50);
	for (t = -1; t < NR_CHUNKS; t++)
		for (k = 0; k < NR_CKINDS; k++) {
			sh->phase = k;
			sleep_ms(5);		/* both children switched */
			c0 = contention_count(sh, k);
			t0 = now_ns();
			sleep_ms(window);
			if (t >= 0)
				r[k][t] = (double)(contention_count(sh, k) - c0) * 1e9 /
					  (double)(now_ns() - t0);
		}
	sh->phase = NR_CKINDS;
	*torn = *tail = 0;
	for (k = 0; k < 2; k++) {
		int status;

		if (waitpid(pid[k], &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			die("contention child %d failed", k);
		*torn += sh->torn[k];
		*tail += sh->tail[k];
	}
	for (k = 0; k < NR_CKINDS; k++) {
		for (t = 0; t < NR_CHUNKS; t++)
			q[k][t] = r[k][t] / r[K_FLOOR][t];
		rate[k] = chunk_median(r[k]);
		ratio[k] = chunk_median(q[k]);
	}
	munmap((void *)sh, sizeof(*sh));
}

/* ---- results and output --------------------------------------------- */

static double micro_res[MAX_CANDS][MAX_REPS][NR_MICRO];
static double micro_ratio[MAX_CANDS][MAX_REPS][NR_RATIOS];
static struct scale_res scale_res[MAX_CANDS][NR_PATTERNS][MAX_COUNTS][MAX_REPS];
static double cont_rate[MAX_CANDS][NR_CKINDS][MAX_REPS];
static double cont_ratio[MAX_CANDS][NR_CKINDS][MAX_REPS];
static long cont_torn[MAX_CANDS], cont_tail[MAX_CANDS];
static FILE *csv[2];		/* stdout between markers, and --csv */
static int out_table, out_csv;	/* what the print_*() functions emit */

/* printf() of the table, when the table is being printed. */
static void tprintf(const char *fmt, ...)
{
	va_list ap;

	if (!out_table)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

static void csv_line(const char *fmt, ...)
{
	va_list ap;
	int i;

	for (i = 0; i < 2 && out_csv; i++) {
		if (!csv[i])
			continue;
		va_start(ap, fmt);
		vfprintf(csv[i], fmt, ap);
		va_end(ap);
	}
}

static void csv_stat(const char *section, const char *cand, const char *pattern,
		     long channels, const char *metric, const double *v, int n)
{
	struct stat3 s = stats(v, n);
	int i;

	csv_line("%s,%s,%s,%ld,%s,%.4g,%.4g,%.4g,%.1f,", section, cand, pattern,
		 channels, metric, s.med, s.min, s.max, s.spread);
	for (i = 0; i < n; i++)
		csv_line("%s%.4g", i ? ";" : "", v[i]);
	csv_line("\n");
}

static char *fmt_stat(char *buf, size_t size, const double *v, int n, int prec)
{
	struct stat3 s = stats(v, n);

	if (!s.n)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.*f [%.*f..%.*f] %.0f%%", prec, s.med, prec,
			 s.min, prec, s.max, s.spread);
	return buf;
}

static void print_micro(void)
{
	char b[NR_MICRO + 3][64];
	double v[MAX_REPS];
	int c, r, m;

	tprintf("\n== micro: ns per 128-byte write+read pair; median [min..max] spread, %d reps\n"
		"   (each rep: %d turns of floor, pipe, mq, slot chunks; ns: median chunk; ratios: median of per-turn ratios)\n",
		reps, NR_CHUNKS);
	tprintf("%-18s %-24s %-24s %-24s %-24s %-20s %-20s %-20s\n", "candidate", "floor",
	       "pipe", "mq", "slot", "slot/floor", "slot/pipe", "slot/mq");
	for (c = 0; c < ncands; c++) {
		for (m = 0; m < NR_MICRO; m++) {
			for (r = 0; r < reps; r++)
				v[r] = micro_res[c][r][m];
			fmt_stat(b[m], sizeof(b[m]), v, reps, 0);
			csv_stat("micro", cands[c].label, "-", 1, micro_name[m], v, reps);
		}
		for (m = 0; m < NR_RATIOS; m++) {
			for (r = 0; r < reps; r++)
				v[r] = micro_ratio[c][r][m];
			fmt_stat(b[NR_MICRO + m], sizeof(b[0]), v, reps, 2);
			csv_stat("micro", cands[c].label, "-", 1, ratio_name[m], v, reps);
		}
		tprintf("%-18s %-24s %-24s %-24s %-24s %-20s %-20s %-20s\n", cands[c].label,
		       b[0], b[1], b[2], b[3], b[4], b[5], b[6]);
	}
}

static void print_scale(void)
{
	char b1[64], b2[64], b3[64], b4[64], b5[64], b6[64], b7[64], b8[64];
	double v[MAX_REPS], base[MAX_REPS];
	int c, p, i, r;
	long created;

	for (c = 0; c < ncands; c++) {
		tprintf("\n== scale%s%s; median [min..max] spread, %d reps\n"
			"   steady: ioctl to a channel picked at random + 128-byte write + read; sweep: the same, channels in creation order\n"
			"   /ref1: over 1-channel chunks interleaved with this row's (%ld operations of each, in %d turns); steady/C1: over the C=1 row (same rep)\n",
			cands[c].label[0] ? ": " : "", cands[c].label, reps,
			steady_ops / NR_CHUNKS * NR_CHUNKS, NR_CHUNKS);
		tprintf("%-10s %-8s %-26s %-24s %-26s %-22s %-26s %-22s %-22s %-22s %s\n", "pattern", "C",
			"create ns/channel", "slowest 256 (ms)", "steady ns/op", "steady/ref1",
			"sweep ns/op", "sweep/ref1", "steady/C1", "bytes/channel",
			"where (bytes/channel, last rep)");
		for (p = 0; p < NR_PATTERNS; p++) {
			if (!patterns_on[p])
				continue;
			for (i = 0; i < ncounts; i++) {
				const char *pn = pattern_name[p];

				for (r = 0; r < reps; r++)
					v[r] = scale_res[c][p][i][r].create_ns;
				fmt_stat(b1, sizeof(b1), v, reps, 0);
				csv_stat("scale", cands[c].label, pn, counts[i], "create_ns", v, reps);
				for (r = 0; r < reps; r++)
					v[r] = scale_res[c][p][i][r].pause_ms;
				fmt_stat(b6, sizeof(b6), v, reps, 1);
				csv_stat("scale", cands[c].label, pn, counts[i], "slowest_256_creations_ms", v, reps);
				for (r = 0; r < reps; r++)
					v[r] = scale_res[c][p][i][r].steady_ns;
				fmt_stat(b2, sizeof(b2), v, reps, 0);
				csv_stat("scale", cands[c].label, pn, counts[i], "steady_ns", v, reps);
				for (r = 0; r < reps; r++) {
					base[r] = scale_res[c][p][0][r].steady_ns;
					v[r] = scale_res[c][p][i][r].steady_ns / base[r];
				}
				fmt_stat(b3, sizeof(b3), v, reps, 2);
				csv_stat("scale", cands[c].label, pn, counts[i], "steady_ratio_to_C1", v, reps);
				for (r = 0; r < reps; r++)
					v[r] = scale_res[c][p][i][r].ratio;
				fmt_stat(b5, sizeof(b5), v, reps, 2);
				csv_stat("scale", cands[c].label, pn, counts[i], "steady_ratio_to_ref1", v, reps);
				for (r = 0; r < reps; r++)
					v[r] = scale_res[c][p][i][r].sweep_ns;
				fmt_stat(b7, sizeof(b7), v, reps, 0);
				csv_stat("scale", cands[c].label, pn, counts[i], "sweep_ns", v, reps);
				for (r = 0; r < reps; r++)
					v[r] = scale_res[c][p][i][r].sweep_ratio;
				fmt_stat(b8, sizeof(b8), v, reps, 2);
				csv_stat("scale", cands[c].label, pn, counts[i], "sweep_ratio_to_ref1", v, reps);
				for (r = 0; r < reps; r++)
					v[r] = scale_res[c][p][i][r].ref_ns;
				csv_stat("scale", cands[c].label, pn, counts[i], "ref1_ns", v, reps);
				for (r = 0; r < reps; r++)
					v[r] = scale_res[c][p][i][r].bytes;
				fmt_stat(b4, sizeof(b4), v, reps, 1);
				csv_stat("scale", cands[c].label, pn, counts[i], "bytes_per_channel", v, reps);
				created = counts[i];
				for (r = 0; r < reps; r++) {
					if (scale_res[c][p][i][r].created < created)
						created = scale_res[c][p][i][r].created;
					v[r] = (double)scale_res[c][p][i][r].created;
				}
				csv_stat("scale", cands[c].label, pn, counts[i], "channels_created", v, reps);
				tprintf("%-10s %-8ld %-26s %-24s %-26s %-22s %-26s %-22s %-22s %-22s %s%s\n", pn,
					counts[i], b1, b6, b2, b5, b7, b8, b3, b4,
					scale_res[c][p][i][reps - 1].detail,
				       created < counts[i] ? " (STOPPED: memory)" : "");
				if (created < counts[i])
					tprintf("%-10s %-8s only %ld channels created (MemFree guard %ld MiB)\n",
					       "", "", created, guard_mb);
			}
		}
	}
}

static void print_contention(void)
{
	char b[NR_CKINDS][64], q[NR_CKINDS][64], name[64];
	double v[MAX_REPS];
	int c, k, r;

	tprintf("\n== contention: write+read pairs per second, 2 processes together; median [min..max] spread, %d reps\n"
		"   (each rep: %d turns of floor2, different, same; x floor2: median of per-turn ratios to floor2)\n",
		reps, NR_CHUNKS);
	tprintf("%-24s %-30s %-30s %-30s %-20s %-20s %s\n", "candidate", "same channel",
		"different channels", "floor2 (null+zero)", "same/floor2",
		"different/floor2", "torn, wrote past message");
	for (c = 0; c < ncands; c++) {
		for (k = 0; k < NR_CKINDS; k++) {
			for (r = 0; r < reps; r++)
				v[r] = cont_rate[c][k][r];
			fmt_stat(b[k], sizeof(b[k]), v, reps, 0);
			csv_stat("contention", cands[c].label, ckind_name[k], 2, "pairs_per_s", v, reps);
			if (k == K_FLOOR)
				continue;
			for (r = 0; r < reps; r++)
				v[r] = cont_ratio[c][k][r];
			fmt_stat(q[k], sizeof(q[k]), v, reps, 2);
			snprintf(name, sizeof(name), "ratio_to_floor2");
			csv_stat("contention", cands[c].label, ckind_name[k], 2, name, v, reps);
		}
		tprintf("%-24s %-30s %-30s %-30s %-20s %-20s %ld, %ld\n", cands[c].label,
			b[K_SAME], b[K_DIFF], b[K_FLOOR], q[K_SAME], q[K_DIFF],
			cont_torn[c], cont_tail[c]);
		csv_line("contention,%s,-,2,torn,%ld,,,,\n", cands[c].label, cont_torn[c]);
		csv_line("contention,%s,-,2,wrote_past_message,%ld,,,,\n", cands[c].label,
			 cont_tail[c]);
	}
}

/* ---- main ----------------------------------------------------------- */

/*
 * The guest CPU as the kernel sees it: its model name, and whether it has
 * ERMS and FSRM, which decide whether copy_*_user() run "rep movsb" (see
 * docs/performance.md: make bench under TCG turns ERMS off).
 */
static void cpu_desc(char *buf, size_t size)
{
	char line[4096], model[128] = "?";
	int erms = 0, fsrm = 0, flags = 0;
	FILE *f = fopen("/proc/cpuinfo", "re");

	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "model name", 10) && model[0] == '?') {
			char *v = strchr(line, ':');

			if (v)
				snprintf(model, sizeof(model), "%.*s", (int)strcspn(v + 2, "\n"), v + 2);
		} else if (!strncmp(line, "flags", 5) && !flags) {
			flags = 1;
			erms = !!strstr(line, " erms");
			fsrm = !!strstr(line, " fsrm");
		}
	}
	if (f)
		fclose(f);
	snprintf(buf, size, "%s, erms %s, fsrm %s", model, erms ? "on" : "off",
		 fsrm ? "on" : "off");
}


static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench [--module [LABEL=]PATH.ko]... [--reps N] [--sections micro,scale,contention]\n"
		"             [--counts 1,16,...] [--patterns dense,scattered] [--ops N]\n"
		"             [--steady-ops N] [--contention-ms MS] [--guard-mb MB] [--csv FILE]\n"
		"             [--nodes DIR] [--module-name NAME] [--major N] [--cgroup]\n");
}

static void add_cand(char *arg)
{
	char *eq = strchr(arg, '='), *base, *slash;
	struct cand *c;

	if (ncands == MAX_CANDS)
		die("at most %d candidates", MAX_CANDS);
	c = &cands[ncands++];
	if (eq) {
		*eq = '\0';
		snprintf(c->label, sizeof(c->label), "%s", arg);
		c->path = eq + 1;
		return;
	}
	c->path = arg;
	/* Label: the folder holding the .ko, else its name. */
	base = strdup(arg);
	slash = strrchr(base, '/');
	if (slash) {
		*slash = '\0';
		slash = strrchr(base, '/');
		snprintf(c->label, sizeof(c->label), "%s", slash ? slash + 1 : base);
	} else {
		snprintf(c->label, sizeof(c->label), "%s", base);
	}
	free(base);
}

static void parse_list(char *arg, int what)
{
	char *tok, *save = NULL;

	if (what == 0) {
		do_micro = do_scale = do_contention = 0;
	} else if (what == 1) {
		ncounts = 0;
	} else {
		patterns_on[DENSE] = patterns_on[SCATTERED] = 0;
	}
	for (tok = strtok_r(arg, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (what == 0) {
			if (!strcmp(tok, "micro"))
				do_micro = 1;
			else if (!strcmp(tok, "scale"))
				do_scale = 1;
			else if (!strcmp(tok, "contention"))
				do_contention = 1;
			else
				die("unknown section %s", tok);
		} else if (what == 1) {
			if (ncounts == MAX_COUNTS)
				die("at most %d counts", MAX_COUNTS);
			counts[ncounts] = atol(tok);
			if (counts[ncounts] < 1 || counts[ncounts] > 0xffffffffL)
				die("bad count %s", tok);
			ncounts++;
		} else {
			if (!strcmp(tok, "dense"))
				patterns_on[DENSE] = 1;
			else if (!strcmp(tok, "scattered"))
				patterns_on[SCATTERED] = 1;
			else
				die("unknown pattern %s", tok);
		}
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "module", required_argument, NULL, 'm' },
		{ "reps", required_argument, NULL, 'r' },
		{ "sections", required_argument, NULL, 's' },
		{ "counts", required_argument, NULL, 'C' },
		{ "patterns", required_argument, NULL, 'p' },
		{ "ops", required_argument, NULL, 'n' },
		{ "steady-ops", required_argument, NULL, 'N' },
		{ "contention-ms", required_argument, NULL, 'T' },
		{ "guard-mb", required_argument, NULL, 'g' },
		{ "csv", required_argument, NULL, 'o' },
		{ "nodes", required_argument, NULL, 'd' },
		{ "module-name", required_argument, NULL, 'M' },
		{ "major", required_argument, NULL, 'j' },
		{ "cgroup", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct utsname u;
	uint64_t start = now_ns();
	time_t now = time(NULL);
	char date[64], cpu[256];
	int c, r, i;

	while ((c = getopt_long(argc, argv, "m:r:s:C:p:n:N:T:g:o:d:M:j:ch", opts, NULL)) != -1) {
		switch (c) {
		case 'm': add_cand(optarg); break;
		case 'r':
			reps = atoi(optarg);
			if (reps < 1 || reps > MAX_REPS)
				die("--reps: 1 to %d", MAX_REPS);
			break;
		case 's': parse_list(optarg, 0); break;
		case 'C': parse_list(optarg, 1); break;
		case 'p': parse_list(optarg, 2); break;
		case 'n': micro_ops = atol(optarg); break;
		case 'N': steady_ops = atol(optarg); break;
		case 'T': contention_ms = atoi(optarg); break;
		case 'g': guard_mb = atol(optarg); break;
		case 'o': csv_path = optarg; break;
		case 'd': node_dir = optarg; break;
		case 'M': module_name = optarg; break;
		case 'j': major_num = (unsigned int)atoi(optarg); break;
		case 'c': use_cgroup = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || micro_ops < 1 || steady_ops < 1 || contention_ms < 1) {
		usage(stderr);
		return 2;
	}
	if (!ncands) {
		snprintf(cands[0].label, sizeof(cands[0].label), "loaded");
		cands[0].path = NULL;
		ncands = 1;
	}

	setvbuf(stdout, NULL, _IOLBF, 0);
	uname(&u);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S UTC", gmtime(&now));
	cpu_desc(cpu, sizeof(cpu));
	printf("bench: kernel %s %s, %ld CPUs (%s), %ld MiB, %s\n", u.release, u.machine,
	       sysconf(_SC_NPROCESSORS_ONLN), cpu,
	       (long)(sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE) >> 20), date);
	for (c = 0; c < ncands; c++)
		printf("bench: candidate %s: %s\n", cands[c].label,
		       cands[c].path ? cands[c].path : "(the module already loaded)");

	mkdir("/dev/mqueue", 0755);
	mount("none", "/dev/mqueue", "mqueue", 0, NULL);	/* EBUSY if mounted */
	make_nodes();
	pin_cpu(0);
	if (use_cgroup) {
		enter_cgroup();
		printf("bench: running in %s (memory controller on)\n", cg_dir);
	}

	if (do_micro) {
		for (r = 0; r < reps; r++)
			for (c = 0; c < ncands; c++) {
				load_module(&cands[c]);
				micro_run(micro_res[c][r], micro_ratio[c][r]);
				printf("bench: micro rep %d %s: floor %.0f pipe %.0f mq %.0f slot %.0f ns\n",
				       r + 1, cands[c].label, micro_res[c][r][M_FLOOR],
				       micro_res[c][r][M_PIPE], micro_res[c][r][M_MQ],
				       micro_res[c][r][M_SLOT]);
			}
	}
	if (do_contention) {
		for (r = 0; r < reps; r++)
			for (c = 0; c < ncands; c++) {
				double rate[NR_CKINDS], ratio[NR_CKINDS];
				long torn, tail;

				load_module(&cands[c]);
				contention_run(rate, ratio, &torn, &tail);
				for (int s = 0; s < NR_CKINDS; s++) {
					cont_rate[c][s][r] = rate[s];
					cont_ratio[c][s][r] = ratio[s];
				}
				cont_torn[c] += torn;
				cont_tail[c] += tail;
				printf("bench: contention rep %d %s: floor2 %.0f different %.0f (x%.2f) same %.0f (x%.2f) pairs/s\n",
				       r + 1, cands[c].label, rate[K_FLOOR], rate[K_DIFF],
				       ratio[K_DIFF], rate[K_SAME], ratio[K_SAME]);
			}
	}
	if (do_scale) {
		for (r = 0; r < reps; r++)
			for (i = 0; i < ncounts; i++)
				for (int p = 0; p < NR_PATTERNS; p++) {
					if (!patterns_on[p])
						continue;
					for (c = 0; c < ncands; c++) {
						struct scale_res *x = &scale_res[c][p][i][r];

						scale_row(&cands[c], counts[i], p, x);
						printf("bench: scale rep %d %s %s C=%ld: create %.0f ns (slowest 256: %.1f ms) steady %.0f ns (ref %.0f, x%.2f) sweep %.0f ns (x%.2f), %.1f B/ch (%ld made) %s\n",
						       r + 1, cands[c].label, pattern_name[p], counts[i],
						       x->create_ns, x->pause_ms, x->steady_ns, x->ref_ns, x->ratio,
						       x->sweep_ns, x->sweep_ratio, x->bytes, x->created, x->detail);
					}
				}
	}
	if (cands[0].path)
		unload_module();

	if (csv_path && !(csv[1] = fopen(csv_path, "w")))
		die("%s: %s", csv_path, strerror(errno));
	csv[0] = stdout;
	for (i = 0; i < 2; i++) {
		/* First the table, then the same figures as CSV. */
		out_table = !i;
		out_csv = i;
		if (i) {
			printf("bench-table-end\n\nbench-csv-begin\n");
			csv_line("section,candidate,pattern,channels,metric,median,min,max,spread_pct,values\n");
		} else {
			printf("\nbench-table-begin\nkernel %s, %s, %d reps, %.0f s\ncpu: %s\n",
			       u.release, date, reps, (double)(now_ns() - start) / 1e9, cpu);
		}
		if (do_micro)
			print_micro();
		if (do_contention)
			print_contention();
		if (do_scale)
			print_scale();
	}
	printf("bench-csv-end\n");
	if (csv[1])
		fclose(csv[1]);
	return 0;
}
