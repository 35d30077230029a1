#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "backends/netns.h"
#include "dataplane/network.h"
#include "priv/priv.h"
#include "proto.h"
#include "control/store.h"
#include "backends/tap.h"
#include "priv/vnl.h"

struct vns {
	char name[64];
	unsigned nnets;
	char nets[NETNS_MAX_NETS][64];
	unsigned naddrs;
	char addrs[NETNS_MAX_ADDRS][64];	/* "vdeN=CIDR", as given (N defaults to 0) */
	unsigned vlans[NETNS_MAX_NETS];		/* vdeN's access VLAN, 0: none (the network's own policy) */
	char gateway[64];			/* "[vdeN=]IP": the default route, "" none */
	struct vns *next;
};

static struct vns *ns_list;
static char ns_state_dir[PATH_MAX - 128];

int netns_init(const char *state_dir)
{
	if ((size_t)snprintf(ns_state_dir, sizeof(ns_state_dir), "%s/namespaces", state_dir) >= sizeof(ns_state_dir))
		return -ENAMETOOLONG;
	if (mkdir(ns_state_dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

void netns_exit(void)
{
	while (ns_list) {
		struct vns *n = ns_list;
		ns_list = n->next;
		free(n);
	}
}

static struct vns *ns_find(const char *name)
{
	for (struct vns *n = ns_list; n; n = n->next)
		if (strcmp(n->name, name) == 0)
			return n;
	return NULL;
}

/* The state directory, opened once without following a symlink (V16); -1 if it cannot be. */
static int ns_state_fd(void)
{
	static int fd = -1;

	if (fd < 0)
		fd = store_open_dir(ns_state_dir);
	return fd;
}

static int ns_save(const struct vns *n)
{
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
	int ret, dfd = ns_state_fd();

	json_object_object_add(o, "name", json_object_new_string(n->name));
	for (unsigned i = 0; i < n->nnets; i++)
		json_object_array_add(arr, json_object_new_string(n->nets[i]));
	json_object_object_add(o, "networks", arr);
	if (n->gateway[0])
		json_object_object_add(o, "gateway", json_object_new_string(n->gateway));
	if (n->naddrs) {
		arr = json_object_new_array();
		for (unsigned i = 0; i < n->naddrs; i++)
			json_object_array_add(arr, json_object_new_string(n->addrs[i]));
		json_object_object_add(o, "addresses", arr);
	}
	for (unsigned i = 0; i < n->nnets; i++) {
		if (!n->vlans[i])
			continue;
		arr = json_object_new_array();
		for (unsigned k = 0; k < n->nnets; k++)
			json_object_array_add(arr, json_object_new_int((int)n->vlans[k]));
		json_object_object_add(o, "vlans", arr);
		break;
	}
	ret = dfd < 0 ? dfd : store_write_json(dfd, n->name, o);
	if (ret < 0)
		log_warn("%s/%s.json: %s", ns_state_dir, n->name, strerror(-ret));
	json_object_put(o);
	return ret;
}

/* Forget a saved namespace (the directory is synced, V20). */
static void ns_unsave(const char *name)
{
	int ret, dfd = ns_state_fd();

	ret = dfd < 0 ? dfd : store_unlink_json(dfd, name);
	if (ret < 0)
		log_warn("%s/%s.json: %s", ns_state_dir, name, strerror(-ret));
}

static void ns_kill_ports(const struct vns *n)
{
	for (unsigned i = 0; i < n->nnets; i++) {
		struct network *net = network_find(n->nets[i]);
		char ifname[16];
		struct port *p;

		snprintf(ifname, sizeof(ifname), "vde%u", i);
		if (net && (p = tap_find_ns(net, n->name, ifname)))
			network_port_kill(p);
	}
}

/* "vdeN=X" or "X" (vde0): the interface index, X in *rest; -1 if N is not one of nnets. */
static int ns_split(const char *spec, unsigned nnets, const char **rest)
{
	const char *eq = strchr(spec, '=');
	char *end;
	unsigned long i = 0;

	*rest = spec;
	if (eq) {
		if (strncmp(spec, "vde", 3) || eq == spec + 3)
			return -1;
		i = strtoul(spec + 3, &end, 10);
		if (end != eq || i >= nnets)
			return -1;
		*rest = eq + 1;
	}
	return (int)i;
}

/* "vdeN=CIDR" or "CIDR" (vde0): the interface index and the address; -1 if it is neither. */
static int ns_addr_split(const char *spec, unsigned nnets, const char **cidr)
{
	int i = ns_split(spec, nnets, cidr);

	return i >= 0 && vnl_cidr_valid(*cidr) ? i : -1;
}

int netns_create(const char *name, char nets[][64], unsigned nnets, char addrs[][64], unsigned naddrs,
		 const unsigned *vlans, unsigned nvlans, const char *gateway, bool replaying, struct vde_error *e)
{
	const char *gw_ip = NULL;
	int gw_if = -1;

	struct vns *n;
	struct port *p;
	int ret;

	if (!proto_valid_name(name))
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "'%s' is not a valid namespace name", name);
	if (nnets == 0 || nnets > NETNS_MAX_NETS)
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "a namespace has 1..%d networks",
				     NETNS_MAX_NETS);
	if (ns_find(name))
		return vde_error_set(e, PROTO_ERR_EXISTS, EEXIST, "namespace '%s' already exists", name);
	for (unsigned i = 0; i < nnets; i++)
		if (!network_find(nets[i]))
			return vde_error_set(e, PROTO_ERR_NOT_FOUND, ENOENT, "network '%s' does not exist", nets[i]);
	if (naddrs > NETNS_MAX_ADDRS)
		return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "at most %d addresses", NETNS_MAX_ADDRS);
	for (unsigned i = 0; i < naddrs; i++) {
		const char *cidr;
		if (ns_addr_split(addrs[i], nnets, &cidr) < 0)
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
					     "'%s' is not [vdeN=]CIDR for one of the namespace's %u interface(s)", addrs[i],
					     nnets);
	}
	if (gateway && *gateway) {
		gw_if = ns_split(gateway, nnets, &gw_ip);
		if (gw_if < 0 || !vnl_ip_valid(gw_ip))
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL,
					     "'%s' is not [vdeN=]IP for one of the namespace's %u interface(s)", gateway, nnets);
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return vde_error_set(e, PROTO_ERR_INTERNAL, ENOMEM, "out of memory");
	snprintf(n->name, sizeof(n->name), "%s", name);
	if (gateway && *gateway)
		snprintf(n->gateway, sizeof(n->gateway), "%s", gateway);
	n->nnets = nnets;
	memcpy(n->nets, nets, nnets * sizeof(nets[0]));
	n->naddrs = naddrs;
	if (naddrs)
		memcpy(n->addrs, addrs, naddrs * sizeof(addrs[0]));
	for (unsigned i = 0; i < nvlans && i < nnets; i++) {
		if (vlans[i] > SWITCH_VLAN_MAX) {
			free(n);
			return vde_error_set(e, PROTO_ERR_INVALID_PARAMS, EINVAL, "VLAN %u is out of range (1..4094)",
					     vlans[i]);
		}
		n->vlans[i] = vlans[i];
	}

	/* the privileged process makes /run/netns/NAME (after a restart it is still there, with what
	 * runs in it: replaying reuses it) and its taps */
	ret = priv_netns_create(name, replaying, e);
	if (ret < 0) {
		free(n);
		return ret;
	}
	for (unsigned i = 0; i < nnets; i++) {
		uint8_t mac[6];
		struct tap_spec spec = { .mac = mac, .up = true, .netns = n->name };

		snprintf(spec.ifname, sizeof(spec.ifname), "vde%u", i);
		tap_stable_mac(name, i, mac);
		/* its addresses are part of the definition: a namespace made again (a reboot) has them */
		for (unsigned k = 0; k < naddrs && spec.naddrs < TAP_MAX_ADDRS; k++) {
			const char *cidr;
			if (ns_addr_split(addrs[k], nnets, &cidr) == (int)i)
				snprintf(spec.addrs[spec.naddrs++], sizeof(spec.addrs[0]), "%s", cidr);
		}
		if (gw_if == (int)i)
			spec.gateway = gw_ip;
		ret = tap_add(network_find(nets[i]), &spec, &p, e);
		if (ret < 0)
			goto fail;
		/* an access VLAN of its own, kept with the namespace (its port id may differ after a restart) */
		if (n->vlans[i]) {
			struct switch_port_conf c = *switch_port_get_conf(p->net->sw, p->id);

			c.vlan = (uint16_t)n->vlans[i];
			c.trunk = false;
			c.native = 0;
			memset(c.trunk_vlans, 0, sizeof(c.trunk_vlans));
			network_port_configure(p, &c);
		}
	}
	if (!replaying && ns_save(n) < 0) {
		ret = vde_error_set(e, PROTO_ERR_INTERNAL, EIO, "cannot save namespace '%s'", name);
		goto fail;
	}
	n->next = ns_list;
	ns_list = n;
	log_notice("namespace %s: %u interface(s)", name, nnets);
	return 0;
