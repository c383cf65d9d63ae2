/* Guest RAM and memslots (KVM_SET_USER_MEMORY_REGION). Every translation of
 * a guest-supplied address goes through mem_gpa_to_hva(), which checks the
 * whole range for overflow and RAM bounds. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/kvm.h>

#include "guard.h"
#include "log.h"
#include "mem.h"
#include "util.h"

#define SLOT_RAM 0

#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21 << MAP_HUGE_SHIFT)
#endif

static const char *const backend_names[] = {
	[MEM_BACKEND_ANON] = "anon",
	[MEM_BACKEND_HUGETLB] = "hugetlb",
	[MEM_BACKEND_THP] = "thp",
};

int mem_backend_parse(const char *s, enum mem_backend *out)
{
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(backend_names); i++) {
		if (!strcmp(s, backend_names[i])) {
			*out = (enum mem_backend)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *mem_backend_name(enum mem_backend b)
{
	return (unsigned)b < ARRAY_SIZE(backend_names) ? backend_names[b] : "?";
}

/* Flags of a mapping of 'backend' memory; hugetlb reserves its pages at
 * mmap time (no MAP_NORESERVE), so a short pool fails there, not at a
 * guest access (which would be a SIGBUS nobody can recover from). */
static int map_flags(enum mem_backend backend)
{
	if (backend == MEM_BACKEND_HUGETLB)
		return MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_2MB;
	return MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
}

/* Advice for (part of) guest RAM; a replacement mapping gets it again. */
static int advise(struct mem *m, void *p, uint64_t len)
{
	/* Guest RAM is never worth a core dump; harmless if refused. */
	madvise(p, len, MADV_DONTDUMP);
	if (m->backend == MEM_BACKEND_THP && madvise(p, len, MADV_HUGEPAGE) < 0)
		return -errno;
	return 0;
}

/* An anonymous mapping of 'size' bytes starting on a 2 MiB boundary:
 * over-map, then trim head and tail. hugetlb mappings are aligned by the
 * kernel. */
static void *map_ram(enum mem_backend backend, uint64_t size)
{
	uint64_t align = MEM_HUGE_PAGE_SIZE, head;
	uint8_t *p;

	if (backend == MEM_BACKEND_HUGETLB)
		return mmap(NULL, size, PROT_READ | PROT_WRITE, map_flags(backend), -1, 0);
	if (size > UINT64_MAX - align)
		return MAP_FAILED;
	p = mmap(NULL, size + align, PROT_READ | PROT_WRITE, map_flags(backend), -1, 0);
	if (p == MAP_FAILED)
		return p;
	head = ALIGN_UP((uintptr_t)p, align) - (uintptr_t)p;
	if (head)
		munmap(p, head);
	munmap(p + head + size, align - head);
	return p + head;
}

static int set_region(int vm_fd, unsigned slot, uint64_t gpa, void *hva,
		      uint64_t size, bool readonly)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = readonly ? KVM_MEM_READONLY : 0,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	if (vm_fd < 0)
		return 0;
	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return -errno;
	return 0;
}

static int gm_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
	return mem_read(opaque, gpa, buf, len);
}

static int gm_write(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
	return mem_write(opaque, gpa, buf, len);
}

static void *gm_map(void *opaque, uint64_t gpa, size_t len)
{
	return mem_gpa_to_hva(opaque, gpa, len);
}

struct mem *mem_create(int vm_fd, uint64_t base, uint64_t size, enum mem_backend backend)
{
	struct mem *m;
	int ret;

	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->vm_fd = vm_fd;
	m->ram_base = base;
	m->ram_size = size;
	m->backend = backend;
	m->page_size = backend == MEM_BACKEND_HUGETLB ? MEM_HUGE_PAGE_SIZE : SZ_4K;
	if (!size || !IS_ALIGNED(size, m->page_size)) {
		ret = -EINVAL;
		goto err_free;
	}
	m->ram = map_ram(backend, size);
	if (m->ram == MAP_FAILED) {
		ret = -errno;
		goto err_free;
	}
	ret = advise(m, m->ram, size);
	if (!ret)
		ret = set_region(vm_fd, SLOT_RAM, base, m->ram, size, false);
	if (ret)
		goto err_unmap;
	m->next_slot = SLOT_RAM + 1;
	m->gm.read = gm_read;
	m->gm.map = gm_map;
	m->gm.write = gm_write;
	m->gm.opaque = m;
	return m;

err_unmap:
	munmap(m->ram, size);
err_free:
	free(m);
	errno = -ret;
	return NULL;
}

void mem_destroy(struct mem *m)
{
	if (!m)
		return;
	munmap(m->ram, m->ram_size);
	free(m);
}

void *mem_gpa_to_hva(const struct mem *m, uint64_t gpa, uint64_t len)
{
	if (!range_within(gpa, len, m->ram_base, m->ram_size))
		return NULL;
	return m->ram + (gpa - m->ram_base);
}

bool mem_hva_to_gpa(const struct mem *m, const void *hva, uint64_t *gpa)
{
	uintptr_t p = (uintptr_t)hva, start = (uintptr_t)m->ram;

	if (p < start || p - start >= m->ram_size)
		return false;
	*gpa = m->ram_base + (p - start);
	return true;
}

