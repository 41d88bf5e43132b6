/* Shared by the child-side files: error reporting and the phases. */
#ifndef NUCLEUS_CHILD_H
#define NUCLEUS_CHILD_H

#include "nucleus_spawn.h"

/* Write one error record to the parent and exit with `code`. Never returns. */
__attribute__((noreturn)) void nucleus_fail(const struct nucleus_spec *spec, int32_t step,
                                            int32_t syscall_id, int err, int code);

/* Run the leading ops that need no id mapping (hostname, loopback), while the
 * parent is still writing the maps. Returns the index of the first op left. */
uint32_t nucleus_apply_ops_before_maps(struct nucleus_spec *spec);

/* Walk spec->ops in order from `first`. Returns only on success; failures call nucleus_fail. */
void nucleus_apply_ops(struct nucleus_spec *spec, uint32_t first);

/* PID 1: fork the workload, then reap and forward signals until it exits. */
__attribute__((noreturn)) void nucleus_run_init(struct nucleus_spec *spec);

/* In the forked workload: identity, capabilities, session, fds, exec. */
__attribute__((noreturn)) void nucleus_exec_workload(const struct nucleus_spec *spec);

/* Trace mode: the workload stores its seccomp listener fd here (init shares
 * its memory) for init to take with pidfd_getfd; -1 until then. */
extern volatile int nucleus_trace_listener;

/* Build and enforce spec->landlock (if any) in the calling process; failures call nucleus_fail. */
void nucleus_apply_landlock(const struct nucleus_spec *spec);

#endif
