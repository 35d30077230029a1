/* keep — see keep.h. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keep.h"
#include "log.h"
#include "text.h"
#include "dataplane/network.h"
#include "priv/priv.h"

#define KEEP_MAGIC "VDEKEEP1"
#define KEEP_SLOTS 2
#define KEEP_STATE_MAX (64u << 20)	/* a state larger than this is not one of ours */

/* Each slot: this header, then len bytes of JSON. Written data first, header last, alternating
 * slots: a crash in the middle of a write leaves the other slot whole. */
struct keep_header {
	char magic[8];
	uint64_t gen;
	uint32_t len;
	uint32_t pad;
	uint64_t check;			/* FNV-1a of the JSON */
};

static struct {
	bool ready;
	int slot[KEEP_SLOTS];
	uint64_t gen;
	struct json_object *ports;	/* this life's records: {"NET/ID": {...}} */
	struct json_object *prev;	/* the previous life's, while coming back: {"NET/ID": {...}} */
	bool resuming, dirty, leaving;
	ev_timer leave_timer;
	ev_prepare writer;
	struct ev_loop *loop;
	bool *taken;			/* inherited entry i handed over or dropped */
	unsigned ninherited;
} keep = { .slot = { -1, -1 } };

static uint64_t keep_fnv(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 0x100000001b3ULL;
	return h;
}

/* The JSON of one slot if it is whole, with its generation; NULL otherwise. */
static struct json_object *keep_read_slot(int fd, uint64_t *gen)
{
	struct keep_header h;
	struct json_object *doc;
	char *buf;

	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) || memcmp(h.magic, KEEP_MAGIC, 8) ||
	    h.len == 0 || h.len > KEEP_STATE_MAX)
		return NULL;
	buf = malloc(h.len + 1);
	if (!buf)
		return NULL;
	if (pread(fd, buf, h.len, sizeof(h)) != (ssize_t)h.len || keep_fnv(buf, h.len) != h.check) {
		free(buf);
		return NULL;
	}
	buf[h.len] = '\0';
	doc = json_tokener_parse(buf);
	free(buf);
	if (doc && !json_object_is_type(doc, json_type_object)) {
		json_object_put(doc);
		return NULL;
	}
	*gen = h.gen;
	return doc;
}

static void keep_write(void)
{
	struct json_object *doc = json_object_new_object();
	struct keep_header h = { .magic = KEEP_MAGIC };
	const char *s;
	size_t len;
	int fd;

	keep.dirty = false;
	json_object_object_add(doc, "version", json_object_new_int(1));
	json_object_object_add(doc, "ports", json_object_get(keep.ports));
	s = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
	len = strlen(s);
	fd = keep.slot[(keep.gen + 1) % KEEP_SLOTS];
	if (fd >= 0 && len <= KEEP_STATE_MAX) {
		h.gen = keep.gen + 1;
		h.len = (uint32_t)len;
		h.check = keep_fnv(s, len);
		if (pwrite(fd, s, len, sizeof(h)) == (ssize_t)len && pwrite(fd, &h, sizeof(h), 0) == (ssize_t)sizeof(h))
			keep.gen++;
		else
			log_warn("keep: cannot write the state: %s", strerror(errno));
	}
	json_object_put(doc);
}

/* At the end of each loop turn in which something changed: one write, however many changes. */
static void keep_writer_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	if (keep.dirty)
		keep_write();
}

static void keep_changed(void)
{
	keep.dirty = true;
}

void keep_flush(void)
{
	if (keep.ready)
		keep_write();
}

static int keep_find_inherited(const char *name)
{
	const char *n;

	for (unsigned i = 0; i < keep.ninherited && priv_inherited(i, &n); i++)
		if (!keep.taken[i] && strcmp(n, name) == 0)
			return (int)i;
	return -1;
}

static void keep_leave_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

void keep_leave(void)
{
	keep.leaving = true;
	/* a moment for the reply to the asking client to be written */
	ev_timer_init(&keep.leave_timer, keep_leave_cb, 0.05, 0.);
	ev_timer_start(keep.loop, &keep.leave_timer);
}

