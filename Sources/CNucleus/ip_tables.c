/* The legacy (x_tables) filter tables, which nf_tables cannot see: does
 * FORWARD drop by policy, with no rule of its own naming the bridge? Asked
 * only when the table already exists, because naming it in *_SO_GET_INFO
 * would load and create it. IPv4 and IPv6 differ only in their structures,
 * so one template serves both. */
#define _GNU_SOURCE
#include "nucleus_net.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int filter_table_loaded(const char *names_file) {
    int fd = open(names_file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char names[512];
    ssize_t n = read(fd, names, sizeof names - 1);
    close(fd);
    if (n <= 0)
        return 0;
    names[n] = 0;
    for (char *line = strtok(names, "\n"); line; line = strtok(NULL, "\n"))
        if (strcmp(line, "filter") == 0)
            return 1;
    return 0;
}

/* The policy is the standard target of the entry at FORWARD's underflow;
 * the chain's own rules run from its hook entry up to there. */
#define LEGACY_FORWARD_DROPS(function, names_file, family, level, GET_INFO, GET_ENTRIES, info_t, entries_t,         \
                             entry_t, header)                                                                        \
    int function(const char *bridge) {                                                                               \
        if (!filter_table_loaded(names_file))                                                                        \
            return 0;                                                                                                \
        int fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);                                               \
        if (fd < 0)                                                                                                  \
            return -errno;                                                                                           \
        info_t info;                                                                                                 \
        memset(&info, 0, sizeof info);                                                                               \
        strcpy(info.name, "filter");                                                                                 \
        socklen_t length = sizeof info;                                                                              \
        int rc = 0;                                                                                                  \
        entries_t *entries = NULL;                                                                                   \
        if (getsockopt(fd, level, GET_INFO, &info, &length) < 0) {                                                   \
            rc = -errno;                                                                                             \
            goto done;                                                                                               \
        }                                                                                                            \
        if (!(info.valid_hooks & (1u << NF_INET_FORWARD)))                                                           \
            goto done;                                                                                               \
        length = (socklen_t)(sizeof(entries_t) + info.size);                                                         \
        entries = calloc(1, length);                                                                                 \
        if (!entries) {                                                                                              \
            rc = -ENOMEM;                                                                                            \
            goto done;                                                                                               \
        }                                                                                                            \
        strcpy(entries->name, "filter");                                                                             \
        entries->size = info.size;                                                                                   \
        if (getsockopt(fd, level, GET_ENTRIES, entries, &length) < 0) {                                              \
            rc = -errno;                                                                                             \
            goto done;                                                                                               \
        }                                                                                                            \
        const char *table = (const char *)entries->entrytable;                                                       \
        unsigned int policy_at = info.underflow[NF_INET_FORWARD];                                                    \
        if (policy_at + sizeof(entry_t) > info.size)                                                                 \
            goto done;                                                                                               \
        const entry_t *policy = (const entry_t *)(table + policy_at);                                                \
        if (policy->target_offset + sizeof(struct xt_standard_target) > info.size - policy_at)                       \
            goto done;                                                                                               \
        const struct xt_standard_target *target =                                                                    \
            (const struct xt_standard_target *)((const char *)policy + policy->target_offset);                       \
        if (target->verdict != -NF_DROP - 1)                                                                         \
            goto done;                                                                                               \
        rc = 1;                                                                                                      \
        for (unsigned int at = info.hook_entry[NF_INET_FORWARD]; at < policy_at;) {                                  \
            const entry_t *entry = (const entry_t *)(table + at);                                                    \
            if (entry->next_offset < sizeof(entry_t))                                                                \
                break;                                                                                               \
            if (strncmp(entry->header.iniface, bridge, IFNAMSIZ) == 0 ||                                             \
                strncmp(entry->header.outiface, bridge, IFNAMSIZ) == 0) {                                            \
                rc = 0;                                                                                              \
                break;                                                                                               \
            }                                                                                                        \
            at += entry->next_offset;                                                                                \
        }                                                                                                            \
    done:                                                                                                            \
        free(entries);                                                                                               \
        close(fd);                                                                                                   \
        return rc;                                                                                                   \
    }

LEGACY_FORWARD_DROPS(nucleus_iptables_legacy_forward_drops, "/proc/self/net/ip_tables_names", AF_INET, IPPROTO_IP,
                     IPT_SO_GET_INFO, IPT_SO_GET_ENTRIES, struct ipt_getinfo, struct ipt_get_entries,
                     struct ipt_entry, ip)
LEGACY_FORWARD_DROPS(nucleus_ip6tables_legacy_forward_drops, "/proc/self/net/ip6_tables_names", AF_INET6, IPPROTO_IPV6,
                     IP6T_SO_GET_INFO, IP6T_SO_GET_ENTRIES, struct ip6t_getinfo, struct ip6t_get_entries,
                     struct ip6t_entry, ipv6)
