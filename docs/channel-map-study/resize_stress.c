// SPDX-License-Identifier: GPL-2.0
/*
 * resize_stress.c - lookups of existing channels while the channel map of
 * their slot grows: no read may miss a channel that exists, or return
 * another channel's message.
 *
 * One process creates channels 1..N of minor 0 (scattered ids) and
 * publishes how many exist; two others (one per CPU) read random existing
 * channels, each read after its own ioctl, so every read looks the channel
 * up. Runs as root with the module loaded; prints one line and exits 0 if
 * nothing was lost.
 *
 * Build: gcc -O2 -Wall -Wextra -std=gnu11 -static -o resize_stress resize_stress.c
 * Run:   resize_stress [CHANNELS] [MINOR]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "message_slot.h"

struct shared {
	volatile long created;		/* channels 0..created-1 exist */
	volatile int done;
	volatile long reads[2], lost[2], wrong[2];
};

static uint32_t mix32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int open_node(const char *path)
{
	int fd = open(path, O_RDWR);

	if (fd < 0) {
		perror(path);
		exit(1);
	}
	return fd;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 300000;
	int minor = argc > 2 ? atoi(argv[2]) : 0;
	char path[64], buf[128];
	struct shared *sh;
	uint64_t rng;
	long i, lost = 0, wrong = 0, reads = 0;
	pid_t pid[2];
	int k, fd;

	snprintf(path, sizeof(path), "/tmp/resize-stress-slot%d", minor);
	unlink(path);
	if (mknod(path, S_IFCHR | 0600, makedev(MAJOR_NUM, minor))) {
		perror("mknod");
		return 1;
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	memset((void *)sh, 0, sizeof(*sh));

	/* The first channel exists before the readers start. */
	fd = open_node(path);
	memset(buf, 0, sizeof(buf));
	*(uint32_t *)buf = mix32(1);
	if (ioctl(fd, MSG_SLOT_CHANNEL, (unsigned long)mix32(1)) ||
	    write(fd, buf, sizeof(buf)) != sizeof(buf)) {
		perror("first channel");
		return 1;
	}
	sh->created = 1;

	for (k = 0; k < 2; k++) {
		pid[k] = fork();
		if (pid[k])
			continue;
		pin(k);
		fd = open_node(path);
		rng = 0x9e3779b97f4a7c15ull * (uint64_t)(k + 1);
		while (!sh->done) {
			long have = sh->created;
			uint32_t id;
			ssize_t r;

			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			i = (long)((rng >> 11) % (uint64_t)have);
			id = mix32((uint32_t)i + 1);
			if (ioctl(fd, MSG_SLOT_CHANNEL, (unsigned long)id))
				_exit(2);
			r = read(fd, buf, sizeof(buf));
			sh->reads[k]++;
			if (r < 0 && errno == EWOULDBLOCK)
				sh->lost[k]++;
			else if (r != sizeof(buf) || *(uint32_t *)buf != id)
				sh->wrong[k]++;
		}
		_exit(0);
	}

	pin(1);
	for (i = 1; i < n; i++) {
		uint32_t id = mix32((uint32_t)i + 1);

		*(uint32_t *)buf = id;
		if (ioctl(fd, MSG_SLOT_CHANNEL, (unsigned long)id) ||
		    write(fd, buf, sizeof(buf)) != sizeof(buf)) {
			perror("create");
			return 1;
		}
		sh->created = i + 1;
	}
	sh->done = 1;
	for (k = 0; k < 2; k++) {
		int status;

		if (waitpid(pid[k], &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			fprintf(stderr, "resize_stress: reader %d failed\n", k);
		reads += sh->reads[k];
		lost += sh->lost[k];
		wrong += sh->wrong[k];
	}
	printf("resize_stress: %ld channels created, %ld reads of existing channels: %ld lost, %ld wrong: %s\n",
	       n, reads, lost, wrong, lost || wrong ? "FAIL" : "PASS");
	close(fd);
	unlink(path);
	return lost || wrong ? 1 : 0;
}
