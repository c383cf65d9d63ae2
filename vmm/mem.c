/* Guest RAM and memslots (KVM_SET_USER_MEMORY_REGION). Every translation of
 * a guest-supplied address goes through mem_gpa_to_hva(), which checks the
 * whole range for overflow and RAM bounds. */
#include <errno.h>
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

struct mem *mem_create(int vm_fd, uint64_t base, uint64_t size)
{
	struct mem *m;
	int ret;

	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->vm_fd = vm_fd;
	m->ram_base = base;
	m->ram_size = size;
	m->ram = mmap(NULL, size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m->ram == MAP_FAILED) {
		ret = -errno;
		goto err_free;
	}
	/* Guest RAM is never worth a core dump, and merging it is not ours to
	 * decide; failures here are harmless. */
	madvise(m->ram, size, MADV_DONTDUMP);
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

int mem_replace(struct mem *m, uint64_t gpa, uint64_t len)
{
	void *hva = mem_gpa_to_hva(m, gpa, len);
	void *p;

	if (!hva || !IS_ALIGNED(gpa, SZ_4K) || !IS_ALIGNED(len, SZ_4K))
		return -EINVAL;
	/* MAP_FIXED over the poisoned range drops the bad page and gives a
	 * fresh zero page; KVM's memslot follows the new mapping through the
	 * MMU notifier, so the slot needs no update. */
	p = mmap(hva, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	return 0;
}
