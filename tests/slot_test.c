// SPDX-License-Identifier: GPL-2.0
/*
 * slot_test.c - behaviour tests of the message slot module and programs:
 * the options, the helpers the tests share, and main. The tests are in
 * the slot_*.c files of each topic (see slot_test.h).
 *
 * Runs as root with the module loaded. It makes its own device nodes
 * (minors 0, 1, 2, 3 and 255 of --major) under --nodes, so it relies on
 * nothing but the major number. Tests that unload the module need --module
 * (the .ko file) and tests of message_sender / message_reader need
 * --bindir; without them those tests are skipped with the reason.
 *
 * Build (from the top of the repository):
 *	make -C tests O=DIR slot_test	(BITS=32: the 32-bit build)
 * Run:
 *	tests/slot_test [--major N] [--ioctl NUM] [--module PATH]
 *		[--bindir DIR] [--nodes DIR] [--stress-ms MS] [--seed N]
 *		[--reload-cycles N] [--censor 0|3|4] [--cen-ioctl NUM]
 *		[--sender-args 3|4] [-t NAME]... [-l]
 *
 * The censorship terms of the assignment (spring 2025: every 3rd byte,
 * fall 2025/26: every 4th) are tested by the censor_* cases when --censor
 * gives the period of the module under test (loaded with censor=3 or 4);
 * with --censor 0, the default, they are skipped and the classic module's
 * answer to MSG_SLOT_SET_CEN (EINVAL) is tested instead. --cen-ioctl is the
 * MSG_SLOT_SET_CEN number (default: message_slot.h's). --sender-args 4
 * says message_sender takes SLOT_FILE CHANNEL CENSOR MESSAGE: every sender
 * case then passes CENSOR 0, and the censor_sender_* cases run.
 *
 * Every test that writes uses channels of its own, drawn from --seed, so
 * tests cannot see each other's messages; the fixed ids some tests need
 * (1, 5, 7, 2^31, 2^32-1, ...) are never drawn.
 */
#include "slot_test.h"

_Static_assert(EWOULDBLOCK == EAGAIN, "EWOULDBLOCK and EAGAIN differ");
_Static_assert(MAX_LEN == 128, "the contract says 128 bytes");
_Static_assert(MSG_SLOT_CEN_CHAR == CEN_CHAR, "the assignment says '#'");

/* Options. */
unsigned int g_major = MAJOR_NUM;
unsigned long g_ioctl = MSG_SLOT_CHANNEL;
const char *g_module_path;
char g_module_name[64];
const char *g_bindir;
const char *g_nodes = "/tmp/slot-nodes";
unsigned int g_stress_ms = 1500;
/* Unload/reload cycles of module_reload_cycles_with_many_channels: 50 on debug kernels. */
unsigned int g_reload_cycles = 3;
uint64_t g_seed;
/* The censorship period of the module under test: 0 (classic), 3 or 4. */
unsigned int g_censor;
unsigned long g_cen_ioctl = MSG_SLOT_SET_CEN;
/* message_sender's form: SLOT_FILE CHANNEL [CENSOR] MESSAGE. */
unsigned int g_sender_args = 3;

/* Set up by the preamble. */
char *g_node[256];		/* device node of each minor made */
char *g_full_node;		/* a /dev/full of our own */
int g_module_was_loaded;

/* The ids the tests use on purpose; fresh_channel() never returns them. */
static const uint32_t fixed_ids[] = {
	1, 2, 5, 7, 12, 16, 255, 256, 65535, 65536, 65537,
	1048576, 1048577, 2147483647u, 2147483648u, 2147483649u,
	4294967294u, 4294967295u,
};

#define NR_FIXED (sizeof(fixed_ids) / sizeof(fixed_ids[0]))

/* ---- small helpers -------------------------------------------------- */

