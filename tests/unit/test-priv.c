/*
 * The privileged process's request checks (priv_request_validate), and what it refuses to act on:
 * the engine may be compromised, so every field and every descriptor it sends is checked.
 * Run without a split (no priv_split call): requests go through the same dispatch in-process.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "priv/priv.h"
#include "unit.h"

static int validate(const struct priv_request *r)
{
	struct vde_error e = { 0 };

	return priv_request_validate(r, &e);
}

static void test_tap(void)
{
	struct priv_request r = { .op = PRIV_OP_TAP_OPEN };

	snprintf(r.u.tap.ifname, sizeof(r.u.tap.ifname), "tap0");
	r.u.tap.owner = (uint32_t)-1;
	CHECK(validate(&r) == 0);
	r.u.tap.naddrs = 1;
	snprintf(r.u.tap.addrs[0], sizeof(r.u.tap.addrs[0]), "10.0.0.1/24");
	CHECK(validate(&r) == 0);
	snprintf(r.u.tap.addrs[0], sizeof(r.u.tap.addrs[0]), "10.0.0.1");
	CHECK(validate(&r) == -EINVAL);		/* no prefix length */
	r.u.tap.naddrs = PRIV_TAP_ADDRS + 1;
	CHECK(validate(&r) == -EINVAL);
	r.u.tap.naddrs = 0;
	memset(r.u.tap.ifname, 'a', sizeof(r.u.tap.ifname));	/* not terminated */
	CHECK(validate(&r) == -EINVAL);
	snprintf(r.u.tap.ifname, sizeof(r.u.tap.ifname), "../x");
	CHECK(validate(&r) == -EINVAL);
	snprintf(r.u.tap.ifname, sizeof(r.u.tap.ifname), "tap0");
	snprintf(r.u.tap.netns, sizeof(r.u.tap.netns), "../../etc");
	CHECK(validate(&r) == -EINVAL);
	snprintf(r.u.tap.netns, sizeof(r.u.tap.netns), "red");
	CHECK(validate(&r) == 0);
	r.u.tap.mtu = 67;
	CHECK(validate(&r) == -EINVAL);
	r.u.tap.mtu = 9000;
	r.u.tap.has_mac = 1;
	r.u.tap.mac[0] = 0x01;			/* multicast */
	CHECK(validate(&r) == -EINVAL);
	r.u.tap.mac[0] = 0x02;
	CHECK(validate(&r) == 0);
	r.u.tap.up = 7;
	CHECK(validate(&r) == -EINVAL);
}

static void test_names(void)
{
	struct priv_request r = { .op = PRIV_OP_NETNS_CREATE };

	CHECK(validate(&r) == -EINVAL);		/* empty */
	snprintf(r.u.netns.name, sizeof(r.u.netns.name), "red");
	CHECK(validate(&r) == 0);
	snprintf(r.u.netns.name, sizeof(r.u.netns.name), "a/b");
	CHECK(validate(&r) == -EINVAL);
	snprintf(r.u.netns.name, sizeof(r.u.netns.name), "..");
	CHECK(validate(&r) == -EINVAL);

	r = (struct priv_request){ .op = PRIV_OP_ENDPOINT_MAKE };
	snprintf(r.u.endpoint.name, sizeof(r.u.endpoint.name), "lab");
	r.u.endpoint.gid = 100;
	r.u.endpoint.mode = 0660;
	CHECK(validate(&r) == 0);
	r.u.endpoint.mode = 04660;		/* only rw bits: the parent adds setgid+sticky itself */
	CHECK(validate(&r) == -EINVAL);
	r.u.endpoint.mode = 0770;		/* x is not a network's bit */
	CHECK(validate(&r) == -EINVAL);
	r.u.endpoint.mode = 0660;
	r.u.endpoint.owner = (uint32_t)-1;
	CHECK(validate(&r) == -EINVAL);
	r.u.endpoint.owner = 1001;
	r.u.endpoint.gid = (uint32_t)-1;
	CHECK(validate(&r) == -EINVAL);
	r.op = PRIV_OP_ENDPOINT_REMOVE;		/* no group or mode needed */
	CHECK(validate(&r) == 0);
	snprintf(r.u.endpoint.name, sizeof(r.u.endpoint.name), ".gone");
	CHECK(validate(&r) == -EINVAL);
}

