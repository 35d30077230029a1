/*
 * vdectl print: what vdectl shows. One call, print_result(kind, result), prints each kind of object:
 * with -j the API object verbatim on one line, else a table or a "key: value" view for people. Text
 * from vded is escaped before it reaches a terminal (V18, common/text.h).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "vdectl.h"

/* ---------------------------------------------------------------- small helpers */

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fputs("vdectl: out of memory\n", stderr);
		exit(VDECTL_ERROR);
	}
	return p;
}

void errmsg(const char *fmt, ...)
{
	va_list ap;

	fputs("vdectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * Text from vded may carry another user's description: never let it send escape sequences, bidi
 * overrides or invisible characters to a terminal (V18). Returns a copy with each such byte, and
 * each byte of invalid UTF-8, written as \xNN (common/text.c).
 */
char *sanitize(const char *s)
{
	size_t size = strlen(s) * 4 + 1;

	return text_escape(s, xmalloc(size), size);
}

/* A field of obj as text: strings as they are, numbers in decimal, booleans yes/no, absent "-". */
static const char *field_text(struct json_object *obj, const char *key, char *buf, size_t size)
{
	struct json_object *v;

	if (!obj || !json_object_object_get_ex(obj, key, &v) || !v)
		return "-";
	switch (json_object_get_type(v)) {
	case json_type_string:
		return json_object_get_string(v);
	case json_type_int:
		snprintf(buf, size, "%lld", (long long)json_object_get_int64(v));
		return buf;
	case json_type_boolean:
		return json_object_get_boolean(v) ? "yes" : "no";
	default:
		snprintf(buf, size, "%s", json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
		return buf;
	}
}

static struct json_object *field_array(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (!obj || !json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

/* An id as "alice" (or "1000 (alice)" if numeric) when it has a name here, else the number. */
static const char *id_text(struct json_object *obj, const char *key, int numeric, int group, char *buf, size_t size)
{
	struct json_object *v;
	const char *name = NULL;
	long long id;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_int))
		return "-";
	id = (long long)json_object_get_int64(v);
	if (group) {
		struct group *gr = getgrgid((gid_t)id);
		name = gr ? gr->gr_name : NULL;
	} else {
		struct passwd *pw = getpwuid((uid_t)id);
		name = pw ? pw->pw_name : NULL;
	}
	if (name && !numeric)
		snprintf(buf, size, "%s", name);
	else if (name)
		snprintf(buf, size, "%lld (%s)", id, name);
	else
		snprintf(buf, size, "%lld", id);
	return buf;
}

static const char *uid_text(struct json_object *obj, const char *key, int numeric, char *buf, size_t size)
{
	return id_text(obj, key, numeric, 0, buf, size);
}

static const char *gid_text(struct json_object *obj, const char *key, int numeric, char *buf, size_t size)
{
	return id_text(obj, key, numeric, 1, buf, size);
}

/* A network's mode as "0660 (rw-rw----)": vded sends it as an octal string. */
static const char *mode_text(struct json_object *obj, char *buf, size_t size)
{
	static const char rwx[] = "rwxrwxrwx";
	char tmp[16], bits[10];
	const char *m = field_text(obj, "mode", tmp, sizeof(tmp));
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(m, &end, 8);
	if (!*m || *end || errno || v > 0777) {
		snprintf(buf, size, "%s", m);
		return buf;
	}
	for (int i = 0; i < 9; i++)
		bits[i] = (v & (0400u >> i)) ? rwx[i] : '-';
	bits[9] = '\0';
	snprintf(buf, size, "%04lo (%s)", v, bits);
	return buf;
}

/* ---------------------------------------------------------------- tables and detail views */

/* Cells are appended row by row; row 0 is the header. Columns are left-aligned, the last one unpadded. */
struct table {
	size_t ncols, ncells, cap;
	char **cells;
};

/* The widest table has 11 columns (ports); a wider one would share the last width. */
#define TABLE_MAX_COLS 16

static void table_add(struct table *t, const char *s)
{
	if (t->ncells == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		char **cells = realloc(t->cells, cap * sizeof(*cells));

		if (!cells) {
			fputs("vdectl: out of memory\n", stderr);
			exit(VDECTL_ERROR);
		}
		t->cells = cells;
		t->cap = cap;
	}
	t->cells[t->ncells++] = sanitize(s);
}

static void table_addf(struct table *t, struct json_object *obj, const char *key)
{
	char buf[64];

	table_add(t, field_text(obj, key, buf, sizeof(buf)));
}

static void table_init(struct table *t, size_t ncols, const char *const *headers)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	for (size_t i = 0; i < ncols; i++)
		table_add(t, headers[i]);
}

/* Print and free. */
static void table_print(struct table *t)
{
	size_t width[TABLE_MAX_COLS] = { 0 };

	for (size_t i = 0; i < t->ncells; i++) {
		size_t len = text_width(t->cells[i]);
		size_t col = i % t->ncols;

		if (col < TABLE_MAX_COLS && len > width[col])
			width[col] = len;
	}
	for (size_t row = 0; row < t->ncells / t->ncols; row++) {
		char **cells = t->cells + row * t->ncols;
		size_t last = t->ncols - 1;

		/* no trailing blanks when the last columns are empty */
		while (last > 0 && !cells[last][0])
			last--;
		/* padded by characters, not bytes: a name in another script lines up too */
		for (size_t col = 0; col < last; col++)
			printf("%s%*s  ", cells[col],
			       (int)(width[col < TABLE_MAX_COLS ? col : TABLE_MAX_COLS - 1] - text_width(cells[col])), "");
		printf("%s\n", cells[last]);
	}
	for (size_t i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

/* One "key:  value" line of a detail view. */
static void print_kv(const char *key, const char *value)
{
	char *clean = sanitize(value);

	printf("%-16s%s\n", key, clean);
	free(clean);
}

/* ---------------------------------------------------------------- networks */

static void print_network_table(struct json_object *networks)
{
	static const char *const headers[] = {
		"NAME", "PORTS", "MACS", "MAX-PORTS", "OWNER", "GROUP", "MODE", "ENDPOINT", "DESCRIPTION",
	};
	struct table t;
	size_t n = networks ? json_object_array_length(networks) : 0;

	table_init(&t, 9, headers);
	for (size_t i = 0; i < n; i++) {
		struct json_object *net = json_object_array_get_idx(networks, i);
		char buf[64];

		table_addf(&t, net, "name");
		table_addf(&t, net, "ports");
		table_addf(&t, net, "macs");
		table_addf(&t, net, "max_ports");
		table_add(&t, uid_text(net, "owner_uid", 0, buf, sizeof(buf)));
		table_add(&t, gid_text(net, "group", 0, buf, sizeof(buf)));
		table_addf(&t, net, "mode");
		table_addf(&t, net, "endpoint");
		table_addf(&t, net, "description");
	}
	table_print(&t);
}

static void print_network_list(struct json_object *result)
{
	print_network_table(field_array(result, "networks"));
}

/* ---------------------------------------------------------------- ports */

/*
 * What a port is bound to, by kind: a tap's interface ("tapgw", "vde0@router" inside a namespace),
 * an uplink's locator and state ("udp://... up", "cmd://false retrying: <error>"); else "-".
 */
static const char *port_detail(struct json_object *port, char *buf, size_t size)
{
	char b1[64], b2[64], b3[64];
	const char *ifname = field_text(port, "ifname", b1, sizeof(b1));
	const char *url = field_text(port, "url", b2, sizeof(b2));

	if (strcmp(ifname, "-") != 0) {
		const char *ns = field_text(port, "netns", b2, sizeof(b2));

		if (strcmp(ns, "-") != 0)
			snprintf(buf, size, "%s@%s", ifname, ns);
		else
			snprintf(buf, size, "%s", ifname);
		return buf;
	}
	if (strcmp(url, "-") != 0) {
		const char *state = field_text(port, "state", b1, sizeof(b1));
		const char *error = field_text(port, "error", b3, sizeof(b3));

		if (strcmp(error, "-") != 0)
			snprintf(buf, size, "%s %s: %s", url, state, error);
		else
			snprintf(buf, size, "%s %s", url, state);
		return buf;
	}
	return "-";
}

static void print_port_table(struct json_object *ports)
{
	static const char *const headers[] = {
		"ID", "KIND", "RX-FRAMES", "RX-BYTES", "TX-FRAMES", "TX-BYTES", "DROPS", "UID", "PID",
		"DESCRIPTION", "DETAIL",
	};
	static const char *const keys[] = {
		"id", "kind", "rx_frames", "rx_bytes", "tx_frames", "tx_bytes", "tx_dropped", "uid", "pid",
		"description",
	};
	struct table t;
	size_t n = ports ? json_object_array_length(ports) : 0;

	table_init(&t, 11, headers);
	for (size_t i = 0; i < n; i++) {
		struct json_object *port = json_object_array_get_idx(ports, i);
		char detail[1024];

		for (size_t k = 0; k < 10; k++)
			table_addf(&t, port, keys[k]);
		table_add(&t, port_detail(port, detail, sizeof(detail)));
	}
	table_print(&t);
}

/* The backends a network was created with, one "key: value" line each. */
static void print_backends(struct json_object *net)
{
	struct json_object *vx, *sl;
	char line[512], b1[64], b2[64], b3[64], b4[64];

	if (json_object_object_get_ex(net, "vxvde", &vx) && json_object_is_type(vx, json_type_object)) {
		const char *ifname = field_text(vx, "interface", b4, sizeof(b4));

		snprintf(line, sizeof(line), "%s vni %s ttl %s%s%s", field_text(vx, "group", b1, sizeof(b1)),
			 field_text(vx, "vni", b2, sizeof(b2)), field_text(vx, "ttl", b3, sizeof(b3)),
			 strcmp(ifname, "-") ? " interface " : "", strcmp(ifname, "-") ? ifname : "");
		print_kv("vxvde:", line);
	}
	if (json_object_object_get_ex(net, "slirp", &sl) && json_object_is_type(sl, json_type_object)) {
		const char *dns = field_text(sl, "dns", b2, sizeof(b2));

		snprintf(line, sizeof(line), "subnet %s%s%s ipv6 %s", field_text(sl, "subnet", b1, sizeof(b1)),
			 strcmp(dns, "-") ? " dns " : "", strcmp(dns, "-") ? dns : "",
			 field_text(sl, "ipv6", b3, sizeof(b3)));
		print_kv("slirp:", line);
	}
}

static void print_network(struct json_object *result)
{
	char buf[64];
	struct json_object *ports = field_array(result, "port_list");

	print_kv("name:", field_text(result, "name", buf, sizeof(buf)));
	print_kv("description:", field_text(result, "description", buf, sizeof(buf)));
	print_kv("owner:", uid_text(result, "owner_uid", 1, buf, sizeof(buf)));
	print_kv("group:", gid_text(result, "group", 1, buf, sizeof(buf)));
	print_kv("mode:", mode_text(result, buf, sizeof(buf)));
	print_kv("endpoint:", field_text(result, "endpoint", buf, sizeof(buf)));
	print_kv("max ports:", field_text(result, "max_ports", buf, sizeof(buf)));
	print_kv("mac table size:", field_text(result, "mac_table_size", buf, sizeof(buf)));
	print_kv("mac aging:", field_text(result, "mac_aging", buf, sizeof(buf)));
	print_kv("ports:", field_text(result, "ports", buf, sizeof(buf)));
	print_kv("macs:", field_text(result, "macs", buf, sizeof(buf)));
	print_backends(result);
	if (ports && json_object_array_length(ports) > 0) {
		putchar('\n');
		print_port_table(ports);
	}
}

static void print_port_list(struct json_object *result)
{
	print_port_table(field_array(result, "ports"));
}

/* The {"port": port} reply of tap add and network connect: its number, kind and what it is bound to. */
static void print_port(struct json_object *result)
{
	struct json_object *port;
	char buf[64], detail[1024];

	if (!json_object_object_get_ex(result, "port", &port))
		return;
	print_kv("port:", field_text(port, "id", buf, sizeof(buf)));
	print_kv("kind:", field_text(port, "kind", buf, sizeof(buf)));
	print_kv("detail:", port_detail(port, detail, sizeof(detail)));
}

/* port set's rate limits and impairment, as "key=value ..." in their order, and what they did. */
/* "name: value" for each of the n counters port has. */
static void print_counters(struct json_object *port, const char *const *names, size_t n)
{
	char buf[64], key[32];

	for (size_t i = 0; i < n; i++) {
		if (!json_object_object_get_ex(port, names[i], NULL))
			continue;
		snprintf(key, sizeof(key), "%s:", names[i]);
		print_kv(key, field_text(port, names[i], buf, sizeof(buf)));
	}
}

static void print_port_shaping(struct json_object *port)
{
	static const char *const keys[] = { "rate_in", "rate_out", "burst", "delay", "jitter", "loss", "dup", "reorder" };
	static const char *const counters[] = { "rx_dropped_rate", "tx_dropped_loss", "tx_dropped_queue",
						"tx_duplicated", "tx_reordered", "tx_delayed" };
	struct json_object *sh, *v;
	char line[512] = "", buf[64];
	size_t len = 0;

	if (json_object_object_get_ex(port, "shaping", &sh) && json_object_is_type(sh, json_type_object)) {
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && len < sizeof(line); i++)
			if (json_object_object_get_ex(sh, keys[i], &v))
				len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s=%s", len ? " " : "", keys[i],
							field_text(sh, keys[i], buf, sizeof(buf)));
		print_kv("shaping:", line);
	}
	print_counters(port, counters, sizeof(counters) / sizeof(counters[0]));
}

/* A port's switch policy (port.set's "switch", as key=value in its order), whether it is shut for
 * looping, and what the policy dropped. */
static void print_port_switch(struct json_object *port)
{
	static const char *const keys[] = { "vlan", "trunk", "native", "isolated", "max_macs", "macs",
					    "storm_broadcast", "storm_multicast", "storm_unknown", "loop_protect",
					    "loop_hold", "full_flood" };
	static const char *const counters[] = { "drop_vlan", "drop_isolated", "drop_mac_limit", "drop_mac_pin",
						"drop_mac_move", "drop_table_full", "drop_storm", "drop_loop",
						"loop_shutdowns" };
	struct json_object *sw, *v;
	char line[1024] = "", buf[512];
	size_t len = 0;

	if (json_object_object_get_ex(port, "switch", &sw) && json_object_is_type(sw, json_type_object)) {
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && len < sizeof(line); i++) {
			if (!json_object_object_get_ex(sw, keys[i], &v))
				continue;
			if (json_object_is_type(v, json_type_array)) {
				size_t k = 0;

				buf[0] = '\0';
				for (size_t j = 0; j < json_object_array_length(v) && k < sizeof(buf); j++)
					k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%s%s", j ? "," : "",
							      json_object_get_string(json_object_array_get_idx(v, j)));
			} else {
				field_text(sw, keys[i], buf, sizeof(buf));
			}
			len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s=%s", len ? " " : "", keys[i], buf);
		}
		print_kv("switch:", line);
	}
	if (json_object_object_get_ex(port, "shut", &v)) {
		snprintf(buf, sizeof(buf), "for looping, %s s more", json_object_get_string(v));
		print_kv("shut:", buf);
	}
	print_counters(port, counters, sizeof(counters) / sizeof(counters[0]));
}

