/* The legacy (x_tables) filter table, which nf_tables cannot see: does its
 * FORWARD chain drop by policy, with no rule of its own naming the bridge? Asked only when the table already exists,
 * because naming it in IPT_SO_GET_INFO would load and create it. */
#define _GNU_SOURCE
#include "nucleus_net.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int filter_table_loaded(void) {
    int fd = open("/proc/self/net/ip_tables_names", O_RDONLY | O_CLOEXEC);
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

/* Whether a rule of the chain [start, end) names `bridge` as in- or out-interface. */
static int chain_names(const char *table, unsigned int start, unsigned int end, const char *bridge) {
    unsigned int offset = start;
    while (offset < end) {
        const struct ipt_entry *entry = (const struct ipt_entry *)(table + offset);
        if (entry->next_offset < sizeof(struct ipt_entry))
            return 0;
        if (strncmp(entry->ip.iniface, bridge, IFNAMSIZ) == 0 || strncmp(entry->ip.outiface, bridge, IFNAMSIZ) == 0)
            return 1;
        offset += entry->next_offset;
    }
    return 0;
}

int nucleus_iptables_legacy_forward_drops(const char *bridge) {
    if (!filter_table_loaded())
        return 0;
    int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
    if (fd < 0)
        return -errno;
    struct ipt_getinfo info;
    memset(&info, 0, sizeof info);
    strcpy(info.name, "filter");
    socklen_t length = sizeof info;
    if (getsockopt(fd, IPPROTO_IP, IPT_SO_GET_INFO, &info, &length) < 0) {
        int error = errno;
        close(fd);
        return -error;
    }
    if (!(info.valid_hooks & (1u << NF_INET_FORWARD))) {
        close(fd);
        return 0;
    }
    length = (socklen_t)(sizeof(struct ipt_get_entries) + info.size);
    struct ipt_get_entries *entries = calloc(1, length);
    if (!entries) {
        close(fd);
        return -ENOMEM;
    }
    strcpy(entries->name, "filter");
    entries->size = info.size;
    int rc = 0;
    if (getsockopt(fd, IPPROTO_IP, IPT_SO_GET_ENTRIES, entries, &length) < 0) {
        rc = -errno;
    } else {
        /* The chain's policy is the standard target of the entry at its underflow. */
        unsigned int offset = info.underflow[NF_INET_FORWARD];
        if (offset + sizeof(struct ipt_entry) <= info.size) {
            struct ipt_entry *policy = (struct ipt_entry *)((char *)entries->entrytable + offset);
            if (policy->target_offset + sizeof(struct xt_standard_target) <= info.size - offset) {
                struct xt_standard_target *target = (struct xt_standard_target *)((char *)policy + policy->target_offset);
                rc = target->verdict == -NF_DROP - 1 &&
                     !chain_names((const char *)entries->entrytable, info.hook_entry[NF_INET_FORWARD], offset, bridge);
            }
        }
    }
    free(entries);
    close(fd);
    return rc;
}
