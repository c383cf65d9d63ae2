/* Guest RAM: one mapping at MEMMAP_RAM_BASE registered as a KVM memslot
 * (anonymous 4 KiB pages, 2 MiB hugetlb pages, or anonymous memory advised
 * for transparent huge pages: --memory-backend), and the checked gpa->hva
 * translation every other module uses. mem_create() must be called after
 * the VM fd exists and before vCPUs run. */
#ifndef MVR_MEM_H
#define MVR_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "guest_mem.h"
#include "vm_config.h"

/* The hugetlb backend's page size, and where Linux shows its pool. */
#define MEM_HUGE_PAGE_SIZE (2ULL << 20)
#define MEM_HUGETLB_SYSFS "/sys/kernel/mm/hugepages/hugepages-2048kB"
#define MEM_NR_HUGEPAGES "/proc/sys/vm/nr_hugepages"

struct mem {
	int vm_fd;
	uint64_t ram_base;
	uint64_t ram_size;
	uint8_t *ram;             /* host mapping of guest RAM (2 MiB aligned) */
	enum mem_backend backend;
	uint64_t page_size;       /* backing page: 4 KiB, or 2 MiB for hugetlb */
	unsigned next_slot;       /* memslot numbers handed out so far */
	struct guest_mem gm;      /* checked accessors for pure modules */
};

/* Map 'size' bytes of RAM from 'backend' and register them as memslot 0.
 * vm_fd < 0 maps without KVM (for dump-dtb and tests). The mapping starts
 * on a 2 MiB boundary (so KVM can map huge pages as blocks). hugetlb:
 * 'size' a multiple of 2 MiB; all pages are reserved now, so a pool too
 * small fails here with ENOMEM (see mem_hugetlb_explain()), and a host
 * without 2 MiB huge pages with EINVAL. thp: EINVAL when the kernel has no
 * transparent huge pages. Returns NULL with errno set. */
struct mem *mem_create(int vm_fd, uint64_t base, uint64_t size, enum mem_backend backend);
void mem_destroy(struct mem *m);

/* Host pointer for [gpa, gpa+len) if it lies wholly in RAM, else NULL. */
void *mem_gpa_to_hva(const struct mem *m, uint64_t gpa, uint64_t len);

/* Guest physical address of a host pointer into RAM; false if outside. */
bool mem_hva_to_gpa(const struct mem *m, const void *hva, uint64_t *gpa);

/* Register an extra memslot (flash). Returns the slot number or -errno. */
int mem_add_slot(struct mem *m, uint64_t gpa, void *hva, uint64_t size, bool readonly);
/* Enable (map) or disable (size 0) an extra slot registered before. */
int mem_set_slot(struct mem *m, int slot, uint64_t gpa, void *hva, uint64_t size,
		 bool readonly, bool enabled);

/* Copies between host buffers and guest RAM that survive a poisoned page:
 * a SIGBUS during the copy makes them return -EIO instead of killing the
 * VMM. Out-of-RAM ranges return -EFAULT. */
int mem_read(const struct mem *m, uint64_t gpa, void *buf, size_t len);
int mem_write(const struct mem *m, uint64_t gpa, const void *buf, size_t len);

/* Replace the backing pages holding [gpa, gpa+len) (4 KiB aligned) with
 * fresh zeroed memory (poisoned-page repair on reset): whole 2 MiB pages
 * with hugetlb. When the hugetlb pool has no free page, the 2 MiB are
 * backed by anonymous 4 KiB pages instead (*fallback set, if given), so
 * the guest still gets usable memory. Returns 0 or -errno. */
int mem_replace(struct mem *m, uint64_t gpa, uint64_t len, bool *fallback);

/* --memory-backend's argument: "anon", "hugetlb" or "thp". 0 or -EINVAL. */
int mem_backend_parse(const char *s, enum mem_backend *out);
const char *mem_backend_name(enum mem_backend b);

/* The 2 MiB hugetlb pool as sysfs shows it (nr_hugepages, free_hugepages,
 * resv_hugepages of 'dir', normally MEM_HUGETLB_SYSFS). Pages free for a
 * new mapping: free - resv. Returns 0, or -errno (-ENOENT: no such pool). */
struct mem_hugetlb_pool {
	uint64_t total, free, resv;
};
int mem_hugetlb_pool_read(const char *dir, struct mem_hugetlb_pool *p);

/* One line saying why 'ram_size' bytes of hugetlb RAM could not be mapped
 * ('err', a negative errno from mem_create) and what to do, from the pool
 * state 'p' (NULL: unknown, pool_err says why). Writes at most n bytes to
 * buf (NUL-terminated); returns buf. */
const char *mem_hugetlb_explain(char *buf, size_t n, uint64_t ram_size, int err,
				const struct mem_hugetlb_pool *p, int pool_err);

#endif