/* port.show: the port object itself, one "key: value" line each. */
static void print_port_detail(struct json_object *port)
{
	static const char *const counters[] = { "rx_frames", "rx_bytes", "tx_frames", "tx_bytes", "tx_dropped",
						"rx_errors" };
	char buf[256], detail[1024], key[32];
	char *clean;

	print_kv("port:", field_text(port, "id", buf, sizeof(buf)));
	print_kv("kind:", field_text(port, "kind", buf, sizeof(buf)));
	clean = sanitize(field_text(port, "description", buf, sizeof(buf)));
	print_kv("description:", clean);
	free(clean);
	print_kv("uid:", uid_text(port, "uid", 1, buf, sizeof(buf)));
	print_kv("pid:", field_text(port, "pid", buf, sizeof(buf)));
	print_kv("created:", field_text(port, "created", buf, sizeof(buf)));
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		snprintf(key, sizeof(key), "%s:", counters[i]);
		print_kv(key, field_text(port, counters[i], buf, sizeof(buf)));
	}
	print_kv("detail:", port_detail(port, detail, sizeof(detail)));
	print_port_shaping(port);
	print_port_switch(port);
}

/* ---------------------------------------------------------------- macs, forwards, namespaces, daemon */

static void print_mac_list(struct json_object *result)
{
	static const char *const headers[] = { "MAC", "VLAN", "PORT", "AGE" };
	struct json_object *macs = field_array(result, "macs");
	size_t n = macs ? json_object_array_length(macs) : 0;
	struct table t;

	table_init(&t, 4, headers);
	for (size_t i = 0; i < n; i++) {
		struct json_object *mac = json_object_array_get_idx(macs, i);
		char buf[64], age[80];

		table_addf(&t, mac, "mac");
		table_addf(&t, mac, "vlan");
		table_addf(&t, mac, "port");
		if (json_object_object_get_ex(mac, "static", NULL))
			snprintf(age, sizeof(age), "static");
		else
			snprintf(age, sizeof(age), "%ss", field_text(mac, "age", buf, sizeof(buf)));
		table_add(&t, age);
	}
	table_print(&t);
}