/* A channel id no other test uses in this run and no test uses on purpose. */
uint32_t fresh_channel(void)
{
	static uint64_t counter;
	size_t i;

	for (;;) {
		uint64_t x = mix64(g_seed ^ ((uint64_t)harness_index << 40) ^
				   ++counter);
		uint32_t id = (uint32_t)(x >> 32);

		if (id < 0x10000 || id > 0xfffff000u)
			continue;
		for (i = 0; i < NR_FIXED; i++)
			if (fixed_ids[i] == id)
				break;
		if (i == NR_FIXED)
			return id;
	}
}

/* Bytes from a seed: every value occurs, NUL included. */
void fill_pattern(unsigned char *buf, size_t len, uint64_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)(mix64(seed + i) >> 24);
}

/* A pattern that is unique to this test and run. */
void fill_unique(unsigned char *buf, size_t len, unsigned int salt)
{
	fill_pattern(buf, len, mix64(g_seed ^ ((uint64_t)harness_index << 32) ^
				     ((uint64_t)salt << 8)));
}

/* Printable form of bytes, for diagnostics; at most 160 characters. */
const char *escape(const void *data, size_t len)
{
	static __thread char out[200];
	const unsigned char *p = data;
	size_t i, o = 0;

	for (i = 0; i < len && o < 160; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			out[o++] = (char)p[i];
		else
			o += (size_t)snprintf(out + o, sizeof(out) - o,
					      "\\x%02x", p[i]);
	}
	if (i < len)
		o += (size_t)snprintf(out + o, sizeof(out) - o, "...");
	out[o] = '\0';
	return out;
}

void *null_buf(void)
{
	/* NULL, hidden from the compiler's nonnull and access checks. */
	static void *volatile null = NULL;

	return null;
}

/* ---- device helpers (they end the test on failure) ------------------- */

int open_slot_at(const char *file, int line, int minor)
{
	int fd;

	if (minor < 0 || minor > 255 || !g_node[minor]) {
		harness_fail(file, line, "no device node was made for minor %d",
			     minor);
		harness_leave();
	}
	fd = open(g_node[minor], O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		harness_fail(file, line,
			     "open(%s) (char %u:%d): -1 %s: is the module loaded?",
			     g_node[minor], g_major, minor, errno_name(errno));
		harness_leave();
	}
	harness_count_check(1);
	return fd;
}

void set_channel_at(const char *file, int line, int fd, uint32_t id)
{
	if (ioctl(fd, g_ioctl, (unsigned long)id) != 0) {
		harness_fail(file, line, "ioctl(fd, 0x%lx, %" PRIu32 "): -1 %s",
			     g_ioctl, id, errno_name(errno));
		harness_leave();
	}
	harness_count_check(1);
}

void write_msg_at(const char *file, int line, int fd, const void *buf,
		  size_t len)
{
	ssize_t n = write(fd, buf, len);

	if (n != (ssize_t)len) {
		harness_fail(file, line, "write(fd, \"%s\", %zu): %zd %s",
			     escape(buf, len), len, n,
			     n < 0 ? errno_name(errno) : "");
		harness_leave();
	}
	harness_count_check(1);
}

int expect_read_at(const char *file, int line, int fd, const void *exp,
		   size_t len)
{
	unsigned char buf[1024];
	ssize_t n;
	size_t i;

	memset(buf, SENTINEL, sizeof(buf));
	n = read(fd, buf, sizeof(buf));
	if (n < 0) {
		harness_fail(file, line, "read: -1 %s, expected %zu bytes \"%s\"",
			     errno_name(errno), len, escape(exp, len));
		return 0;
	}
	if ((size_t)n != len || memcmp(buf, exp, len)) {
		harness_fail(file, line, "read returned %zd bytes \"%s\"",
			     n, escape(buf, (size_t)n));
		harness_diag("expected %zu bytes \"%s\"", len, escape(exp, len));
		return 0;
	}
	for (i = (size_t)n; i < sizeof(buf); i++)
		if (buf[i] != SENTINEL) {
			harness_fail(file, line,
				     "read returned %zd bytes but changed byte %zu of the buffer",
				     n, i);
			return 0;
		}
	harness_count_check(1);
	return 1;
}