fail:
	ns_kill_ports(n);
	if (!replaying)
		priv_netns_delete(name, NULL);
	free(n);
	return ret;
}

int netns_delete(const char *name, bool missing_ok, struct vde_error *e)
{
	struct vns *n = ns_find(name);

	if (!n) {
		/* a saved definition that could not be re-established at start (its network went, say):
		 * deleting it is how it goes, with whatever is left of the namespace */
		int dfd = ns_state_fd();
		char file[80];
		struct stat st;

		snprintf(file, sizeof(file), "%s.json", name);
		if (proto_valid_name(name) && dfd >= 0 && fstatat(dfd, file, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			ns_unsave(name);
			priv_netns_delete(name, NULL);
			log_notice("namespace %s: stale definition deleted", name);
			return 0;
		}
		if (missing_ok)
			return 0;
		return vde_error_set(e, PROTO_ERR_NOT_FOUND, ENOENT, "namespace '%s' does not exist", name);
	}
	for (struct vns **pp = &ns_list; *pp; pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			break;
		}
	}
	ns_kill_ports(n);
	if (priv_netns_delete(name, e) < 0)
		log_warn("namespace %s: %s", name, e->message);
	ns_unsave(name);
	log_notice("namespace %s deleted", name);
	free(n);
	return 0;
}

