/* Pure helpers for the control socket protocol (DESIGN.md section 9): the
 * per-client line buffer, strict integer parsing for JSON arguments and ctl
 * key=value pairs, and argument vocabularies. No json-c and no KVM headers,
 * so they are unit tested natively (tests/unit/test_control_proto.c). */
#ifndef MVR_CONTROL_PROTO_H
#define MVR_CONTROL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ras/ras.h"

/* SError syndrome accepted by KVM_SET_VCPU_EVENTS: the ISS field only,
 * ESR_ELx bits [24:0] (Arm ARM D17.2.37); KVM rejects anything else. */
#define CTLP_SERROR_ISS_MASK 0x1ffffffULL

/* A byte stream split into lines. Holds at most 'cap' bytes; a line (without
 * its '\n') must be shorter than 'cap'. */
struct ctlp_linebuf {
	char *buf;      /* cap + 1 bytes: room for a terminating NUL */
	size_t cap;
	size_t start;   /* first byte not yet returned as a line */
	size_t len;     /* bytes stored, from buf[0] */
};

/* Allocate a buffer for lines shorter than 'cap' bytes. Returns 0 or
 * -ENOMEM / -EINVAL (cap 0). */
int ctlp_linebuf_init(struct ctlp_linebuf *lb, size_t cap);
/* Release the storage; safe on a zeroed or already-freed buffer. */
void ctlp_linebuf_free(struct ctlp_linebuf *lb);

/* Where to read more input: returns a pointer and sets *avail to the free
 * room (0 means the buffer is full: call ctlp_linebuf_next() first; if that
 * says -EMSGSIZE the line is too long). Invalidates lines returned before. */
char *ctlp_linebuf_space(struct ctlp_linebuf *lb, size_t *avail);
/* Record that 'n' bytes (n <= the last *avail) were written at the space. */
void ctlp_linebuf_commit(struct ctlp_linebuf *lb, size_t n);

/* Return the next complete line: 1 with *line (NUL-terminated, '\n' and one
 * trailing '\r' removed, valid until the next call on lb) and *len set; 0
 * when no complete line is buffered; -EMSGSIZE when the buffer is full
 * without a newline (the caller should give up on this stream). */
int ctlp_linebuf_next(struct ctlp_linebuf *lb, char **line, size_t *len);

/* At end of stream: return the unterminated rest as a line like
 * ctlp_linebuf_next() (1), or 0 when nothing (or only blanks) is left. */
int ctlp_linebuf_rest(struct ctlp_linebuf *lb, char **line, size_t *len);

/* Whether bytes not yet returned as a line are buffered (an incomplete
 * line, or complete lines not taken yet). */
bool ctlp_linebuf_pending(const struct ctlp_linebuf *lb);

/* Strict unsigned integer: decimal, or hexadecimal with a 0x/0X prefix; no
 * sign, no spaces, no trailing characters, no overflow. Returns 0 or
 * -EINVAL / -ERANGE. */
int ctlp_parse_u64(const char *s, uint64_t *out);

/* Classify a ctl value: CTLP_NUM_UNSIGNED (*u set) for what
 * ctlp_parse_u64() accepts, CTLP_NUM_NEGATIVE (*i set) for '-' followed by
 * a decimal that fits int64_t, CTLP_NUM_NONE otherwise (send a string). */
enum ctlp_num { CTLP_NUM_NONE, CTLP_NUM_UNSIGNED, CTLP_NUM_NEGATIVE };
enum ctlp_num ctlp_classify_number(const char *s, uint64_t *u, int64_t *i);

/* Split "key=value": key must be 1..keysz-1 characters of [A-Za-z0-9_-].
 * Copies the key, points *value into 'arg'. Returns 0 or -EINVAL. */
int ctlp_split_kv(const char *arg, char *key, size_t keysz, const char **value);

/* Argument vocabularies of inject-memory-error. Return 0 or -EINVAL. */
int ctlp_parse_inject_mode(const char *s, enum ras_inject_mode *mode);
int ctlp_parse_kind(const char *s, enum ras_kind *kind);
const char *ctlp_inject_mode_name(enum ras_inject_mode mode);
const char *ctlp_kind_name(enum ras_kind kind);

/* The numbers of a version string "[v]MAJOR[.MINOR[.MICRO]][-anything]"
 * (git describe) into v[0..2]; missing parts are 0, and a string that does
 * not start with a number (a bare commit hash) gives 0.0.0. Each number is
 * capped at 65535. */
void ctlp_version_numbers(const char *s, unsigned v[3]);

/* inject-error vocabularies. Severity: "recoverable", "fatal",
 * "corrected", "info" (UEFI N.2.1 values 0-3). Source: "sea:N" (vCPU N's
 * SEA source), "async", "polled", "gsiv". Return 0 or -EINVAL. */
int ctlp_parse_severity(const char *s, uint32_t *sev);
const char *ctlp_severity_name(uint32_t sev);
int ctlp_parse_source(const char *s, enum ras_source_kind *kind, unsigned *vcpu);

/* Strict base64 (RFC 4648 section 4: '+' '/', '=' padding required, no
 * whitespace, canonical zero bits) of 's' into out[0 .. cap). Returns 0
 * with *out_len set, -EINVAL (not base64, empty) or -EMSGSIZE (longer
 * than cap). */
int ctlp_base64_decode(const char *s, uint8_t *out, size_t cap, size_t *out_len);

/* True when 'esr' can be given to KVM as an SError syndrome. */
bool ctlp_serror_esr_valid(uint64_t esr);
/* The ISS KVM_SET_VCPU_EVENTS takes, from either a bare ISS or a whole
 * SError ESR_EL1 (EC 0x2F, IL set, e.g. 0xbe000c11). 0 or -EINVAL. */
int ctlp_serror_iss(uint64_t esr, uint32_t *iss);

#endif
