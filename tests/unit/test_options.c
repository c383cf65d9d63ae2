/* Unit tests for the option table (vmm/options.c) and the JSON
 * configuration file (vmm/config_file.c): argv and file set the same
 * fields, the command line overrides the file and replaces its lists,
 * options a subcommand does not use and --firmware with --no-firmware are
 * refused, and a bad file gives one error line naming the key. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config_file.h"
#include "log.h"
#include "options.h"

/* stderr goes to a temporary file between capture_start and capture_end,
 * which returns what was written (one static buffer). */
static int saved_fd = -1;
static FILE *cap;

static void capture_start(void)
{
	fflush(stderr);
	cap = tmpfile();
	assert_non_null(cap);
	saved_fd = dup(2);
	assert_true(saved_fd >= 0);
	assert_int_equal(dup2(fileno(cap), 2), 2);
}

static const char *capture_end(void)
{
	static char buf[4096];
	size_t n;

	fflush(stderr);
	dup2(saved_fd, 2);
	close(saved_fd);
	rewind(cap);
	n = fread(buf, 1, sizeof(buf) - 1, cap);
	buf[n] = '\0';
	fclose(cap);
	return buf;
}

static unsigned count_lines(const char *s)
{
	unsigned n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Parse a NULL-terminated argv (argv[0] is the subcommand). */
static int parse(struct vm_config *cfg, struct opt_cli *cli, enum opt_cmd cmd, char **argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return opt_parse_argv(cfg, cli, cmd, argc, argv);
}

/* Apply JSON text; on failure the single error line must contain 'want'. */
static int apply(struct vm_config *cfg, const char *json, const char *want)
{
	const char *err;
	int ret;

	capture_start();
	ret = config_file_apply(cfg, "vm.json", json, strlen(json));
	err = capture_end();
	if (want) {
		assert_int_equal(ret, -EINVAL);
		assert_int_equal(count_lines(err), 1);
		if (!strstr(err, want))
			fail_msg("error line '%s' lacks '%s'", err, want);
		assert_non_null(strstr(err, "config 'vm.json'"));
	} else {
		if (ret)
			fail_msg("unexpected error: %s", err);
	}
	return ret;
}

static void test_argv(void **state)
{
	char *argv[] = { "run", "-k", "Image", "--memory", "1G", "--cpus", "0x4",
			 "--disk", "a.img,ro,serial=s1", "--disk", "b.img,direct",
			 "--net", "tap=t0,mac=02:00:00:00:00:01", "--no-firmware", "--ras",
			 "--on-panic", "pause", "--console", "virtio", NULL };
	struct vm_config cfg;
	struct opt_cli cli;

	opt_defaults(&cfg);
	assert_int_equal(parse(&cfg, &cli, OPT_CMD_RUN, argv), 0);
	assert_string_equal(cfg.kernel, "Image");
	assert_int_equal(cfg.ram_size, 1ULL << 30);
	assert_int_equal(cfg.ncpus, 4);
	assert_int_equal(cfg.ndisks, 2);
	assert_string_equal(cfg.disks[0].path, "a.img");
	assert_true(cfg.disks[0].readonly);
	assert_string_equal(cfg.disks[0].serial, "s1");
	assert_true(cfg.disks[1].direct);
	assert_false(cfg.disks[1].readonly);
	assert_int_equal(cfg.nnets, 1);
	assert_string_equal(cfg.nets[0].tap, "t0");
	assert_int_equal(cfg.nets[0].mac[5], 1);
	assert_null(cfg.firmware);
	assert_true(cfg.ras);
	assert_true(cfg.panic_pause);
	assert_true(cfg.virtio_console);
	assert_false(cli.check);
	assert_null(cli.config_file);
	opt_free(&cfg);
}

static void test_file_same_as_argv(void **state)
{
	struct vm_config cfg;

	opt_defaults(&cfg);
	apply(&cfg, "{ \"kernel\": \"Image\", \"memory\": 1024, \"cpus\": \"0x4\",\n"
		    "  \"disk\": [ { \"path\": \"a,b.img\", \"ro\": true, \"serial\": \"s1\" },\n"
		    "            \"b.img,direct\", { \"path\": \"c.img\", \"ro\": false } ],\n"
		    "  \"net\": [ { \"tap\": \"t0\", \"mac\": \"02:00:00:00:00:01\" } ],\n"
		    "  \"no-firmware\": true, \"ras\": true, \"rng\": false,\n"
		    "  \"on-panic\": \"pause\", \"console\": \"virtio\" }", NULL);
	assert_string_equal(cfg.kernel, "Image");
	assert_int_equal(cfg.ram_size, 1ULL << 30); /* a bare number is MiB */
	assert_int_equal(cfg.ncpus, 4);
	assert_int_equal(cfg.ndisks, 3);
	/* The object form keeps a comma in the path. */
	assert_string_equal(cfg.disks[0].path, "a,b.img");
	assert_true(cfg.disks[0].readonly);
	assert_string_equal(cfg.disks[0].serial, "s1");
	assert_string_equal(cfg.disks[1].path, "b.img");
	assert_true(cfg.disks[1].direct);
	assert_false(cfg.disks[2].readonly);
	assert_int_equal(cfg.nnets, 1);
	assert_true(cfg.nets[0].has_mac);
	assert_null(cfg.firmware);
	assert_true(cfg.ras);
	assert_false(cfg.rng);
	assert_true(cfg.panic_pause);
	assert_true(cfg.virtio_console);
	opt_free(&cfg);
}

static void test_command_line_overrides_file(void **state)
{
	char path[] = "/tmp/mvr-opt-XXXXXX";
	static const char json[] =
		"{ \"kernel\": \"file-Image\", \"memory\": \"256M\", \"cpus\": 2,\n"
		"  \"disk\": [ \"f1.img\", \"f2.img\" ], \"net\": [ \"tap=f0\" ] }";
	int fd = mkstemp(path);
	struct vm_config cfg;
	struct opt_cli cli;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, json, sizeof(json) - 1), (ssize_t)sizeof(json) - 1);
	close(fd);
	{
		/* --config after the options it is overridden by: the file
		 * is still read first. */
		char *argv[] = { "run", "--cpus", "3", "--disk", "c1.img", "--disk", "c2.img,ro",
				 "--config", path, NULL };

		opt_defaults(&cfg);
		assert_int_equal(parse(&cfg, &cli, OPT_CMD_RUN, argv), 0);
	}
	unlink(path);
	assert_string_equal(cli.config_file, path);
	assert_string_equal(cfg.kernel, "file-Image");
	assert_int_equal(cfg.ram_size, 256ULL << 20);
	assert_int_equal(cfg.ncpus, 3);
	/* The command line's --disk list replaced the file's. */
	assert_int_equal(cfg.ndisks, 2);
	assert_string_equal(cfg.disks[0].path, "c1.img");
	assert_string_equal(cfg.disks[1].path, "c2.img");
	assert_true(cfg.disks[1].readonly);
	/* No --net given: the file's list stays. */
	assert_int_equal(cfg.nnets, 1);
	assert_string_equal(cfg.nets[0].tap, "f0");
	opt_free(&cfg);
}

