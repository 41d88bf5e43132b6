/* Dropping everything the kernel would let a process keep. */
#ifndef NUCLEUS_PRIVILEGES_H
#define NUCLEUS_PRIVILEGES_H

/* Empty the bounding and ambient sets and lock the securebits that could hand
 * capabilities back. Needs CAP_SETPCAP; returns 0 or -errno. */
int nucleus_drop_bounding_and_lock(void);

/* Clear permitted, effective and inheritable, then set no_new_privs. */
int nucleus_drop_remaining_capabilities(void);

#endif
