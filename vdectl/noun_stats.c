/*
 * vdectl stats: rates from two answers of stats.get (vded keeps counters, vdectl divides their
 * differences by the time between them), as a table, a live table (--watch), JSON, or the counters in
 * the Prometheus text exposition format (--prometheus; a scraper makes its own rates).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vdectl.h"

/* The counters a rate is made of, as stats.get names them, and what --prometheus calls them. */
static const struct {
	const char *key, *metric, *help;
} counters[] = {
	{ "rx_frames", "vde_port_rx_frames_total", "Frames vded received from the port." },
	{ "rx_bytes", "vde_port_rx_bytes_total", "Bytes of the frames vded received from the port." },
	{ "tx_frames", "vde_port_tx_frames_total", "Frames vded delivered to the port." },
	{ "tx_bytes", "vde_port_tx_bytes_total", "Bytes of the frames vded delivered to the port." },
	{ "tx_dropped", "vde_port_tx_dropped_total", "Frames for the port dropped because it was not reading." },
	{ "rx_errors", "vde_port_rx_errors_total", "Datagrams from the port that were not Ethernet frames." },
};
#define NCOUNTERS (sizeof(counters) / sizeof(counters[0]))

/* The rates shown: per second, over the interval. */
enum { R_RXF, R_RXB, R_TXF, R_TXB, R_DROP, NRATES };
static const char *const rate_keys[NRATES] = { "rx_frames", "rx_bytes", "tx_frames", "tx_bytes", "drops" };

static int64_t counter(struct json_object *o, const char *key)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

static struct json_object *member(struct json_object *o, const char *key, enum json_type type)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, type) ? v : NULL;
}

/* The same port in an earlier answer: the same id and the same creation time (ids come back). */
static struct json_object *port_before(struct json_object *prev_net, struct json_object *port)
{
	struct json_object *ports = member(prev_net, "ports", json_type_array);

	for (size_t i = 0; ports && i < json_object_array_length(ports); i++) {
		struct json_object *q = json_object_array_get_idx(ports, i);

		if (counter(q, "id") == counter(port, "id") && counter(q, "created") == counter(port, "created"))
			return q;
	}
	return NULL;
}

static struct json_object *network_before(struct json_object *prev, const char *name)
{
	struct json_object *nets = member(prev, "networks", json_type_array);

	for (size_t i = 0; nets && i < json_object_array_length(nets); i++) {
		struct json_object *n = json_object_array_get_idx(nets, i);
		struct json_object *v = member(n, "name", json_type_string);

		if (v && strcmp(json_object_get_string(v), name) == 0)
			return n;
	}
	return NULL;
}

/* The rates of port between before and now over dt seconds (a port new since: all 0). */
static void port_rates(struct json_object *before, struct json_object *now, double dt, double r[NRATES])
{
	int64_t d[NCOUNTERS];

	for (size_t i = 0; i < NCOUNTERS; i++) {
		d[i] = before ? counter(now, counters[i].key) - counter(before, counters[i].key) : 0;
		if (d[i] < 0)
			d[i] = 0;
	}
	r[R_RXF] = d[0] / dt;
	r[R_RXB] = d[1] / dt;
	r[R_TXF] = d[2] / dt;
	r[R_TXB] = d[3] / dt;
	r[R_DROP] = (d[4] + d[5]) / dt;	/* what the port lost: not taken, or not a frame */
}

static struct json_object *rates_json(const double r[NRATES])
{
	struct json_object *o = json_object_new_object();

	for (int i = 0; i < NRATES; i++)
		json_object_object_add(o, rate_keys[i], json_object_new_double(r[i]));
	return o;
}

/*
 * The answer of -j: {"interval": dt, "networks": [{"name", "rates", "ports": [{"id", "kind", "rates"}]}]},
 * rates per second over the interval; a network's are the sums of its ports'. Caller puts it.
 */
