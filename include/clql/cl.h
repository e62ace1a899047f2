/* The OpenCL headers as clql uses them: the 1.2 host API. */
#ifndef CLQL_CL_H
#define CLQL_CL_H

#ifndef CL_TARGET_OPENCL_VERSION
#  define CL_TARGET_OPENCL_VERSION 120
#endif
#ifdef __APPLE__
#  include <OpenCL/opencl.h>
#else
#  include <CL/cl.h>
#endif

#endif /* CLQL_CL_H */
