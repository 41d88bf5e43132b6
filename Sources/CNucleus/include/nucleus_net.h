/*
 * Network plumbing the host side needs and Swift cannot call directly:
 * rtnetlink requests (bridge, veth, addresses, routes), entering a network
 * namespace, and libnftables, loaded with dlopen so that runs without a
 * bridge or egress policy never pay for it.
 *
 * Every function returns 0 (or a non-negative value) on success and -errno
 * on failure. Netlink functions take a NETLINK_ROUTE socket from
 * nucleus_netlink_open(): the socket acts in the network namespace it was
 * opened in.
 */
#ifndef NUCLEUS_NET_H
#define NUCLEUS_NET_H

#include <stdint.h>
#include <sys/types.h>

int nucleus_netlink_open(void);
/* The interface index of `name`, or -ENODEV. */
int nucleus_link_index(int nl, const char *name);
int nucleus_bridge_create(int nl, const char *name);
/* A veth pair: `host_name` up and enslaved to `master_index` here, its peer
 * `peer_name` created directly in the namespace `peer_netns_fd`. */
int nucleus_veth_create(int nl, const char *host_name, const char *peer_name, int peer_netns_fd, int master_index,
                        uint32_t mtu);
int nucleus_link_up(int nl, int index);
int nucleus_link_delete(int nl, const char *name);
/* family AF_INET (4 address bytes) or AF_INET6 (16). */
int nucleus_address_add(int nl, int index, int family, const uint8_t *address, int prefix);
int nucleus_default_route_add(int nl, int family, const uint8_t *gateway);
/* `count` IPv4 addresses of every interface in this namespace, 4 bytes each;
 * returns how many were found (at most `capacity`). */
int nucleus_ipv4_addresses(int nl, uint8_t *out, int capacity);

/* pipe2(fds, O_CLOEXEC), which Glibc's Swift overlay hides behind _GNU_SOURCE. */
int nucleus_pipe_cloexec(int fds[2]);
/* accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), hidden the same way; -errno on failure. */
int nucleus_accept_nonblock(int fd);

/* Starts `path` in a new mount namespace with every mount private, stdin,
 * stdout and stderr on /dev/null, descriptor sources[i] at targets[i]
 * (sources must lie above every target), default signal dispositions and
 * an empty mask. Returns the pid or -errno. Needs CAP_SYS_ADMIN. */
pid_t nucleus_spawn_private_mounts(const char *path, char *const argv[], char *const envp[], const int *targets,
                                   const int *sources, int count);

/* setns(fd, CLONE_NEWNET) for the calling thread. */
int nucleus_enter_netns(int fd);
/* Dies with its parent; then setns into a user namespace, then into a
 * network namespace it owns: the process must still be single-threaded,
 * and cannot come back. */
int nucleus_join_user_and_net(int user_fd, int net_fd);

/* nf_tables over raw netlink, for the two questions every bridge start asks
 * (libnftables costs milliseconds to load). 1 if inet table `name` exists,
 * 0 if not. */
int nucleus_nft_inet_table_exists(const char *name);
/* Forward-hook base chains with a drop policy, as "family table chain" lines
 * separated by '\n' in `out` (NUL-terminated, truncated to `size`);
 * returns how many. */
int nucleus_nft_forward_drop_chains(char *out, int size);
/* 1 if a rule of chain `family table chain` ("ip", "ip6" or "inet") holds
 * the string `needle` with its terminating NUL (an interface name in a
 * match, a jump's chain name), 0 if none does; -errno. */
int nucleus_nft_chain_mentions(const char *family, const char *table, const char *chain, const char *needle);
/* 1 when the legacy iptables filter table exists, its FORWARD policy is DROP
 * and none of FORWARD's own rules names `bridge`; 0 otherwise (never creates
 * the table); or -errno. */
int nucleus_iptables_legacy_forward_drops(const char *bridge);
/* The same for ip6tables-legacy. */
int nucleus_ip6tables_legacy_forward_drops(const char *bridge);

/* NFLOG group `group` of this namespace: a non-blocking socket, or -errno. */
int nucleus_nflog_open(uint16_t group);
/* Reads what is queued: one "proto address:port" line per logged packet into
 * `out` (NUL-terminated); returns how many. */
int nucleus_nflog_read(int fd, char *out, int size);

/* libnftables: load it (once), run one batch of commands, and free. On
 * failure *error (malloc'd, free with nucleus_free) holds nft's message. */
int nucleus_nft_available(void);
int nucleus_nft_run(const char *commands, char **error, char **output);
void nucleus_free(void *pointer);

#endif
