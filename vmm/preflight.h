/* run --check: every check of a configuration that needs no /dev/kvm
 * (files, sizes, sockets, firmware, disks, taps, the hugetlb pool), for CI
 * and appliances to validate a VM definition before starting it. */
#ifndef MVR_PREFLIGHT_H
#define MVR_PREFLIGHT_H

#include "vm_config.h"

/* Check what 'cfg' names on the host: the kernel Image's header, the
 * initrd, that both fit in guest RAM, the firmware and variable store, the
 * control socket's path, each disk (openable as asked, not locked by
 * another VM), each tap, and the hugetlb pool for --memory-backend
 * hugetlb (pool files under 'hugetlb_dir', normally MEM_HUGETLB_SYSFS).
 * Opens nothing it keeps and never /dev/kvm. One error line per problem;
 * returns how many there were. */
unsigned preflight_check(const struct vm_config *cfg, const char *hugetlb_dir);

#endif
