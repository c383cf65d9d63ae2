/* Unit tests for guest RAM backends (vmm/mem.c): --memory-backend's
 * grammar, the mapping's 2 MiB alignment, replacement of whole backing
 * pages, and the hugetlb pool's sysfs numbers and the one error line made
 * of them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "mem.h"
#include "util.h"

#define BASE 0x40000000ULL

static void test_backend_parse(void **state)
{
	enum mem_backend b = MEM_BACKEND_THP;

	assert_int_equal(mem_backend_parse("anon", &b), 0);
	assert_int_equal(b, MEM_BACKEND_ANON);
	assert_int_equal(mem_backend_parse("hugetlb", &b), 0);
	assert_int_equal(b, MEM_BACKEND_HUGETLB);
	assert_int_equal(mem_backend_parse("thp", &b), 0);
	assert_int_equal(b, MEM_BACKEND_THP);
	/* Exact, lower-case names only; b untouched on failure. */
	assert_int_equal(mem_backend_parse("HUGETLB", &b), -EINVAL);
	assert_int_equal(mem_backend_parse("huge", &b), -EINVAL);
	assert_int_equal(mem_backend_parse("", &b), -EINVAL);
	assert_int_equal(mem_backend_parse("anon ", &b), -EINVAL);
	assert_int_equal(b, MEM_BACKEND_THP);
	assert_string_equal(mem_backend_name(MEM_BACKEND_HUGETLB), "hugetlb");
	assert_string_equal(mem_backend_name((enum mem_backend)7), "?");
}

/* Anonymous RAM starts on a 2 MiB boundary (KVM block mappings need the
 * host and guest addresses equally aligned); a size that is not a whole
 * number of backing pages is refused. */
static void test_create_aligned(void **state)
{
	struct mem *m = mem_create(-1, BASE, 6ULL << 20, MEM_BACKEND_ANON);

	assert_non_null(m);
	assert_int_equal((uintptr_t)m->ram & ((2u << 20) - 1), 0);
	assert_int_equal(m->page_size, SZ_4K);
	m->ram[(6u << 20) - 1] = 1;
	mem_destroy(m);
	errno = 0;
	assert_null(mem_create(-1, BASE, (2ULL << 20) + SZ_4K, MEM_BACKEND_HUGETLB));
	assert_int_equal(errno, EINVAL);
	assert_null(mem_create(-1, BASE, 0, MEM_BACKEND_ANON));
}

/* Replacement covers whole backing pages: one 4 KiB page with 4 KiB
 * pages, the whole 2 MiB around it with 2 MiB pages. */
static void test_replace_whole_backing_pages(void **state)
{
	struct mem *m = mem_create(-1, BASE, 4ULL << 20, MEM_BACKEND_ANON);
	bool fb = true;

	assert_non_null(m);
	memset(m->ram, 0x5a, 4u << 20);
	assert_int_equal(mem_replace(m, BASE + 0x3000, SZ_4K, &fb), 0);
	assert_false(fb);
	assert_int_equal(m->ram[0x2fff], 0x5a);
	assert_int_equal(m->ram[0x3000], 0);
	assert_int_equal(m->ram[0x3fff], 0);
	assert_int_equal(m->ram[0x4000], 0x5a);
	m->page_size = 2ULL << 20;   /* as with hugetlb */
	assert_int_equal(mem_replace(m, BASE + 0x201000, SZ_4K, NULL), 0);
	assert_int_equal(m->ram[0x1fffff], 0x5a);
	assert_int_equal(m->ram[0x200000], 0);
	assert_int_equal(m->ram[0x3fffff], 0);
	/* Outside RAM, unaligned or empty: refused. */
	assert_int_equal(mem_replace(m, BASE + (4u << 20), SZ_4K, NULL), -EINVAL);
	assert_int_equal(mem_replace(m, BASE + 0x10, SZ_4K, NULL), -EINVAL);
	assert_int_equal(mem_replace(m, BASE, 0, NULL), -EINVAL);
	mem_destroy(m);
}