static void test_connect_and_sockbuf(void)
{
	struct priv_request r = { .op = PRIV_OP_CONNECT_AS };
	struct vde_error e = { 0 };
	int sv[2], u;

	snprintf(r.u.connect.path, sizeof(r.u.connect.path), "relative/path");
	CHECK(validate(&r) == -EINVAL);
	snprintf(r.u.connect.path, sizeof(r.u.connect.path), "/tmp/x");
	CHECK(validate(&r) == 0);
	r.op = PRIV_OP_SOCKBUF;
	r.u.sockbuf.sndbuf = PRIV_SOCKBUF_MAX + 1;
	CHECK(validate(&r) == -EINVAL);
	r.op = 0;
	CHECK(validate(&r) == -EINVAL);
	r.op = PRIV_OP_MAX;
	CHECK(validate(&r) == -EINVAL);

	/* the acts refuse descriptors that are not what they must be */
	CHECK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) == 0);
	CHECK(priv_connect_as(sv[0], sv[1], "/tmp/x", &e) == -EINVAL);	/* not an endpoint connection */
	CHECK(strstr(e.message, "endpoint") != NULL);
	CHECK(priv_sockbuf(sv[0], 1 << 20, 1 << 20, &e) == -EINVAL);	/* a user's kind of socket */
	CHECK(strstr(e.message, "UDP") != NULL);
	u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK(u >= 0);
	CHECK(priv_sockbuf(u, PRIV_SOCKBUF_MAX + 1, 0, &e) == -EINVAL);
	close(u);
	close(sv[0]);
	close(sv[1]);
}

/* A VM tap: persistent, in vded's own namespace; group and multi-queue only for one. */
static void test_vm_tap(void)
{
	struct priv_request r = { .op = PRIV_OP_TAP_OPEN };

	snprintf(r.u.tap.ifname, sizeof(r.u.tap.ifname), "vm0");
	r.u.tap.owner = 1000;
	r.u.tap.persist = 1;
	r.u.tap.multi_queue = 1;
	r.u.tap.has_group = 1;
	r.u.tap.group = 100;
	CHECK(validate(&r) == 0);
	r.u.tap.group = (uint32_t)-1;
	CHECK(validate(&r) == -EINVAL);
	r.u.tap.group = 100;
	r.u.tap.persist = 2;
	CHECK(validate(&r) == -EINVAL);
	r.u.tap.persist = 0;			/* a group or queues for vded's own tap: not asked for */
	CHECK(validate(&r) == -EINVAL);
	r.u.tap.has_group = 0;
	r.u.tap.multi_queue = 0;
	CHECK(validate(&r) == 0);
	r.u.tap.persist = 1;
	snprintf(r.u.tap.netns, sizeof(r.u.tap.netns), "red");
	CHECK(validate(&r) == -EINVAL);		/* a VM tap is where the VM manager looks */

	r = (struct priv_request){ .op = PRIV_OP_TAP_DELETE };
	CHECK(validate(&r) == -EINVAL);
	snprintf(r.u.tap.ifname, sizeof(r.u.tap.ifname), "vm0");
	CHECK(validate(&r) == 0);
	snprintf(r.u.tap.ifname, sizeof(r.u.tap.ifname), "a b");
	CHECK(validate(&r) == -EINVAL);
	/* only a persistent tap is removed: never a link of another kind */
	struct vde_error e = { 0 };
	CHECK(priv_tap_delete("lo", &e) == -ENODEV);
	CHECK(priv_tap_delete("vde-no-such0", &e) == -ENODEV);
}