static struct json_object *stats_rates(struct json_object *prev, struct json_object *cur, double dt)
{
	struct json_object *out = json_object_new_object(), *nets = json_object_new_array();
	struct json_object *cnets = member(cur, "networks", json_type_array);

	json_object_object_add(out, "interval", json_object_new_double(dt));
	for (size_t i = 0; cnets && i < json_object_array_length(cnets); i++) {
		struct json_object *n = json_object_array_get_idx(cnets, i), *on = json_object_new_object();
		struct json_object *name = member(n, "name", json_type_string);
		struct json_object *pn = network_before(prev, name ? json_object_get_string(name) : "");
		struct json_object *ports = member(n, "ports", json_type_array), *oports = json_object_new_array();
		double sum[NRATES] = { 0 };

		for (size_t k = 0; ports && k < json_object_array_length(ports); k++) {
			struct json_object *p = json_object_array_get_idx(ports, k), *op = json_object_new_object();
			double r[NRATES];

			port_rates(port_before(pn, p), p, dt, r);
			for (int j = 0; j < NRATES; j++)
				sum[j] += r[j];
			json_object_object_add(op, "id", json_object_new_int64(counter(p, "id")));
			json_object_object_add(op, "kind", json_object_get(member(p, "kind", json_type_string)));
			json_object_object_add(op, "rates", rates_json(r));
			json_object_array_add(oports, op);
		}
		json_object_object_add(on, "name", json_object_get(name));
		json_object_object_add(on, "rates", rates_json(sum));
		json_object_object_add(on, "ports", oports);
		json_object_array_add(nets, on);
	}
	json_object_object_add(out, "networks", nets);
	return out;
}

/* 1234567 as "1.2M": a table column stays narrow. */
static const char *human(double v, char *buf, size_t size)
{
	static const char units[] = " kMGT";
	int u = 0;

	while (v >= 1000 && u < 4) {
		v /= 1000;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%.0f", v);
	else
		snprintf(buf, size, "%.1f%c", v, units[u]);
	return buf;
}

static void print_row(const char *net, const char *port, const char *kind, struct json_object *rates)
{
	char b[NRATES][16];
	char *n = sanitize(net), *k = sanitize(kind);

	for (int i = 0; i < NRATES; i++)
		human(json_object_get_double(member(rates, rate_keys[i], json_type_double)), b[i], sizeof(b[i]));
	printf("%-16s %5s %-9s %8s %8s %8s %8s %8s\n", n, port, k, b[R_RXF], b[R_RXB], b[R_TXF], b[R_TXB], b[R_DROP]);
	free(n);
	free(k);
}

/* The table: per network its sums (PORT "all"), then its ports. */
static void print_table(struct json_object *rates)
{
	struct json_object *nets = member(rates, "networks", json_type_array);

	printf("%-16s %5s %-9s %8s %8s %8s %8s %8s\n", "NETWORK", "PORT", "KIND", "RX/s", "RXB/s", "TX/s", "TXB/s",
	       "DROP/s");
	for (size_t i = 0; nets && i < json_object_array_length(nets); i++) {
		struct json_object *n = json_object_array_get_idx(nets, i);
		struct json_object *ports = member(n, "ports", json_type_array);
		const char *name = json_object_get_string(member(n, "name", json_type_string)) ?: "?";

		print_row(name, "all", "-", member(n, "rates", json_type_object));
		for (size_t k = 0; ports && k < json_object_array_length(ports); k++) {
			struct json_object *p = json_object_array_get_idx(ports, k);
			char id[16];

			snprintf(id, sizeof(id), "%lld", (long long)counter(p, "id"));
			print_row(name, id, json_object_get_string(member(p, "kind", json_type_string)) ?: "?",
				  member(p, "rates", json_type_object));
		}
	}
}

/* A label value of the exposition format: \ " and newline escaped. */
static void prom_label(const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			printf("\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", stdout);
		else
			putchar(*s);
	}
}