struct json_object *netns_list_json(void)
{
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();

	for (struct vns *n = ns_list; n; n = n->next) {
		struct json_object *x = json_object_new_object(), *ifs = json_object_new_array();
		char path[PATH_MAX];

		snprintf(path, sizeof(path), NETNS_DIR "/%s", n->name);
		json_object_object_add(x, "name", json_object_new_string(n->name));
		json_object_object_add(x, "path", json_object_new_string(path));
		if (n->gateway[0])
			json_object_object_add(x, "gateway", json_object_new_string(n->gateway));
		for (unsigned i = 0; i < n->nnets; i++) {
			struct json_object *y = json_object_new_object();
			struct network *net = network_find(n->nets[i]);
			char ifname[16], mac[18];
			uint8_t m[6];
			struct port *p;

			snprintf(ifname, sizeof(ifname), "vde%u", i);
			tap_stable_mac(n->name, i, m);
			snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
			p = net ? tap_find_ns(net, n->name, ifname) : NULL;
			json_object_object_add(y, "ifname", json_object_new_string(ifname));
			json_object_object_add(y, "network", json_object_new_string(n->nets[i]));
			json_object_object_add(y, "mac", json_object_new_string(mac));
			{
				struct json_object *al = json_object_new_array();
				for (unsigned k = 0; k < n->naddrs; k++) {
					const char *cidr;
					if (ns_addr_split(n->addrs[k], n->nnets, &cidr) == (int)i)
						json_object_array_add(al, json_object_new_string(cidr));
				}
				json_object_object_add(y, "addresses", al);
			}
			/* a link whose network was deleted shows no port */
			json_object_object_add(y, "port", p ? json_object_new_int((int)p->id) : NULL);
			json_object_array_add(ifs, y);
		}
		json_object_object_add(x, "interfaces", ifs);
		json_object_array_add(arr, x);
	}
	json_object_object_add(o, "namespaces", arr);
	return o;
}

