/*
 * Unit test of policy.c: the policy_check matrix (root, admin group, owner, group, other; each access;
 * the mode bits), hidden networks answered as missing, the socket-group gate, the create group, the
 * network and port quotas, and the helpers. Links policy.c, error.c and common/; the registry of
 * networks is this file's own (network_first below), so no daemon state is needed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "control/policy.h"
#include "dataplane/network.h"
#include "unit.h"

static struct network *test_networks;

/* policy.c counts networks and ports through the registry: here, a list the test builds */
struct network *network_first(void)
{
	return test_networks;
}

#define SOCK_GID 4242
#define ADMIN_GID 4300
#define CREATE_GID 4400

static struct network *net_make(struct network *n, const char *name, uid_t owner, gid_t group, unsigned mode)
{
	memset(n, 0, sizeof(*n));
	snprintf(n->def.name, sizeof(n->def.name), "%s", name);
	n->def.owner_uid = owner;
	n->def.group = group;
	n->def.mode = mode;
	n->next = test_networks;
	test_networks = n;
	return n;
}

static int check(const struct peer *p, enum policy_access acc, const struct network *n, const struct port *port,
		 char *msg)
{
	struct vde_error e = { 0 };
	int ret = policy_check(p, "test.method", acc, n, port, &e);

	if (msg)
		snprintf(msg, 256, "%s", ret < 0 ? e.message : "");
	if (ret == -EACCES)
		CHECK(e.code == PROTO_ERR_PERMISSION);
	if (ret == -ENOSPC)
		CHECK(e.code == PROTO_ERR_LIMIT);
	if (ret == -ENOENT)
		CHECK(e.code == PROTO_ERR_NOT_FOUND);
	return ret;
}