/* The counters of one answer in the Prometheus text exposition format (version 0.0.4). */
static void print_prometheus(struct json_object *cur)
{
	struct json_object *nets = member(cur, "networks", json_type_array);
	size_t nn = nets ? json_object_array_length(nets) : 0;

	for (size_t c = 0; c < NCOUNTERS; c++) {
		printf("# HELP %s %s\n# TYPE %s counter\n", counters[c].metric, counters[c].help, counters[c].metric);
		for (size_t i = 0; i < nn; i++) {
			struct json_object *n = json_object_array_get_idx(nets, i);
			struct json_object *ports = member(n, "ports", json_type_array);

			for (size_t k = 0; ports && k < json_object_array_length(ports); k++) {
				struct json_object *p = json_object_array_get_idx(ports, k);

				printf("%s{network=\"", counters[c].metric);
				prom_label(json_object_get_string(member(n, "name", json_type_string)) ?: "");
				printf("\",port=\"%lld\",kind=\"", (long long)counter(p, "id"));
				prom_label(json_object_get_string(member(p, "kind", json_type_string)) ?: "");
				printf("\"} %lld\n", (long long)counter(p, counters[c].key));
			}
		}
	}
	printf("# HELP vde_network_ports Ports on the network now.\n# TYPE vde_network_ports gauge\n");
	for (size_t i = 0; i < nn; i++) {
		struct json_object *n = json_object_array_get_idx(nets, i);

		printf("vde_network_ports{network=\"");
		prom_label(json_object_get_string(member(n, "name", json_type_string)) ?: "");
		printf("\"} %lld\n", (long long)counter(member(n, "totals", json_type_object), "ports"));
	}
}

static int sample(struct json_object *params, struct json_object **out)
{
	struct json_object *copy = NULL;

	if (params && json_object_deep_copy(params, &copy, NULL) < 0)
		copy = NULL;
	return call_all_pages("stats.get", copy, "networks", out);
}

static double sample_time(struct json_object *s)
{
	struct json_object *v = member(s, "time", json_type_double);

	return v ? json_object_get_double(v) : 0.;
}

static void sleep_for(double secs)
{
	struct timespec ts = { .tv_sec = (time_t)secs, .tv_nsec = (long)((secs - (time_t)secs) * 1e9) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int stats(const struct command *cmd, struct request *req)
{
	struct json_object *prev = NULL, *cur = NULL, *rates;
	long long watch = 0, interval = 1, count = 0;
	int watching = request_opt(req, "watch", &watch) != NULL, tty = isatty(STDOUT_FILENO), ret;
	long long shown = 0;

	request_opt(req, "interval", &interval);
	request_opt(req, "count", &count);
	if (watching && watch == 0)
		watch = 2;
	if (request_opt(req, "prometheus", NULL)) {
		ret = sample(req->params, &cur);
		if (ret == VDECTL_OK)
			print_prometheus(cur);
		json_object_put(cur);
		return ret;
	}
	ret = sample(req->params, &prev);
	while (ret == VDECTL_OK) {
		double dt;

		sleep_for(watching ? (double)watch : (double)interval);
		ret = sample(req->params, &cur);
		if (ret != VDECTL_OK)
			break;
		dt = sample_time(cur) - sample_time(prev);
		rates = stats_rates(prev, cur, dt > 0 ? dt : 1.);
		if (opt_json) {
			print_result(PRINT_NOTHING, rates);
		} else {
			if (watching && tty)
				fputs("\033[H\033[2J", stdout);	/* like top: the table in place */
			if (watching) {
				time_t t = time(NULL);
				char when[32];

				strftime(when, sizeof(when), "%H:%M:%S", localtime(&t));
				printf("%s every %llds, rates over the last %.1fs\n", when, watch, dt);
			}
			print_table(rates);
		}
		json_object_put(rates);
		fflush(stdout);
		json_object_put(prev);
		prev = cur;
		cur = NULL;
		shown++;
		if (!watching || (count && shown >= count))
			break;
	}
	json_object_put(prev);
	json_object_put(cur);
	return ret;
}
