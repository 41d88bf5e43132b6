/* The egress table's "denied" log lines, relayed by nucleus. The kernel
 * drops LOG output from non-initial network namespaces unless the host sets
 * nf_log_all_netns, so the rules log to an NFLOG group instead and nucleus
 * reads that group from a socket opened inside the container's namespace. */
#define _GNU_SOURCE
#include "nucleus_net.h"

#include <endian.h>
#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int configure(int fd, uint16_t group, uint16_t type, const void *data, uint16_t length) {
    char request[64] __attribute__((aligned(NLMSG_ALIGNTO)));
    memset(request, 0, sizeof request);
    struct nlmsghdr *h = (struct nlmsghdr *)request;
    h->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
    h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    struct nfgenmsg *gen = NLMSG_DATA(h);
    gen->nfgen_family = AF_UNSPEC;
    gen->version = NFNETLINK_V0;
    gen->res_id = htobe16(group);
    h->nlmsg_len = NLMSG_LENGTH(sizeof *gen);
    struct nlattr *a = (struct nlattr *)(request + NLMSG_ALIGN(h->nlmsg_len));
    a->nla_type = type;
    a->nla_len = (uint16_t)(NLA_HDRLEN + length);
    memcpy((char *)a + NLA_HDRLEN, data, length);
    h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + NLA_ALIGN(a->nla_len);
    if (send(fd, request, h->nlmsg_len, 0) < 0)
        return -errno;
    char reply[256] __attribute__((aligned(NLMSG_ALIGNTO)));
    ssize_t n = recv(fd, reply, sizeof reply, 0);
    if (n < 0)
        return -errno;
    struct nlmsghdr *r = (struct nlmsghdr *)reply;
    if (NLMSG_OK(r, (uint32_t)n) && r->nlmsg_type == NLMSG_ERROR)
        return ((struct nlmsgerr *)NLMSG_DATA(r))->error;
    return 0;
}

int nucleus_nflog_open(uint16_t group) {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_NETFILTER);
    if (fd < 0)
        return -errno;
    struct nfulnl_msg_config_cmd bind_group = {.command = NFULNL_CFG_CMD_BIND};
    struct nfulnl_msg_config_mode mode = {.copy_range = htobe32(128), .copy_mode = NFULNL_COPY_PACKET};
    int rc = configure(fd, group, NFULA_CFG_CMD, &bind_group, sizeof bind_group);
    if (rc == 0)
        rc = configure(fd, group, NFULA_CFG_MODE, &mode, sizeof mode);
    /* Deliver each packet at once: the default batches up to 100 for a second,
     * and a short workload's denials would die with the socket. */
    uint32_t threshold = htobe32(1);
    if (rc == 0)
        rc = configure(fd, group, NFULA_CFG_QTHRESH, &threshold, sizeof threshold);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    return fd;
}

/* "tcp 203.0.113.11:80" from an IP packet's first bytes. */
static int describe(const uint8_t *p, int length, char *out, int size) {
    if (length < 1)
        return 0;
    int version = p[0] >> 4, header, protocol;
    char destination[64];
    if (version == 4 && length >= 20) {
        header = (p[0] & 0x0F) * 4;
        protocol = p[9];
        snprintf(destination, sizeof destination, "%u.%u.%u.%u", p[16], p[17], p[18], p[19]);
    } else if (version == 6 && length >= 40) {
        header = 40;
        protocol = p[6];
        int used = 0;
        for (int i = 0; i < 16; i += 2)
            used += snprintf(destination + used, sizeof destination - (size_t)used, "%s%x", i ? ":" : "",
                             (unsigned)(p[24 + i] << 8 | p[25 + i]));
        char bracketed[72];
        snprintf(bracketed, sizeof bracketed, "[%s]", destination);
        memcpy(destination, bracketed, sizeof destination - 1);
        destination[sizeof destination - 1] = 0;
    } else {
        return 0;
    }
    const char *name = protocol == 6 ? "tcp" : protocol == 17 ? "udp" : protocol == 1 || protocol == 58 ? "icmp" : "ip";
    if ((protocol == 6 || protocol == 17) && length >= header + 4)
        return snprintf(out, (size_t)size, "%s %s:%u\n", name, destination, (unsigned)(p[header + 2] << 8 | p[header + 3]));
    return snprintf(out, (size_t)size, "%s %s (protocol %d)\n", name, destination, protocol);
}

int nucleus_nflog_read(int fd, char *out, int size) {
    static char buffer[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
    out[0] = 0;
    ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n < 0)
        return -errno;
    int used = 0, count = 0;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buffer; NLMSG_OK(h, (uint32_t)n); h = NLMSG_NEXT(h, n)) {
        if ((h->nlmsg_type & 0xFF) != NFULNL_MSG_PACKET)
            continue;
        int length = (int)h->nlmsg_len - NLMSG_LENGTH(sizeof(struct nfgenmsg));
        struct nlattr *a = (struct nlattr *)((char *)NLMSG_DATA(h) + NLMSG_ALIGN(sizeof(struct nfgenmsg)));
        while (length >= (int)NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= length) {
            if ((a->nla_type & NLA_TYPE_MASK) == NFULA_PAYLOAD && used < size - 1) {
                int wrote = describe((const uint8_t *)a + NLA_HDRLEN, a->nla_len - NLA_HDRLEN, out + used, size - used);
                if (wrote > 0 && used + wrote < size) {
                    used += wrote;
                    count++;
                }
            }
            length -= NLA_ALIGN(a->nla_len);
            a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
        }
    }
    out[used] = 0;
    return count;
}
