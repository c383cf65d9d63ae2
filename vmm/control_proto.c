/* Pure helpers for the control socket protocol (DESIGN.md section 9): line
 * framing of a byte stream, strict integer parsing and the argument words
 * shared by the server (control.c) and its client (ctl.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control_proto.h"
#include "util.h"

int ctlp_linebuf_init(struct ctlp_linebuf *lb, size_t cap)
{
	memset(lb, 0, sizeof(*lb));
	if (cap == 0)
		return -EINVAL;
	lb->buf = malloc(cap + 1);
	if (!lb->buf)
		return -ENOMEM;
	lb->cap = cap;
	return 0;
}

void ctlp_linebuf_free(struct ctlp_linebuf *lb)
{
	free(lb->buf);
	memset(lb, 0, sizeof(*lb));
}

char *ctlp_linebuf_space(struct ctlp_linebuf *lb, size_t *avail)
{
	/* Drop the lines already handed out before taking more input. */
	if (lb->start) {
		memmove(lb->buf, lb->buf + lb->start, lb->len - lb->start);
		lb->len -= lb->start;
		lb->start = 0;
	}
	*avail = lb->cap - lb->len;
	return lb->buf + lb->len;
}

void ctlp_linebuf_commit(struct ctlp_linebuf *lb, size_t n)
{
	if (n > lb->cap - lb->len)
		n = lb->cap - lb->len;
	lb->len += n;
}

/* Hand out buf[start, end) as a NUL-terminated line; 'next' is where the
 * following line starts. */
static int take_line(struct ctlp_linebuf *lb, size_t end, size_t next,
		     char **line, size_t *len)
{
	size_t n = end - lb->start;

	if (n && lb->buf[lb->start + n - 1] == '\r')
		n--;
	lb->buf[lb->start + n] = '\0';
	*line = lb->buf + lb->start;
	*len = n;
	lb->start = next;
	return 1;
}

int ctlp_linebuf_next(struct ctlp_linebuf *lb, char **line, size_t *len)
{
	char *nl = memchr(lb->buf + lb->start, '\n', lb->len - lb->start);
	size_t end;

	if (!nl)
		return lb->len - lb->start >= lb->cap ? -EMSGSIZE : 0;
	end = (size_t)(nl - lb->buf);
	return take_line(lb, end, end + 1, line, len);
}

int ctlp_linebuf_rest(struct ctlp_linebuf *lb, char **line, size_t *len)
{
	size_t i;

	for (i = lb->start; i < lb->len; i++) {
		char c = lb->buf[i];

		if (c != ' ' && c != '\t' && c != '\r')
			break;
	}
	if (i == lb->len) {
		lb->start = lb->len;
		return 0;
	}
	/* buf has cap + 1 bytes, so buf[len] is always writable. */
	return take_line(lb, lb->len, lb->len, line, len);
}

bool ctlp_linebuf_pending(const struct ctlp_linebuf *lb)
{
	return lb->len > lb->start;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int ctlp_parse_u64(const char *s, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;
	int d;

	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		if (!*s)
			return -EINVAL;
	}
	for (; *s; s++) {
		d = hex_digit(*s);
		if (d < 0 || (unsigned)d >= base)
			return -EINVAL;
		if (__builtin_mul_overflow(v, base, &v) ||
		    __builtin_add_overflow(v, (uint64_t)d, &v))
			return -ERANGE;
	}
	*out = v;
	return 0;
}

enum ctlp_num ctlp_classify_number(const char *s, uint64_t *u, int64_t *i)
{
	uint64_t v;

	if (s[0] != '-')
		return ctlp_parse_u64(s, u) ? CTLP_NUM_NONE : CTLP_NUM_UNSIGNED;
	/* Negative numbers: decimal only, down to INT64_MIN. */
	if (s[1] == '0' && (s[2] == 'x' || s[2] == 'X'))
		return CTLP_NUM_NONE;
	if (ctlp_parse_u64(s + 1, &v) || v > (uint64_t)INT64_MAX + 1)
		return CTLP_NUM_NONE;
	*i = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	return CTLP_NUM_NEGATIVE;
}

static bool key_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

int ctlp_split_kv(const char *arg, char *key, size_t keysz, const char **value)
{
	const char *eq = strchr(arg, '=');
	size_t n, k;

	if (!eq || eq == arg)
		return -EINVAL;
	n = (size_t)(eq - arg);
	if (n >= keysz)
		return -EINVAL;
	for (k = 0; k < n; k++)
		if (!key_char_ok(arg[k]))
			return -EINVAL;
	memcpy(key, arg, n);
	key[n] = '\0';
	*value = eq + 1;
	return 0;
}

int ctlp_parse_inject_mode(const char *s, enum ras_inject_mode *mode)
{
	if (!strcmp(s, "cper"))
		*mode = RAS_INJECT_CPER;
	else if (!strcmp(s, "hwpoison"))
		*mode = RAS_INJECT_HWPOISON;
	else
		return -EINVAL;
	return 0;
}

