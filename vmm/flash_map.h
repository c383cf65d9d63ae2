/* Firmware flash bank mappings without copies of their files (see
 * flash_map.c). Each returns a 'size'-byte mapping to munmap, or NULL after
 * one error line (flash_map_erased: with errno set, no line). */
#ifndef MVR_FLASH_MAP_H
#define MVR_FLASH_MAP_H

#include <stdint.h>

/* Every byte 0xFF; pages written become private copies. */
uint8_t *flash_map_erased(uint64_t size);
/* The file 'path' (at most 'size' bytes) over erased flash. */
uint8_t *flash_load_template(const char *path, uint64_t size, const char *what);
/* 'path' (1..size bytes) read-only, from the page cache; zeros after it. */
uint8_t *flash_map_file(const char *path, uint64_t size, const char *what);
/* Write bytes [old, size) of file 'fd': the template's where tmpl_fd >= 0
 * has them, 0xFF after. Returns 0 or -errno. */
int flash_fill(int fd, uint64_t old, uint64_t size, int tmpl_fd);

#endif
