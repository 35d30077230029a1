/*
 * pcap — capture files for tcpdump, tshark and Wireshark, written from capture records
 * (common/caprec.h): classic pcap with nanosecond timestamps (magic a1b23c4d, LINKTYPE_ETHERNET), or
 * pcapng with one interface per port ("port N"), each packet's direction in epb_flags and, for a frame
 * vded cut from an offloaded one or one it could not cut, a comment saying so. Pure: every call fills
 * a caller's buffer and returns its length; the caller writes it.
 */
#ifndef VDECTL_PCAP_H
#define VDECTL_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "caprec.h"

#define PCAP_PORTS 4097			/* port ids 0..4096 */
/* Room a packet's blocks may need besides its data: an interface block, the packet block's header,
 * padding and options. */
#define PCAP_OVERHEAD 256

struct pcap_writer {
	bool ng;
	uint32_t snaplen;
	uint32_t nifaces;
	int32_t iface[PCAP_PORTS];	/* pcapng interface id of each port, -1: none yet */
};

/* Start a file: the header (pcap) or section header (pcapng) into out (at least 64 bytes). */
size_t pcap_begin(struct pcap_writer *w, bool ng, uint32_t snaplen, uint8_t *out);

/* One frame record as a packet (with its interface block first, in pcapng, the first time its port
 * appears), into out of cap bytes: its length, or 0 if it does not fit (cap < caplen + PCAP_OVERHEAD). */
size_t pcap_packet(struct pcap_writer *w, const struct caprec *r, uint8_t *out, size_t cap);

#endif
