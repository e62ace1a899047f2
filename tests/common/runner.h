/* Shared CUnit runner: every test program defines its suites and whether it
 * needs an OpenCL device; runner.c supplies main() with -s/-t/-h. */
#ifndef CLQL_TEST_RUNNER_H
#define CLQL_TEST_RUNNER_H

#include <stdint.h>
#include <stdlib.h>
#include <CUnit/CUnit.h>

extern CU_SuiteInfo clql_test_suites[];
/* Non-zero: the program exits 77 (skipped) when no OpenCL device exists. */
extern const int clql_test_needs_device;

/* Assert that aborts the test function (CUnit's FATAL variant longjmps). */
#define CLQL_REQUIRE(expr) CU_ASSERT_FATAL(expr)

/* Seed of this run: $CLQL_TEST_SEED or from the clock; printed once. */
uint64_t clql_test_seed(void);
/* xorshift64* generator over the run's seed. */
uint64_t clql_test_rand(void);
/* Uniform float in [lo, hi). */
float clql_test_uniform(float lo, float hi);
/* Uniform integer in [lo, hi]. */
int clql_test_int(int lo, int hi);

/* A context on the default device for suites that need one: use
 * clql_test_context_open / _close as the suite's init and cleanup. */
struct clql_context;
extern struct clql_context *clql_test_ctx;
int clql_test_context_open(void);
int clql_test_context_close(void);

/* Write text to a fresh file under dir/rel (parents created). */
void clql_test_write_file(const char *dir, const char *rel, const char *text);
/* Run the program named by environment variable `env_bin` with `args` (shell
 * words), stdout captured into *out (malloc'd; pass NULL to drop it) and
 * stderr discarded. Returns the exit status, -1 when it did not exit. */
int clql_test_run_tool(const char *env_bin, const char *args, char **out);
/* The same with stderr captured into *out too. */
int clql_test_run_tool_err(const char *env_bin, const char *args, char **out);

/* The same under a time limit (coreutils timeout): 124 when the tool ran
 * longer than `seconds`, so a tool that would block fails its test instead
 * of hanging it. stdout and stderr go to *out (NULL: dropped). */
int clql_test_run_tool_within(const char *env_bin, const char *args, unsigned seconds, char **out);
/* A FIFO given to the tool in place of a file (args_before 'fifo'args_after,
 * under a time limit): the tool must exit with `code` and say "not a
 * regular file" instead of waiting for a writer. */
void clql_test_fifo_refused(const char *env_bin, const char *args_before, const char *args_after,
                            int code);
/* fn(arg) in a child process killed after `seconds` (SIGALRM): its return
 * value as the child's exit status (0-255), or -1 when it did not exit
 * (killed by the alarm or crashed). For calls that must not block. */
int clql_test_in_child(int (*fn)(void *), void *arg, unsigned seconds);
/* 1 when text is valid UTF-8 without a character a terminal takes as a
 * control: C0 but newline, DEL and C1 (U+0080..U+009F); a byte outside
 * UTF-8 counts as one, since a terminal not in UTF-8 reads 0x9b as CSI. */
int clql_test_printable(const char *text);

/* A fresh temporary directory; removed by clql_test_rmtree. */
char *clql_test_mkdtemp(void);
void clql_test_rmtree(const char *dir);
/* A temporary directory for a suite: clql_test_dir_init as its pInitFunc
 * (or called from one) creates clql_test_dir, clql_test_dir_cleanup removes it. */
extern char *clql_test_dir;
int clql_test_dir_init(void);
int clql_test_dir_cleanup(void);

#endif
