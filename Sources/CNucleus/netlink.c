/* rtnetlink requests for the bridge back-end: one message, one ack. */
#define _GNU_SOURCE
#include "nucleus_net.h"

#include <errno.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <unistd.h>

#define BUFFER 4096

struct request {
    struct nlmsghdr *header;
    char bytes[BUFFER] __attribute__((aligned(NLMSG_ALIGNTO)));
};

static void *begin(struct request *r, uint16_t type, uint16_t flags, size_t body) {
    memset(r->bytes, 0, sizeof r->bytes);
    r->header = (struct nlmsghdr *)r->bytes;
    r->header->nlmsg_type = type;
    r->header->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    r->header->nlmsg_len = (uint32_t)NLMSG_LENGTH(body);
    return NLMSG_DATA(r->header);
}

static struct rtattr *put(struct request *r, uint16_t type, const void *data, size_t length) {
    struct rtattr *attribute = (struct rtattr *)(r->bytes + NLMSG_ALIGN(r->header->nlmsg_len));
    attribute->rta_type = type;
    attribute->rta_len = (uint16_t)RTA_LENGTH(length);
    if (length > 0)
        memcpy(RTA_DATA(attribute), data, length);
    r->header->nlmsg_len = (uint32_t)(NLMSG_ALIGN(r->header->nlmsg_len) + RTA_ALIGN(attribute->rta_len));
    return attribute;
}

static void put_string(struct request *r, uint16_t type, const char *text) { put(r, type, text, strlen(text) + 1); }

static void put_u32(struct request *r, uint16_t type, uint32_t value) { put(r, type, &value, sizeof value); }

static struct rtattr *nest(struct request *r, uint16_t type) { return put(r, type, NULL, 0); }

static void end_nest(struct request *r, struct rtattr *start) {
    start->rta_len = (uint16_t)((char *)r->bytes + r->header->nlmsg_len - (char *)start);
}