static void test_bad_files(void **state)
{
	struct vm_config cfg;

	opt_defaults(&cfg);
	apply(&cfg, "{ \"kernal\": \"x\" }", "unknown key 'kernal'");
	apply(&cfg, "{ \"kernel\": 5 }", "key 'kernel': expected a string");
	apply(&cfg, "{ \"memory\": true }", "key 'memory': expected a string or an integer");
	apply(&cfg, "{ \"memory\": \"lots\" }", "key 'memory': invalid --memory 'lots'");
	apply(&cfg, "{ \"memory\": -5 }", "key 'memory': invalid --memory '-5'");
	apply(&cfg, "{ \"cpus\": 1.5 }", "key 'cpus': expected a string or an integer");
	apply(&cfg, "{ \"ras\": \"yes\" }", "key 'ras': expected true or false");
	apply(&cfg, "{ \"disk\": \"a.img\" }", "key 'disk': expected an array");
	apply(&cfg, "{ \"disk\": [ 7 ] }", "key 'disk[0]': expected a string or an object");
	apply(&cfg, "{ \"disk\": [ \"a.img\", { \"path\": \"b\", \"rw\": true } ] }",
	      "key 'disk[1]': unknown --disk option 'rw'");
	apply(&cfg, "{ \"disk\": [ { \"ro\": true } ] }", "key 'disk[0]': --disk has no path");
	apply(&cfg, "{ \"disk\": [ { \"path\": 3 } ] }", "key 'disk[0]': member 'path' must be a string");
	apply(&cfg, "{ \"net\": [ { \"mac\": \"02:00:00:00:00:01\" } ] }", "key 'net[0]': --net has no tap=");
	apply(&cfg, "{ \"firmware\": \"f.fd\", \"no-firmware\": true }", "exclude each other");
	apply(&cfg, "{ \"config\": \"other.json\" }", "unknown key 'config'");
	apply(&cfg, "[ \"kernel\" ]", "expected a JSON object");
	apply(&cfg, "{ \"kernel\": \"x\"", "unexpected end of file");
	apply(&cfg, "{ \"kernel\": \"x\" } {", "text after the object");
	apply(&cfg, "", "not valid JSON");
	opt_free(&cfg);
}

