/* Device sets: one context per device of a selector list, of the caller's
 * contexts or of a device's sub-devices, with per-device budget knobs, and
 * the split plan over them (include/clql/multi.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "../internal.h"

typedef struct {
  clql_context *ctx;
  int owned;        /* created by the set, destroyed with it */
  cl_device_id sub; /* a sub-device the set made; released after its context */
  clql_device_info info;
  char label[32];
  clql_budget_options opts;
  int has_opts;
  double throughput;
} set_device;

struct clql_device_set {
  size_t count;
  set_device *dev;
};

static clql_device_set *set_alloc(size_t count) {
  clql_device_set *set = clql_calloc(1, sizeof *set);
  if (set && !(set->dev = clql_calloc(count, sizeof *set->dev))) {
    clql_free(set);
    return NULL;
  }
  return set;
}

void clql_device_set_destroy(clql_device_set *set) {
  if (!set) return;
  for (size_t i = 0; i < set->count; i++) {
    if (set->dev[i].owned) clql_context_destroy(set->dev[i].ctx);
    if (set->dev[i].sub) clReleaseDevice(set->dev[i].sub);
  }
  clql_free(set->dev);
  clql_free(set);
}

static void label_device(set_device *d, long sub) {
  if (sub >= 0)
    snprintf(d->label, sizeof d->label, "%u:%u.%ld", d->info.platform_index, d->info.device_index,
             sub);
  else
    snprintf(d->label, sizeof d->label, "%u:%u", d->info.platform_index, d->info.device_index);
}

/* Add a context of clql's own on the device info describes. */
static clql_status add_owned(clql_device_set *set, const clql_device_info *info, long sub,
                             const clql_config *cfg) {
  set_device *d = &set->dev[set->count];
  clql_status st = clql_context_create_on(info, cfg, &d->ctx);
  if (st != CLQL_SUCCESS) return st;
  d->owned = 1;
  d->info = *info;
  label_device(d, sub);
  set->count++;
  return CLQL_SUCCESS;
}

/* Indices of the devices a selector list chooses, in list order. */
static clql_status choose(const char *source, const clql_selector_list *list,
                          const clql_device_info *all, size_t n, size_t *pick, size_t *count) {
  size_t m = 0;
  if (list->items[0].kind == CLQL_SEL_DEFAULT) {
    for (size_t i = 0; i < n; i++)
      if (all[i].type & CL_DEVICE_TYPE_GPU) pick[m++] = i;
    if (m == 0)
      for (size_t i = 0; i < n; i++) pick[m++] = i;
    *count = m;
    return CLQL_SUCCESS;
  }
  for (size_t k = 0; k < list->count; k++) {
    long i = clql_selector_match(&list->items[k], all, n);
    if (i < 0)
      return clql_fail(CLQL_ERR_NO_DEVICE, "%s: item %zu ('%s') matches no device", source, k + 1,
                       list->items[k].text);
    for (size_t j = 0; j < m; j++)
      if (all[pick[j]].device == all[i].device)
        return clql_fail(CLQL_ERR_BAD_SELECTOR,
                         "%s: items %zu and %zu both choose device %u:%u '%s'", source, j + 1,
                         k + 1, all[i].platform_index, all[i].device_index, all[i].name);
    pick[m++] = (size_t)i;
  }
  *count = m;
  return CLQL_SUCCESS;
}

/* The devices a selector list chooses, in a malloc'd array. */
static clql_status select_devices(const char *selectors, const clql_config *cfg,
                                  clql_device_info **out, size_t *count) {
  *out = NULL;
  *count = 0;
  clql_selector_list list;
  const char *source;
  clql_status st = clql_selector_list_of(selectors, cfg, &list, &source);
  if (st != CLQL_SUCCESS) return st;
  clql_device_info *all = NULL;
  size_t n = 0, m = 0, *pick = NULL;
  st = clql_devices_all(cfg, &all, &n);
  if (st == CLQL_SUCCESS && !(pick = clql_calloc(n > list.count ? n : list.count, sizeof *pick)))
    st = clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "device selection");
  if (st == CLQL_SUCCESS) st = choose(source, &list, all, n, pick, &m);
  clql_device_info *chosen = NULL;
  if (st == CLQL_SUCCESS && !(chosen = clql_calloc(m ? m : 1, sizeof *chosen)))
    st = clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "device selection");
  for (size_t k = 0; st == CLQL_SUCCESS && k < m; k++) chosen[k] = all[pick[k]];
  clql_free(pick);
  clql_free(all);
  clql_selector_list_free(&list);
  if (st != CLQL_SUCCESS) return st;
  *out = chosen;
  *count = m;
  return CLQL_SUCCESS;
}