int mem_add_slot(struct mem *m, uint64_t gpa, void *hva, uint64_t size, bool readonly)
{
	int slot = (int)m->next_slot;
	int ret = set_region(m->vm_fd, (unsigned)slot, gpa, hva, size, readonly);

	if (ret)
		return ret;
	m->next_slot++;
	return slot;
}

int mem_set_slot(struct mem *m, int slot, uint64_t gpa, void *hva, uint64_t size,
		 bool readonly, bool enabled)
{
	return set_region(m->vm_fd, (unsigned)slot, gpa, hva, enabled ? size : 0, readonly);
}

int mem_read(const struct mem *m, uint64_t gpa, void *buf, size_t len)
{
	void *hva = mem_gpa_to_hva(m, gpa, len);

	if (!hva)
		return -EFAULT;
	return guarded_memcpy(buf, hva, len);
}

int mem_write(const struct mem *m, uint64_t gpa, const void *buf, size_t len)
{
	void *hva = mem_gpa_to_hva(m, gpa, len);

	if (!hva)
		return -EFAULT;
	return guarded_memcpy(hva, buf, len);
}

int mem_replace(struct mem *m, uint64_t gpa, uint64_t len, bool *fallback)
{
	uint64_t start, end;
	void *hva, *p;

	if (fallback)
		*fallback = false;
	if (!len || !mem_gpa_to_hva(m, gpa, len) || !IS_ALIGNED(gpa, SZ_4K) ||
	    !IS_ALIGNED(len, SZ_4K))
		return -EINVAL;
	/* Whole backing pages (RAM starts and ends on one's boundary). */
	start = ALIGN_DOWN(gpa - m->ram_base, m->page_size);
	end = ALIGN_UP(gpa - m->ram_base + len, m->page_size);
	hva = m->ram + start;
	/* MAP_FIXED over the poisoned range drops the bad page and gives a
	 * fresh zero page; KVM's memslot follows the new mapping through the
	 * MMU notifier, so the slot needs no update. */
	p = mmap(hva, end - start, PROT_READ | PROT_WRITE, map_flags(m->backend) | MAP_FIXED,
		 -1, 0);
	if (p == MAP_FAILED && m->backend == MEM_BACKEND_HUGETLB && errno == ENOMEM) {
		/* No free huge page: 4 KiB pages for these 2 MiB. */
		p = mmap(hva, end - start, PROT_READ | PROT_WRITE,
			 map_flags(MEM_BACKEND_ANON) | MAP_FIXED, -1, 0);
		if (p != MAP_FAILED && fallback)
			*fallback = true;
	}
	if (p == MAP_FAILED)
		return -errno;
	advise(m, p, end - start);
	return 0;
}

/* One decimal number from file dir/name. 0 or -errno. */
static int read_u64(const char *dir, const char *name, uint64_t *v)
{
	char path[512];
	unsigned long long x;
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	ok = fscanf(f, "%llu", &x) == 1;
	fclose(f);
	if (!ok)
		return -EINVAL;
	*v = x;
	return 0;
}

int mem_hugetlb_pool_read(const char *dir, struct mem_hugetlb_pool *p)
{
	int ret = read_u64(dir, "nr_hugepages", &p->total);

	if (!ret)
		ret = read_u64(dir, "free_hugepages", &p->free);
	if (!ret)
		ret = read_u64(dir, "resv_hugepages", &p->resv);
	return ret;
}

const char *mem_hugetlb_explain(char *buf, size_t n, uint64_t ram_size, int err,
				const struct mem_hugetlb_pool *p, int pool_err)
{
	uint64_t need = ram_size / MEM_HUGE_PAGE_SIZE, avail;

	if (!p && pool_err == -ENOENT) {
		snprintf(buf, n, "--memory-backend hugetlb: this host has no 2 MiB huge pages (no %s)",
			 MEM_HUGETLB_SYSFS);
		return buf;
	}
	if (!p || err != -ENOMEM) {
		snprintf(buf, n, "--memory-backend hugetlb: cannot map %" PRIu64
			 " 2 MiB huge pages of guest RAM: %s", need, strerror(-err));
		return buf;
	}
	avail = p->free > p->resv ? p->free - p->resv : 0;
	if (avail >= need) {
		/* The pool looked big enough: a cgroup limit, or a race. */
		snprintf(buf, n, "--memory-backend hugetlb: cannot reserve %" PRIu64
			 " 2 MiB huge pages of guest RAM although the pool has %" PRIu64
			 " free (%s/free_hugepages): %s", need, avail, MEM_HUGETLB_SYSFS,
			 strerror(-err));
		return buf;
	}
	snprintf(buf, n, "--memory-backend hugetlb: %" PRIu64 " MiB of guest RAM needs %" PRIu64
		 " free 2 MiB huge pages, the host's pool has %" PRIu64
		 " (%s/free_hugepages); raise %s to at least %" PRIu64 " (now %" PRIu64 ")",
		 ram_size >> 20, need, avail, MEM_HUGETLB_SYSFS, MEM_NR_HUGEPAGES,
		 p->total + (need - avail), p->total);
	return buf;
}
