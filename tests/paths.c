// SPDX-License-Identifier: GPL-2.0
/*
 * paths.c - the paths of message_slot.c that neither the suite nor the
 * fuzzer takes, found by the coverage of the debug lane (make check-all):
 * the module's parameters at load (nodes, node_mode, censor, and the
 * values it refuses), a load whose node creation fails (fault injection),
 * a lookup that misses while a resize runs, and an unload in the middle
 * of a resize.
 *
 * It unloads and reloads the module, and leaves it loaded (with no
 * parameters). Fault injection needs the debug kernel (FAULT_INJECTION,
 * FAILSLAB, FAULT_INJECTION_DEBUG_FS, debugfs mounted); without it that
 * test is skipped, with the reason.
 *
 * Build: make -C tests O=DIR paths (BITS=32 for the 32-bit build)
 * Run (as root, module loaded): tests/paths --module PATH/message_slot.ko
 * It uses slots 230 to 239 and its own nodes in /tmp/paths-nodes.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <fcntl.h>
#include <getopt.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "message_slot.h"

#define MODULE_NAME	"message_slot"
#define FAILSLAB	"/sys/kernel/debug/failslab"

static const char *g_module;
static const char *g_nodes = "/tmp/paths-nodes";

/* Unload the module (it must be loaded, and unload), for a test's own load. */
static void unload_first(void)
{
	if (!g_module)
		SKIP("no --module given: loading with parameters needs the .ko file");
	if (module_listed(MODULE_NAME))
		ASSERT_EQ(0, module_unload(MODULE_NAME));
}

/* At the end of each test: loaded again, with no parameters. */
static void load_plain(void)
{
	if (module_listed(MODULE_NAME) && module_unload(MODULE_NAME))
		TH_LOG("delete_module: %s", errno_name(errno));
	EXPECT_EQ(0, module_load(g_module, ""));
}

static int major_registered(void)
{
	char line[256];
	FILE *f = fopen("/proc/devices", "re");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = !strcmp(line, "235 " MODULE_NAME "\n");
	fclose(f);
	return found;
}

/* Nothing of the module is left: no module, major, class or slab cache. */
static void expect_nothing_left(const char *how)
{
	struct stat st;

	if (!EXPECT_FALSE(module_listed(MODULE_NAME)))
		TH_LOG("%s: the module is loaded", how);
	if (!EXPECT_FALSE(major_registered()))
		TH_LOG("%s: major 235 is still registered", how);
	if (!EXPECT_ERRNO(stat("/sys/class/" MODULE_NAME, &st), ENOENT))
		TH_LOG("%s: /sys/class/" MODULE_NAME " is left", how);
	if (!EXPECT_ERRNO(stat("/dev/slot0", &st), ENOENT))
		TH_LOG("%s: /dev/slot0 is left", how);
	/* (the VM boots with slab_nomerge: the cache has its own entry) */
	if (!EXPECT_ERRNO(stat("/sys/kernel/slab/msgslot_channel", &st), ENOENT))
		TH_LOG("%s: the slab cache msgslot_channel is left", how);
}

/* An own node for slot @minor, opened read-write. */
static int open_slot(unsigned int minor)
{
	char path[256];
	int fd;

	slot_path(path, sizeof(path), g_nodes, minor);
	if (make_node(path, MAJOR_NUM, minor, 0600)) {
		FAIL("mknod %s: %s", path, errno_name(errno));
		harness_leave();
	}
	fd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	return fd;
}

static void store(int fd, uint32_t id, const char *m)
{
	ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CHANNEL, (unsigned long)id));
	ASSERT_EQ((ssize_t)strlen(m), write(fd, m, strlen(m)));
}

/* Channel @id holds @m, or (NULL) was never written. */
static int expect_stored(int fd, uint32_t id, const char *m)
{
	char buf[MSG_SLOT_MAX_LEN];

	if (!EXPECT_EQ(0, ioctl(fd, MSG_SLOT_CHANNEL, (unsigned long)id)))
		return 0;
	if (!m)
		return EXPECT_ERRNO(read(fd, buf, sizeof(buf)), EWOULDBLOCK);
	return EXPECT_EQ((ssize_t)strlen(m), read(fd, buf, sizeof(buf))) &&
	       EXPECT_MEMEQ(m, buf, strlen(m));
}

/*
 * nodes=3 node_mode=0640: /dev/slot0 to /dev/slot2 appear (devtmpfs) with
 * that mode and the right numbers, and work; /dev/slot3 does not; the
 * unload removes them.
 */