clql_status clql_device_set_select(const char *selectors, clql_device_info *devices, size_t capacity,
                                size_t *count) {
  if (!count) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "count is NULL");
  if (!devices && capacity) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "devices is NULL");
  clql_device_info *chosen;
  size_t m;
  clql_config cfg;
  clql_status st = clql_config_init_env(&cfg);
  if (st == CLQL_SUCCESS) st = select_devices(selectors, &cfg, &chosen, &m);
  clql_config_clear(&cfg);
  if (st != CLQL_SUCCESS) return st;
  for (size_t i = 0; devices && i < m && i < capacity; i++) devices[i] = chosen[i];
  clql_free(chosen);
  *count = m;
  if (devices && capacity < m)
    return clql_fail(CLQL_ERR_BUFFER_TOO_SMALL, "%zu devices, room for %zu", m, capacity);
  return CLQL_SUCCESS;
}

clql_status clql_device_set_create(const char *selectors, clql_device_set **out) {
  if (!out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "out is NULL");
  *out = NULL;
  clql_device_info *chosen = NULL;
  size_t m;
  clql_config cfg; /* the environment, read once for every context of the set */
  clql_status st = clql_config_init_env(&cfg);
  if (st != CLQL_SUCCESS) return st;
  st = select_devices(selectors, &cfg, &chosen, &m);
  clql_device_set *set = NULL;
  if (st == CLQL_SUCCESS && !(set = set_alloc(m)))
    st = clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "device set");
  for (size_t k = 0; st == CLQL_SUCCESS && k < m; k++) st = add_owned(set, &chosen[k], -1, &cfg);
  clql_free(chosen);
  clql_config_clear(&cfg);
  if (st != CLQL_SUCCESS) {
    clql_device_set_destroy(set);
    return st;
  }
  *out = set;
  return CLQL_SUCCESS;
}

clql_status clql_device_set_wrap(clql_context *const *contexts, size_t count,
                                 clql_device_set **out) {
  if (!out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "out is NULL");
  *out = NULL;
  if (!contexts || count == 0)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "a set needs at least one context");
  for (size_t i = 0; i < count; i++) {
    if (!contexts[i]) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "context %zu is NULL", i);
    for (size_t j = 0; j < i; j++)
      if (contexts[j] == contexts[i])
        return clql_fail(CLQL_ERR_INVALID_ARGUMENT,
                         "contexts %zu and %zu are the same (a context serves one thread)", j, i);
  }
  clql_device_set *set = set_alloc(count);
  if (!set) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "device set");
  /* Wrapped contexts do not know their indices; the enumeration does. */
  clql_device_info *all = NULL;
  size_t n = 0;
  if (clql_devices_all(&contexts[0]->config, &all, &n) != CLQL_SUCCESS) n = 0;
  for (size_t i = 0; i < count; i++) {
    set_device *d = &set->dev[i];
    d->ctx = contexts[i];
    d->info = contexts[i]->info;
    long found = -1;
    for (size_t j = 0; j < n && found < 0; j++)
      if (all[j].device == d->info.device) found = (long)j;
    if (found >= 0) {
      d->info.index = all[found].index;
      d->info.platform_index = all[found].platform_index;
      d->info.device_index = all[found].device_index;
      label_device(d, -1);
    } else {
      snprintf(d->label, sizeof d->label, "context %zu", i);
    }
  }
  set->count = count;
  clql_free(all);
  clql_clear_error();
  *out = set;
  return CLQL_SUCCESS;
}

