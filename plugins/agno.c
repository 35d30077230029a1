/*
 * agno:// — "agnostic" layer-2 encryption with AES-128, nested over any other locator
 * (doc/vde-wire.md §6). Wire-compatible with vdeplug4's libvdeplug_agno.
 *
 *   agno://[KEYFILE][[ethtype=TYPE]]{inner locator}
 *
 * KEYFILE: an absolute path, or ~/path (in the home of the effective user); default
 * ~/.vde_agno_key. The key is the first 32 hex digits found in the file (other characters are
 * skipped; fewer digits leave the rest of the key zero; fewer than 2 is an error).
 * ethtype: the outer EtherType: a number (0x600..0xfffe; 0 or absent: 0xa6de), copy (the
 * frame's own), ipv4, ipv6 or rand (random per frame).
 *
 * Frame on the wire: dst | src | outer type | E_ecb(H) | E_cbc(payload zero-padded to 16, IV = H)
 * where H = {orig type (2), pad (1), 0 (1), "agno" (4), time BE32 (4), random (4)}. A frame is
 * accepted when the tag matches and its time is within -1..+2 s of ours (replay window).
 *
 * Key digits: the reference reads the digit 'A' as 1 (its test is "greater than 'A'"), so a key
 * file with an upper-case A gives a different key there. We read hex correctly: peers
 * interoperate with the reference when their key file has no upper-case 'A'.
 */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>

#include <nettle/aes.h>

#include <libvdeplug.h>
#include <libvdeplug_mod.h>

#define ETH_HLEN 14
#define BLK 16
#define AGNO_HLEN 16
#define AGNO_ETHTYPE 0xa6de
/* Outer EtherType choices that are not a number. */
#define ETHTYPE_COPY 0
#define ETHTYPE_RAND 0xffff
/* The encrypted frame: header, payload padded to a block. */
#define AGNO_MAXFRAME (ETH_HLEN + AGNO_HLEN + VDE_ETHBUFSIZE + BLK)
#define AGNO_MAX_DROPS 256

struct agno_conn {
	void *handle;
	struct vdeplug_module *module;
	VDECONN *inner;
	uint16_t ethtype;	/* host order; ETHTYPE_COPY or ETHTYPE_RAND */
	struct aes128_ctx ekey;
	struct aes128_ctx dkey;
	/* Random bytes for the header salt and random EtherTypes, refilled in bulk. */
	unsigned char pool[256];
	size_t poolpos;
	/* vde_send and vde_recv may run in two threads (VirtualBox): one buffer set each. */
	unsigned char sbuf[AGNO_MAXFRAME];
	unsigned char rbuf[AGNO_MAXFRAME];
	unsigned char pbuf[AGNO_MAXFRAME];
};

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

/* n random bytes; getrandom() is called once per sizeof(pool) bytes, not per frame. */
static void agno_random(struct agno_conn *c, unsigned char *out, size_t n)
{
	if (c->poolpos + n > sizeof(c->pool)) {
		size_t got = 0;

		while (got < sizeof(c->pool)) {
			ssize_t r = getrandom(c->pool + got, sizeof(c->pool) - got, 0);

			if (r < 0) {
				if (errno == EINTR)
					continue;
				/* No entropy source: the salt only varies IVs, it need not be secret. */
				for (; got < sizeof(c->pool); got++)
					c->pool[got] = (unsigned char)random();
				break;
			}
			got += (size_t)r;
		}
		c->poolpos = 0;
	}
	memcpy(out, c->pool + c->poolpos, n);
	c->poolpos += n;
}