TEST(param_nodes_made_and_removed)
{
	char path[32];
	struct stat st;
	unsigned int i;
	int fd;

	unload_first();
	ASSERT_EQ(0, module_load(g_module, "nodes=3 node_mode=0640"));
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "/dev/slot%u", i);
		if (!EXPECT_EQ(0, stat(path, &st))) {
			TH_LOG("%s: %s", path, errno_name(errno));
			continue;
		}
		EXPECT_TRUE(S_ISCHR(st.st_mode));
		EXPECT_EQ(0640, st.st_mode & 07777);
		EXPECT_EQ(MAJOR_NUM, major(st.st_rdev));
		EXPECT_EQ(i, minor(st.st_rdev));
	}
	EXPECT_ERRNO(stat("/dev/slot3", &st), ENOENT);
	fd = open("/dev/slot2", O_RDWR | O_CLOEXEC);
	if (EXPECT_LE(0, fd)) {
		char buf[16];

		store(fd, 5, "via slot2");
		EXPECT_EQ(9, read(fd, buf, sizeof(buf)));
		close(fd);
	}
	EXPECT_EQ(0, module_unload(MODULE_NAME));
	expect_nothing_left("after unloading with nodes=3");
	load_plain();
}

/* Values the module refuses at load: EINVAL, and nothing is left. */
TEST(param_invalid_values_refused)
{
	static const char *const bad[] = {
		"nodes=257", "node_mode=01000", "censor=5", "censor=1",
	};
	unsigned int i;

	unload_first();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!EXPECT_ERRNO(module_load(g_module, bad[i]), EINVAL)) {
			TH_LOG("%s was not refused with EINVAL", bad[i]);
			if (module_listed(MODULE_NAME))
				module_unload(MODULE_NAME);
		}
		expect_nothing_left(bad[i]);
	}
	load_plain();
}

/*
 * censor=3 and censor=4 (the censorship terms, a load parameter): after
 * ioctl(MSG_SLOT_SET_CEN, 1) a file's writes store MSG_SLOT_CEN_CHAR at
 * every 3rd (4th) byte, in both encodings of the command; mode 0 stores
 * the message as written; the mode stays across a channel change, the
 * channel across a mode change; a mode other than 0 or 1 is EINVAL.
 */
TEST(param_censor_masks_every_nth_byte)
{
	static const struct {
		const char *param, *censored;
	} terms[] = {
		{ "censor=3", "ab#de#gh#" },
		{ "censor=4", "abc#efg#i" },
	};
	const char *plain = "abcdefghi";
	unsigned int i;

	unload_first();
	for (i = 0; i < sizeof(terms) / sizeof(terms[0]); i++) {
		int fd;

		if (!EXPECT_EQ(0, module_load(g_module, terms[i].param))) {
			TH_LOG("load with %s: %s", terms[i].param, errno_name(errno));
			continue;
		}
		fd = open_slot(230);
		EXPECT_EQ(0, ioctl(fd, MSG_SLOT_CHANNEL, 1UL));
		EXPECT_EQ(0, ioctl(fd, MSG_SLOT_SET_CEN, 1UL));
		EXPECT_EQ(9, write(fd, plain, 9));
		expect_stored(fd, 1, terms[i].censored);
		/* The mode stays when the channel changes. */
		store(fd, 2, plain);
		expect_stored(fd, 2, terms[i].censored);
		/* The channel stays when the mode changes. */
		EXPECT_EQ(0, ioctl(fd, MSG_SLOT_SET_CEN_UL, 0UL));
		EXPECT_EQ(9, write(fd, plain, 9));
		expect_stored(fd, 2, plain);
		EXPECT_ERRNO(ioctl(fd, MSG_SLOT_SET_CEN, 2UL), EINVAL);
		close(fd);
		EXPECT_EQ(0, module_unload(MODULE_NAME));
	}
	load_plain();
}

/*
 * A lookup that misses while a resize runs is confirmed under the slot's
 * mutex (msgslot_find()): with a resize half done (17 channels: the 17th
 * starts it and moves 8 of the 16 old buckets), a read of a channel never
 * written is EWOULDBLOCK, a write to a new channel creates it, and every
 * channel, moved or not, is found.
 */
TEST(miss_while_a_resize_runs)
{
	char m[32];
	uint32_t id;
	int fd;

	unload_first();
	load_plain();
	fd = open_slot(231);
	for (id = 1; id <= 17; id++) {
		snprintf(m, sizeof(m), "channel %u", id);
		store(fd, id, m);
	}
	/* Found in the old table, or (moved) in the next one. */
	for (id = 1; id <= 17; id++) {
		snprintf(m, sizeof(m), "channel %u", id);
		expect_stored(fd, id, m);
	}
	expect_stored(fd, 1000, NULL);
	/* Created while the resize runs: it goes to the next table. */
	store(fd, 1001, "channel 1001");
	for (id = 1; id <= 17; id++) {
		snprintf(m, sizeof(m), "channel %u", id);
		expect_stored(fd, id, m);
	}
	expect_stored(fd, 1001, "channel 1001");
	expect_stored(fd, 1002, NULL);
	close(fd);
}

/*
 * An unload while a slot's resize runs frees both tables (the debug lane's
 * kmemleak scan after the final unload sees a leak): the 17th channel
 * starts a resize of 16 buckets, 8 per insert, so it is half done.
 */
TEST(unload_while_a_resize_runs)
{
	uint32_t id;
	int fd;

	unload_first();
	load_plain();
	fd = open_slot(232);
	for (id = 1; id <= 17; id++)
		store(fd, id, "x");
	close(fd);
	EXPECT_EQ(0, module_unload(MODULE_NAME));
	expect_nothing_left("after unloading in a resize");
	load_plain();
}