static void print_forward_list(struct json_object *result)
{
	static const char *const headers[] = { "PROTO", "HOST", "GUEST" };
	struct json_object *fws = field_array(result, "forwards");
	size_t n = fws ? json_object_array_length(fws) : 0;
	struct table t;

	table_init(&t, 3, headers);
	for (size_t i = 0; i < n; i++) {
		struct json_object *fw = json_object_array_get_idx(fws, i);

		table_addf(&t, fw, "proto");
		table_addf(&t, fw, "host");
		table_addf(&t, fw, "guest");
	}
	table_print(&t);
}

/* One row per interface; a namespace without interfaces still gets a row. */
static void print_ns_list(struct json_object *result)
{
	static const char *const headers[] = { "NAME", "IFNAME", "NETWORK", "MAC", "PORT", "PATH" };
	struct json_object *nss = field_array(result, "namespaces");
	size_t n = nss ? json_object_array_length(nss) : 0;
	struct table t;

	table_init(&t, 6, headers);
	for (size_t i = 0; i < n; i++) {
		struct json_object *ns = json_object_array_get_idx(nss, i);
		struct json_object *ifs = field_array(ns, "interfaces");
		size_t nifs = ifs ? json_object_array_length(ifs) : 0;

		for (size_t k = 0; k < (nifs ? nifs : 1); k++) {
			struct json_object *ifc = nifs ? json_object_array_get_idx(ifs, k) : NULL;

			table_addf(&t, ns, "name");
			table_addf(&t, ifc, "ifname");
			table_addf(&t, ifc, "network");
			table_addf(&t, ifc, "mac");
			table_addf(&t, ifc, "port");
			table_addf(&t, ns, "path");
		}
	}
	table_print(&t);
}

