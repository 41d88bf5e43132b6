/* Dropping everything the kernel would let a process keep. */
#ifndef NUCLEUS_PRIVILEGES_H
#define NUCLEUS_PRIVILEGES_H

#include <stdint.h>

/* Empty the bounding set but for keep_bounding, clear ambient, and lock the
 * securebits that could hand capabilities back (with keep_ambient, leave
 * ambient raising possible and keep permitted across the uid switch).
 * Needs CAP_SETPCAP; returns 0 or -errno. */
int nucleus_drop_bounding_and_lock(uint64_t keep_bounding, int keep_ambient);

/* After the uid switch: permitted and effective become `keep`, inheritable
 * `inheritable`, each kept capability is raised into ambient (what survives
 * exec); then no_new_privs. All zero: every set emptied. */
int nucleus_drop_remaining_capabilities(uint64_t keep, uint64_t inheritable);

#endif