/* An interface port's packet socket: a checked name, never lo; the interface must be there. */
static void test_packet(void)
{
	struct priv_request r = { .op = PRIV_OP_PACKET_OPEN };
	struct vde_error e = { 0 };
	int fd = -1;

	CHECK(validate(&r) == -EINVAL);		/* empty */
	snprintf(r.u.packet.ifname, sizeof(r.u.packet.ifname), "veth0");
	CHECK(validate(&r) == 0);
	r.u.packet.keep_ip = 1;
	CHECK(validate(&r) == 0);
	r.u.packet.keep_ip = 2;
	CHECK(validate(&r) == -EINVAL);
	r.u.packet.keep_ip = 0;
	r.u.packet.ifindex = 0x80000000u;
	CHECK(validate(&r) == -EINVAL);
	r.u.packet.ifindex = 0;
	snprintf(r.u.packet.ifname, sizeof(r.u.packet.ifname), "lo");
	CHECK(validate(&r) == -EINVAL);
	snprintf(r.u.packet.ifname, sizeof(r.u.packet.ifname), "../x");
	CHECK(validate(&r) == -EINVAL);
	memset(r.u.packet.ifname, 'a', sizeof(r.u.packet.ifname));
	CHECK(validate(&r) == -EINVAL);
	r.u.packet.rcvbuf = PRIV_SOCKBUF_MAX;
	snprintf(r.u.packet.ifname, sizeof(r.u.packet.ifname), "veth0");
	CHECK(validate(&r) == 0);
	r.u.packet.rcvbuf = PRIV_SOCKBUF_MAX + 1;	/* no more kernel memory than vded's own sockets get */
	CHECK(validate(&r) == -EINVAL);
	CHECK(priv_packet_open("vde-no-such0", 0, false, 0, &fd, &e) == -ENODEV && fd < 0);
	CHECK(priv_packet_open("lo", 0, true, 0, &fd, &e) == -EINVAL && fd < 0);
}

/* Kept descriptors (keeper.h): names the parent stores and hands to systemd must be "k/..." and
 * printable, without ':' (systemd's separator in $LISTEN_FDNAMES); the table is bounded. */
static void test_keep(void)
{
	struct priv_request r = { .op = PRIV_OP_KEEP };
	int sv[2];

	snprintf(r.u.keep.name, sizeof(r.u.keep.name), "k/lab/3/d");
	CHECK(validate(&r) == 0);
	snprintf(r.u.keep.name, sizeof(r.u.keep.name), "lab/3/d");
	CHECK(validate(&r) == -EINVAL);		/* not under k/ */
	snprintf(r.u.keep.name, sizeof(r.u.keep.name), "k/");
	CHECK(validate(&r) == -EINVAL);		/* nothing after the prefix */
	snprintf(r.u.keep.name, sizeof(r.u.keep.name), "k/a:b");
	CHECK(validate(&r) == -EINVAL);		/* ':' separates $LISTEN_FDNAMES */
	snprintf(r.u.keep.name, sizeof(r.u.keep.name), "k/a b");
	CHECK(validate(&r) == -EINVAL);
	snprintf(r.u.keep.name, sizeof(r.u.keep.name), "k/a\nFDSTOREREMOVE=1");
	CHECK(validate(&r) == -EINVAL);		/* no second line in the notification */
	memset(r.u.keep.name, 'x', sizeof(r.u.keep.name));
	memcpy(r.u.keep.name, "k/", 2);
	CHECK(validate(&r) == -EINVAL);		/* not terminated */
	r.op = PRIV_OP_FORGET;
	snprintf(r.u.keep.name, sizeof(r.u.keep.name), "k/conn/1");
	CHECK(validate(&r) == 0);

	/* in-process: kept, inherited by the next life, forgotten */
	CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
	CHECK(priv_keep("k/test/1/d", sv[0]) == 0);
	CHECK(priv_keep("k/test/1/d", sv[0]) == 0);	/* again: replaced, not doubled */
	CHECK(priv_keep("bad", sv[0]) == -EINVAL);
	{
		const char *name;
		unsigned n = 0, found = 0;
		while (priv_inherited(n, &name)) {
			found += strcmp(name, "k/test/1/d") == 0;
			n++;
		}
		CHECK(found == 1);
		priv_forget("k/test/1/d");
		CHECK(!priv_inherited(n - 1, &name) || strcmp(name, "k/test/1/d") != 0);
	}
	close(sv[0]);
	close(sv[1]);
}