static void expect_argv_error(enum opt_cmd cmd, char **argv, const char *want)
{
	struct vm_config cfg;
	struct opt_cli cli;
	const char *err;
	int ret;

	opt_defaults(&cfg);
	capture_start();
	ret = parse(&cfg, &cli, cmd, argv);
	err = capture_end();
	assert_int_equal(ret, -EINVAL);
	assert_int_equal(count_lines(err), 1);
	if (!strstr(err, want))
		fail_msg("error line '%s' lacks '%s'", err, want);
	opt_free(&cfg);
}

static void test_scope_and_conflicts(void **state)
{
	char *a1[] = { "dump-acpi", "--vars", "v.fd", NULL };
	char *a2[] = { "dump-dtb", "--api-socket", "s", NULL };
	char *a3[] = { "run", "--firmware", "f.fd", "--no-firmware", NULL };
	char *a4[] = { "dump-dtb", "--check", NULL };
	char *a5[] = { "run", "--bogus", NULL };
	char *a6[] = { "run", "--config", NULL };
	char *a7[] = { "run", "--config", "/nonexistent/vm.json", NULL };
	char *ok[] = { "dump-acpi", "--cpus", "2", "--ras", "--disk", "a.img", NULL };
	char *chk[] = { "run", "--check", "-k", "I", NULL };
	char *f1[] = { "dump-dtb", "--force", NULL };
	char *f2[] = { "run", "--force", NULL };
	char *force[] = { "dump-acpi", "--ras", "--force", NULL };
	struct vm_config cfg;
	struct opt_cli cli;

	expect_argv_error(OPT_CMD_DUMP_ACPI, a1, "--vars is not used by 'dump-acpi'");
	expect_argv_error(OPT_CMD_DUMP_DTB, a2, "--api-socket is not used by 'dump-dtb'");
	expect_argv_error(OPT_CMD_RUN, a3, "--firmware and --no-firmware exclude each other");
	expect_argv_error(OPT_CMD_DUMP_DTB, a4, "--check is for 'run' only");
	expect_argv_error(OPT_CMD_RUN, a5, "unknown option '--bogus'");
	expect_argv_error(OPT_CMD_RUN, a6, "needs an argument");
	expect_argv_error(OPT_CMD_RUN, a7, "cannot read config '/nonexistent/vm.json'");
	expect_argv_error(OPT_CMD_DUMP_DTB, f1, "--force is for 'dump-acpi' only");
	expect_argv_error(OPT_CMD_RUN, f2, "--force is for 'dump-acpi' only");

	opt_defaults(&cfg);
	assert_int_equal(parse(&cfg, &cli, OPT_CMD_DUMP_ACPI, ok), 0);
	assert_int_equal(cfg.ncpus, 2);
	opt_free(&cfg);
	opt_defaults(&cfg);
	assert_int_equal(parse(&cfg, &cli, OPT_CMD_RUN, chk), 0);
	assert_true(cli.check);
	assert_false(cli.force);
	opt_free(&cfg);
	opt_defaults(&cfg);
	assert_int_equal(parse(&cfg, &cli, OPT_CMD_DUMP_ACPI, force), 0);
	assert_true(cli.force);
	assert_true(cfg.ras);
	opt_free(&cfg);
}