/* fail-nth of this thread, opened once (opening allocates). */
static int fail_nth_fd(void)
{
	static int fd = -1;

	if (fd < 0)
		fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	return fd;
}

static int fail_nth(unsigned int nth)
{
	char v[16];
	int len = snprintf(v, sizeof(v), "%u", nth);

	return pwrite(fail_nth_fd(), v, (size_t)len, 0) == len ? 0 : -1;
}

static long fail_nth_left(void)
{
	char v[32] = "";
	ssize_t n = pread(fail_nth_fd(), v, sizeof(v) - 1, 0);

	return n > 0 ? strtol(v, NULL, 10) : -1;
}

/*
 * The kernel log since @fd was opened (at its end), read to the end: bit i
 * of the result is set if a record contains @what[i].
 */
static unsigned int kmsg_matches(int fd, const char *const *what, unsigned int n)
{
	char rec[2048];
	unsigned int found = 0, i;

	for (;;) {
		ssize_t len = read(fd, rec, sizeof(rec) - 1);

		if (len < 0 && errno == EPIPE)	/* records overwritten: go on */
			continue;
		if (len <= 0)
			break;
		rec[len] = '\0';
		for (i = 0; i < n; i++)
			if (strstr(rec, what[i]))
				found |= 1U << i;
	}
	return found;
}

/*
 * A load with nodes=2 whose Nth fault-injectable call fails, for the last
 * calls of a load (those of msgslot_init(): the debugfs file, the nodes,
 * the class, then the major), from the last one back until a failure
 * hits register_chrdev() ("cannot register major" in the kernel log).
 * Each load fails with ENOMEM and leaves nothing, or (a failure in
 * something optional: a debugfs file, a node's devtmpfs entry) succeeds
 * and unloads. Not further back: a failing kmem_cache_create() prints a
 * stack trace by design, which the debug lane takes as a kernel report.
 */
TEST_TIMEOUT(load_with_each_late_allocation_failing, 600)
{
	static const char *const msgs[] = {
		"cannot register major", "cannot create /dev/slot",
	};
	unsigned int nth, calls, loads = 0, failed = 0, nodes_failed = 0;
	int chrdev_failed = 0;
	long left;

	unload_first();
	if (fail_nth_fd() < 0)
		SKIP("no /proc/thread-self/fail-nth: not a kernel with fault injection");
	if (write_file(FAILSLAB "/ignore-gfp-wait", "N") ||
	    write_file(FAILSLAB "/verbose", "1"))
		SKIP("cannot configure " FAILSLAB ": %s", errno_name(errno));

	/* How many calls a load makes: what is left of a big count. */
	ASSERT_EQ(0, fail_nth(1000000));
	ASSERT_EQ(0, module_load(g_module, "nodes=2"));
	left = fail_nth_left();
	fail_nth(0);
	ASSERT_LT(0, left);
	calls = (unsigned int)(1000000 - left);
	ASSERT_EQ(0, module_unload(MODULE_NAME));
	TH_LOG("a load with nodes=2 makes %u fault-injectable calls", calls);

	for (nth = calls; nth >= 1 && !chrdev_failed; nth--) {
		int kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		unsigned int seen;
		int ret, err;

		ASSERT_LE(0, kmsg);
		lseek(kmsg, 0, SEEK_END);
		ASSERT_EQ(0, fail_nth(nth));
		ret = module_load(g_module, "nodes=2");
		err = errno;
		left = fail_nth_left();
		fail_nth(0);
		loads++;
		if (ret == 0) {
			EXPECT_EQ(0, module_unload(MODULE_NAME));
		} else {
			failed++;
			if (!EXPECT_EQ(ENOMEM, err))
				TH_LOG("call %u of %u failing: the load failed with %s",
				       nth, calls, errno_name(err));
			EXPECT_EQ(0, left);
		}
		seen = kmsg_matches(kmsg, msgs, 2);
		chrdev_failed = seen & 1;
		nodes_failed += !!(seen & 2);
		close(kmsg);
		if (ret)
			expect_nothing_left("after a failed load");
		if (loads >= 400) {
			FAIL("400 loads without reaching register_chrdev()");
			break;
		}
	}
	TH_LOG("%u loads: %u failed, %u of them creating the nodes",
	       loads, failed, nodes_failed);
	EXPECT_TRUE(chrdev_failed);
	EXPECT_LE(1, nodes_failed);
	load_plain();
}

static void preamble(void)
{
	if (mkdir(g_nodes, 0700) && errno != EEXIST)
		harness_diag("setup: mkdir %s: %s", g_nodes, errno_name(errno));
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "module", required_argument, NULL, 'm' },
		{ "nodes", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			g_module = optarg;
			break;
		case 'n':
			g_nodes = optarg;
			break;
		default:
			fprintf(stderr, "usage: paths --module PATH [--nodes DIR]\n");
			return 2;
		}
	}
	harness_preamble = preamble;
	return harness_run();
}