int expect_read_fails_at(const char *file, int line, int fd,
			 size_t len, int err)
{
	unsigned char buf[1024];
	ssize_t n;
	size_t i;

	memset(buf, SENTINEL, sizeof(buf));
	n = read(fd, buf, len);
	if (n != -1 || errno != err) {
		harness_fail(file, line,
			     "read(fd, buf, %zu): expected -1 %s, got %zd %s",
			     len, errno_name(err), n,
			     n == -1 ? errno_name(errno) : "");
		return 0;
	}
	for (i = 0; i < sizeof(buf); i++)
		if (buf[i] != SENTINEL) {
			harness_fail(file, line,
				     "failed read(fd, buf, %zu) changed byte %zu of the buffer",
				     len, i);
			return 0;
		}
	harness_count_check(1);
	return 1;
}

void store_at(const char *file, int line, int minor, uint32_t channel,
	      const void *buf, size_t len)
{
	int fd = open_slot_at(file, line, minor);

	set_channel_at(file, line, fd, channel);
	write_msg_at(file, line, fd, buf, len);
	close(fd);
}

/*
 * A buffer whose first `size` bytes are usable and end exactly where an
 * inaccessible page begins: the second of two pages is unmapped, or made
 * PROT_NONE.
 */
unsigned char *edge_buffer(size_t size, int prot_none)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char *p;

	p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	if (prot_none)
		ASSERT_EQ(0, mprotect(p + page, page, PROT_NONE));
	else
		ASSERT_EQ(0, munmap(p + page, page));
	return p + page - size;
}

/* After a loop pass over edge_buffer() kinds: say which kind failed. */
void edge_context(int fails_before, size_t size, int prot_none)
{
	if (harness_failed_checks() != fails_before)
		TH_LOG("(above: buffer of %zu bytes before %s)", size,
		       prot_none ? "a PROT_NONE page" : "an unmapped page");
}

/* ---- main ------------------------------------------------------------------- */

static int after_test(const char *name)
{
	if (!g_module_path || !g_module_was_loaded || module_listed(g_module_name))
		return 0;
	harness_diag("module %s was not loaded after %s: loading it again",
		     g_module_name, name);
	if (module_load(g_module_path, ""))
		harness_diag("finit_module(%s): %s", g_module_path,
			     errno_name(errno));
	return 1;
}

static char *node_at(const char *name, unsigned int major, unsigned int minor)
{
	char *path;

	if (asprintf(&path, "%s/%s", g_nodes, name) < 0)
		return NULL;
	if (make_node(path, major, minor, 0666)) {
		harness_diag("setup: mknod %s (char %u:%u): %s", path, major,
			     minor, errno_name(errno));
		free(path);
		return NULL;
	}
	return path;
}

static void preamble(void)
{
	char name[32];
	int i;

	harness_diag("major %u, ioctl 0x%lx, module %s, bindir %s, nodes %s, stress %u ms, reload cycles %u, seed 0x%016" PRIx64,
		     g_major, g_ioctl, g_module_path ? g_module_path : "(none)",
		     g_bindir ? g_bindir : "(none)", g_nodes, g_stress_ms,
		     g_reload_cycles, g_seed);
	harness_diag("censor period %u, MSG_SLOT_SET_CEN 0x%lx, sender with %u arguments",
		     g_censor, g_cen_ioctl, g_sender_args);
	if (mkdir(g_nodes, 0755) && errno != EEXIST)
		harness_diag("setup: mkdir %s: %s", g_nodes, errno_name(errno));
	for (i = 0; i < NR_MINORS; i++) {
		snprintf(name, sizeof(name), "slot%d", minors[i]);
		g_node[minors[i]] = node_at(name, g_major, (unsigned int)minors[i]);
	}
	g_node[GROW_MINOR] = node_at("slot4", g_major, GROW_MINOR);
	g_full_node = node_at("full", 1, 7);
	g_module_was_loaded = module_listed(g_module_name);
	if (g_module_path && !g_module_was_loaded)
		harness_diag("module %s is not loaded", g_module_name);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: slot_test [--major N] [--ioctl NUM] [--module PATH] [--bindir DIR]\n"
		"                 [--nodes DIR] [--stress-ms MS] [--seed N] [--reload-cycles N]\n"
		"                 [--censor 0|3|4] [--cen-ioctl NUM] [--sender-args 3|4]\n"
		"                 [-t NAME]... [-l]\n");
}

