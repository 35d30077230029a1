/*
 * vdectl topology: what vded runs, as one graph — networks, their ports by kind (taps, interfaces,
 * uplinks, vxvde, slirp with its forwards, attached clients), and vded's namespaces around the taps
 * they hold. Built from the methods that exist (network.list, port.list, forward.list, ns.list), so it
 * shows exactly what the caller may see and needs no policy of its own. -o json prints the gathered
 * objects, -o dot (the default) a Graphviz graph: vdectl topology | dot -Tsvg >net.svg.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "vdectl.h"

static const char *str_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
		       json_object_get_string(v) : NULL;
}

static int64_t int_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

static struct json_object *arr_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_array) ? v : NULL;
}

/* s inside a DOT double-quoted string: quotes and backslashes escaped, controls as '?'. */
static void dot_str(FILE *f, const char *s)
{
	putc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			putc('?', f);
		else
			putc(c, f);
	}
	putc('"', f);
}

/* A node id: "prefix:a" or "prefix:a:n". */
static void dot_id(FILE *f, const char *prefix, const char *a, long long n)
{
	char id[160];

	if (n >= 0)
		snprintf(id, sizeof(id), "%s:%s:%lld", prefix, a, n);
	else
		snprintf(id, sizeof(id), "%s:%s", prefix, a);
	dot_str(f, id);
}

/* What a port is, in a few words: its kind, then what names it. */
static void port_label(struct json_object *p, char *buf, size_t size)
{
	const char *kind = str_of(p, "kind") ? str_of(p, "kind") : "port";
	const char *ifname = str_of(p, "ifname"), *url = str_of(p, "url"), *descr = str_of(p, "description");
	long long id = int_of(p, "id");

	if (ifname)
		snprintf(buf, size, "%lld: %s %s", id, kind, ifname);
	else if (url)
		snprintf(buf, size, "%lld: %s %s (%s)", id, kind, url, str_of(p, "state") ? str_of(p, "state") : "?");
	else if (descr && strncmp(descr, kind, strlen(kind)) == 0 && descr[strlen(kind)] == ' ')
		snprintf(buf, size, "%lld: %s", id, descr);	/* "slirp 10.0.2.0/24": the kind says itself */
	else if (descr && *descr)
		snprintf(buf, size, "%lld: %s %s", id, kind, descr);
	else
		snprintf(buf, size, "%lld: %s", id, kind);
}

static const char *port_shape(const char *kind)
{
	if (!kind)
		return "ellipse";
	if (!strcmp(kind, "tap") || !strcmp(kind, "iface"))
		return "cds";
	if (!strcmp(kind, "uplink") || !strcmp(kind, "vxvde"))
		return "hexagon";
	if (!strcmp(kind, "slirp"))
		return "house";
	return "ellipse";
}

static void topology_dot(FILE *f, struct json_object *topo)
{
	struct json_object *nets = arr_of(topo, "networks"), *nss = arr_of(topo, "namespaces");
	char label[600];

	fputs("graph vde {\n\trankdir=LR;\n\tgraph [fontname=\"sans-serif\", fontsize=11];\n"
	      "\tnode [fontname=\"sans-serif\", fontsize=10];\n"
	      "\tedge [color=\"#555555\"];\n", f);
	/* namespaces first: each a cluster around the taps vded made for it (they belong to a network
	 * too, and are drawn here so the box holds them) */
	for (size_t i = 0; nss && i < json_object_array_length(nss); i++) {
		struct json_object *ns = json_object_array_get_idx(nss, i), *ifs = arr_of(ns, "interfaces");
		const char *name = str_of(ns, "name") ? str_of(ns, "name") : "?";

		fputs("\tsubgraph ", f);
		dot_id(f, "cluster_ns", name, -1);
		fputs(" {\n\t\tstyle=\"rounded,dashed\"; label=", f);
		snprintf(label, sizeof(label), "namespace %s", name);
		dot_str(f, label);
		fputs(";\n", f);
		for (size_t j = 0; ifs && j < json_object_array_length(ifs); j++) {
			struct json_object *itf = json_object_array_get_idx(ifs, j);
			const char *net = str_of(itf, "network");

			if (!net)
				continue;
			fputs("\t\t", f);
			dot_id(f, "port", net, int_of(itf, "port"));
			fputs(";\n", f);
		}
		fputs("\t}\n", f);
	}
	for (size_t i = 0; nets && i < json_object_array_length(nets); i++) {
		struct json_object *net = json_object_array_get_idx(nets, i), *ports = arr_of(net, "ports"),
				   *fwds = arr_of(net, "forwards");
		const char *name = str_of(net, "name") ? str_of(net, "name") : "?";

		fputs("\t", f);
		dot_id(f, "net", name, -1);
		snprintf(label, sizeof(label), "network %s\\nowner %lld, group %lld, mode %s", name,
			 (long long)int_of(net, "owner_uid"), (long long)int_of(net, "group"),
			 str_of(net, "mode") ? str_of(net, "mode") : "?");
		/* the label's "\n" is DOT's line break: written as is, the rest escaped */
		fputs(" [shape=box, style=\"rounded,filled\", fillcolor=\"#dde8f5\", label=\"", f);
		for (const char *c = label; *c; c++)
			if (*c == '"' || (*c == '\\' && c[1] != 'n'))
				fprintf(f, "\\%c", *c);
			else
				putc(*c, f);
		fputs("\"];\n", f);
		for (size_t j = 0; ports && j < json_object_array_length(ports); j++) {
			struct json_object *p = json_object_array_get_idx(ports, j);
			long long id = int_of(p, "id");

			port_label(p, label, sizeof(label));
			fputs("\t", f);
			dot_id(f, "port", name, id);
			fprintf(f, " [shape=%s, label=", port_shape(str_of(p, "kind")));
			dot_str(f, label);
			fputs("];\n\t", f);
			dot_id(f, "net", name, -1);
			fputs(" -- ", f);
			dot_id(f, "port", name, id);
			fputs(";\n", f);
			/* slirp's forwards hang off its port */
			if (!str_of(p, "kind") || strcmp(str_of(p, "kind"), "slirp") != 0)
				continue;
			for (size_t k = 0; fwds && k < json_object_array_length(fwds); k++) {
				struct json_object *fw = json_object_array_get_idx(fwds, k);

				snprintf(label, sizeof(label), "forward %s %s -> %s",
					 str_of(fw, "proto") ? str_of(fw, "proto") : "?",
					 str_of(fw, "host") ? str_of(fw, "host") : "?",
					 str_of(fw, "guest") ? str_of(fw, "guest") : "?");
				fputs("\t", f);
				dot_id(f, "fwd", name, (long long)k);
				fputs(" [shape=note, label=", f);
				dot_str(f, label);
				fputs("];\n\t", f);
				dot_id(f, "port", name, id);
				fputs(" -- ", f);
				dot_id(f, "fwd", name, (long long)k);
				fputs(" [style=dotted];\n", f);
			}
		}
	}
	fputs("}\n", f);
}

