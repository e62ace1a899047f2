/* Contexts created at the same moment on several threads of a process that
 * has made no OpenCL call yet: every one must succeed. An ICD sets up its
 * devices on the first queries, and PoCL's set-up is not safe from several
 * threads at once; clql serializes device listing so that this works. No
 * CUnit runner here: the runner lists devices first, which is what this
 * test must not do. Exit 0 ok, 1 failed, 77 no device (skipped). */
#include <pthread.h>
#include <stdio.h>
#include <clql.h>

enum { THREADS = 4 };

static pthread_barrier_t start;
static clql_status status[THREADS];

static void *create(void *arg) {
  const int i = (int)(long)arg;
  clql_context *ctx = NULL;
  pthread_barrier_wait(&start);
  status[i] = clql_context_create(NULL, NULL, &ctx);
  clql_context_destroy(ctx);
  return NULL;
}

int main(void) {
  pthread_t t[THREADS];
  if (pthread_barrier_init(&start, NULL, THREADS) != 0) return 1;
  for (long i = 0; i < THREADS; i++)
    if (pthread_create(&t[i], NULL, create, (void *)i) != 0) return 1;
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  pthread_barrier_destroy(&start);
  int ok = 0, none = 0;
  for (int i = 0; i < THREADS; i++) {
    ok += status[i] == CLQL_SUCCESS;
    none += status[i] == CLQL_ERR_NO_PLATFORM || status[i] == CLQL_ERR_NO_DEVICE;
    printf("thread %d: %s\n", i, clql_status_name(status[i]));
  }
  if (none == THREADS) return 77;
  printf("%d passed, %d failed\n", ok, THREADS - ok);
  return ok == THREADS ? 0 : 1;
}