/* A list of words after key, wrapped under the first one. */
static void print_words(const char *key, struct json_object *arr)
{
	size_t n = arr ? json_object_array_length(arr) : 0;
	int col = printf("%-12s", key);

	if (!n)
		fputs(" -", stdout);
	for (size_t i = 0; i < n; i++) {
		char *w = sanitize(json_object_get_string(json_object_array_get_idx(arr, i)) ?: "?");

		if (col + 1 + (int)strlen(w) > 80 && i)
			col = printf("\n%-12s", "") - 1;
		col += printf(" %s", w);
		free(w);
	}
	putchar('\n');
}

static void print_daemon_info(struct json_object *result)
{
	struct json_object *api = field_array(result, "api");
	struct json_object *features = field_array(result, "features");
	char buf[256];
	size_t len = 0;

	print_kv("version:", field_text(result, "version", buf, sizeof(buf)));
	if (api && json_object_array_length(api) >= 2) {
		snprintf(buf, sizeof(buf), "%d.%d", json_object_get_int(json_object_array_get_idx(api, 0)),
			 json_object_get_int(json_object_array_get_idx(api, 1)));
		print_kv("api:", buf);
	}
	print_kv("pid:", field_text(result, "pid", buf, sizeof(buf)));
	print_kv("run dir:", field_text(result, "run_dir", buf, sizeof(buf)));
	print_kv("networks:", field_text(result, "networks", buf, sizeof(buf)));
	buf[0] = '\0';
	for (size_t i = 0; features && i < json_object_array_length(features); i++) {
		const char *f = json_object_get_string(json_object_array_get_idx(features, i));
		int n = snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? " " : "", f ? f : "?");

		if (n < 0 || (size_t)n >= sizeof(buf) - len)
			break;
		len += (size_t)n;
	}
	print_kv("features:", buf[0] ? buf : "-");
	print_words("methods:", field_array(result, "methods"));
}

