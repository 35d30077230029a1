/*
 * swbench — the cost of the switch's decision per frame (vded/dataplane/switch.c), without sockets:
 * what switch_ingress takes for unicast between two learned stations (its verdict carries the
 * destination's tagging, as the data path uses it). Three networks, measured in
 * turns (ROUNDS times, FRAMES frames each) so that a busy machine slows all three alike:
 *   plain    ports 1 and 2, plain
 *   policy   ports 1 and 2 with access VLAN 10, max_macs 4, storm limits that do not bind, loop
 *            protection, port 1 isolated
 *   idle254  plain, with 254 other active ports that send nothing
 * Prints "swbench MODE ns_per_frame=X" (the median of the rounds) for each, then the two ratios of
 * frames/s: "swbench ratio policy/plain=R idle254/plain=R".
 *
 *   swbench [FRAMES [ROUNDS]]     (default 2000000 7)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dataplane/switch.h"

#define MODES 3
#define MAXROUNDS 64

static struct vswitch *make(int mode)
{
	struct vswitch *sw = switch_new(300, 4096, 300);
	struct switch_port_conf c;
	unsigned last = mode == 2 ? 256 : 2;

	if (!sw)
		exit(1);
	for (unsigned p = 1; p <= last; p++)
		switch_port_add(sw, p);
	if (mode == 1) {
		switch_port_conf_init(&c);
		c.vlan = 10;
		c.max_macs = 4;
		c.storm_broadcast = c.storm_multicast = c.storm_unknown = 10000000;
		c.loop_protect = true;
		switch_port_configure(sw, 2, &c);
		c.isolated = true;
		switch_port_configure(sw, 1, &c);
	}
	return sw;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static unsigned long sink;

static double run(struct vswitch *sw, unsigned long frames, uint64_t *ms)
{
	static uint8_t f[2][64];
	struct switch_verdict v;
	double t0;

	for (int k = 0; k < 2; k++) {
		memset(f[k], 0, 64);
		/* frame k: from station k+1 to station 2-k */
		f[k][0] = 0x02;
		f[k][5] = (uint8_t)(2 - k);
		f[k][6] = 0x02;
		f[k][11] = (uint8_t)(k + 1);
		f[k][12] = 0x08;
	}
	/* learn both */
	switch_ingress(sw, 1, f[0], 64, *ms, &v);
	switch_ingress(sw, 2, f[1], 64, *ms, &v);
	t0 = now_ns();
	for (unsigned long i = 0; i < frames; i++) {
		unsigned k = i & 1, in = k + 1;
		int dst;

		if ((i & 1023) == 0)
			(*ms)++;
		dst = switch_ingress(sw, in, f[k], 64, *ms, &v);
		/* the data path takes a unicast frame's tagging from the verdict */
		sink += dst >= 0 ? v.tx + 1u : 7u;
	}
	return (now_ns() - t0) / (double)frames;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const char *const names[MODES] = { "plain", "policy", "idle254" };
	unsigned long frames = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000000;
	unsigned rounds = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 7;
	double t[MODES][MAXROUNDS], med[MODES];
	struct vswitch *sw[MODES];
	uint64_t ms[MODES];

	if (rounds < 1 || rounds > MAXROUNDS || frames < 1000)
		return 2;
	for (int m = 0; m < MODES; m++) {
		sw[m] = make(m);
		ms[m] = 1000;
	}
	for (unsigned r = 0; r < rounds; r++)
		for (int m = 0; m < MODES; m++)
			t[m][r] = run(sw[m], frames, &ms[m]);
	for (int m = 0; m < MODES; m++) {
		qsort(t[m], rounds, sizeof(double), cmp);
		med[m] = t[m][rounds / 2];
		printf("swbench %s ns_per_frame=%.2f\n", names[m], med[m]);
		switch_free(sw[m]);
	}
	printf("swbench ratio policy/plain=%.2f idle254/plain=%.2f\n", med[0] / med[1], med[0] / med[2]);
	return sink == 0;	/* keeps the loop from being optimised away */
}