static void put_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void rm_file(const char *dir, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

static void test_hugetlb_pool_read(void **state)
{
	char dir[] = "/tmp/test_mem_pool.XXXXXX";
	struct mem_hugetlb_pool p = { 0 };

	assert_non_null(mkdtemp(dir));
	assert_int_equal(mem_hugetlb_pool_read(dir, &p), -ENOENT);
	put_file(dir, "nr_hugepages", "300\n");
	put_file(dir, "free_hugepages", "40\n");
	put_file(dir, "resv_hugepages", "10\n");
	assert_int_equal(mem_hugetlb_pool_read(dir, &p), 0);
	assert_int_equal(p.total, 300);
	assert_int_equal(p.free, 40);
	assert_int_equal(p.resv, 10);
	put_file(dir, "free_hugepages", "lots\n");
	assert_int_equal(mem_hugetlb_pool_read(dir, &p), -EINVAL);
	put_file(dir, "nr_hugepages", "");
	put_file(dir, "free_hugepages", "");
	put_file(dir, "resv_hugepages", "");
	assert_int_equal(mem_hugetlb_pool_read(dir, &p), -EINVAL);
	rm_file(dir, "nr_hugepages");
	rm_file(dir, "free_hugepages");
	rm_file(dir, "resv_hugepages");
	rmdir(dir);
}

/* The one error line: pages needed, pages free (free - reserved), the
 * files to look at and the nr_hugepages value that would do. */
static void test_hugetlb_explain(void **state)
{
	struct mem_hugetlb_pool p = { .total = 300, .free = 40, .resv = 10 };
	char buf[512];

	mem_hugetlb_explain(buf, sizeof(buf), 512ULL << 20, -ENOMEM, &p, 0);
	assert_string_equal(buf,
		"--memory-backend hugetlb: 512 MiB of guest RAM needs 256 free 2 MiB huge pages, "
		"the host's pool has 30 (" MEM_HUGETLB_SYSFS "/free_hugepages); raise "
		"/proc/sys/vm/nr_hugepages to at least 526 (now 300)");
	assert_null(strchr(buf, '\n'));
	/* More reserved than free (never negative). */
	p = (struct mem_hugetlb_pool){ .total = 0, .free = 0, .resv = 3 };
	mem_hugetlb_explain(buf, sizeof(buf), 256ULL << 20, -ENOMEM, &p, 0);
	assert_non_null(strstr(buf, "needs 128 free 2 MiB huge pages, the host's pool has 0 ("));
	assert_non_null(strstr(buf, "to at least 128 (now 0)"));
	/* Pool big enough: something else (a cgroup limit) refused it. */
	p = (struct mem_hugetlb_pool){ .total = 300, .free = 300 };
	mem_hugetlb_explain(buf, sizeof(buf), 512ULL << 20, -ENOMEM, &p, 0);
	assert_non_null(strstr(buf, "cannot reserve 256 2 MiB huge pages of guest RAM although the pool has 300 free"));
	/* No 2 MiB pool at all. */
	mem_hugetlb_explain(buf, sizeof(buf), 512ULL << 20, -EINVAL, NULL, -ENOENT);
	assert_string_equal(buf, "--memory-backend hugetlb: this host has no 2 MiB huge pages (no "
			    MEM_HUGETLB_SYSFS ")");
	/* A short buffer is cut, still terminated. */
	mem_hugetlb_explain(buf, 16, 512ULL << 20, -EINVAL, NULL, -ENOENT);
	assert_int_equal(strlen(buf), 15);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backend_parse),
		cmocka_unit_test(test_create_aligned),
		cmocka_unit_test(test_replace_whole_backing_pages),
		cmocka_unit_test(test_hugetlb_pool_read),
		cmocka_unit_test(test_hugetlb_explain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
