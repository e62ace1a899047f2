/* clql: ternary ("1.58-bit") quantized linear layers on any OpenCL device,
 * with workspaces sized from the memory each device really has free.
 *
 * Error convention: every function that can fail returns a clql_status
 * (include/clql/status.h); CLQL_SUCCESS is 0, OpenCL errors pass through with
 * their own values, clql's own errors are -10000 and below. Outputs are
 * written only on success unless a function says otherwise. Handles are
 * opaque; *_destroy(NULL) is always a no-op. Enumerations follow "ask the
 * size, then pass the buffer". */
#ifndef CLQL_H
#define CLQL_H

#include <clql/export.h>
#include <clql/version.h>
#include <clql/status.h>
#include <clql/log.h>
#include <clql/device.h>
#include <clql/profile.h>
#include <clql/numa.h>
#include <clql/config.h>
#include <clql/context.h>
#include <clql/activation.h>
#include <clql/ternary.h>
#include <clql/layer.h>
#include <clql/sequence.h>
#include <clql/layout.h>
#include <clql/model.h>
#include <clql/plan.h>
#include <clql/split.h>
#include <clql/multi.h>
#include <clql/import.h>
#include <clql/gguf.h>
#include <clql/inference.h>

#endif /* CLQL_H */