static void set_module(const char *path)
{
	module_name_of(path, g_module_name, sizeof(g_module_name));
	g_module_path = path;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "major", required_argument, NULL, 'M' },
		{ "ioctl", required_argument, NULL, 'I' },
		{ "module", required_argument, NULL, 'm' },
		{ "bindir", required_argument, NULL, 'b' },
		{ "nodes", required_argument, NULL, 'n' },
		{ "stress-ms", required_argument, NULL, 's' },
		{ "seed", required_argument, NULL, 'S' },
		{ "reload-cycles", required_argument, NULL, 'R' },
		{ "censor", required_argument, NULL, 'C' },
		{ "cen-ioctl", required_argument, NULL, 'E' },
		{ "sender-args", required_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	int c, list = 0;

	snprintf(g_module_name, sizeof(g_module_name), "message_slot");
	if (getrandom(&g_seed, sizeof(g_seed), GRND_NONBLOCK) != sizeof(g_seed))
		g_seed = mix64(now_ns() ^ (uint64_t)getpid());

	while ((c = getopt_long(argc, argv, "t:lh", opts, NULL)) != -1) {
		switch (c) {
		case 'M':
			if (parse_ulong(optarg, 4095, &v) || v == 0)
				goto bad;
			g_major = (unsigned int)v;
			break;
		case 'I':
			if (parse_ulong(optarg, ULONG_MAX, &v))
				goto bad;
			g_ioctl = v;
			break;
		case 'm':
			set_module(optarg);
			break;
		case 'b':
			g_bindir = optarg;
			break;
		case 'n':
			g_nodes = optarg;
			break;
		case 's':
			if (parse_ulong(optarg, 600000, &v) || v == 0)
				goto bad;
			g_stress_ms = (unsigned int)v;
			break;
		case 'S':
			if (parse_ulong(optarg, ULONG_MAX, &v))
				goto bad;
			g_seed = v;
			break;
		case 'R':
			if (parse_ulong(optarg, 10000, &v) || v == 0)
				goto bad;
			g_reload_cycles = (unsigned int)v;
			break;
		case 'C':
			if (parse_ulong(optarg, 4, &v) || (v != 0 && v != 3 && v != 4))
				goto bad;
			g_censor = (unsigned int)v;
			break;
		case 'E':
			if (parse_ulong(optarg, ULONG_MAX, &v))
				goto bad;
			g_cen_ioctl = v;
			break;
		case 'A':
			if (parse_ulong(optarg, 4, &v) || (v != 3 && v != 4))
				goto bad;
			g_sender_args = (unsigned int)v;
			break;
		case 't':
			if (harness_select(optarg)) {
				fprintf(stderr, "slot_test: no test named %s (see -l)\n",
					optarg);
				return 2;
			}
			break;
		case 'l':
			list = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		continue;
bad:
		fprintf(stderr, "slot_test: bad value \"%s\" for an option\n", optarg);
		usage(stderr);
		return 2;
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (list) {
		harness_list();
		return 0;
	}
	harness_set_preamble(preamble);
	harness_set_after_test(after_test);
	return harness_run();
}
