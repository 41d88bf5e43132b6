/* libnftables through dlopen: a run without a bridge or egress policy never
 * maps it (and its libgmp, libjansson, libxtables), which keeps cold start
 * short. The commands are the plan's rendered rule text, run as one batch. */
#define _GNU_SOURCE
#include "nucleus_net.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct nft_ctx;

static struct {
    void *handle;
    struct nft_ctx *(*ctx_new)(uint32_t);
    void (*ctx_free)(struct nft_ctx *);
    int (*buffer_error)(struct nft_ctx *);
    int (*buffer_output)(struct nft_ctx *);
    const char *(*error_buffer)(struct nft_ctx *);
    const char *(*output_buffer)(struct nft_ctx *);
    int (*run)(struct nft_ctx *, const char *);
} nft;

int nucleus_nft_available(void) {
    if (nft.handle)
        return 0;
    void *handle = dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!handle)
        return -ENOENT;
    nft.ctx_new = dlsym(handle, "nft_ctx_new");
    nft.ctx_free = dlsym(handle, "nft_ctx_free");
    nft.buffer_error = dlsym(handle, "nft_ctx_buffer_error");
    nft.buffer_output = dlsym(handle, "nft_ctx_buffer_output");
    nft.error_buffer = dlsym(handle, "nft_ctx_get_error_buffer");
    nft.output_buffer = dlsym(handle, "nft_ctx_get_output_buffer");
    nft.run = dlsym(handle, "nft_run_cmd_from_buffer");
    if (!nft.ctx_new || !nft.ctx_free || !nft.buffer_error || !nft.buffer_output || !nft.error_buffer ||
        !nft.output_buffer || !nft.run) {
        dlclose(handle);
        return -ENOSYS;
    }
    nft.handle = handle;
    return 0;
}

int nucleus_nft_run(const char *commands, char **error, char **output) {
    *error = NULL;
    if (output)
        *output = NULL;
    int rc = nucleus_nft_available();
    if (rc < 0)
        return rc;
    struct nft_ctx *ctx = nft.ctx_new(0);
    if (!ctx)
        return -ENOMEM;
    nft.buffer_error(ctx);
    nft.buffer_output(ctx);
    rc = nft.run(ctx, commands) == 0 ? 0 : -EINVAL;
    if (rc < 0)
        *error = strdup(nft.error_buffer(ctx));
    else if (output)
        *output = strdup(nft.output_buffer(ctx));
    nft.ctx_free(ctx);
    return rc;
}

void nucleus_free(void *pointer) { free(pointer); }