/* --serial: each backend from argv and from the file; bad values are one
 * error line naming what is expected. */
static void test_serial(void **state)
{
	static const struct {
		const char *arg;
		enum serial_kind kind;
		const char *path;
	} good[] = {
		{ "stdio", SERIAL_STDIO, NULL },
		{ "file=/tmp/console.log", SERIAL_FILE, "/tmp/console.log" },
		{ "file=a=b,c", SERIAL_FILE, "a=b,c" },
		{ "pty", SERIAL_PTY, NULL },
		{ "socket=/run/vm.serial", SERIAL_SOCKET, "/run/vm.serial" },
		{ "off", SERIAL_OFF, NULL },
	};
	static const struct {
		const char *arg, *want;
	} bad[] = {
		{ "tty", "invalid --serial 'tty' (expected stdio, file=PATH, pty, socket=PATH or off)" },
		{ "", "invalid --serial ''" },
		{ "file=", "--serial 'file=' has no path" },
		{ "socket=", "--serial 'socket=' has no path" },
		{ "file", "invalid --serial 'file'" },
		{ "Stdio", "invalid --serial 'Stdio'" },
		{ "pty=x", "invalid --serial 'pty=x'" },
	};
	char longpath[200], arg[220];
	struct vm_config cfg;
	struct opt_cli cli;
	unsigned i;

	opt_defaults(&cfg);
	assert_int_equal(cfg.serial.kind, SERIAL_STDIO);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char *argv[] = { "run", "--serial", (char *)good[i].arg, NULL };
		char json[128];

		opt_defaults(&cfg);
		assert_int_equal(parse(&cfg, &cli, OPT_CMD_RUN, argv), 0);
		assert_int_equal(cfg.serial.kind, good[i].kind);
		if (good[i].path)
			assert_string_equal(cfg.serial.path, good[i].path);
		else
			assert_null(cfg.serial.path);
		opt_free(&cfg);
		opt_defaults(&cfg);
		snprintf(json, sizeof(json), "{\"serial\": \"%s\"}", good[i].arg);
		apply(&cfg, json, NULL);
		assert_int_equal(cfg.serial.kind, good[i].kind);
		opt_free(&cfg);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { "run", "--serial", (char *)bad[i].arg, NULL };

		expect_argv_error(OPT_CMD_RUN, argv, bad[i].want);
	}
	/* A socket path that does not fit sun_path (107 bytes + NUL). */
	memset(longpath, 'p', 108);
	longpath[108] = '\0';
	snprintf(arg, sizeof(arg), "socket=%s", longpath);
	{
		char *argv[] = { "run", "--serial", arg, NULL };

		expect_argv_error(OPT_CMD_RUN, argv, "is longer than 107 bytes");
	}
	longpath[107] = '\0';
	snprintf(arg, sizeof(arg), "socket=%s", longpath);
	{
		char *argv[] = { "run", "--serial", arg, NULL };

		opt_defaults(&cfg);
		assert_int_equal(parse(&cfg, &cli, OPT_CMD_RUN, argv), 0);
		opt_free(&cfg);
	}
	/* From the file: the error names the file and the key; the command
	 * line overrides the file. */
	opt_defaults(&cfg);
	apply(&cfg, "{\"serial\": \"telnet\"}", "key 'serial': invalid --serial 'telnet'");
	opt_free(&cfg);
	opt_defaults(&cfg);
	apply(&cfg, "{\"serial\": 3}", "expected a string");
	opt_free(&cfg);
	{
		char *a1[] = { "dump-dtb", "--serial", "pty", NULL };

		expect_argv_error(OPT_CMD_DUMP_DTB, a1, "--serial is not used by 'dump-dtb'");
	}
}

