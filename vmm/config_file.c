/* --config FILE (see config_file.h): a JSON object whose keys are the
 * names of options.c's table, each value handed to that option's own
 * parser, so the file and the command line share one grammar and one
 * place to add an option. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "config_file.h"
#include "log.h"
#include "options.h"

/* A JSON scalar as option text: a string as it is, an integer in decimal
 * (when 'ints'), true as "" (a bare part name). NULL for other types. */
static const char *scalar_text(struct vm_config *cfg, struct json_object *v, bool ints)
{
	char num[32];

	if (json_object_is_type(v, json_type_string))
		return opt_strdup(cfg, json_object_get_string(v));
	if (ints && json_object_is_type(v, json_type_int)) {
		snprintf(num, sizeof(num), "%" PRId64, json_object_get_int64(v));
		return opt_strdup(cfg, num);
	}
	return NULL;
}

/* One element of a repeatable option's object form: the head member
 * (disk: "path") and "name" (true) or "name=value" parts. */
static int apply_object(struct vm_config *cfg, const struct opt_src *src,
			const struct opt_def *d, struct json_object *o)
{
	const char *parts[8], *head = NULL;
	unsigned n = 0;
	char *part;

	json_object_object_foreach(o, name, v) {
		if (d->head && !strcmp(name, d->head)) {
			head = json_object_is_type(v, json_type_string) ?
			       opt_strdup(cfg, json_object_get_string(v)) : NULL;
			if (!head) {
				opt_err(src, "member '%s' must be a string", name);
				return -EINVAL;
			}
			continue;
		}
		if (json_object_is_type(v, json_type_boolean)) {
			if (!json_object_get_boolean(v))
				continue;
			part = opt_strdup(cfg, name);
		} else if (json_object_is_type(v, json_type_string) ||
			   json_object_is_type(v, json_type_int)) {
			char *s;

			if (asprintf(&s, "%s=%s", name, json_object_get_string(v)) < 0)
				s = NULL;
			part = s ? opt_strdup(cfg, s) : NULL;
			free(s);
		} else {
			opt_err(src, "member '%s' must be a string, a number or a boolean", name);
			return -EINVAL;
		}
		if (!part) {
			opt_err(src, "out of memory");
			return -ENOMEM;
		}
		if (n == sizeof(parts) / sizeof(parts[0])) {
			opt_err(src, "too many members");
			return -EINVAL;
		}
		parts[n++] = part;
	}
	return d->add(cfg, src, head, parts, n);
}

static int apply_list(struct vm_config *cfg, const struct opt_src *src,
		      const struct opt_def *d, struct json_object *v)
{
	char key[64];
	struct opt_src esrc = { src->file, key };
	size_t i, n;
	int ret;

	if (!json_object_is_type(v, json_type_array)) {
		opt_err(src, "expected an array (of strings or objects)");
		return -EINVAL;
	}
	n = json_object_array_length(v);
	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(v, i);
		const char *s;

		snprintf(key, sizeof(key), "%s[%zu]", d->name, i);
		if (json_object_is_type(e, json_type_object)) {
			ret = apply_object(cfg, &esrc, d, e);
		} else if ((s = scalar_text(cfg, e, false))) {
			ret = d->set(cfg, &esrc, s);
		} else {
			opt_err(&esrc, "expected a string or an object");
			ret = -EINVAL;
		}
		if (ret)
			return ret;
	}
	return 0;
}

static int apply_key(struct vm_config *cfg, const char *file, const char *key,
		     struct json_object *v)
{
	const struct opt_src src = { file, key };
	const struct opt_def *d = opt_find(key);
	const char *s;

	if (!d) {
		pr_err("config '%s': unknown key '%s' (the keys are the long option names, e.g. \"kernel\", \"memory\", \"disk\")",
		       file, key);
		return -EINVAL;
	}
	switch (d->kind) {
	case OPT_KIND_FLAG:
		if (!json_object_is_type(v, json_type_boolean)) {
			opt_err(&src, "expected true or false");
			return -EINVAL;
		}
		return json_object_get_boolean(v) ? d->set(cfg, &src, NULL) : 0;
	case OPT_KIND_LIST:
		return apply_list(cfg, &src, d, v);
	case OPT_KIND_VALUE:
		break;
	}
	s = scalar_text(cfg, v, d->json_int);
	if (!s) {
		opt_err(&src, "expected a string%s", d->json_int ? " or an integer" : "");
		return -EINVAL;
	}
	return d->set(cfg, &src, s);
}

int config_file_apply(struct vm_config *cfg, const char *file, const char *text, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *root, *nofw;
	size_t used;
	int ret = -EINVAL;

	if (!tok) {
		pr_err("config '%s': out of memory", file);
		return -ENOMEM;
	}
	root = json_tokener_parse_ex(tok, text, (int)len);
	used = json_tokener_get_parse_end(tok);
	if (!root) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		pr_err("config '%s': not valid JSON at byte %zu: %s", file, used,
		       e == json_tokener_continue ? "unexpected end of file" :
		       json_tokener_error_desc(e));
		goto out;
	}
	while (used < len && strchr(" \t\r\n", text[used]))
		used++;
	if (used < len) {
		pr_err("config '%s': not valid JSON at byte %zu: text after the object", file, used);
		goto out;
	}
	if (!json_object_is_type(root, json_type_object)) {
		pr_err("config '%s': expected a JSON object ({\"kernel\": ..., ...})", file);
		goto out;
	}
	if (json_object_object_get_ex(root, "firmware", NULL) &&
	    json_object_object_get_ex(root, "no-firmware", &nofw) &&
	    json_object_get_boolean(nofw)) {
		pr_err("config '%s': keys 'firmware' and 'no-firmware' exclude each other", file);
		goto out;
	}
	ret = 0;
	json_object_object_foreach(root, key, v) {
		ret = apply_key(cfg, file, key, v);
		if (ret)
			break;
	}
out:
	json_object_put(root);
	json_tokener_free(tok);
	return ret;
}

int config_file_load(struct vm_config *cfg, const char *path)
{
	char *buf = malloc(CONFIG_FILE_MAX + 1);
	size_t len = 0;
	ssize_t n;
	int fd, ret;

	if (!buf) {
		pr_err("config '%s': out of memory", path);
		return -ENOMEM;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		pr_err("cannot read config '%s': %s", path, strerror(errno));
		free(buf);
		return ret;
	}
	while ((n = read(fd, buf + len, CONFIG_FILE_MAX + 1 - len)) > 0 &&
	       (len += (size_t)n) <= CONFIG_FILE_MAX)
		;
	ret = n < 0 ? -errno : 0;
	close(fd);
	if (ret)
		pr_err("cannot read config '%s': %s", path, strerror(-ret));
	else if (len > CONFIG_FILE_MAX)
		pr_err("config '%s' is larger than %u KiB", path, CONFIG_FILE_MAX >> 10);
	else
		ret = config_file_apply(cfg, path, buf, len);
	if (!ret && len > CONFIG_FILE_MAX)
		ret = -EFBIG;
	free(buf);
	return ret;
}
