/* Guest RAM: one anonymous mapping at MEMMAP_RAM_BASE registered as a KVM
 * memslot, and the checked gpa->hva translation every other module uses.
 * mem_create() must be called after the VM fd exists and before vCPUs run. */
#ifndef MVR_MEM_H
#define MVR_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "guest_mem.h"

struct mem {
	int vm_fd;
	uint64_t ram_base;
	uint64_t ram_size;
	uint8_t *ram;             /* host mapping of guest RAM */
	unsigned next_slot;       /* memslot numbers handed out so far */
	struct guest_mem gm;      /* checked accessors for pure modules */
};

/* Map 'size' bytes of RAM and register them as memslot 0. vm_fd < 0 maps
 * without KVM (for dump-dtb and tests). Returns NULL with errno set. */
struct mem *mem_create(int vm_fd, uint64_t base, uint64_t size);
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

/* Replace [gpa, gpa+len) with fresh zeroed memory (poisoned-page repair on
 * reset). Returns 0 or -errno. */
int mem_replace(struct mem *m, uint64_t gpa, uint64_t len);

#endif