int main(void)
{
	struct policy_config pc = POLICY_DEFAULTS;
	struct peer root = { .uid = 0, .gid = 0, .pid = 1 };
	struct peer owner = { .uid = 1000, .gid = 1000, .pid = 2, .ngroups = 1, .groups = { SOCK_GID } };
	struct peer member = { .uid = 1001, .gid = 1001, .pid = 3, .ngroups = 2, .groups = { SOCK_GID, 5000 } };
	struct peer other = { .uid = 1002, .gid = 1002, .pid = 4, .ngroups = 1, .groups = { SOCK_GID } };
	struct peer admin = { .uid = 1003, .gid = 1003, .pid = 5, .ngroups = 1, .groups = { ADMIN_GID } };
	struct peer outsider = { .uid = 1004, .gid = 1004, .pid = 6 };
	struct network lab, nets[2];
	char msg[256];

	/* defaults: root only, nobody is an admin, the create group is the socket group */
	CHECK(policy_config()->socket_group == 0 && policy_config()->admin_group == POLICY_NO_GROUP &&
	      policy_config()->create_group == POLICY_NO_GROUP);
	pc.socket_group = SOCK_GID;
	pc.admin_group = ADMIN_GID;
	pc.max_networks_per_user = 2;
	pc.max_ports_per_user = 2;
	policy_configure(&pc);
	CHECK(policy_config()->socket_group == SOCK_GID);

	/* groups: primary, supplementary, never the "no group" */
	CHECK(policy_peer_in_group(&member, 1001) && policy_peer_in_group(&member, 5000) &&
	      !policy_peer_in_group(&member, 5001));
	CHECK(!policy_peer_in_group(&root, POLICY_NO_GROUP));
	struct peer nogroup = { .uid = 7, .gid = POLICY_NO_GROUP };
	CHECK(!policy_peer_in_group(&nogroup, POLICY_NO_GROUP));

	/* the matrix on a 0640 network of uid 1000, group 5000 (member's) */
	net_make(&lab, "lab", 1000, 5000, 0640);
	const struct {
		const struct peer *who;
		enum policy_access acc;
		int want;
	} matrix[] = {
		/* root and the admin group: anything */
		{ &root, POLICY_READ, 0 }, { &root, POLICY_ATTACH, 0 }, { &root, POLICY_MODIFY, 0 },
		{ &root, POLICY_ADMIN, 0 }, { &root, POLICY_DETACH, 0 }, { &root, POLICY_CREATE, 0 },
		{ &admin, POLICY_READ, 0 }, { &admin, POLICY_ATTACH, 0 }, { &admin, POLICY_MODIFY, 0 },
		{ &admin, POLICY_ADMIN, 0 }, { &admin, POLICY_DETACH, 0 }, { &root, POLICY_CAPTURE, 0 },
		{ &admin, POLICY_CAPTURE, 0 },
		/* a capture shows every user's frames: the owner's, never a member's (see below: not even with w) */
		{ &owner, POLICY_CAPTURE, 0 }, { &member, POLICY_CAPTURE, -EACCES }, { &other, POLICY_CAPTURE, -ENOENT },
		/* the owner: rw- */
		{ &owner, POLICY_CONNECT, 0 }, { &owner, POLICY_READ, 0 }, { &owner, POLICY_ATTACH, 0 },
		{ &owner, POLICY_MODIFY, 0 }, { &owner, POLICY_DETACH, 0 }, { &owner, POLICY_ADMIN, -EACCES },
		/* the group: r-- (sees it, may not attach, change or detach others' ports) */
		{ &member, POLICY_CONNECT, 0 }, { &member, POLICY_READ, 0 }, { &member, POLICY_ATTACH, -EACCES },
		{ &member, POLICY_MODIFY, -EACCES }, { &member, POLICY_DETACH, -EACCES },
		{ &member, POLICY_ADMIN, -EACCES },
		/* others: --- : the network does not exist for them */
		{ &other, POLICY_CONNECT, 0 }, { &other, POLICY_READ, -ENOENT }, { &other, POLICY_ATTACH, -ENOENT },
		{ &other, POLICY_MODIFY, -ENOENT }, { &other, POLICY_DETACH, -ENOENT },
		/* ...but an admin-only rule is about the caller, not the network: a denial, not a hiding */
		{ &other, POLICY_ADMIN, -EACCES },
		/* outside the socket group: nothing at all, not even to learn what exists */
		{ &outsider, POLICY_CONNECT, -EACCES }, { &outsider, POLICY_READ, -EACCES },
		{ &outsider, POLICY_CREATE, -EACCES },
	};
	for (size_t i = 0; i < sizeof(matrix) / sizeof(matrix[0]); i++) {
		int ret = check(matrix[i].who, matrix[i].acc, &lab, NULL, NULL);

		if (ret != matrix[i].want)
			fprintf(stderr, "matrix[%zu]: uid %u access %d: %d, want %d\n", i, (unsigned)matrix[i].who->uid,
				(int)matrix[i].acc, ret, matrix[i].want);
		CHECK(ret == matrix[i].want);
	}
	/* a hidden network is answered exactly as a missing one */
	CHECK(check(&other, POLICY_READ, &lab, NULL, msg) == -ENOENT);
	CHECK_STR(msg, "network 'lab' does not exist");
	struct vde_error nf = { 0 };
	CHECK(policy_not_found(&nf, "lab") == -ENOENT && strcmp(nf.message, msg) == 0);
	/* a denial names the rule */
	CHECK(check(&member, POLICY_ATTACH, &lab, NULL, msg) == -EACCES);
	CHECK_STR(msg, "uid 1001 may not attach to network 'lab' (mode 0640 gives the group no write)");
	CHECK(check(&owner, POLICY_ADMIN, &lab, NULL, msg) == -EACCES);
	CHECK(strstr(msg, "not an admin") != NULL);
	CHECK(check(&outsider, POLICY_CONNECT, NULL, NULL, msg) == -EACCES);
	CHECK_STR(msg, "uid 1004 is not in group 4242 required to use vded");
	/* an admin-only method stays admin-only whatever network it names, or none */
	CHECK(check(&member, POLICY_ADMIN, NULL, NULL, NULL) == -EACCES);
	CHECK(check(&other, POLICY_ADMIN, NULL, NULL, NULL) == -EACCES);

	/* the mode bits, class by class: r to see, w to attach */
	for (unsigned bits = 0; bits < 8; bits++) {
		const struct {
			const struct peer *who;
			unsigned shift;
		} classes[] = { { &owner, 6 }, { &member, 3 }, { &other, 0 } };

		for (size_t c = 0; c < 3; c++) {
			const struct peer *who = classes[c].who;
			int r, w;

			lab.def.mode = bits << classes[c].shift;
			r = check(who, POLICY_READ, &lab, NULL, NULL);
			w = check(who, POLICY_ATTACH, &lab, NULL, NULL);
			CHECK(policy_can_read(who, &lab) == !!(bits & 4));
			CHECK(r == ((bits & 4) ? 0 : -ENOENT));
			/* attach needs w; without r the network is hidden, with r the answer is a denial */
			CHECK(w == ((bits & 2) ? 0 : (bits & 4) ? -EACCES : -ENOENT));
		}
	}
	lab.def.mode = 0660;
	/* a member who may attach (rw) may still not capture: the denial names why */
	CHECK(check(&member, POLICY_ATTACH, &lab, NULL, NULL) == 0);
	CHECK(check(&member, POLICY_CAPTURE, &lab, NULL, msg) == -EACCES);
	CHECK(strstr(msg, "a capture shows every user's frames") != NULL);
	CHECK(policy_can_read(&admin, &lab) && policy_can_read(&root, &lab));
	CHECK(policy_can_read_all(&root) && policy_can_read_all(&admin) && !policy_can_read_all(&owner));
	/* "other" without the group: the message names the group the network needs */
	CHECK(check(&other, POLICY_ATTACH, &lab, NULL, NULL) == -ENOENT);
	lab.def.mode = 0664;
	CHECK(check(&other, POLICY_ATTACH, &lab, NULL, msg) == -EACCES);
	CHECK_STR(msg, "uid 1002 is not in group 5000 required by network 'lab'");

	/* detach: the network's owner, or whoever made the port */
	struct port mine = { .net = &lab, .id = 1, .uid = 1001 }, theirs = { .net = &lab, .id = 2, .uid = 1002 };
	lab.def.mode = 0666;
	CHECK(check(&member, POLICY_DETACH, &lab, &mine, NULL) == 0);
	CHECK(check(&member, POLICY_DETACH, &lab, &theirs, msg) == -EACCES);
	CHECK_STR(msg, "uid 1001 did not make port 2 and does not own network 'lab'");
	CHECK(check(&member, POLICY_DETACH, &lab, NULL, NULL) == -EACCES);
	CHECK(check(&owner, POLICY_DETACH, &lab, &theirs, NULL) == 0);

	/* ports quota: live ports of the uid in every network; dead ones do not count */
	lab.port_list = &mine;
	mine.net_next = &theirs;
	theirs.uid = 1001;
	CHECK(check(&member, POLICY_ATTACH, &lab, NULL, msg) == -ENOSPC);
	CHECK_STR(msg, "uid 1001 has 2 ports, the most a user may (max_ports_per_user)");
	theirs.dead = 1;
	CHECK(check(&member, POLICY_ATTACH, &lab, NULL, NULL) == 0);
	CHECK(check(&root, POLICY_ATTACH, &lab, NULL, NULL) == 0);
	lab.port_list = NULL;

	/* create: the socket group by default, within the per-user quota of networks */
	CHECK(check(&other, POLICY_CREATE, NULL, NULL, NULL) == 0);
	net_make(&nets[0], "o1", 1002, 1002, 0600);
	CHECK(check(&other, POLICY_CREATE, NULL, NULL, NULL) == 0);
	net_make(&nets[1], "o2", 1002, 1002, 0600);
	CHECK(check(&other, POLICY_CREATE, NULL, NULL, msg) == -ENOSPC);
	CHECK_STR(msg, "uid 1002 owns 2 networks, the most a user may (max_networks_per_user)");
	CHECK(check(&member, POLICY_CREATE, NULL, NULL, NULL) == 0);
	CHECK(check(&admin, POLICY_CREATE, NULL, NULL, NULL) == 0);
	/* a create group of its own */
	pc.create_group = CREATE_GID;
	policy_configure(&pc);
	CHECK(check(&member, POLICY_CREATE, NULL, NULL, msg) == -EACCES);
	CHECK_STR(msg, "uid 1001 is not in group 4400 required to create networks");
	member.groups[member.ngroups++] = CREATE_GID;
	CHECK(check(&member, POLICY_CREATE, NULL, NULL, NULL) == 0);
	/* no admin group: an admin by group alone is nobody special */
	pc.admin_group = POLICY_NO_GROUP;
	policy_configure(&pc);
	CHECK(check(&admin, POLICY_ADMIN, NULL, NULL, NULL) == -EACCES);
	CHECK(check(&root, POLICY_ADMIN, NULL, NULL, NULL) == 0);

	/* groups by number or name */
	gid_t g = 1;
	CHECK(policy_resolve_group("0", &g) == 0 && g == 0);
	CHECK(policy_resolve_group("4242", &g) == 0 && g == 4242);
	CHECK(policy_resolve_group("root", &g) == 0 && g == 0);
	CHECK(policy_resolve_group("no-such-group-here", &g) == -ENOENT);
	CHECK(policy_resolve_group("", &g) == -EINVAL);
	CHECK(policy_resolve_group(NULL, &g) == -EINVAL);

	/* the peer of a socket, from the kernel */
	int sv[2];
	struct peer got;
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	CHECK(policy_peer_from_socket(sv[0], &got) == 0);
	CHECK(got.uid == geteuid() && got.gid == getegid() && got.pid == getpid());
	CHECK(got.ngroups >= 0 && got.ngroups <= PEER_MAX_GROUPS);
	close(sv[0]);
	close(sv[1]);
	CHECK(policy_peer_from_socket(-1, &got) == -EBADF);

	/* interface ports: admins any interface; a user only its own tap, and only transient */
	{
		struct vde_error e = { 0 };

		pc.admin_group = ADMIN_GID;
		policy_configure(&pc);
		CHECK(policy_check_interface(&root, "port.add", "eth0", false, 0, false, &e) == 0);
		CHECK(policy_check_interface(&admin, "port.add", "veth0", false, 0, false, &e) == 0);
		CHECK(policy_check_interface(&member, "port.add", "eth0", false, 0, true, &e) == -EACCES);
		CHECK(e.code == PROTO_ERR_PERMISSION && strstr(e.message, "does not own interface 'eth0'"));
		CHECK(policy_check_interface(&member, "port.add", "tap1", true, other.uid, true, &e) == -EACCES);
		CHECK(policy_check_interface(&member, "port.add", "tap1", true, member.uid, true, &e) == 0);
		CHECK(policy_check_interface(&member, "port.add", "tap1", true, member.uid, false, &e) == -EACCES);
		CHECK(strstr(e.message, "transient") != NULL);
	}

	return unit_report("test-policy");
}