bool keep_leaving(void)
{
	return keep.leaving;
}

int keep_claim(const char *name)
{
	int i = keep_find_inherited(name);

	if (i < 0)
		return -1;
	keep.taken[i] = true;
	return priv_inherited_take((unsigned)i);
}

int keep_fd(const char *name, int fd)
{
	int ret = priv_keep(name, fd);

	if (ret < 0)
		log_warn("keep %s: %s (it will not survive a restart)", name, strerror(-ret));
	return ret;
}

void keep_forget(const char *name)
{
	priv_forget(name);
}

int keep_init(struct ev_loop *loop)
{
	const char *name;
	uint64_t best = 0;

	keep.loop = loop;
	while (priv_inherited(keep.ninherited, &name))
		keep.ninherited++;
	keep.taken = calloc(keep.ninherited + 1, sizeof(*keep.taken));
	if (!keep.taken)
		return -ENOMEM;
	for (unsigned s = 0; s < KEEP_SLOTS; s++) {
		char slot[32];
		struct json_object *doc, *ports;
		uint64_t gen = 0;

		snprintf(slot, sizeof(slot), "k/state/%u", s);
		keep.slot[s] = keep_claim(slot);
		if (keep.slot[s] < 0)
			continue;
		doc = keep_read_slot(keep.slot[s], &gen);
		if (doc && gen >= best && json_object_object_get_ex(doc, "ports", &ports) &&
		    json_object_is_type(ports, json_type_object)) {
			json_object_put(keep.prev);
			keep.prev = json_object_get(ports);
			best = gen;
		}
		json_object_put(doc);
	}
	keep.gen = best;
	keep.resuming = keep.prev != NULL;
	if (!keep.prev)
		keep.prev = json_object_new_object();
	keep.ports = json_object_new_object();
	for (unsigned s = 0; s < KEEP_SLOTS; s++) {
		char slot[32];

		if (keep.slot[s] >= 0)
			continue;
		snprintf(slot, sizeof(slot), "k/state/%u", s);
		keep.slot[s] = memfd_create("vded-state", MFD_CLOEXEC);
		if (keep.slot[s] < 0 || keep_fd(slot, keep.slot[s]) < 0)
			log_warn("keep: no state slot %u: ports will not survive a restart", s);
	}
	network_set_port_gone(keep_port_gone);
	ev_prepare_init(&keep.writer, keep_writer_cb);
	ev_prepare_start(loop, &keep.writer);
	ev_unref(loop);			/* the writer alone does not keep the loop running */
	keep.ready = true;
	if (keep.resuming)
		log_notice("resuming: %d port(s) and %u descriptor(s) from the previous run",
			   json_object_object_length(keep.prev), keep.ninherited);
	return 0;
}

bool keep_resuming(void)
{
	return keep.resuming;
}

void keep_finish(void)
{
	const char *name;
	unsigned dropped = 0;

	if (!keep.ready)
		return;
	for (unsigned i = 0; i < keep.ninherited && priv_inherited(i, &name); i++) {
		int fd;

		if (keep.taken[i])
			continue;
		keep.taken[i] = true;
		fd = priv_inherited_take(i);
		if (fd >= 0)
			close(fd);
		priv_forget(name);
		dropped++;
	}
	if (dropped)
		log_notice("resuming: %u descriptor(s) of the previous run were not claimed: closed", dropped);
	if (json_object_object_length(keep.prev))
		log_notice("resuming: %d port(s) of the previous run did not come back",
			   json_object_object_length(keep.prev));
	json_object_put(keep.prev);
	keep.prev = json_object_new_object();
	keep_changed();
}

void keep_port_name(char *buf, size_t size, const char *net, unsigned id, const char *role)
{
	snprintf(buf, size, "k/%s/%u/%s", net, id, role);
}

static void keep_port_key(char *buf, size_t size, const struct network *net, unsigned id)
{
	snprintf(buf, size, "%s/%u", net->def.name, id);
}

