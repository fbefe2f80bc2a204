// SPDX-License-Identifier: GPL-2.0
/*
 * slot_module.c - slot_test's tests of module lifetime: unload refused
 * while a file is open, messages cleared by a reload, reference counts,
 * reload cycles.
 * Part of slot_test: see slot_test.h.
 */
#define HARNESS_FILE_RANK 8
#include "slot_test.h"

/* ---- module lifetime -------------------------------------------------------- */

/* The name /proc/devices gives major g_major, or "" if none. */
static const char *devices_entry(void)
{
	static char name[128];
	char line[256];
	FILE *f = fopen("/proc/devices", "re");
	int chr = 0;

	name[0] = '\0';
	if (!f)
		return name;
	while (fgets(line, sizeof(line), f)) {
		unsigned int major;
		char dev[128];

		if (!strncmp(line, "Character devices:", 18))
			chr = 1;
		else if (!strncmp(line, "Block devices:", 14))
			chr = 0;
		else if (chr && sscanf(line, "%u %127s", &major, dev) == 2 &&
			 major == g_major)
			snprintf(name, sizeof(name), "%s", dev);
	}
	fclose(f);
	return name;
}

static long module_refcnt(void)
{
	char path[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", g_module_name);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static void require_module(void)
{
	if (!g_module_path)
		SKIP("no --module given: unloading and reloading need the .ko file");
	if (access(g_module_path, R_OK)) {
		FAIL("cannot read %s: %s", g_module_path, errno_name(errno));
		harness_leave();
	}
	if (!module_listed(g_module_name)) {
		FAIL("module %s is not in /proc/modules", g_module_name);
		harness_leave();
	}
}

/* At the end of a test that unloads: the module must be back. */
static void expect_module_back(void)
{
	if (!module_listed(g_module_name)) {
		TH_LOG("module %s is not loaded: loading it again", g_module_name);
		if (module_load(g_module_path, ""))
			TH_LOG("finit_module(%s): %s", g_module_path, errno_name(errno));
	}
	EXPECT_TRUE(module_listed(g_module_name));
}

TEST(message_survives_with_every_fd_closed)
{
	unsigned char msg[100];
	uint32_t ch = fresh_channel();
	long refs;

	fill_unique(msg, sizeof(msg), 1);
	store(3, ch, msg, sizeof(msg));
	sleep_ms(50);
	refs = module_refcnt();
	if (refs < 0)
		TH_LOG("no /sys/module/%s/refcnt: cannot confirm no file is open",
		       g_module_name);
	else
		EXPECT_EQ(0, refs);	/* no open file holds the module */
	EXPECT_STORED(3, ch, msg, sizeof(msg));
}

TEST(module_refcount_follows_open_files)
{
	long r0, r1, r2;
	int a, b, d;

	r0 = module_refcnt();
	if (r0 < 0)
		SKIP("no /sys/module/%s/refcnt", g_module_name);
	EXPECT_EQ(0, r0);
	a = OPEN_SLOT(0);
	r1 = module_refcnt();
	b = OPEN_SLOT(255);
	r2 = module_refcnt();
	d = dup(a);
	TH_LOG("references: %ld closed, %ld with one open file, %ld with two", r0, r1, r2);
	EXPECT_LT(r0, r1);
	EXPECT_EQ(r0 + 2 * (r1 - r0), r2);
	EXPECT_EQ(r2, module_refcnt());		/* a dup is the same open file */
	close(a);
	close(b);
	close(d);
	EXPECT_EQ(r0, module_refcnt());
}

TEST(module_unload_refused_while_slot_open)
{
	unsigned char msg[64];
	uint32_t ch = fresh_channel();
	int fd, sync[2], i;
	pid_t pid;

	require_module();
	fill_unique(msg, sizeof(msg), 1);
	fd = OPEN_SLOT(0);
	SET_CHANNEL(fd, ch);
	WRITE_MSG(fd, msg, sizeof(msg));
	/* The kernel answers -EWOULDBLOCK while the refcount is not zero. */
	EXPECT_ERRNO(module_unload(g_module_name), EWOULDBLOCK);
	expect_module_back();
	EXPECT_READ(fd, msg, sizeof(msg));
	WRITE_MSG(fd, "still works", 11);
	EXPECT_READ(fd, "still works", 11);
	close(fd);

	/* An open file in another process holds the module too. */
	ASSERT_EQ(0, pipe(sync));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int cfd = OPEN_SLOT(1);

		char c;

		close(sync[1]);
		if (read(sync[0], &c, 1) < 0)
			_exit(1);
		close(cfd);
		_exit(0);
	}
	close(sync[0]);
	/* Wait until the child holds its fd (the module count rises). */
	for (i = 0; i < 100 && module_refcnt() == 0; i++)
		sleep_ms(10);
	EXPECT_ERRNO(module_unload(g_module_name), EWOULDBLOCK);
	close(sync[1]);
	EXPECT_CHILD_OK(pid);
	expect_module_back();
	EXPECT_STORED(0, ch, "still works", 11);
}

TEST(module_unload_reload_clears_messages)
{
	unsigned char msg[80];
	uint32_t ch = fresh_channel();
	int ret;

	require_module();
	fill_unique(msg, sizeof(msg), 1);
	store(0, ch, msg, sizeof(msg));
	store(255, ch, msg, 10);
	TH_LOG("/proc/devices: %u %s", g_major, devices_entry());

	/* From here to the reload nothing may end the test early. */
	ret = module_unload(g_module_name);
	if (EXPECT_EQ(0, ret)) {
		EXPECT_FALSE(module_listed(g_module_name));
		if (!EXPECT_TRUE(devices_entry()[0] == '\0'))
			TH_LOG("major %u still registered as %s", g_major,
			       devices_entry());
		EXPECT_ERRNO(open(g_node[0], O_RDWR | O_CLOEXEC), ENXIO);
		EXPECT_EQ(0, module_load(g_module_path, ""));
	} else {
		TH_LOG("refcnt %ld", module_refcnt());
	}
	expect_module_back();
	EXPECT_TRUE(devices_entry()[0] != '\0');

	/* A fresh module: nothing stored, everything works. */
	EXPECT_NEVER_WRITTEN(0, ch);
	EXPECT_NEVER_WRITTEN(255, ch);
	store(0, ch, "after reload", 12);
	EXPECT_STORED(0, ch, "after reload", 12);
}

TEST_TIMEOUT(module_reload_cycles_with_many_channels, 600)
{
	enum { PER_SLOT = 100 };
	unsigned char msg[MAX_LEN];
	uint32_t first[NR_MINORS];
	unsigned int cycle;
	int i, j;

	require_module();
	for (cycle = 0; cycle < g_reload_cycles; cycle++) {
		int idle = OPEN_SLOT(1);	/* an open file with no channel */

		for (i = 0; i < NR_MINORS; i++) {
			int fd = OPEN_SLOT(minors[i]);

			for (j = 0; j < PER_SLOT; j++) {
				uint32_t ch = fresh_channel();

				if (j == 0)
					first[i] = ch;
				fill_unique(msg, sizeof(msg), (unsigned int)j);
				SET_CHANNEL(fd, ch);
				WRITE_MSG(fd, msg, 1 + (size_t)(j % MAX_LEN));
			}
			close(fd);
		}
		close(idle);
		if (!EXPECT_EQ(0, module_unload(g_module_name))) {
			TH_LOG("cycle %u: refcnt %ld", cycle, module_refcnt());
			break;
		}
		EXPECT_EQ(0, module_load(g_module_path, ""));
		expect_module_back();
		for (i = 0; i < NR_MINORS; i++)
			EXPECT_NEVER_WRITTEN(minors[i], first[i]);
	}
	TH_LOG("%u unload/reload cycles, each with %d channels on %d slots",
	       cycle, PER_SLOT * NR_MINORS, NR_MINORS);
	EXPECT_EQ(g_reload_cycles, cycle);
	expect_module_back();
}

