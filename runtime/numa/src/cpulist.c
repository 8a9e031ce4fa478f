/* CPU sets and the kernel's cpulist text format ("0-3,8,10-11").
 *
 * cpulists come from sysfs, from the placement state file and from operators
 * on the command line, so the parser is strict and its errors quote the bad
 * element. A fixed-size bitmap (same size as glibc's cpu_set_t) keeps sets
 * plain values that can be copied and compared.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vessel/cleanup.h"
#include "vessel/err.h"
#include "vessel/numa.h"

void vsl_cpuset_zero(struct vsl_cpuset *s)
{
	memset(s, 0, sizeof(*s));
}

void vsl_cpuset_add(struct vsl_cpuset *s, int cpu)
{
	if (cpu >= 0 && cpu < VSL_CPUSET_MAX)
		s->bits[cpu / 64] |= UINT64_C(1) << (cpu % 64);
}

void vsl_cpuset_del(struct vsl_cpuset *s, int cpu)
{
	if (cpu >= 0 && cpu < VSL_CPUSET_MAX)
		s->bits[cpu / 64] &= ~(UINT64_C(1) << (cpu % 64));
}

bool vsl_cpuset_has(const struct vsl_cpuset *s, int cpu)
{
	if (cpu < 0 || cpu >= VSL_CPUSET_MAX)
		return false;
	return (s->bits[cpu / 64] >> (cpu % 64)) & 1;
}

int vsl_cpuset_count(const struct vsl_cpuset *s)
{
	int n = 0;
	for (size_t i = 0; i < VSL_CPUSET_MAX / 64; i++)
		n += __builtin_popcountll(s->bits[i]);
	return n;
}

int vsl_cpuset_next(const struct vsl_cpuset *s, int from)
{
	if (from < 0)
		from = 0;
	for (int w = from / 64; w < VSL_CPUSET_MAX / 64; w++) {
		uint64_t word = s->bits[w];
		if (w == from / 64)
			word &= ~UINT64_C(0) << (from % 64);
		if (word)
			return w * 64 + __builtin_ctzll(word);
	}
	return -1;
}

void vsl_cpuset_or(struct vsl_cpuset *dst, const struct vsl_cpuset *src)
{
	for (size_t i = 0; i < VSL_CPUSET_MAX / 64; i++)
		dst->bits[i] |= src->bits[i];
}

void vsl_cpuset_andnot(struct vsl_cpuset *dst, const struct vsl_cpuset *src)
{
	for (size_t i = 0; i < VSL_CPUSET_MAX / 64; i++)
		dst->bits[i] &= ~src->bits[i];
}

bool vsl_cpuset_equal(const struct vsl_cpuset *a, const struct vsl_cpuset *b)
{
	return memcmp(a->bits, b->bits, sizeof(a->bits)) == 0;
}

/* Parses one decimal CPU number at *p (digits only), advancing *p. */
static int parse_cpu(const char **p, const char *end, int *out)
{
	const char *s = *p;
	long v = 0;
	if (s >= end || !isdigit((unsigned char)*s))
		return -1;
	while (s < end && isdigit((unsigned char)*s)) {
		v = v * 10 + (*s - '0');
		if (v >= VSL_CPUSET_MAX)
			return -2;
		s++;
	}
	*p = s;
	*out = (int)v;
	return 0;
}

/* One element "N" or "N-M" occupying [s, end). */
static int parse_elem(const char *s, const char *end, struct vsl_cpuset *set, struct vsl_err **err)
{
	int len = (int)(end - s);
	int lo, hi, r;
	const char *p = s;

	if (len == 0)
		return vsl_err_make(err, 0, "empty element in cpulist");
	r = parse_cpu(&p, end, &lo);
	if (r == 0 && p < end && *p == '-') {
		p++;
		r = parse_cpu(&p, end, &hi);
	} else {
		hi = lo;
	}
	if (r == -2)
		return vsl_err_make(err, 0, "cpulist element `%.*s`: cpu number too large (max %d)", len, s,
				    VSL_CPUSET_MAX - 1);
	if (r < 0 || p != end)
		return vsl_err_make(err, 0, "cpulist element `%.*s`: expected N or N-M (decimal)", len, s);
	if (hi < lo)
		return vsl_err_make(err, 0, "cpulist element `%.*s`: range end is below its start", len, s);
	for (int c = lo; c <= hi; c++)
		vsl_cpuset_add(set, c);
	return 0;
}

int vsl_cpulist_parse(const char *text, struct vsl_cpuset *out, struct vsl_err **err)
{
	struct vsl_cpuset set;
	const char *s = text, *end;

	if (text == NULL)
		return vsl_err_make(err, 0, "cpulist: missing");
	vsl_cpuset_zero(&set);
	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n'))
		end--;
	if (end > s) {
		const char *e = s;
		for (;;) {
			const char *comma = memchr(e, ',', (size_t)(end - e));
			const char *stop = comma ? comma : end;
			if (parse_elem(e, stop, &set, err) < 0)
				return vsl_err_wrap(err, "cpulist `%.*s`", (int)(end - s) > 64 ? 64 : (int)(end - s), s);
			if (!comma)
				break;
			e = comma + 1;
		}
	}
	*out = set;
	return 0;
}

char *vsl_cpulist_format(const struct vsl_cpuset *s)
{
	size_t cap = 64, len = 0;
	char *buf = xmalloc(cap);
	buf[0] = '\0';
	for (int c = vsl_cpuset_next(s, 0); c >= 0;) {
		int hi = c;
		while (hi + 1 < VSL_CPUSET_MAX && vsl_cpuset_has(s, hi + 1))
			hi++;
		char elem[32];
		int n = hi == c ? snprintf(elem, sizeof(elem), "%s%d", len ? "," : "", c)
				: snprintf(elem, sizeof(elem), "%s%d-%d", len ? "," : "", c, hi);
		if (len + (size_t)n + 1 > cap) {
			cap = (len + (size_t)n + 1) * 2;
			buf = xrealloc(buf, cap);
		}
		memcpy(buf + len, elem, (size_t)n + 1);
		len += (size_t)n;
		c = hi + 1 < VSL_CPUSET_MAX ? vsl_cpuset_next(s, hi + 1) : -1;
	}
	return buf;
}