/* The record of a port as it is now (its kind's fields come from extra or the old record). */
static struct json_object *keep_port_record(const struct port *p, const char *key)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "kind", json_object_new_string(p->ops->kind));
	if (key)
		json_object_object_add(o, "key", json_object_new_string(key));
	json_object_object_add(o, "uid", json_object_new_int64(p->uid));
	json_object_object_add(o, "gid", json_object_new_int64(p->gid));
	json_object_object_add(o, "pid", json_object_new_int64(p->pid));
	json_object_object_add(o, "created", json_object_new_int64(p->created));
	json_object_object_add(o, "description", json_object_new_string(p->description));
	return o;
}

void keep_port(struct port *p, const char *key, struct json_object *extra)
{
	char name[128], k[96];
	struct json_object *rec;

	if (!keep.ready) {
		json_object_put(extra);
		return;
	}
	keep_port_name(name, sizeof(name), p->net->def.name, p->id, "d");
	if (p->fd >= 0)
		keep_fd(name, p->fd);
	rec = keep_port_record(p, key);
	if (extra) {
		json_object_object_foreach(extra, f, v)
			json_object_object_add(rec, f, json_object_get(v));
		json_object_put(extra);
	}
	keep_port_key(k, sizeof(k), p->net, p->id);
	json_object_object_add(keep.ports, k, rec);
	p->kept = true;
	keep_changed();
}

void keep_port_id(struct port *p, const char *key)
{
	char k[96];

	if (!keep.ready)
		return;
	keep_port_key(k, sizeof(k), p->net, p->id);
	json_object_object_add(keep.ports, k, keep_port_record(p, key));
	p->kept = true;
	keep_changed();
}

unsigned keep_port_want(const struct network *net, const char *kind, const char *key)
{
	unsigned id = 0;

	if (!keep_port_find(net, kind, key, &id) || net->ports[id])
		return 0;
	return id;
}

void keep_port_made(struct port *p, const char *key)
{
	unsigned id = 0;
	struct json_object *rec = keep_port_find(p->net, p->ops->kind, key, &id);
	char k[96];

	if (!keep.ready)
		return;
	if (rec) {
		/* the creation time of its first life; everything else is the definition's */
		if (id == p->id)
			p->created = (time_t)keep_rec_int(rec, "created", p->created);
		keep_port_key(k, sizeof(k), p->net, id);
		json_object_object_del(keep.prev, k);
	}
	keep_port_id(p, key);
}

void keep_port_fd(struct port *p, const char *role, int fd)
{
	char name[128];

	if (!keep.ready || !p->kept)
		return;
	keep_port_name(name, sizeof(name), p->net->def.name, p->id, role);
	keep_fd(name, fd);
}

void keep_port_set(struct port *p, const char *field, struct json_object *val)
{
	struct json_object *rec;
	char k[96];

	keep_port_key(k, sizeof(k), p->net, p->id);
	if (!keep.ready || !json_object_object_get_ex(keep.ports, k, &rec)) {
		json_object_put(val);
		return;
	}
	json_object_object_add(rec, field, val);
	keep_changed();
}

struct json_object *keep_port_current(const struct port *p)
{
	struct json_object *rec;
	char k[96];

	keep_port_key(k, sizeof(k), p->net, p->id);
	return keep.ports && json_object_object_get_ex(keep.ports, k, &rec) ? rec : NULL;
}

void keep_port_gone(struct port *p)
{
	static const char *const roles[] = { "d", "c" };
	char name[128], k[96];

	if (!keep.ready || !p->kept)
		return;
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		keep_port_name(name, sizeof(name), p->net->def.name, p->id, roles[i]);
		priv_forget(name);
	}
	keep_port_key(k, sizeof(k), p->net, p->id);
	json_object_object_del(keep.ports, k);
	p->kept = false;
	keep_changed();
}

