/* --config FILE: the VMM's options as a JSON object, one key per option
 * of options.c's table (README.md "Configuration file"). */
#ifndef MVR_CONFIG_FILE_H
#define MVR_CONFIG_FILE_H

#include <stddef.h>

#include "vm_config.h"

/* The largest file accepted. */
#define CONFIG_FILE_MAX (1u << 20)

/* Apply the JSON object text 'text' ('len' bytes) to cfg: a string (or,
 * where the option takes a number, an integer) for an option with a
 * value, true/false for a flag (false: leave it as it is), an array of
 * strings or objects for a repeatable option. 'file' names the source in
 * error lines. Unknown keys and wrong types are refused, as are
 * "firmware" with "no-firmware": true. Returns 0, or -EINVAL after one
 * error line naming the key. */
int config_file_apply(struct vm_config *cfg, const char *file, const char *text, size_t len);

/* Read 'path' and apply it (config_file_apply). 0 or -EINVAL/-errno after
 * one error line. */
int config_file_load(struct vm_config *cfg, const char *path);

#endif