static int offers_partition(cl_device_id dev, cl_device_partition_property type) {
  cl_device_partition_property props[16];
  size_t size = 0;
  if (clGetDeviceInfo(dev, CL_DEVICE_PARTITION_PROPERTIES, sizeof props, props, &size) !=
      CL_SUCCESS)
    return 0;
  for (size_t i = 0; i < size / sizeof props[0]; i++)
    if (props[i] == type) return 1;
  return 0;
}

#define MAX_PARTS 64

clql_status clql_device_set_partition(const char *selector, clql_partition how,
                                      const unsigned *values, size_t count, clql_device_set **out) {
  if (!out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "out is NULL");
  *out = NULL;
  if (how != CLQL_PARTITION_EQUALLY && how != CLQL_PARTITION_BY_COUNTS)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "partition type %d", (int)how);
  if (!values || count == 0 || count > MAX_PARTS || (how == CLQL_PARTITION_EQUALLY && count != 1))
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT,
                     "a partition takes one value (equally) or 1 to %d counts", MAX_PARTS);
  for (size_t i = 0; i < count; i++)
    if (values[i] == 0)
      return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "value %zu of the partition is 0", i);
  clql_device_info parent;
  clql_config cfg;
  clql_status st = clql_config_init_env(&cfg);
  if (st != CLQL_SUCCESS) return st;
  st = clql_device_select_with(selector, &cfg, &parent);
  if (st != CLQL_SUCCESS) {
    clql_config_clear(&cfg);
    return st;
  }
  const cl_device_partition_property type =
      how == CLQL_PARTITION_EQUALLY ? CL_DEVICE_PARTITION_EQUALLY : CL_DEVICE_PARTITION_BY_COUNTS;
  const char *what = how == CLQL_PARTITION_EQUALLY ? "equally" : "by counts";
  if (!offers_partition(parent.device, type)) {
    clql_config_clear(&cfg);
    return clql_fail(CLQL_ERR_UNSUPPORTED, "device %u:%u '%s' cannot be partitioned %s",
                     parent.platform_index, parent.device_index, parent.name, what);
  }
  cl_device_partition_property props[MAX_PARTS + 3];
  size_t np = 0;
  props[np++] = type;
  for (size_t i = 0; i < count; i++) props[np++] = (cl_device_partition_property)values[i];
  if (how == CLQL_PARTITION_BY_COUNTS) props[np++] = CL_DEVICE_PARTITION_BY_COUNTS_LIST_END;
  props[np] = 0;
  cl_uint nsub = 0;
  cl_int err = clCreateSubDevices(parent.device, props, 0, NULL, &nsub);
  if (err == CL_SUCCESS && nsub == 0) err = CL_DEVICE_PARTITION_FAILED;
  if (err != CL_SUCCESS) {
    clql_config_clear(&cfg);
    return clql_fail((clql_status)err, "partitioning device %u:%u '%s' %s: %s",
                     parent.platform_index, parent.device_index, parent.name, what,
                     clql_status_name(err));
  }
  cl_device_id *subs = clql_calloc(nsub, sizeof *subs);
  clql_device_set *set = set_alloc(nsub);
  if (!subs || !set) {
    clql_free(subs);
    clql_device_set_destroy(set);
    clql_config_clear(&cfg);
    return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "device set");
  }
  cl_uint made = 0;
  err = clCreateSubDevices(parent.device, props, nsub, subs, &made);
  if (err != CL_SUCCESS) {
    made = 0;
    st = clql_fail((clql_status)err, "partitioning device %u:%u '%s' %s: %s", parent.platform_index,
                   parent.device_index, parent.name, what, clql_status_name(err));
  }
  cl_uint i = 0;
  for (; st == CLQL_SUCCESS && i < made && i < nsub; i++) {
    clql_device_info info;
    st = clql_device_fill(parent.platform, subs[i], &cfg, &info);
    if (st != CLQL_SUCCESS) break;
    info.index = parent.index;
    info.platform_index = parent.platform_index;
    info.device_index = parent.device_index;
    if ((st = add_owned(set, &info, (long)i, &cfg)) != CLQL_SUCCESS) break;
    set->dev[set->count - 1].sub = subs[i];
  }
  for (; i < made && i < nsub; i++) clReleaseDevice(subs[i]); /* not handed to the set */
  clql_free(subs);
  clql_config_clear(&cfg);
  if (st != CLQL_SUCCESS) {
    clql_device_set_destroy(set);
    return st;
  }
  *out = set;
  return CLQL_SUCCESS;
}

