/* Command-line numbers and sizes (size.h): decimal or 0x-hex numbers, never
 * octal, with optional K/M/G/T[i][B] suffixes in powers of 1024, overflow
 * checked; and the reverse, a size in the unit the user wrote it in. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "size.h"

static int digit_value(char c, unsigned base)
{
	int v;

	if (c >= '0' && c <= '9')
		v = c - '0';
	else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		v = (c | 0x20) - 'a' + 10;
	else
		return -1;
	return v < (int)base ? v : -1;
}

int size_parse_number(const char *s, const char **end, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;
	bool overflow = false;
	const char *p = s;
	int d;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (digit_value(*p, base) < 0)
		return -EINVAL;	/* empty, sign, space, or "0x" alone */
	for (; (d = digit_value(*p, base)) >= 0; p++) {
		if (__builtin_mul_overflow(v, base, &v) ||
		    __builtin_add_overflow(v, (uint64_t)d, &v))
			overflow = true;
	}
	*end = p;
	if (overflow)
		return -ERANGE;
	*out = v;
	return 0;
}

int size_parse_count(const char *s, uint64_t max, uint64_t *out)
{
	const char *end;
	uint64_t v;
	int ret;

	ret = size_parse_number(s, &end, &v);
	if (ret == -EINVAL || (!ret && *end))
		return -EINVAL;
	if (ret == -ERANGE) {
		/* Still a syntax error if garbage follows the digits. */
		return *end ? -EINVAL : -ERANGE;
	}
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* The multiplier of suffix letter 'c', or 0 when it is none. */
static uint64_t suffix_unit(char c)
{
	switch (c | 0x20) {
	case 'k': return SIZE_KIB;
	case 'm': return SIZE_MIB;
	case 'g': return SIZE_GIB;
	case 't': return SIZE_TIB;
	default:  return 0;
	}
}

int size_parse(const char *s, uint64_t bare_unit, uint64_t *bytes, uint64_t *unit)
{
	const char *p;
	uint64_t v, u = bare_unit, n;
	int ret;

	ret = size_parse_number(s, &p, &v);
	if (ret == -EINVAL)
		return ret;
	if (*p && suffix_unit(*p)) {
		u = suffix_unit(*p++);
		if (*p == 'i')
			p++;
		if (*p == 'B' || *p == 'b')
			p++;
	}
	if (*p)
		return -EINVAL;
	if (ret)
		return ret;	/* -ERANGE: the number alone is too long */
	if (__builtin_mul_overflow(v, u, &n))
		return -ERANGE;
	*bytes = n;
	*unit = u;
	return 0;
}

const char *size_format(char *buf, size_t len, uint64_t bytes, uint64_t unit)
{
	static const struct {
		uint64_t unit;
		const char *name;
	} units[] = {
		{ SIZE_TIB, "TiB" }, { SIZE_GIB, "GiB" }, { SIZE_MIB, "MiB" },
		{ SIZE_KIB, "KiB" }, { 1, "bytes" },
	};
	unsigned i, pick = 4;

	for (i = 0; i < 5; i++) {
		if (units[i].unit == unit && bytes % unit == 0) {
			pick = i;
			break;
		}
	}
	if (i == 5) {
		for (i = 0; i < 5; i++) {
			if (bytes % units[i].unit == 0) {
				pick = i;
				break;
			}
		}
	}
	snprintf(buf, len, "%llu %s", (unsigned long long)(bytes / units[pick].unit),
		 units[pick].name);
	return buf;
}