/* Every option of the table has a command-line spelling and a file key
 * that reach the same parser: each name is found, and a flag given in the
 * file sets what the command line's flag sets. */
static void test_table(void **state)
{
	unsigned i;

	for (i = 0; i < opt_count; i++) {
		assert_ptr_equal(opt_find(opt_table[i].name), &opt_table[i]);
		assert_non_null(opt_table[i].set);
		assert_true(opt_table[i].scope & OPT_CMD_RUN);
		if (opt_table[i].kind == OPT_KIND_LIST) {
			assert_non_null(opt_table[i].add);
			assert_non_null(opt_table[i].clear);
		}
	}
	assert_null(opt_find("config"));
	assert_null(opt_find("check"));
}

/* The boot mode of a parsed command line, or -EINVAL with 'want' in why. */
static int boot_mode_of(char **argv, const char *want)
{
	struct vm_config cfg;
	struct opt_cli cli;
	char why[240] = "";
	int mode;

	opt_defaults(&cfg);
	assert_int_equal(parse(&cfg, &cli, OPT_CMD_RUN, argv), 0);
	mode = opt_boot_mode(&cfg, why, sizeof(why));
	if (want) {
		assert_int_equal(mode, -EINVAL);
		if (!strstr(why, want))
			fail_msg("reason '%s' lacks '%s'", why, want);
		assert_null(strchr(why, '\n'));
	} else {
		assert_true(mode >= 0);
		assert_string_equal(why, "");
	}
	opt_free(&cfg);
	return mode;
}

/* Issue 8: --kernel boots directly or through fw_cfg; without it the
 * (default) firmware boots a disk, and every setup that cannot boot is
 * one reason. */
static void test_boot_mode(void **state)
{
	char *direct[] = { "run", "-k", "Image", "--no-firmware", NULL };
	char *fw_kernel[] = { "run", "-k", "Image", "-i", "i.cpio", "-c", "x", NULL };
	char *fw_disk[] = { "run", "--firmware", "fw.fd", "--vars", "v.fd", "--disk", "esp.img", NULL };
	char *default_fw_disk[] = { "run", "--disk", "esp.img", NULL };
	char *fw_disk_initrd[] = { "run", "--disk", "esp.img", "--initrd", "i.cpio", NULL };
	char *fw_disk_cmdline[] = { "run", "--disk", "esp.img", "--cmdline", "quiet", NULL };
	char *fw_disk_both[] = { "run", "--disk", "esp.img", "-c", "quiet", "-i", "i", NULL };
	char *nofw_disk[] = { "run", "--no-firmware", "--disk", "esp.img", NULL };
	char *fw_nothing[] = { "run", "--firmware", "fw.fd", NULL };
	char *nothing[] = { "run", NULL };

	assert_int_equal(boot_mode_of(direct, NULL), OPT_BOOT_DIRECT);
	assert_int_equal(boot_mode_of(fw_kernel, NULL), OPT_BOOT_FW_KERNEL);
	assert_int_equal(boot_mode_of(fw_disk, NULL), OPT_BOOT_FW_DISK);
	assert_int_equal(boot_mode_of(default_fw_disk, NULL), OPT_BOOT_FW_DISK);
	boot_mode_of(fw_disk_initrd, "--initrd needs --kernel (");
	boot_mode_of(fw_disk_cmdline, "--cmdline needs --kernel (");
	boot_mode_of(fw_disk_both, "--initrd and --cmdline need --kernel (");
	boot_mode_of(nofw_disk, "no kernel given (use --kernel IMAGE;");
	boot_mode_of(fw_nothing, "nothing to boot: no --kernel, and no --disk");
	boot_mode_of(nothing, "nothing to boot");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_argv),
		cmocka_unit_test(test_file_same_as_argv),
		cmocka_unit_test(test_command_line_overrides_file),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_scope_and_conflicts),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_serial),
		cmocka_unit_test(test_boot_mode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
