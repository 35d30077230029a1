/* pcap — pcap and pcapng from capture records (see pcap.h). Written in the host's byte order, which
 * both formats allow (the magic numbers tell readers which). */
#include <string.h>

#include "pcap.h"

#define LINKTYPE_ETHERNET 1

static size_t put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
	return 2;
}

static size_t put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
	return 4;
}

/* A pcapng option: code, length, value padded to 4 bytes. */
static size_t put_opt(uint8_t *p, uint16_t code, const void *val, uint16_t len)
{
	size_t n = put16(p, code);

	n += put16(p + n, len);
	memcpy(p + n, val, len);
	n += len;
	while (n % 4)
		p[n++] = 0;
	return n;
}

size_t pcap_begin(struct pcap_writer *w, bool ng, uint32_t snaplen, uint8_t *out)
{
	size_t n = 0;

	memset(w, 0, sizeof(*w));
	w->ng = ng;
	w->snaplen = snaplen;
	for (size_t i = 0; i < PCAP_PORTS; i++)
		w->iface[i] = -1;
	if (!ng) {
		n += put32(out + n, 0xa1b23c4d);	/* nanosecond timestamps */
		n += put16(out + n, 2);
		n += put16(out + n, 4);
		n += put32(out + n, 0);			/* GMT */
		n += put32(out + n, 0);
		n += put32(out + n, snaplen);
		n += put32(out + n, LINKTYPE_ETHERNET);
		return n;
	}
	/* section header block: no options, section length unknown (-1) */
	n += put32(out + n, 0x0a0d0d0a);
	n += put32(out + n, 28);
	n += put32(out + n, 0x1a2b3c4d);
	n += put16(out + n, 1);
	n += put16(out + n, 0);
	n += put32(out + n, 0xffffffff);
	n += put32(out + n, 0xffffffff);
	n += put32(out + n, 28);
	return n;
}

/* An interface description block for port: LINKTYPE_ETHERNET, if_name "port N", ns resolution. */
static size_t pcap_iface(struct pcap_writer *w, unsigned port, uint8_t *out)
{
	char name[16];
	uint8_t tsresol = 9;
	size_t n = 8;
	int len = 0;

	for (unsigned v = port, d = 10000; d; d /= 10)
		if (v / d || len || d == 1)
			name[5 + len++] = (char)('0' + (v / d) % 10);
	memcpy(name, "port ", 5);
	len += 5;
	put32(out, 1);
	n += put16(out + n, LINKTYPE_ETHERNET);
	n += put16(out + n, 0);
	n += put32(out + n, w->snaplen);
	n += put_opt(out + n, 2, name, (uint16_t)len);		/* if_name */
	n += put_opt(out + n, 9, &tsresol, 1);			/* if_tsresol: 10^-9 s */
	n += put32(out + n, 0);					/* opt_endofopt */
	n += put32(out + n, (uint32_t)n + 4);
	put32(out + 4, (uint32_t)n);
	w->iface[port] = (int32_t)w->nifaces++;
	return n;
}

size_t pcap_packet(struct pcap_writer *w, const struct caprec *r, uint8_t *out, size_t cap)
{
	size_t n = 0, start;
	uint32_t flags;
	const char *comment = NULL;

	if (r->type != CAPREC_FRAME || cap < r->caplen + PCAP_OVERHEAD || r->port >= PCAP_PORTS)
		return 0;
	if (!w->ng) {
		n += put32(out + n, (uint32_t)(r->ts_ns / 1000000000u));
		n += put32(out + n, (uint32_t)(r->ts_ns % 1000000000u));
		n += put32(out + n, (uint32_t)r->caplen);
		n += put32(out + n, r->orig_len);
		memcpy(out + n, r->data, r->caplen);
		return n + r->caplen;
	}
	if (w->iface[r->port] < 0)
		n += pcap_iface(w, r->port, out);
	start = n;
	n += 8;
	n += put32(out + n, (uint32_t)w->iface[r->port]);
	n += put32(out + n, (uint32_t)(r->ts_ns >> 32));
	n += put32(out + n, (uint32_t)r->ts_ns);
	n += put32(out + n, (uint32_t)r->caplen);
	n += put32(out + n, r->orig_len);
	memcpy(out + n, r->data, r->caplen);
	n += r->caplen;
	while ((n - start) % 4)
		out[n++] = 0;
	flags = r->dir == CAPREC_DIR_IN ? 1 : 2;	/* epb_flags bits 0-1: inbound, outbound */
	n += put_opt(out + n, 2, &flags, 4);
	if (r->flags & CAPREC_F_SEGMENTED)
		comment = "segmented by vded from an offloaded frame";
	else if (r->flags & CAPREC_F_GSO)
		comment = "an offloaded frame vded could not segment, as it came";
	if (comment)
		n += put_opt(out + n, 1, comment, (uint16_t)strlen(comment));	/* opt_comment */
	n += put32(out + n, 0);
	n += put32(out + n, (uint32_t)(n - start) + 4);
	put32(out + start, 6);					/* enhanced packet block */
	put32(out + start + 4, (uint32_t)(n - start));
	return n;
}