int ctlp_parse_kind(const char *s, enum ras_kind *kind)
{
	if (!strcmp(s, "ar"))
		*kind = RAS_KIND_AR;
	else if (!strcmp(s, "ao"))
		*kind = RAS_KIND_AO;
	else
		return -EINVAL;
	return 0;
}

const char *ctlp_inject_mode_name(enum ras_inject_mode mode)
{
	return mode == RAS_INJECT_HWPOISON ? "hwpoison" : "cper";
}

const char *ctlp_kind_name(enum ras_kind kind)
{
	return kind == RAS_KIND_AO ? "ao" : "ar";
}

void ctlp_version_numbers(const char *s, unsigned v[3])
{
	unsigned k, n;

	v[0] = v[1] = v[2] = 0;
	if (!s)
		return;
	if (*s == 'v' || *s == 'V')
		s++;
	if (*s < '0' || *s > '9')
		return;
	/* "1.2.3-4-gabcdef": three numbers at most, each up to the next
	 * non-digit; a hash that merely starts with digits ("673ef4c") is
	 * told apart by what follows its digits. */
	for (k = 0; k < 3; k++) {
		n = 0;
		if (*s < '0' || *s > '9')
			break;
		while (*s >= '0' && *s <= '9') {
			n = n * 10 + (unsigned)(*s - '0');
			if (n > 65535)
				n = 65535;
			s++;
		}
		v[k] = n;
		if (*s != '.')
			break;
		s++;
	}
	if (*s && *s != '-' && *s != '+' && *s != '.' && *s != '~')
		v[0] = v[1] = v[2] = 0;
}

bool ctlp_serror_esr_valid(uint64_t esr)
{
	return (esr & ~CTLP_SERROR_ISS_MASK) == 0;
}

int ctlp_serror_iss(uint64_t esr, uint32_t *iss)
{
	/* A whole ESR_EL1 as the guest will see it (EC 0x2F "SError
	 * interrupt", IL set), as the RAS seeds give it (0xbe000c11): KVM
	 * takes only its ISS. */
	if ((esr >> 26) == 0x2f && (esr & (1ULL << 25)))
		esr &= CTLP_SERROR_ISS_MASK;
	if (!ctlp_serror_esr_valid(esr))
		return -EINVAL;
	*iss = (uint32_t)esr;
	return 0;
}

int ctlp_parse_severity(const char *s, uint32_t *sev)
{
	/* UEFI N.2.1 Error Severity values */
	static const char *const names[] = { "recoverable", "fatal", "corrected", "info" };
	uint32_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(s, names[i])) {
			*sev = i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *ctlp_severity_name(uint32_t sev)
{
	static const char *const names[] = { "recoverable", "fatal", "corrected", "info" };

	return sev < ARRAY_SIZE(names) ? names[sev] : "?";
}

int ctlp_parse_source(const char *s, enum ras_source_kind *kind, unsigned *vcpu)
{
	uint64_t n;

	*vcpu = 0;
	if (!strcmp(s, "async")) {
		*kind = RAS_SOURCE_ASYNC;
	} else if (!strcmp(s, "polled")) {
		*kind = RAS_SOURCE_POLLED;
	} else if (!strcmp(s, "gsiv")) {
		*kind = RAS_SOURCE_GSIV;
	} else if (!strncmp(s, "sea:", 4)) {
		if (ctlp_parse_u64(s + 4, &n) || n > UINT32_MAX)
			return -EINVAL;
		*kind = RAS_SOURCE_SEA;
		*vcpu = (unsigned)n;
	} else {
		return -EINVAL;
	}
	return 0;
}

/* Value of one base64 character (RFC 4648 section 4), -1 if none. */
static int b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int ctlp_base64_decode(const char *s, uint8_t *out, size_t cap, size_t *out_len)
{
	size_t len = strlen(s), i, n = 0;

	if (len == 0 || len % 4)
		return -EINVAL;
	for (i = 0; i < len; i += 4) {
		int v[4], k, pad = 0;
		uint32_t w = 0;
		bool last = i + 4 == len;

		for (k = 0; k < 4; k++) {
			unsigned char c = (unsigned char)s[i + k];

			if (c == '=' && last && k >= 2) {
				/* padding: only at the end, "x=" then "=" */
				if (k == 2 && s[i + 3] != '=')
					return -EINVAL;
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad)
				return -EINVAL;
			v[k] = b64_val(c);
			if (v[k] < 0)
				return -EINVAL;
		}
		w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
		/* Bits past the data in the last group must be zero (canonical). */
		if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff)))
			return -EINVAL;
		if (n + 3 - (size_t)pad > cap)
			return -EMSGSIZE;
		out[n++] = (uint8_t)(w >> 16);
		if (pad < 2)
			out[n++] = (uint8_t)(w >> 8);
		if (pad < 1)
			out[n++] = (uint8_t)w;
	}
	*out_len = n;
	return 0;
}
