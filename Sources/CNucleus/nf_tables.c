/* Two read-only nf_tables questions asked over NETLINK_NETFILTER directly:
 * does our table exist, and which forward-hook chains drop by policy. */
#define _GNU_SOURCE
#include "nucleus_net.h"

#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <endian.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int open_netfilter(void) {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
    return fd < 0 ? -errno : fd;
}

/* One request; `each` sees every reply message until DONE or an error. */
static void put_string(struct nlmsghdr *h, char *request, uint16_t type, const char *text) {
    struct nlattr *a = (struct nlattr *)(request + NLMSG_ALIGN(h->nlmsg_len));
    a->nla_type = type;
    a->nla_len = (uint16_t)(NLA_HDRLEN + strlen(text) + 1);
    memcpy((char *)a + NLA_HDRLEN, text, strlen(text) + 1);
    h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/* `name` is the table (attribute 1 of tables and rules alike), `chain` a
 * rule dump's chain. */
static int ask(int fd, uint16_t type, uint16_t flags, uint8_t family, const char *name, const char *chain,
               int (*each)(struct nlmsghdr *, uint8_t, void *), void *context) {
    char request[256] __attribute__((aligned(NLMSG_ALIGNTO)));
    memset(request, 0, sizeof request);
    struct nlmsghdr *h = (struct nlmsghdr *)request;
    h->nlmsg_type = (uint16_t)((NFNL_SUBSYS_NFTABLES << 8) | type);
    h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    h->nlmsg_seq = 1;
    struct nfgenmsg *gen = NLMSG_DATA(h);
    gen->nfgen_family = family;
    gen->version = NFNETLINK_V0;
    h->nlmsg_len = NLMSG_LENGTH(sizeof *gen);
    if ((name ? strlen(name) : 0) + (chain ? strlen(chain) : 0) > 200)
        return -ENAMETOOLONG;
    if (name)
        put_string(h, request, NFTA_TABLE_NAME, name);
    if (chain)
        put_string(h, request, NFTA_RULE_CHAIN, chain);
    if (send(fd, request, h->nlmsg_len, 0) < 0)
        return -errno;
    static char reply[65536] __attribute__((aligned(NLMSG_ALIGNTO)));
    for (;;) {
        ssize_t n = recv(fd, reply, sizeof reply, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        for (struct nlmsghdr *r = (struct nlmsghdr *)reply; NLMSG_OK(r, (uint32_t)n); r = NLMSG_NEXT(r, n)) {
            if (r->nlmsg_type == NLMSG_ERROR) {
                struct nlmsgerr *error = NLMSG_DATA(r);
                return error->error;
            }
            if (r->nlmsg_type == NLMSG_DONE)
                return 0;
            if (each) {
                struct nfgenmsg *g = NLMSG_DATA(r);
                int rc = each(r, g->nfgen_family, context);
                if (rc < 0)
                    return rc;
            }
        }
    }
}

int nucleus_nft_inet_table_exists(const char *name) {
    int fd = open_netfilter();
    if (fd < 0)
        return fd;
    int rc = ask(fd, NFT_MSG_GETTABLE, 0, NFPROTO_INET, name, NULL, NULL, NULL);
    close(fd);
    if (rc == -ENOENT)
        return 0;
    return rc < 0 ? rc : 1;
}

struct chain_list {
    char *out;
    int size;
    int used;
    int count;
};

static const char *family_name(uint8_t family) {
    switch (family) {
    case NFPROTO_IPV4: return "ip";
    case NFPROTO_IPV6: return "ip6";
    case NFPROTO_INET: return "inet";
    case NFPROTO_BRIDGE: return "bridge";
    case NFPROTO_NETDEV: return "netdev";
    case NFPROTO_ARP: return "arp";
    default: return "?";
    }
}

static int record_chain(struct nlmsghdr *h, uint8_t family, void *context) {
    struct chain_list *list = context;
    const char *table = NULL, *chain = NULL;
    int forward = 0, drop = 0;
    int length = (int)h->nlmsg_len - NLMSG_LENGTH(sizeof(struct nfgenmsg));
    struct nlattr *a = (struct nlattr *)((char *)NLMSG_DATA(h) + NLMSG_ALIGN(sizeof(struct nfgenmsg)));
    while (length >= (int)NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= length) {
        void *data = (char *)a + NLA_HDRLEN;
        switch (a->nla_type & NLA_TYPE_MASK) {
        case NFTA_CHAIN_TABLE: table = data; break;
        case NFTA_CHAIN_NAME: chain = data; break;
        case NFTA_CHAIN_POLICY: drop = be32toh(*(uint32_t *)data) == NF_DROP; break;
        case NFTA_CHAIN_HOOK: {
            int inner = a->nla_len - NLA_HDRLEN;
            struct nlattr *b = data;
            while (inner >= (int)NLA_HDRLEN && b->nla_len >= NLA_HDRLEN && b->nla_len <= inner) {
                if ((b->nla_type & NLA_TYPE_MASK) == NFTA_HOOK_HOOKNUM)
                    forward = be32toh(*(uint32_t *)((char *)b + NLA_HDRLEN)) == NF_INET_FORWARD;
                inner -= NLA_ALIGN(b->nla_len);
                b = (struct nlattr *)((char *)b + NLA_ALIGN(b->nla_len));
            }
            break;
        }
        }
        length -= NLA_ALIGN(a->nla_len);
        a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
    }
    if (forward && drop && table && chain && family != NFPROTO_NETDEV) {
        int n = snprintf(list->out + list->used, (size_t)(list->size - list->used), "%s %s %s\n",
                         family_name(family), table, chain);
        if (n > 0 && list->used + n < list->size)
            list->used += n;
        list->count++;
    }
    return 0;
}

int nucleus_nft_forward_drop_chains(char *out, int size) {
    if (size < 1)
        return -EINVAL;
    out[0] = 0;
    int fd = open_netfilter();
    if (fd < 0)
        return fd;
    struct chain_list list = {out, size, 0, 0};
    int rc = ask(fd, NFT_MSG_GETCHAIN, NLM_F_DUMP, NFPROTO_UNSPEC, NULL, NULL, record_chain, &list);
    close(fd);
    out[list.used] = 0;
    return rc < 0 ? rc : list.count;
}

struct mention {
    const char *needle;
    size_t length;
    int found;
};

static int find_mention(struct nlmsghdr *h, uint8_t family, void *context) {
    (void)family;
    struct mention *m = context;
    if (h->nlmsg_len > NLMSG_HDRLEN && memmem(NLMSG_DATA(h), h->nlmsg_len - NLMSG_HDRLEN, m->needle, m->length))
        m->found = 1;
    return 0;
}

static int family_number(const char *name) {
    if (strcmp(name, "ip") == 0)
        return NFPROTO_IPV4;
    if (strcmp(name, "ip6") == 0)
        return NFPROTO_IPV6;
    if (strcmp(name, "inet") == 0)
        return NFPROTO_INET;
    return -1;
}

int nucleus_nft_chain_mentions(const char *family, const char *table, const char *chain, const char *needle) {
    int number = family_number(family);
    if (number < 0)
        return -EAFNOSUPPORT;
    int fd = open_netfilter();
    if (fd < 0)
        return fd;
    struct mention m = {needle, strlen(needle) + 1, 0};
    int rc = ask(fd, NFT_MSG_GETRULE, NLM_F_DUMP, (uint8_t)number, table, chain, find_mention, &m);
    close(fd);
    return rc < 0 ? rc : m.found;
}
