#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "text.h"

/*
 * Decode one UTF-8 character at s (len > 0 bytes left). Returns its length (1..4) with *cp set, or 0
 * if s does not start a valid shortest-form sequence of a scalar value (no surrogates, ≤ U+10FFFF).
 */
static size_t text_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t n;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

static bool text_is_control(uint32_t c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f);
}

/*
 * Characters that are invisible or change how the text around them is displayed (Unicode format
 * characters and separators): the "Trojan Source" bidi controls and their relatives.
 */
static bool text_is_hidden(uint32_t c)
{
	return c == 0x00ad ||			/* soft hyphen */
	       c == 0x061c ||			/* arabic letter mark */
	       c == 0x180e ||			/* mongolian vowel separator */
	       (c >= 0x200b && c <= 0x200f) ||	/* zero width space/(non-)joiner, LRM, RLM */
	       (c >= 0x2028 && c <= 0x202e) ||	/* line/paragraph separator, LRE RLE PDF LRO RLO */
	       (c >= 0x2060 && c <= 0x206f) ||	/* word joiner, invisible operators, LRI RLI FSI PDI, ... */
	       c == 0xfeff ||			/* zero width no-break space (BOM) */
	       (c >= 0xfff9 && c <= 0xfffb) ||	/* interlinear annotation */
	       c == 0xfffe || c == 0xffff ||	/* noncharacters */
	       (c >= 0xe0000 && c <= 0xe007f);	/* tags */
}

int text_check(const char *s, size_t len, char *why, size_t why_size)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	if (why && why_size)
		why[0] = '\0';
	while (i < len) {
		uint32_t c;
		size_t n = text_decode(u + i, len - i, &c);

		if (n == 0) {
			if (why && why_size)
				snprintf(why, why_size, "invalid UTF-8 at byte %zu", i);
			return -EINVAL;
		}
		if (text_is_control(c) || text_is_hidden(c)) {
			if (why && why_size)
				snprintf(why, why_size, "U+%04X (%s) at byte %zu", (unsigned)c,
					 text_is_control(c) ? "a control character" :
							      "a bidirectional or formatting character", i);
			return -EINVAL;
		}
		i += n;
	}
	return 0;
}

size_t text_sanitise(char *s)
{
	unsigned char *u = (unsigned char *)s;
	size_t len = strlen(s), i = 0, o = 0, fixed = 0;

	while (i < len) {
		uint32_t c;
		size_t n = text_decode(u + i, len - i, &c);

		if (n == 0 || text_is_control(c) || text_is_hidden(c)) {
			u[o++] = '?';
			i += n ? n : 1;
			fixed++;
			continue;
		}
		memmove(u + o, u + i, n);
		o += n;
		i += n;
	}
	u[o] = '\0';
	return fixed;
}

char *text_escape(const char *s, char *out, size_t out_size)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len = strlen(s), i = 0, o = 0;

	while (i < len) {
		uint32_t c;
		size_t n = text_decode(u + i, len - i, &c);
		bool bad = n == 0 || text_is_control(c) || text_is_hidden(c);

		if (!n)
			n = 1;
		if (o + (bad ? 4 * n : n) >= out_size)
			break;
		if (bad) {
			for (size_t k = 0; k < n; k++)
				o += (size_t)snprintf((char *)out + o, out_size - o, "\\x%02x", u[i + k]);
		} else {
			memcpy(out + o, u + i, n);
			o += n;
		}
		i += n;
	}
	out[o] = '\0';
	return out;
}

size_t text_width(const char *s)
{
	size_t w = 0;

	for (const unsigned char *u = (const unsigned char *)s; *u; u++)
		w += (*u & 0xc0) != 0x80;
	return w;
}
