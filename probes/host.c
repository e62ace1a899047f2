/* Free memory of devices that share host memory (CPU devices such as PoCL,
 * integrated GPUs): min(total, MemAvailable, cgroup limit - usage). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "probe.h"

#define TEXT_MAX 65536

int clql_host_mem_available(const clql_config *cfg, cl_ulong *bytes) {
  char path[PATH_MAX];
  if (!clql_path(path, sizeof path, "%s/meminfo",
                 clql_config_path(cfg, CLQL_KNOB_PROC_ROOT, "/proc")))
    return 0;
  char *text;
  int got = clql_read_text_file(path, TEXT_MAX, &text);
  if (got <= 0) return got;
  int ok = 0;
  for (char *line = text; line && *line;) {
    char *next = strchr(line, '\n');
    if (next) *next++ = '\0';
    if (strncmp(line, "MemAvailable:", 13) == 0) {
      char *p = line + 13;
      while (*p == ' ' || *p == '\t') p++;
      char *unit = strstr(p, " kB");
      cl_ulong kib = 0;
      const char *why = NULL;
      if (unit && strcmp(unit, " kB") == 0) {
        *unit = '\0';
        ok = clql_parse_u64(p, &kib, &why) && clql_mul_u64(kib, 1024, bytes);
      }
      break;
    }
    line = next;
  }
  clql_free(text);
  return ok;
}

/* cgroup v2: the tightest (memory.max - memory.current) along the process's
 * cgroup path up to the root. Returns 1 with *bytes when some level limits,
 * -1 out of host memory. */
static int cgroup_v2_free(const char *sys, const char *path, cl_ulong *bytes) {
  char dir[PATH_MAX];
  if (!clql_path(dir, sizeof dir, "%s/fs/cgroup%s", sys, path)) return 0;
  size_t base = strlen(sys) + strlen("/fs/cgroup");
  int found = 0;
  for (;;) {
    size_t len = strlen(dir);
    while (len > base && dir[len - 1] == '/') dir[--len] = '\0';
    char file[PATH_MAX + 32];
    cl_ulong limit = 0, usage = 0;
    snprintf(file, sizeof file, "%s/memory.max", dir);
    int got = clql_read_u64_file(file, &limit);
    if (got == 1) {
      snprintf(file, sizeof file, "%s/memory.current", dir);
      got = clql_read_u64_file(file, &usage);
      if (got == 1) {
        cl_ulong f = limit > usage ? limit - usage : 0;
        if (!found || f < *bytes) *bytes = f;
        found = 1;
      }
    }
    if (got < 0) return -1;
    char *slash = strrchr(dir, '/');
    if (len <= base || !slash || (size_t)(slash - dir) < base) break;
    *slash = '\0';
  }
  return found;
}

/* cgroup v1 reports "unlimited" as a huge page-rounded number. */
#define CGROUP_V1_UNLIMITED (1ULL << 62)

static int cgroup_v1_free(const char *sys, const char *path, cl_ulong *bytes) {
  char file[PATH_MAX];
  cl_ulong limit = 0, usage = 0;
  const char *paths[] = {path, ""};
  for (int i = 0; i < 2; i++) {
    if (!clql_path(file, sizeof file, "%s/fs/cgroup/memory%s/memory.limit_in_bytes", sys,
                   paths[i]))
      continue;
    int got = clql_read_u64_file(file, &limit);
    if (got < 0) return -1;
    if (got != 1) continue;
    if (!clql_path(file, sizeof file, "%s/fs/cgroup/memory%s/memory.usage_in_bytes", sys,
                   paths[i]))
      continue;
    got = clql_read_u64_file(file, &usage);
    if (got < 0) return -1;
    if (got != 1) continue;
    if (limit >= CGROUP_V1_UNLIMITED) return 0;
    *bytes = limit > usage ? limit - usage : 0;
    return 1;
  }
  return 0;
}

/* A path with a ".." component. */
static int has_dotdot(const char *path) {
  for (const char *p = path; (p = strstr(p, "..")) != NULL; p += 2)
    if ((p == path || p[-1] == '/') && (p[2] == '\0' || p[2] == '/')) return 1;
  return 0;
}

int clql_host_cgroup_free(const clql_config *cfg, cl_ulong *bytes) {
  const char *proc = clql_config_path(cfg, CLQL_KNOB_PROC_ROOT, "/proc");
  const char *sys = clql_config_path(cfg, CLQL_KNOB_SYSFS_ROOT, "/sys");
  char path[PATH_MAX];
  if (!clql_path(path, sizeof path, "%s/self/cgroup", proc)) return 0;
  char *text;
  int got = clql_read_text_file(path, TEXT_MAX, &text);
  if (got <= 0) return got;
  int found = 0;
  for (char *line = text; line && *line && !found;) {
    char *next = strchr(line, '\n');
    if (next) *next++ = '\0';
    /* "hierarchy-id:controllers:path" */
    char *c1 = strchr(line, ':');
    char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    /* The path names a directory under the cgroup root; one that climbs out
     * of it ("..") is not a cgroup and is ignored. */
    if (c2 && c2[1] == '/' && !has_dotdot(c2 + 1)) {
      *c1 = *c2 = '\0';
      const char *controllers = c1 + 1, *cg = c2 + 1;
      if (strcmp(line, "0") == 0 && *controllers == '\0')
        found = cgroup_v2_free(sys, cg, bytes);
      else if (clql_contains_nocase(controllers, "memory"))
        found = cgroup_v1_free(sys, cg, bytes);
    }
    line = next;
  }
  clql_free(text);
  return found;
}

static int host_run(const clql_probe_target *t, clql_probe_result *r, char *why, size_t why_size) {
  if (!(t->type & CL_DEVICE_TYPE_CPU) && !t->host_unified_memory) {
    snprintf(why, why_size, "device has its own memory");
    return 0;
  }
  cl_ulong avail = 0, cg = 0;
  int have_avail = clql_host_mem_available(t->config, &avail);
  int have_cg = have_avail < 0 ? 0 : clql_host_cgroup_free(t->config, &cg);
  if (have_avail < 0 || have_cg < 0) {
    snprintf(why, why_size, "out of host memory reading meminfo or the cgroup files");
    return -1;
  }
  if (!have_avail && !have_cg) {
    snprintf(why, why_size, "neither meminfo MemAvailable nor a cgroup limit readable");
    return 0;
  }
  if (have_cg && (!have_avail || cg < avail)) {
    r->source = CLQL_MEM_SOURCE_CGROUP;
    r->free = cg;
  } else {
    r->source = CLQL_MEM_SOURCE_HOST_MEMINFO;
    r->free = avail;
  }
  r->measured = 1;
  return 1;
}

const clql_probe_source clql_probe_source_host = {"host", host_run, -1, 1};