/* The key file's path: "" → ~/.vde_agno_key, "~..." → home + rest, "/..." as is. */
static int agno_keypath(const char *given, char *path, size_t size)
{
	const char *home = NULL;
	struct passwd pwd, *pw = NULL;
	char pwbuf[4096];
	int n;

	if (*given == '/') {
		n = snprintf(path, size, "%s", given);
	} else if (*given == '\0' || *given == '~') {
		if (getpwuid_r(geteuid(), &pwd, pwbuf, sizeof(pwbuf), &pw) == 0 && pw != NULL)
			home = pw->pw_dir;
		else
			home = getenv("HOME");
		if (home == NULL) {
			errno = ENOENT;
			return -1;
		}
		if (*given == '\0')
			n = snprintf(path, size, "%s/.vde_agno_key", home);
		else
			n = snprintf(path, size, "%s/%s", home, given + 1);
	} else {
		errno = EINVAL;
		return -1;
	}
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* The first 32 hex digits of the file at path into key[16]. Returns 0 or -1 with errno. */
static int agno_readkey(const char *path, unsigned char key[16])
{
	FILE *f = fopen(path, "re");
	int ch, digits = 0;

	if (f == NULL)
		return -1;
	memset(key, 0, 16);
	while (digits < 32 && (ch = getc(f)) != EOF) {
		unsigned int v;

		if (!isxdigit(ch))
			continue;
		v = isdigit(ch) ? (unsigned int)(ch - '0') : (unsigned int)(tolower(ch) - 'a' + 10);
		key[digits / 2] |= (unsigned char)(digits % 2 ? v : v << 4);
		digits++;
	}
	fclose(f);
	if (digits < 2) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

static int agno_parse_ethtype(const char *s, uint16_t *out)
{
	char *end;
	unsigned long v;

	if (strcasecmp(s, "copy") == 0) {
		*out = ETHTYPE_COPY;
	} else if (strcasecmp(s, "ipv4") == 0) {
		*out = 0x0800;
	} else if (strcasecmp(s, "ipv6") == 0) {
		*out = 0x86dd;
	} else if (strcasecmp(s, "rand") == 0) {
		*out = ETHTYPE_RAND;
	} else if (*s == '\0') {
		*out = AGNO_ETHTYPE;
	} else {
		errno = 0;
		v = strtoul(s, &end, 0);
		if (errno != 0 || *end != '\0')
			return -1;
		if (v == 0)
			*out = AGNO_ETHTYPE;
		else if (v >= 0x600 && v < 0xffff)	/* below 0x600 it would read as a length */
			*out = (uint16_t)v;
		else
			return -1;
	}
	return 0;
}

/* See vlan.c: the loader already appended " user=... pid=..."; the inner open adds it again. */
static void strip_descr(char *out, size_t size, const char *descr)
{
	const char *cut;
	size_t len;

	if (descr == NULL)
		descr = "";
	cut = strstr(descr, " user=");
	len = cut ? (size_t)(cut - descr) : strlen(descr);
	if (len >= size)
		len = size - 1;
	memcpy(out, descr, len);
	out[len] = '\0';
}

static VDECONN *agno_open(char *given_url, char *descr, int interface_version, struct vde_open_args *open_args)
{
	char *nested, *ethtype = "";
	struct vdeparms parms[] = {{"ethtype", &ethtype}, {NULL, NULL}};
	char path[4096], innerdescr[MAXDESCR];
	unsigned char key[16];
	struct agno_conn *c;
	uint16_t et;

	(void)interface_version;
	nested = vde_parsenestparms(given_url);
	if (vde_parsepathparms(given_url, parms) != 0)
		return NULL;
	if (agno_parse_ethtype(ethtype, &et) < 0) {
		errno = EINVAL;
		return NULL;
	}
	if (agno_keypath(given_url, path, sizeof(path)) < 0 || agno_readkey(path, key) < 0)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		explicit_bzero(key, sizeof(key));
		return NULL;
	}
	c->ethtype = et;
	aes128_set_encrypt_key(&c->ekey, key);
	aes128_set_decrypt_key(&c->dkey, key);
	explicit_bzero(key, sizeof(key));
	c->poolpos = sizeof(c->pool);
	strip_descr(innerdescr, sizeof(innerdescr), descr);
	c->inner = vde_open_real(nested ? nested : "", innerdescr, LIBVDEPLUG_INTERFACE_VERSION, open_args);
	if (c->inner == NULL) {
		int saved = errno;

		explicit_bzero(c, sizeof(*c));
		free(c);
		errno = saved;
		return NULL;
	}
	return (VDECONN *)c;
}

static bool fd_readable(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	return fd >= 0 && poll(&pfd, 1, 0) > 0 && (pfd.revents & POLLIN);
}

/* Decrypt the n-byte wire frame in c->rbuf into buf (size len). Returns the frame length or 0. */
static size_t agno_decrypt(struct agno_conn *c, size_t n, unsigned char *buf, size_t len)
{
	unsigned char hdr[AGNO_HLEN];
	const unsigned char *cipher = c->rbuf + ETH_HLEN + AGNO_HLEN;
	unsigned char *plain = c->pbuf;
	size_t clen, flen, i;
	int32_t age;

	if (n < ETH_HLEN + AGNO_HLEN || (n - ETH_HLEN - AGNO_HLEN) % BLK != 0)
		return 0;
	aes128_decrypt(&c->dkey, AGNO_HLEN, hdr, c->rbuf + ETH_HLEN);
	if (memcmp(hdr + 4, "agno", 4) != 0)
		return 0;
	/* Wraps like the 32-bit field: -1..+2 s around our clock. */
	age = (int32_t)((uint32_t)time(NULL) - get32(hdr + 8));
	if (age < -1 || age > 2)
		return 0;
	clen = n - ETH_HLEN - AGNO_HLEN;
	if ((size_t)(hdr[2] & 0x0f) > clen)
		return 0;
	flen = ETH_HLEN + clen - (hdr[2] & 0x0f);
	if (flen > len)
		return 0;
	/* CBC: P[i] = D(C[i]) ^ C[i-1], C[-1] = the plaintext header. */
	aes128_decrypt(&c->dkey, clen, plain, cipher);
	for (i = 0; i < clen; i++)
		plain[i] ^= i < BLK ? hdr[i] : cipher[i - BLK];
	memcpy(buf, c->rbuf, 12);
	memcpy(buf + 12, hdr, 2);
	memcpy(buf + ETH_HLEN, plain, flen - ETH_HLEN);
	return flen;
}

/* Frames that do not decrypt are consumed here, never returned as 1: see vlan_recv() in vlan.c. */
static ssize_t agno_recv(VDECONN *conn, void *buf, size_t len, int flags)
{
	struct agno_conn *c = (struct agno_conn *)conn;
	int drops;

	for (drops = 0; drops < AGNO_MAX_DROPS; drops++) {
		ssize_t n = vde_recv(c->inner, c->rbuf, sizeof(c->rbuf), flags);
		size_t out;

		if (n <= 0)
			return n;
		out = agno_decrypt(c, (size_t)n, buf, len);
		if (out >= ETH_HLEN)
			return (ssize_t)out;
		if (!fd_readable(vde_datafd(c->inner)))
			break;
	}
	errno = EAGAIN;
	return -1;
}

static ssize_t agno_send(VDECONN *conn, const void *buf, size_t len, int flags)
{
	struct agno_conn *c = (struct agno_conn *)conn;
	const unsigned char *f = buf;
	unsigned char *out = c->sbuf, hdr[AGNO_HLEN], iv[BLK], blk[BLK];
	size_t plen, padded, i, enclen;
	ssize_t rv;

	if (len < ETH_HLEN)
		return (ssize_t)len;	/* not a frame: nothing to carry */
	if (len > VDE_ETHBUFSIZE) {
		errno = EMSGSIZE;
		return -1;
	}
	plen = len - ETH_HLEN;
	padded = (plen + BLK - 1) & ~(size_t)(BLK - 1);
	enclen = ETH_HLEN + AGNO_HLEN + padded;

	memcpy(hdr, f + 12, 2);
	hdr[2] = (unsigned char)(padded - plen);
	hdr[3] = 0;
	memcpy(hdr + 4, "agno", 4);
	put32(hdr + 8, (uint32_t)time(NULL));
	agno_random(c, hdr + 12, 4);

	memcpy(out, f, 12);
	if (c->ethtype == ETHTYPE_COPY) {
		memcpy(out + 12, f + 12, 2);
	} else if (c->ethtype == ETHTYPE_RAND) {
		unsigned char r[2];

		agno_random(c, r, sizeof(r));
		put16(out + 12, (uint16_t)(0x600 + (r[0] << 8 | r[1]) % 0xf9ff));
	} else {
		put16(out + 12, c->ethtype);
	}
	aes128_encrypt(&c->ekey, AGNO_HLEN, out + ETH_HLEN, hdr);
	memcpy(iv, hdr, BLK);
	for (i = 0; i < padded; i += BLK) {
		size_t k, take = plen - i < BLK ? plen - i : BLK;

		memset(blk, 0, sizeof(blk));
		memcpy(blk, f + ETH_HLEN + i, take);
		for (k = 0; k < BLK; k++)
			blk[k] ^= iv[k];
		aes128_encrypt(&c->ekey, BLK, out + ETH_HLEN + AGNO_HLEN + i, blk);
		memcpy(iv, out + ETH_HLEN + AGNO_HLEN + i, BLK);
	}
	rv = vde_send(c->inner, out, enclen, flags);
	return rv == (ssize_t)enclen ? (ssize_t)len : rv;
}

static int agno_datafd(VDECONN *conn)
{
	return vde_datafd(((struct agno_conn *)conn)->inner);
}

static int agno_ctlfd(VDECONN *conn)
{
	return vde_ctlfd(((struct agno_conn *)conn)->inner);
}

static int agno_close(VDECONN *conn)
{
	struct agno_conn *c = (struct agno_conn *)conn;
	int rv = vde_close(c->inner);

	explicit_bzero(c, sizeof(*c));
	free(c);
	return rv;
}

__attribute__((visibility("default"))) struct vdeplug_module vdeplug_ops = {
	.flags = 0,
	.vde_open_real = agno_open,
	.vde_recv = agno_recv,
	.vde_send = agno_send,
	.vde_datafd = agno_datafd,
	.vde_ctlfd = agno_ctlfd,
	.vde_close = agno_close,
};
