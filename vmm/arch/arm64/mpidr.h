/* The one definition of each vCPU's MPIDR_EL1 affinity value, shared by the
 * device tree (cpu@N 'reg'), the MADT (GICC MPIDR) and anything that names a
 * vCPU to the guest. Pure: no KVM header. */
#ifndef MVR_ARM64_MPIDR_H
#define MVR_ARM64_MPIDR_H

#include <stdint.h>

/* MPIDR_EL1 affinity KVM gives vCPU 'index' by default: Aff0 = index % 16,
 * Aff1 = index / 16 (GICv3 target lists need Aff0 < 16). The VMM never
 * overrides it, so this is what the guest reads. */
static inline uint64_t arm64_mpidr_of(unsigned index)
{
	return (uint64_t)(index % 16) | (uint64_t)(index / 16) << 8;
}

#endif
