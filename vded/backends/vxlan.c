#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "dataplane/network.h"
#include "priv/priv.h"
#include "backends/ifport.h"
#include "backends/vxlan.h"

int vxlan_spec_init(struct vxlan_spec *spec, uint32_t vni, const char *remote, unsigned dstport, const char *dev,
		    unsigned mtu)
{
	memset(spec, 0, sizeof(*spec));
	if (vni > 0xffffff || dstport == 0 || dstport > 65535)
		return -EINVAL;
	if (inet_pton(AF_INET, remote, spec->addr) == 1) {
		spec->family = AF_INET;
		spec->group = IN_MULTICAST(ntohl(*(const uint32_t *)(const void *)spec->addr));
	} else if (inet_pton(AF_INET6, remote, spec->addr) == 1) {
		spec->family = AF_INET6;
		spec->group = spec->addr[0] == 0xff;
	} else {
		return -EINVAL;
	}
	if (spec->group && (!dev || !*dev))
		return -EINVAL;
	spec->vni = vni;
	spec->dstport = dstport;
	spec->mtu = mtu;
	snprintf(spec->dev, sizeof(spec->dev), "%s", dev ? dev : "");
	snprintf(spec->ifname, sizeof(spec->ifname), "vdevx%u", vni);
	return 0;
}

int vxlan_add(struct network *net, const struct vxlan_spec *spec, bool reuse, struct vde_error *e)
{
	struct priv_vxlan v = { .vni = spec->vni, .dstport = (uint16_t)spec->dstport, .family = (uint8_t)spec->family,
				.reuse = reuse, .mtu = spec->mtu };
	struct ifport_spec is = { .transient = true };
	struct ifport_info info;
	int ret;

	snprintf(v.ifname, sizeof(v.ifname), "%s", spec->ifname);
	snprintf(v.dev, sizeof(v.dev), "%s", spec->dev);
	memcpy(v.addr, spec->addr, sizeof(v.addr));
	ret = priv_vxlan_create(&v, e);
	if (ret < 0)
		return ret;
	snprintf(is.ifname, sizeof(is.ifname), "%s", spec->ifname);
	ret = ifport_lookup(spec->ifname, &info);
	if (ret == 0)
		ret = ifport_add(net, &is, &info, NULL, e);
	else
		vde_error_set(e, PROTO_ERR_INTERNAL, -ret, "VXLAN device '%s' is gone", spec->ifname);
	if (ret < 0) {
		struct vde_error ignored = { 0 };

		priv_vxlan_delete(spec->ifname, &ignored);
		return ret;
	}
	log_info("network %s: VXLAN VNI %u on %s", net->def.name, spec->vni, spec->ifname);
	return 0;
}

void vxlan_remove(uint32_t vni)
{
	struct vde_error e = { 0 };
	char ifname[IFNAMSIZ];

	snprintf(ifname, sizeof(ifname), "vdevx%u", vni);
	if (priv_vxlan_delete(ifname, &e) < 0)
		log_warn("cannot remove %s: %s", ifname, e.message);
}
