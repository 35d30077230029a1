/*
 * text — free text that other people will read (descriptions): one rule for what a description may
 * hold, shared by vded (refuse or sanitise) and vdectl (escape before printing to a terminal).
 *
 * A description is valid UTF-8 (shortest form, no surrogates) without control characters (C0, DEL,
 * C1) and without the invisible formatting characters that make text display other than it reads:
 * bidirectional embeddings, overrides and isolates, zero-width characters, the BOM, line and
 * paragraph separators, soft hyphen, tags (see text_is_hidden() in text.c for the list).
 */
#ifndef VDE_TEXT_H
#define VDE_TEXT_H

#include <stddef.h>

/*
 * Check len bytes of s. Returns 0 if every character may be shown, else -EINVAL with why (may be
 * NULL) filled with what is wrong and where, e.g. "U+202E (a bidirectional or formatting
 * character) at byte 3" or "invalid UTF-8 at byte 7". why is always NUL-terminated.
 */
int text_check(const char *s, size_t len, char *why, size_t why_size);

/*
 * Make s (NUL-terminated, changed in place) valid: each character text_check() refuses becomes one
 * '?', each byte of an invalid sequence one '?'. The result is never longer. Returns how many
 * replacements were made (0: s was fine). For text from clients that cannot be sent an error.
 */
size_t text_sanitise(char *s);

/*
 * Copy s into out (out_size > 0, always NUL-terminated) for a terminal: what text_check() refuses is
 * written as \xNN per byte, the rest as it is. Cut at a character boundary if out is too small.
 * Returns out.
 */
char *text_escape(const char *s, char *out, size_t out_size);

/* Characters a terminal shows for s (UTF-8 continuation bytes not counted), for column widths. */
size_t text_width(const char *s);

#endif
