/* A kernel with one error of each kind the oclgrind tests must see: an
 * out-of-bounds read, a data race in local memory and a branch on an
 * uninitialized value. Run on oclgrind's device with its checks on, it must
 * draw all three reports (oclgrind/checks_on): the proof that the
 * environment of the oclgrind tests selects oclgrind and turns the checks
 * on, so their silence means something. */
#include <stdio.h>
#include <CL/cl.h>

static const char *source =
    "__kernel void canary(__global int *out, __global const int *in, __local int *tmp) {\n"
    "  int never_set;\n"
    "  const int lid = (int)get_local_id(0);\n"
    "  tmp[0] = lid;                        /* every work-item, no barrier: a race */\n"
    "  if (lid == 0 && never_set > 0) out[1] = 1; /* uninitialized */\n"
    "  if (lid == 0) out[0] = in[4] + tmp[0]; /* in holds 4 ints */\n"
    "}\n";

int main(void) {
  cl_platform_id platform;
  cl_device_id device;
  cl_int err = clGetPlatformIDs(1, &platform, NULL);
  if (err == CL_SUCCESS) err = clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 1, &device, NULL);
  if (err != CL_SUCCESS) return fprintf(stderr, "no OpenCL device (%d)\n", err), 1;
  char name[256] = "";
  clGetDeviceInfo(device, CL_DEVICE_NAME, sizeof name, name, NULL);
  printf("device: %s\n", name);
  cl_context ctx = clCreateContext(NULL, 1, &device, NULL, NULL, &err);
  cl_command_queue queue = ctx ? clCreateCommandQueue(ctx, device, 0, &err) : NULL;
  cl_program program = queue ? clCreateProgramWithSource(ctx, 1, &source, NULL, &err) : NULL;
  if (program) err = clBuildProgram(program, 1, &device, "", NULL, NULL);
  cl_kernel kernel = err == CL_SUCCESS ? clCreateKernel(program, "canary", &err) : NULL;
  const int in[4] = {1, 2, 3, 4};
  int out[2] = {0, 0};
  cl_mem din = kernel ? clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, sizeof in,
                                       (void *)in, &err)
                      : NULL;
  cl_mem dout = din ? clCreateBuffer(ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof out,
                                     out, &err)
                    : NULL;
  if (!dout) return fprintf(stderr, "setup failed (%d)\n", err), 1;
  size_t global = 4, local = 4;
  err = clSetKernelArg(kernel, 0, sizeof dout, &dout);
  err |= clSetKernelArg(kernel, 1, sizeof din, &din);
  err |= clSetKernelArg(kernel, 2, sizeof(int), NULL);
  if (err == CL_SUCCESS)
    err = clEnqueueNDRangeKernel(queue, kernel, 1, NULL, &global, &local, 0, NULL, NULL);
  if (err == CL_SUCCESS) err = clFinish(queue);
  clReleaseMemObject(din), clReleaseMemObject(dout);
  clReleaseKernel(kernel), clReleaseProgram(program);
  clReleaseCommandQueue(queue), clReleaseContext(ctx);
  return err == CL_SUCCESS ? 0 : 1;
}
