/* mem-churn: guest-side workload for the soak test. It keeps rewriting a
 * buffer of MB mebibytes with a pattern that changes every pass and reads
 * it back, so memory around the pages under test stays busy and any word
 * that changes behind its back is counted; between passes it sleeps.
 *
 * Build: aarch64-linux-gnu-gcc -static -O2 -Wall -Werror -o mem-churn mem-churn.c
 *
 *   mem-churn [--mb MB] [--idle-ms MS] [--passes P]
 *     --mb MB       buffer size (default 8)
 *     --idle-ms MS  sleep between passes (default 50; 0: busy loop)
 *     --passes P    stop after P passes (default 0: until SIGTERM/SIGINT)
 *
 * Last line (stdout): "CHURN passes=K bad=B mb=MB"; exit status 0, 1 when a
 * word read back wrong (B > 0), 2 on bad arguments or no memory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static int parse_ul(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 0);
	return errno || *end || !*s || *out > max ? -1 : 0;
}

/* One pass: write the pass's pattern over the whole buffer, then check it.
 * Returns the number of words that read back wrong. */
static unsigned long one_pass(volatile uint64_t *buf, size_t words, uint64_t pass)
{
	uint64_t seed = 0x6368726e00000000ull ^ (pass << 20);
	unsigned long bad = 0;
	size_t k;

	for (k = 0; k < words; k++)
		buf[k] = seed ^ k;
	for (k = 0; k < words; k++)
		if (buf[k] != (seed ^ k))
			bad++;
	return bad;
}

int main(int argc, char **argv)
{
	unsigned long mb = 8, idle_ms = 50, passes = 0, done = 0, bad = 0;
	struct sigaction sa;
	uint64_t *buf;
	size_t len;
	int a;

	for (a = 1; a < argc; a++) {
		unsigned long *dst = NULL, max = 0;

		if (strcmp(argv[a], "--mb") == 0) {
			dst = &mb;
			max = 1ul << 20;
		} else if (strcmp(argv[a], "--idle-ms") == 0) {
			dst = &idle_ms;
			max = 60000;
		} else if (strcmp(argv[a], "--passes") == 0) {
			dst = &passes;
			max = ~0ul;
		}
		if (!dst || a + 1 >= argc || parse_ul(argv[++a], max, dst) || (dst == &mb && !mb)) {
			fprintf(stderr, "usage: mem-churn [--mb MB] [--idle-ms MS] [--passes P]\n");
			return 2;
		}
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;   /* no SA_RESTART: the sleep ends at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);

	len = (size_t)mb << 20;
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		printf("CHURN-ERROR mmap %lu MiB: %s\n", mb, strerror(errno));
		return 2;
	}
	while (!stop && (!passes || done < passes)) {
		struct timespec ts = { (time_t)(idle_ms / 1000), (long)(idle_ms % 1000) * 1000000L };

		bad += one_pass(buf, len / sizeof(*buf), done);
		done++;
		if (idle_ms && !stop && (!passes || done < passes))
			nanosleep(&ts, NULL);
	}
	printf("CHURN passes=%lu bad=%lu mb=%lu\n", done, bad, mb);
	return bad ? 1 : 0;
}