size_t clql_device_set_count(const clql_device_set *set) { return set ? set->count : 0; }

clql_context *clql_device_set_context(const clql_device_set *set, size_t index) {
  return set && index < set->count ? set->dev[index].ctx : NULL;
}

const clql_device_info *clql_device_set_info(const clql_device_set *set, size_t index) {
  return set && index < set->count ? &set->dev[index].info : NULL;
}

const char *clql_device_set_label(const clql_device_set *set, size_t index) {
  return set && index < set->count ? set->dev[index].label : "";
}

const clql_budget_options *clql_device_set_opts(const clql_device_set *set, size_t index) {
  return set->dev[index].has_opts ? &set->dev[index].opts : &set->dev[index].ctx->config.budget;
}

static clql_status check_index(const clql_device_set *set, size_t index) {
  if (!set) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "device set is NULL");
  if (index >= set->count)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "device %zu of a set of %zu", index, set->count);
  return CLQL_SUCCESS;
}

clql_status clql_device_set_budget(clql_device_set *set, size_t index,
                                   const clql_budget_options *opts) {
  clql_status st = check_index(set, index);
  if (st != CLQL_SUCCESS) return st;
  set_device *d = &set->dev[index];
  if (!opts) {
    d->has_opts = 0;
    return CLQL_SUCCESS;
  }
  /* over the context's own knobs, as options passed to a layer are */
  clql_budget_options o = clql_budget_options_over(&d->ctx->config.budget, opts);
  clql_budget b; /* checks every value the options set */
  if ((st = clql_budget_compute(&d->info.memory, &o, &b)) != CLQL_SUCCESS) return st;
  d->opts = o;
  d->has_opts = 1;
  return CLQL_SUCCESS;
}

clql_status clql_device_set_throughput(clql_device_set *set, size_t index, double throughput) {
  clql_status st = check_index(set, index);
  if (st != CLQL_SUCCESS) return st;
  if (!(throughput >= 0) || throughput > 1e300)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "throughput %g (> 0, or 0 for none)", throughput);
  set->dev[index].throughput = throughput;
  return CLQL_SUCCESS;
}

clql_status clql_split_mode_env(clql_split_mode *mode) {
  if (!mode) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "mode is NULL");
  clql_config cfg;
  clql_status st = clql_config_init_env(&cfg);
  if (st != CLQL_SUCCESS) return st;
  const int set = clql_config_text(&cfg, CLQL_KNOB_SPLIT) != NULL;
  if (set) *mode = cfg.split;
  clql_config_clear(&cfg);
  return set ? CLQL_SUCCESS : clql_fail(CLQL_ERR_NOT_FOUND, "CLQL_SPLIT is not set");
}

clql_status clql_device_set_plan(const clql_device_set *set, const clql_model_layer *layers,
                                 size_t nlayers, clql_split_mode mode, uint64_t requested_batch,
                                 clql_split_part *parts, size_t capacity, clql_split_plan *out) {
  if (!set || !parts || !out)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "set, parts and out are required");
  if (capacity < set->count)
    return clql_fail(CLQL_ERR_BUFFER_TOO_SMALL, "room for %zu parts; the set has %zu devices",
                     capacity, set->count);
  clql_split_device *devs = clql_calloc(set->count, sizeof *devs);
  if (!devs) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "split devices");
  for (size_t d = 0; d < set->count; d++) {
    devs[d].memory = set->dev[d].info.memory;
    devs[d].options = clql_device_set_opts(set, d);
    devs[d].throughput = set->dev[d].throughput;
  }
  clql_status st = clql_plan_split(devs, set->count, layers, nlayers, mode, requested_batch,
                                   CLQL_WS_WITH_INPUT | CLQL_WS_WITH_OUTPUT, parts, out);
  clql_free(devs);
  return st;
}