/* ---------------------------------------------------------------- the one entry */

/* One line (-j), or indented by two spaces per level (-p): the same object either way. */
static void print_json(struct json_object *obj)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE;

	flags |= opt_pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN;
	puts(json_object_to_json_string_ext(obj, flags));
}

void print_result(enum print_kind kind, struct json_object *result)
{
	/* indexed by enum print_kind; NULL: nothing for people */
	static void (*const human[])(struct json_object *) = {
		[PRINT_NOTHING] = NULL,
		[PRINT_NETWORK_LIST] = print_network_list,
		[PRINT_NETWORK] = print_network,
		[PRINT_PORT_LIST] = print_port_list,
		[PRINT_PORT] = print_port,
		[PRINT_PORT_DETAIL] = print_port_detail,
		[PRINT_MAC_LIST] = print_mac_list,
		[PRINT_FORWARD_LIST] = print_forward_list,
		[PRINT_NS_LIST] = print_ns_list,
		[PRINT_DAEMON_INFO] = print_daemon_info,
	};

	if (opt_json)
		print_json(result);
	else if ((size_t)kind < sizeof(human) / sizeof(human[0]) && human[kind])
		human[kind](result);
}

/*
 * With -j a failure is also printed on standard output as {"error":{code, errno, message}}, the
 * protocol's error object, so scripts can tell a quota ("limit") from other errors of exit status 1.
 */
void print_json_error(struct json_object *error, const char *code, int err, const char *message)
{
	struct json_object *o;

	if (!opt_json)
		return;
	o = json_object_new_object();
	if (error) {
		json_object_object_add(o, "error", json_object_get(error));
	} else {
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "code", json_object_new_string(code));
		json_object_object_add(e, "errno", json_object_new_int(err));
		json_object_object_add(e, "message", json_object_new_string(message));
		json_object_object_add(o, "error", e);
	}
	print_json(o);
	json_object_put(o);
}
