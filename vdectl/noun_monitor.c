/* vdectl monitor: what happens in vded, live (events.subscribe): a snapshot, then one line per event. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vdectl.h"

/* A string member of o, or "-"; escaped for a terminal (the caller frees it). */
static char *monitor_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return sanitize("-");
	return sanitize(json_object_get_string(v));
}

static long long monitor_int(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return -1;
	return (long long)json_object_get_int64(v);
}

/* What one event says, after its seq, time, kind, action and network. */
static void monitor_detail(const char *kind, const char *action, struct json_object *d)
{
	char *a = NULL, *b = NULL, *c = NULL;

	if (!strcmp(kind, "port")) {
		a = monitor_str(d, "kind");
		b = monitor_str(d, "description");
		printf(" port %lld %s uid %lld", monitor_int(d, "id"), a, monitor_int(d, "uid"));
		if (!strcmp(action, "state")) {
			c = monitor_str(d, "state");
			printf(" %s", c);
			free(c);
			c = monitor_str(d, "error");
			if (strcmp(c, "-") && *c)
				printf(": %s", c);
		} else if (strcmp(b, "-")) {
			printf(" \"%s\"", b);
		}
	} else if (!strcmp(kind, "network") && d) {
		a = monitor_str(d, "mode");
		printf(" owner %lld group %lld mode %s", monitor_int(d, "owner_uid"), monitor_int(d, "group"), a);
	} else if (!strcmp(kind, "forward")) {
		a = monitor_str(d, "proto");
		b = monitor_str(d, "host");
		c = monitor_str(d, "guest");
		printf(" %s %s%s%s", a, b, strcmp(c, "-") ? " -> " : "", strcmp(c, "-") ? c : "");
	} else if (!strcmp(kind, "mac")) {
		a = monitor_str(d, "mac");
		if (!strcmp(action, "unrecorded"))
			printf(" %lld more not recorded", monitor_int(d, "count"));
		else
			printf(" %s vlan %lld port %lld", a, monitor_int(d, "vlan"), monitor_int(d, "port"));
		if (!strcmp(action, "moved"))
			printf(" (from %lld)", monitor_int(d, "from"));
	} else if (!strcmp(kind, "denial")) {
		a = monitor_str(d, "method");
		b = monitor_str(d, "message");
		printf(" uid %lld pid %lld %s: %s", monitor_int(d, "uid"), monitor_int(d, "pid"), a, b);
	}
	free(a);
	free(b);
	free(c);
}

static void monitor_print(struct json_object *ev)
{
	struct json_object *d = NULL, *v;
	char *kind = monitor_str(ev, "kind"), *action = monitor_str(ev, "action"), *net = monitor_str(ev, "network");
	char when[16] = "-";
	time_t t = 0;
	struct tm tm;

	if (json_object_object_get_ex(ev, "time", &v))
		t = (time_t)json_object_get_double(v);
	if (t && localtime_r(&t, &tm))
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
	json_object_object_get_ex(ev, "data", &d);
	if (!strcmp(kind, "lost")) {
		printf("%lld %s lost %lld events (not read in time)\n", monitor_int(ev, "seq"), when, monitor_int(ev, "count"));
	} else if (!strcmp(kind, "suppressed")) {
		printf("%lld %s %lld MAC events not shown (over the rate)\n", monitor_int(ev, "seq"), when,
		       monitor_int(ev, "count"));
	} else {
		printf("%lld %s %s %s %s", monitor_int(ev, "seq"), when, kind, action, net);
		monitor_detail(kind, action, d);
		putchar('\n');
	}
	free(kind);
	free(action);
	free(net);
}

/* The snapshot for people: one line per network, with its ports. */
static void monitor_print_snapshot(struct json_object *snap)
{
	struct json_object *nets, *ports;

	if (!json_object_object_get_ex(snap, "networks", &nets) || !json_object_is_type(nets, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(nets); i++) {
		struct json_object *n = json_object_array_get_idx(nets, i);
		char *name = monitor_str(n, "name");

		printf("= network %s", name);
		if (json_object_object_get_ex(n, "port_list", &ports) && json_object_is_type(ports, json_type_array))
			for (size_t k = 0; k < json_object_array_length(ports); k++) {
				struct json_object *p = json_object_array_get_idx(ports, k);
				char *kind = monitor_str(p, "kind");

				printf(" %lld:%s", monitor_int(p, "id"), kind);
				free(kind);
			}
		putchar('\n');
		free(name);
	}
	printf("= seq %lld\n", monitor_int(snap, "seq"));
}

int monitor(const struct command *cmd, struct request *req)
{
	struct json_object *snap, *msg, *ev, *params = req->params;
	long long count = 0, seen = 0;
	int ret;

	request_opt(req, "count", &count);
	req->params = NULL;
	ret = call("events.subscribe", params, &snap, NULL);
	if (ret)
		return ret;
	if (opt_json)
		print_result(PRINT_NOTHING, snap);
	else
		monitor_print_snapshot(snap);
	json_object_put(snap);
	fflush(stdout);
	while (!count || seen < count) {
		ret = call_next(&msg);
		if (ret)
			return ret;
		if (json_object_object_get_ex(msg, "event", &ev)) {
			if (opt_json)
				print_result(PRINT_NOTHING, msg);
			else
				monitor_print(ev);
			const char *k = json_object_get_string(json_object_object_get(ev, "kind")) ?: "";

			if (strcmp(k, "lost") && strcmp(k, "suppressed"))
				seen++;
		}
		json_object_put(msg);
		if (fflush(stdout) != 0)
			return VDECTL_ERROR;
	}
	return VDECTL_OK;
}