static void test_vxlan(void)
{
	struct priv_request r = { .op = PRIV_OP_VXLAN_CREATE };
	struct priv_vxlan *v = &r.u.vxlan;
	struct vde_error e = { 0 };
	static const uint8_t remote[4] = { 192, 0, 2, 7 }, group[4] = { 239, 1, 1, 1 }, lo[4] = { 127, 0, 0, 1 };

	CHECK(validate(&r) == -EINVAL);		/* no name */
	snprintf(v->ifname, sizeof(v->ifname), "vdevx42");
	v->vni = 42;
	v->dstport = 4789;
	v->family = AF_INET;
	memcpy(v->addr, remote, 4);
	CHECK(validate(&r) == 0);
	v->vni = 0x1000000;
	CHECK(validate(&r) == -EINVAL);		/* 24 bits */
	v->vni = 42;
	v->dstport = 0;
	CHECK(validate(&r) == -EINVAL);
	v->dstport = 4789;
	v->mtu = 20;
	CHECK(validate(&r) == -EINVAL);
	v->mtu = 1500;
	CHECK(validate(&r) == 0);
	/* a group needs the interface it lives on; loopback and the unspecified address are no remote */
	memcpy(v->addr, group, 4);
	CHECK(validate(&r) == -EINVAL);
	snprintf(v->dev, sizeof(v->dev), "eth0");
	CHECK(validate(&r) == 0);
	snprintf(v->dev, sizeof(v->dev), "a/b");
	CHECK(validate(&r) == -EINVAL);
	v->dev[0] = '\0';
	memcpy(v->addr, lo, 4);
	CHECK(validate(&r) == -EINVAL);
	memset(v->addr, 0, sizeof(v->addr));
	CHECK(validate(&r) == -EINVAL);
	memcpy(v->addr, remote, 4);
	v->addr[9] = 1;				/* junk past an IPv4 address */
	CHECK(validate(&r) == -EINVAL);
	memset(v->addr, 0, sizeof(v->addr));
	v->family = AF_INET6;
	v->addr[15] = 1;			/* ::1 */
	CHECK(validate(&r) == -EINVAL);
	v->addr[0] = 0x20, v->addr[1] = 0x01, v->addr[2] = 0x0d, v->addr[3] = 0xb8;
	CHECK(validate(&r) == 0);
	v->family = AF_PACKET;
	CHECK(validate(&r) == -EINVAL);
	v->family = AF_INET6;
	v->reuse = 2;
	CHECK(validate(&r) == -EINVAL);
	v->reuse = 1;
	snprintf(v->ifname, sizeof(v->ifname), "lo");
	CHECK(validate(&r) == -EINVAL);

	r = (struct priv_request){ .op = PRIV_OP_VXLAN_DELETE };
	CHECK(validate(&r) == -EINVAL);
	snprintf(r.u.vxlan.ifname, sizeof(r.u.vxlan.ifname), "vdevx42");
	CHECK(validate(&r) == 0);
	/* only a VXLAN device is removed: never a link of another kind */
	CHECK(priv_vxlan_delete("lo", &e) < 0);
	CHECK(priv_vxlan_delete("vde-no-such0", &e) == -ENODEV);
}

int main(void)
{
	test_vxlan();
	test_tap();
	test_names();
	test_connect_and_sockbuf();
	test_vm_tap();
	test_packet();
	test_keep();
	return unit_report("test-priv");
}
