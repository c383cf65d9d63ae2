/* Guest physical memory map, compatible with QEMU's 'virt' machine (the
 * layout stock edk2 ArmVirtQemu expects).
 *
 *   0x0000_0000 +--------------------------+
 *               | flash0 (64 MiB) firmware |  read-only memslot, runs in place
 *   0x0400_0000 +--------------------------+
 *               | flash1 (64 MiB) varstore |  CFI flash, writable
 *   0x0800_0000 +--------------------------+
 *               | GICv3 distributor 64 KiB |
 *   0x080A_0000 +--------------------------+
 *               | GICv3 redistributors     |  128 KiB per vCPU
 *   0x0900_0000 +--------------------------+
 *               | PL011 UART     (SPI 1)   |
 *   0x0901_0000 | PL031 RTC      (SPI 2)   |
 *   0x0902_0000 | fw_cfg (0x18 bytes, DMA) |
 *               | (GED: SPI 3, no MMIO)    |  RAS notification (DSDT only)
 *               | (power button GED: SPI 4)|  system_powerdown (DSDT only)
 *               | (GED: SPI 5, no MMIO)    |  GHES GSIV source's interrupt
 *   0x0904_0000 | pvpanic (2 bytes, no IRQ)|  guest panic reports
 *   0x0905_0000 | EINJ registers (0x40)    |  ACPI error injection (--ras)
 *   0x0A00_0000 | virtio-mmio 32 x 0x200   |  window n: SPI 16 + n
 *               :                          :
 *   0x4000_0000 +--------------------------+
 *               | RAM (--memory)           |  DTB at the start in firmware mode
 *               +--------------------------+
 *   1 << 40                                   end of the guest physical
 *                                             address space (MEMMAP_IPA_BITS)
 */
#ifndef MVR_MEMMAP_H
#define MVR_MEMMAP_H

#define MEMMAP_FLASH0_BASE   0x00000000ULL
#define MEMMAP_FLASH0_SIZE   0x04000000ULL
#define MEMMAP_FLASH1_BASE   0x04000000ULL
#define MEMMAP_FLASH1_SIZE   0x04000000ULL
#define MEMMAP_GICD_BASE     0x08000000ULL
#define MEMMAP_GICD_SIZE     0x00010000ULL
#define MEMMAP_GICR_BASE     0x080A0000ULL
#define MEMMAP_GICR_STRIDE   0x00020000ULL /* per vCPU */
#define MEMMAP_GICR_MAX_SIZE 0x00F60000ULL /* up to 0x0900_0000 */
#define MEMMAP_UART_BASE     0x09000000ULL
#define MEMMAP_UART_SIZE     0x00001000ULL
#define MEMMAP_RTC_BASE      0x09010000ULL
#define MEMMAP_RTC_SIZE      0x00001000ULL
#define MEMMAP_FWCFG_BASE    0x09020000ULL
#define MEMMAP_FWCFG_SIZE    0x00000018ULL
/* 0x0903_0000 stays free for a GED register window. */
#define MEMMAP_PVPANIC_BASE  0x09040000ULL
#define MEMMAP_PVPANIC_SIZE  0x00000002ULL
/* ACPI EINJ register block (acpi/einj.h's EINJ_REG_*), with --ras only;
 * its parameter area and trigger table are in guest RAM instead. */
#define MEMMAP_EINJ_BASE     0x09050000ULL
#define MEMMAP_EINJ_SIZE     0x00000040ULL
/* virtio-mmio windows, as QEMU virt: window n at BASE + n * STRIDE, SPI
 * IRQ_SPI_VIRTIO_BASE + n. */
#define MEMMAP_VIRTIO_BASE   0x0a000000ULL
#define MEMMAP_VIRTIO_STRIDE 0x00000200ULL
#define MEMMAP_VIRTIO_COUNT  32
#define MEMMAP_RAM_BASE      0x40000000ULL
/* The VM is created with KVM's default IPA size (KVM_CREATE_VM type 0):
 * RAM must end at or below 1 << MEMMAP_IPA_BITS. */
#define MEMMAP_IPA_BITS      40
#define MEMMAP_RAM_MAX       ((1ULL << MEMMAP_IPA_BITS) - MEMMAP_RAM_BASE)

/* Interrupts: SPI numbers (GIC INTID = 32 + SPI). ACPI names an SPI by its
 * GSI, which on arm64 is the INTID. */
#define IRQ_SPI_UART 1
#define IRQ_SPI_RTC  2
#define IRQ_SPI_GED  3
#define IRQ_SPI_PWRBTN 4	/* power button GED (ACPI only) */
/* The GSIV-notified GHES source's interrupt: the HEST names its GSI, the
 * GED's _CRS lists it beside IRQ_SPI_GED (its _EVT notifies the HED). */
#define IRQ_SPI_GHES_GSIV 5
#define IRQ_SPI_VIRTIO_BASE 16	/* + window n */
#define IRQ_SPI_TO_GSI(spi) (32u + (spi))

/* Architected timer PPIs (INTIDs), as on QEMU virt. */
#define IRQ_PPI_TIMER_SEC   29
#define IRQ_PPI_TIMER_PHYS  30
#define IRQ_PPI_TIMER_VIRT  27
#define IRQ_PPI_TIMER_HYP   26
/* vGIC maintenance interrupt PPI (INTID), as on QEMU virt. */
#define IRQ_PPI_VGIC_MAINT  25

#define MAX_VCPUS (MEMMAP_GICR_MAX_SIZE / MEMMAP_GICR_STRIDE) /* 123 */
#define MIN_RAM_FIRMWARE (128ULL << 20)

#endif