void netns_load_all(void)
{
	int dfd = ns_state_fd(), fd = dfd >= 0 ? dup(dfd) : -1;
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char nets[NETNS_MAX_NETS][64], name[64], addrs[NETNS_MAX_ADDRS][64];
		unsigned vlans[NETNS_MAX_NETS] = { 0 }, nv = 0;
		struct json_object *o, *v, *arr, *al, *vl;
		struct vde_error e = { 0 };
		const char *why = "not a namespace definition";
		unsigned nn = 0, na = 0;

		if (store_is_stale_tmp(dfd, ns_state_dir, de->d_name))
			continue;
		if (de->d_name[0] == '.' || len < 6 || len - 5 >= sizeof(name) || strcmp(de->d_name + len - 5, ".json"))
			continue;
		memcpy(name, de->d_name, len - 5);
		name[len - 5] = '\0';
		o = store_read_json(dfd, de->d_name, &why);
		if (!o || !json_object_object_get_ex(o, "networks", &arr) || !json_object_is_type(arr, json_type_array) ||
		    json_object_array_length(arr) > NETNS_MAX_NETS || !json_object_object_get_ex(o, "name", &v) ||
		    !json_object_is_type(v, json_type_string) || strcmp(json_object_get_string(v), name) != 0) {
			log_err("%s/%s: skipped: %s", ns_state_dir, de->d_name, o ? "not a namespace definition" : why);
			json_object_put(o);
			continue;
		}
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			v = json_object_array_get_idx(arr, i);
			if (!json_object_is_type(v, json_type_string) || !proto_valid_name(json_object_get_string(v)))
				break;
			snprintf(nets[nn++], sizeof(nets[0]), "%s", json_object_get_string(v));
		}
		if (json_object_object_get_ex(o, "addresses", &al) && json_object_is_type(al, json_type_array))
			for (size_t i = 0; i < json_object_array_length(al) && na < NETNS_MAX_ADDRS; i++) {
				v = json_object_array_get_idx(al, i);
				if (json_object_is_type(v, json_type_string) &&
				    strlen(json_object_get_string(v)) < sizeof(addrs[0]))
					snprintf(addrs[na++], sizeof(addrs[0]), "%s", json_object_get_string(v));
			}
		if (json_object_object_get_ex(o, "vlans", &vl) && json_object_is_type(vl, json_type_array))
			for (size_t i = 0; i < json_object_array_length(vl) && nv < NETNS_MAX_NETS; i++) {
				int64_t x = json_object_get_int64(json_object_array_get_idx(vl, i));

				vlans[nv++] = x >= 0 && x <= SWITCH_VLAN_MAX ? (unsigned)x : 0;
			}
		if (nn != json_object_array_length(arr))
			log_err("%s/%s: skipped: not a namespace definition", ns_state_dir, de->d_name);
		else if (netns_create(name, nets, nn, addrs, na, vlans, nv,
				      json_object_object_get_ex(o, "gateway", &v) && json_object_is_type(v, json_type_string) ?
					      json_object_get_string(v) : NULL, true, &e) < 0)
			log_err("namespace %s: not re-established: %s", name, e.message);
		json_object_put(o);
	}
	closedir(d);
}
