/* Command-line numbers and sizes: one strict grammar for every size option
 * (--memory) and count option (--cpus). Pure: no I/O, no globals, unit
 * tested in tests/unit/test_size.c. The grammar is documented in README.md
 * ("Sizes and numbers"). */
#ifndef MVR_SIZE_H
#define MVR_SIZE_H

#include <stddef.h>
#include <stdint.h>

#define SIZE_KIB (1ULL << 10)
#define SIZE_MIB (1ULL << 20)
#define SIZE_GIB (1ULL << 30)
#define SIZE_TIB (1ULL << 40)

/* Parse the number at the start of 's': decimal digits (leading zeros are
 * decimal: "010" is ten, never octal) or "0x"/"0X" and hex digits, no sign,
 * no white space. Stores the value in *out and the first byte after the
 * number in *end. Returns 0, -EINVAL (no digits) or -ERANGE (more than
 * 64 bits). */
int size_parse_number(const char *s, const char **end, uint64_t *out);

/* A whole string that is one number of the grammar above, at most 'max'
 * (for counts such as --cpus). Returns 0, -EINVAL (empty, not a number,
 * trailing bytes) or -ERANGE (above 'max'). */
int size_parse_count(const char *s, uint64_t max, uint64_t *out);

/* A size: NUMBER [K|M|G|T [i] [B]] (letters in either case, powers of
 * 1024: "2G", "2GiB", "2gb", "512Mi", "0x200M"); a bare NUMBER is in
 * 'bare_unit' bytes (--memory: MiB). Stores the size in bytes in *bytes and
 * the unit the user wrote in *unit (for messages in the user's units).
 * Returns 0, -EINVAL (syntax) or -ERANGE (the size needs more than
 * 64 bits). */
int size_parse(const char *s, uint64_t bare_unit, uint64_t *bytes, uint64_t *unit);

/* Write 'bytes' as "<n> <unit>" into buf (at most 'len' bytes, always
 * NUL-terminated): in 'unit' (a power of 1024 from bytes to TiB) when it
 * divides 'bytes' exactly, otherwise in the largest power of 1024 that
 * does ("3 KiB", "1023 GiB", "5 bytes"). Returns buf. */
const char *size_format(char *buf, size_t len, uint64_t bytes, uint64_t unit);

#endif
