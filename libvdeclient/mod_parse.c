/*
 * UVDEL option parsing for modules (libvdeplug_mod.so.2, doc/vde-wire.md §2).
 *
 * Three syntaxes share one tokenizer:
 *   address style  addr/key=val/flag        vde_parseparms()
 *   path style     path[key=val/flag]       vde_parsepathparms()
 *   nesting        args{inner locator}      vde_parsenestparms()
 * Quoting: '...' and "..." quote (everything inside is literal up to the same quote), a backslash outside
 * quotes makes the next byte literal, %XX (two hex digits) decodes to a byte outside quotes. Delimiters are only
 * recognised unquoted and undecoded: "a%2fb" is the single token "a/b". Keys are matched by prefix in table
 * order, as vdeplug4 does ("v=7" sets the first key starting with "v"). An empty key ("/=x", "//") is
 * ignored; a key that prefixes no entry fails with EINVAL.
 *
 * Everything works in place on the caller's string: values point into it, so they live as long as it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libvdeplug_mod.h>

#define EXPORT __attribute__((visibility("default")))

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Index of the first byte of s, at most end, that is one of delims and is neither quoted nor escaped;
 * end if there is none. %XX needs no care here: a decoded byte never looks like a delimiter. */
static char *find_unquoted(char *s, char *end, const char *delims)
{
	char quote = 0;

	for (; s < end && *s; s++) {
		if (quote) {
			if (*s == quote)
				quote = 0;
			continue;
		}
		if (*s == '\\') {
			if (s + 1 < end && s[1])
				s++;
			continue;
		}
		if (*s == '\'' || *s == '"') {
			quote = *s;
			continue;
		}
		if (strchr(delims, *s))
			return s;
	}
	return end;
}

/* Remove quotes and escapes and decode %XX, in place, NUL-terminating the result.
 * Inside quotes everything but the closing quote is literal, backslash and %XX included (as vdeplug4).
 * An unterminated quote runs to the end of the string; a trailing lone '\' is dropped. */
static void unquote(char *s)
{
	char *out = s;
	char quote = 0;

	while (*s) {
		if (quote) {
			if (*s == quote) {
				quote = 0;
				s++;
			} else {
				*out++ = *s++;
			}
			continue;
		}
		if (*s == '\'' || *s == '"') {
			quote = *s++;
		} else if (*s == '\\') {
			s++;
			if (*s)
				*out++ = *s++;
		} else if (*s == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
			*out++ = (char)(hexval(s[1]) << 4 | hexval(s[2]));
			s += 3;
		} else {
			*out++ = *s++;
		}
	}
	*out = 0;
}

/* Apply one option token "key=val" or "flag" to the table. Returns 0 or -1 with errno EINVAL. */
static int apply_option(char *tok, struct vdeparms *parms)
{
	char *eq, *val = NULL;
	size_t keylen;
	struct vdeparms *p;

	/* unquote first, then split at the first '=': "'vni=3'" and "vni%3d3" both set vni, as in vdeplug4 */
	unquote(tok);
	eq = strchr(tok, '=');
	if (eq) {
		*eq = 0;
		val = eq + 1;
	}
	keylen = strlen(tok);
	if (keylen == 0)
		return 0;
	for (p = parms; p && p->tag; p++) {
		if (strncmp(tok, p->tag, keylen) == 0) {
			if (p->value)
				*p->value = val ? val : tok + keylen; /* "" for a flag */
			return 0;
		}
	}
	/* A bare token that names no key is positional (vde://DIR[5] is port 5) when the table starts
	 * with a "" entry, as in vdeplug4 (a "" entry elsewhere does not take it there either). */
	if (!val && parms && parms[0].tag && parms[0].tag[0] == '\0') {
		if (parms[0].value)
			*parms[0].value = tok;
		return 0;
	}
	/* vdeplug4 reports the key on stderr too; callers rely only on errno */
	fprintf(stderr, "unknown key: %s\n", tok);
	errno = EINVAL;
	return -1;
}

/* Parse '/'-separated options in [s, end), NUL-terminating each token in place. */
static int parse_option_list(char *s, char *end, struct vdeparms *parms)
{
	while (s < end) {
		char *sep = find_unquoted(s, end, "/");

		*sep = 0;
		if (apply_option(s, parms) < 0)
			return -1;
		if (sep >= end)
			break;
		s = sep + 1;
	}
	return 0;
}

EXPORT int vde_parseparms(char *str, struct vdeparms *parms)
{
	char *end, *sep;

	if (str == NULL)
		return 0;
	end = str + strlen(str);
	sep = find_unquoted(str, end, "/");
	if (sep < end) {
		*sep = 0;
		if (parse_option_list(sep + 1, end, parms) < 0) {
			unquote(str);
			return -1;
		}
	}
	unquote(str);
	return 0;
}

EXPORT int vde_parsepathparms(char *str, struct vdeparms *parms)
{
	char *end, *open, *close;

	if (str == NULL)
		return 0;
	end = str + strlen(str);
	open = find_unquoted(str, end, "[");
	if (open < end) {
		*open = 0;
		/* the options end at the last ']' (none: at the end of the string); what follows is ignored */
		close = strrchr(open + 1, ']');
		if (close)
			*close = 0;
		else
			close = end;
		if (parse_option_list(open + 1, close, parms) < 0) {
			unquote(str);
			return -1;
		}
	}
	unquote(str);
	return 0;
}

EXPORT char *vde_parsenestparms(char *str)
{
	char *end, *open, *close;

	if (str == NULL)
		return NULL;
	end = str + strlen(str);
	open = find_unquoted(str, end, "{");
	if (open >= end)
		return NULL;
	*open = 0;
	/* the inner locator is left quoted: it is parsed again by its own module */
	close = strrchr(open + 1, '}');
	if (close)
		*close = 0;
	return open + 1;
}