/* Gather the topology: {"networks": [network + "ports" (+ "forwards")...], "namespaces": [...]}. */
static int topology_gather(struct json_object **out)
{
	struct json_object *list = NULL, *all, *ports, *fwds, *nss = NULL, *topo, *nets, *v;
	int ret = call_all_pages("network.list", NULL, "networks", &list);
	size_t n;

	if (ret != VDECTL_OK)
		return ret;
	topo = json_object_new_object();
	nets = json_object_new_array();
	json_object_object_add(topo, "networks", nets);
	all = arr_of(list, "networks");
	n = all ? json_object_array_length(all) : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *net = json_object_get(json_object_array_get_idx(all, i)),
				   *params = json_object_new_object();
		const char *name = str_of(net, "name");

		json_object_array_add(nets, net);
		if (!name)
			continue;
		json_object_object_add(params, "network", json_object_new_string(name));
		ret = call_all_pages("port.list", params, "ports", &ports);
		/* a network deleted meanwhile is shown without ports */
		if (ret == VDECTL_NOT_FOUND)
			continue;
		if (ret != VDECTL_OK)
			goto fail;
		if (json_object_object_get_ex(ports, "ports", &v))
			json_object_object_add(net, "ports", json_object_get(v));
		json_object_put(ports);
		if (!json_object_object_get_ex(net, "slirp", &v))
			continue;
		params = json_object_new_object();
		json_object_object_add(params, "network", json_object_new_string(name));
		ret = call("forward.list", params, &fwds, NULL);
		if (ret == VDECTL_OK) {
			if (json_object_object_get_ex(fwds, "forwards", &v))
				json_object_object_add(net, "forwards", json_object_get(v));
			json_object_put(fwds);
		} else if (ret != VDECTL_NOT_FOUND) {
			goto fail;
		}
	}
	ret = call("ns.list", NULL, &nss, NULL);
	if (ret != VDECTL_OK)
		goto fail;
	if (json_object_object_get_ex(nss, "namespaces", &v))
		json_object_object_add(topo, "namespaces", json_object_get(v));
	else
		json_object_object_add(topo, "namespaces", json_object_new_array());
	json_object_put(nss);
	json_object_put(list);
	*out = topo;
	return VDECTL_OK;
fail:
	json_object_put(list);
	json_object_put(topo);
	return ret;
}

int topology_run(const struct command *cmd, struct request *req)
{
	const char *fmt = request_opt(req, "output", NULL);
	struct json_object *topo;
	int ret;

	if (!fmt)
		fmt = opt_json ? "json" : "dot";
	if (strcmp(fmt, "dot") != 0 && strcmp(fmt, "json") != 0)
		usage_fail(NULL, cmd, "-o: '%s' is neither dot nor json", fmt);
	ret = topology_gather(&topo);
	if (ret != VDECTL_OK)
		return ret;
	if (strcmp(fmt, "json") == 0)
		printf("%s\n", json_object_to_json_string_ext(topo, opt_pretty ? JSON_C_TO_STRING_PRETTY :
									     JSON_C_TO_STRING_PLAIN));
	else
		topology_dot(stdout, topo);
	json_object_put(topo);
	return VDECTL_OK;
}