const char *keep_rec_str(struct json_object *rec, const char *field)
{
	struct json_object *v;

	if (!json_object_object_get_ex(rec, field, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

long long keep_rec_int(struct json_object *rec, const char *field, long long dflt)
{
	struct json_object *v;

	if (!json_object_object_get_ex(rec, field, &v) || !json_object_is_type(v, json_type_int))
		return dflt;
	return json_object_get_int64(v);
}

/* "NET/ID" of net: the id, or 0 when the key is another network's. */
static unsigned keep_key_id(const struct network *net, const char *k)
{
	size_t n = strlen(net->def.name);
	char *end;
	unsigned long id;

	if (strncmp(k, net->def.name, n) || k[n] != '/')
		return 0;
	id = strtoul(k + n + 1, &end, 10);
	return *end || id == 0 || id > net->def.max_ports ? 0 : (unsigned)id;
}

struct json_object *keep_port_find(const struct network *net, const char *kind, const char *key, unsigned *id)
{
	if (!keep.prev)
		return NULL;
	json_object_object_foreach(keep.prev, k, rec) {
		const char *rk = keep_rec_str(rec, "kind"), *rkey = keep_rec_str(rec, "key");
		unsigned i = keep_key_id(net, k);

		if (!i || !rk || strcmp(rk, kind) || (key && (!rkey || strcmp(rkey, key))))
			continue;
		*id = i;
		return rec;
	}
	return NULL;
}

void keep_port_claimed(struct port *p, struct json_object *rec)
{
	char k[96], oldk[96] = "";
	struct json_object *mine = NULL;
	unsigned old_id = p->id;

	if (!keep.ready)
		return;
	json_object_get(rec);
	/* the record of the id it had; the port may have come back under another one */
	json_object_object_foreach(keep.prev, pk, prec) {
		if (prec == rec) {
			snprintf(oldk, sizeof(oldk), "%s", pk);
			old_id = keep_key_id(p->net, oldk);
			json_object_object_del(keep.prev, oldk);
			break;
		}
	}
	p->uid = (uid_t)keep_rec_int(rec, "uid", p->uid);
	p->gid = (gid_t)keep_rec_int(rec, "gid", p->gid);
	p->pid = (pid_t)keep_rec_int(rec, "pid", p->pid);
	p->created = (time_t)keep_rec_int(rec, "created", p->created);
	if (keep_rec_str(rec, "description")) {
		/* written by the previous engine, read as untrusted input: shown only as a description may be */
		snprintf(p->description, sizeof(p->description), "%s", keep_rec_str(rec, "description"));
		text_sanitise(p->description);
	}
	if (json_object_deep_copy(rec, &mine, NULL) == 0) {
		keep_port_key(k, sizeof(k), p->net, p->id);
		json_object_object_add(keep.ports, k, mine);
	}
	json_object_put(rec);
	p->kept = true;
	if (old_id && old_id != p->id) {
		/* its id was taken: what was kept under the old one is kept under the new one (the data fd
		 * here; a kind with another descriptor keeps that one again itself) */
		static const char *const roles[] = { "d", "c" };
		char name[128];

		for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
			keep_port_name(name, sizeof(name), p->net->def.name, old_id, roles[i]);
			priv_forget(name);
		}
		keep_port_fd(p, "d", p->fd);
		log_warn("network %s: port %u came back as port %u (its id was taken)", p->net->def.name, old_id,
			 p->id);
	}
	keep_changed();
}

void keep_port_foreach(struct network *net, const char *kind,
		       void (*fn)(struct network *net, unsigned id, struct json_object *rec, void *ctx), void *ctx)
{
	struct json_object *list;

	if (!keep.prev)
		return;
	list = json_object_new_array();
	/* collect first: fn claims records, which takes them out of the object being walked */
	json_object_object_foreach(keep.prev, k, rec) {
		const char *rk = keep_rec_str(rec, "kind");
		unsigned id = keep_key_id(net, k);

		if (id && rk && strcmp(rk, kind) == 0) {
			struct json_object *pair = json_object_new_array();
			json_object_array_add(pair, json_object_new_int((int)id));
			json_object_array_add(pair, json_object_get(rec));
			json_object_array_add(list, pair);
		}
	}
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *pair = json_object_array_get_idx(list, i);
		fn(net, (unsigned)json_object_get_int(json_object_array_get_idx(pair, 0)),
		   json_object_array_get_idx(pair, 1), ctx);
	}
	json_object_put(list);
}