/* Sends the request and waits for its ack (or, for a dump, walks `each`). */
static int exchange(int nl, struct request *r, int (*each)(struct nlmsghdr *, void *), void *context) {
    static uint32_t sequence;
    r->header->nlmsg_seq = ++sequence;
    if (send(nl, r->bytes, r->header->nlmsg_len, 0) < 0)
        return -errno;
    char reply[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
    for (;;) {
        ssize_t n = recv(nl, reply, sizeof reply, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        for (struct nlmsghdr *h = (struct nlmsghdr *)reply; NLMSG_OK(h, (uint32_t)n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_seq != r->header->nlmsg_seq)
                continue;
            if (h->nlmsg_type == NLMSG_ERROR) {
                struct nlmsgerr *error = NLMSG_DATA(h);
                return error->error;
            }
            if (h->nlmsg_type == NLMSG_DONE)
                return 0;
            if (each) {
                int rc = each(h, context);
                if (rc < 0)
                    return rc;
            }
        }
    }
}

int nucleus_netlink_open(void) {
    int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (nl < 0)
        return -errno;
    struct sockaddr_nl local = {.nl_family = AF_NETLINK};
    if (bind(nl, (struct sockaddr *)&local, sizeof local) < 0) {
        int saved = errno;
        close(nl);
        return -saved;
    }
    return nl;
}

static int record_index(struct nlmsghdr *h, void *context) {
    if (h->nlmsg_type == RTM_NEWLINK)
        *(int *)context = ((struct ifinfomsg *)NLMSG_DATA(h))->ifi_index;
    return 0;
}

int nucleus_link_index(int nl, const char *name) {
    struct request r;
    begin(&r, RTM_GETLINK, 0, sizeof(struct ifinfomsg));
    put_string(&r, IFLA_IFNAME, name);
    int index = 0;
    int rc = exchange(nl, &r, record_index, &index);
    if (rc < 0)
        return rc;
    return index > 0 ? index : -ENODEV;
}

/* RTM_NEWLINK for a link that comes up as it is created (or, with index > 0
 * and no flags, brings an existing one up). */
static void begin_link_up(struct request *r, uint16_t flags, int index) {
    struct ifinfomsg *info = begin(r, RTM_NEWLINK, flags, sizeof *info);
    info->ifi_family = AF_UNSPEC;
    info->ifi_index = index;
    info->ifi_flags = IFF_UP;
    info->ifi_change = IFF_UP;
}

int nucleus_bridge_create(int nl, const char *name) {
    struct request r;
    begin_link_up(&r, NLM_F_CREATE | NLM_F_EXCL, 0);
    put_string(&r, IFLA_IFNAME, name);
    struct rtattr *linkinfo = nest(&r, IFLA_LINKINFO);
    put_string(&r, IFLA_INFO_KIND, "bridge");
    end_nest(&r, linkinfo);
    return exchange(nl, &r, NULL, NULL);
}

int nucleus_veth_create(int nl, const char *host_name, const char *peer_name, int peer_netns_fd, int master_index,
                        uint32_t mtu) {
    struct request r;
    begin_link_up(&r, NLM_F_CREATE | NLM_F_EXCL, 0);
    put_string(&r, IFLA_IFNAME, host_name);
    put_u32(&r, IFLA_MASTER, (uint32_t)master_index);
    if (mtu > 0)
        put_u32(&r, IFLA_MTU, mtu);
    struct rtattr *linkinfo = nest(&r, IFLA_LINKINFO);
    put_string(&r, IFLA_INFO_KIND, "veth");
    struct rtattr *data = nest(&r, IFLA_INFO_DATA);
    struct rtattr *peer = nest(&r, VETH_INFO_PEER);
    struct ifinfomsg peer_info = {.ifi_family = AF_UNSPEC};
    r.header->nlmsg_len += (uint32_t)NLMSG_ALIGN(sizeof peer_info);
    memcpy(RTA_DATA(peer), &peer_info, sizeof peer_info);
    put_string(&r, IFLA_IFNAME, peer_name);
    put_u32(&r, IFLA_NET_NS_FD, (uint32_t)peer_netns_fd);
    if (mtu > 0)
        put_u32(&r, IFLA_MTU, mtu);
    end_nest(&r, peer);
    end_nest(&r, data);
    end_nest(&r, linkinfo);
    return exchange(nl, &r, NULL, NULL);
}

int nucleus_link_up(int nl, int index) {
    struct request r;
    begin_link_up(&r, 0, index);
    return exchange(nl, &r, NULL, NULL);
}

int nucleus_link_delete(int nl, const char *name) {
    struct request r;
    struct ifinfomsg *info = begin(&r, RTM_DELLINK, 0, sizeof *info);
    info->ifi_family = AF_UNSPEC;
    put_string(&r, IFLA_IFNAME, name);
    return exchange(nl, &r, NULL, NULL);
}

int nucleus_address_add(int nl, int index, int family, const uint8_t *address, int prefix) {
    struct request r;
    struct ifaddrmsg *info = begin(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof *info);
    info->ifa_family = (uint8_t)family;
    info->ifa_prefixlen = (uint8_t)prefix;
    info->ifa_index = (uint32_t)index;
    /* No duplicate address detection: the block is nucleus's own, and a
     * tentative address would fail the workload's first connections. */
    if (family == AF_INET6)
        info->ifa_flags = IFA_F_NODAD;
    size_t length = family == AF_INET ? 4 : 16;
    put(&r, IFA_LOCAL, address, length);
    put(&r, IFA_ADDRESS, address, length);
    return exchange(nl, &r, NULL, NULL);
}

int nucleus_default_route_add(int nl, int family, const uint8_t *gateway) {
    struct request r;
    struct rtmsg *info = begin(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, sizeof *info);
    info->rtm_family = (uint8_t)family;
    info->rtm_table = RT_TABLE_MAIN;
    info->rtm_protocol = RTPROT_STATIC;
    info->rtm_scope = RT_SCOPE_UNIVERSE;
    info->rtm_type = RTN_UNICAST;
    put(&r, RTA_GATEWAY, gateway, family == AF_INET ? 4 : 16);
    return exchange(nl, &r, NULL, NULL);
}

struct address_list {
    uint8_t *out;
    int capacity;
    int count;
};

static int record_address(struct nlmsghdr *h, void *context) {
    struct address_list *list = context;
    if (h->nlmsg_type != RTM_NEWADDR)
        return 0;
    struct ifaddrmsg *info = NLMSG_DATA(h);
    if (info->ifa_family != AF_INET)
        return 0;
    int length = (int)IFA_PAYLOAD(h);
    for (struct rtattr *a = IFA_RTA(info); RTA_OK(a, length); a = RTA_NEXT(a, length)) {
        if (a->rta_type == IFA_LOCAL && list->count < list->capacity) {
            memcpy(list->out + 4 * list->count, RTA_DATA(a), 4);
            list->count++;
        }
    }
    return 0;
}

int nucleus_ipv4_addresses(int nl, uint8_t *out, int capacity) {
    struct request r;
    struct ifaddrmsg *info = begin(&r, RTM_GETADDR, NLM_F_DUMP, sizeof *info);
    info->ifa_family = AF_INET;
    struct address_list list = {out, capacity, 0};
    int rc = exchange(nl, &r, record_address, &list);
    return rc < 0 ? rc : list.count;
}

int nucleus_enter_netns(int fd) { return setns(fd, CLONE_NEWNET) < 0 ? -errno : 0; }

int nucleus_join_user_and_net(int user_fd, int net_fd) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
        return -errno;
    if (setns(user_fd, CLONE_NEWUSER) < 0)
        return -errno;
    return setns(net_fd, CLONE_NEWNET) < 0 ? -errno : 0;
}

int nucleus_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC) < 0 ? -errno : 0; }

int nucleus_accept_nonblock(int fd) {
    int accepted = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    return accepted < 0 ? -errno : accepted;
}
