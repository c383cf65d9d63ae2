/* Parsed command-line configuration: one of the two allowed globals' types.
 * main.c fills it; everything else receives it as a const pointer. */
#ifndef MVR_VM_CONFIG_H
#define MVR_VM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define DEFAULT_FIRMWARE "/usr/share/qemu-efi-aarch64/QEMU_EFI.fd"
#define DEFAULT_VARS_TEMPLATE "/usr/share/AAVMF/AAVMF_VARS.fd"
#define DEFAULT_MEMORY (512ULL << 20)

#define MAX_DISKS 8
#define MAX_NETS 4
#define NET_TAP_NAME_MAX 15	/* IFNAMSIZ - 1 */

/* --memory-backend: what backs guest RAM. */
enum mem_backend {
	MEM_BACKEND_ANON,     /* anonymous 4 KiB pages (default) */
	MEM_BACKEND_HUGETLB,  /* 2 MiB pages from the host's hugetlb pool */
	MEM_BACKEND_THP,      /* anonymous, madvise(MADV_HUGEPAGE) */
};

/* --serial: the host side of the PL011 console (vmm/chardev.c). */
enum serial_kind {
	SERIAL_STDIO,             /* stdout; input from stdin (default) */
	SERIAL_FILE,              /* file=PATH: output appended, no input */
	SERIAL_PTY,               /* pty: a new pseudo-terminal */
	SERIAL_SOCKET,            /* socket=PATH: a listening UNIX socket */
	SERIAL_OFF,               /* off: output dropped, no input */
};

/* sockaddr_un's sun_path holds 108 bytes with the NUL. */
#define SERIAL_SOCKET_PATH_MAX 107

struct serial_config {
	enum serial_kind kind;
	const char *path;         /* file= and socket= */
};

/* One --disk PATH[,ro][,serial=ID][,direct]. */
struct disk_config {
	const char *path;
	bool readonly;            /* ro: opened O_RDONLY, guest sees VIRTIO_BLK_F_RO */
	const char *serial;       /* GET_ID string (<= 20 bytes), or NULL */
	bool direct;              /* O_DIRECT: bypass the host page cache */
};

/* One --net tap=NAME[,mac=MAC]. */
struct net_config {
	const char *tap;          /* tap interface name (1..NET_TAP_NAME_MAX bytes) */
	bool has_mac;             /* mac= given; otherwise derived from the name */
	uint8_t mac[6];
};

struct vm_config {
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	const char *firmware;     /* NULL with --no-firmware */
	const char *vars;         /* persistent variable store, or NULL */
	const char *api_socket;
	uint64_t ram_size;
	uint64_t ram_unit;        /* the unit --memory was written in (messages) */
	enum mem_backend mem_backend;
	unsigned ncpus;
	bool ras;
	bool no_reboot;
	bool panic_pause;         /* --on-panic pause (default: exit) */
	struct disk_config disks[MAX_DISKS]; /* vda, vdb, ... in order */
	unsigned ndisks;
	bool rng;                 /* --rng: virtio-rng from getrandom() */
	struct net_config nets[MAX_NETS]; /* --net, in order (after the rng) */
	unsigned nnets;
	bool virtio_console;      /* --console virtio: stdin/stdout on hvc0 */
	const char *chroot_dir;   /* --chroot DIR (jail.h), or NULL */
	bool jail_user;           /* --user UID:GID given */
	uint32_t uid, gid;        /* --user */
	struct serial_config serial; /* --serial (default stdio) */
	void *strings;            /* copies the fields above point into, kept
				   * by options.c (opt_free) */
};

#endif
