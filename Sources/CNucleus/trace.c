/*
 * --seccomp-mode trace: the workload's filter answers every syscall with
 * SECCOMP_RET_USER_NOTIF. Its listener fd travels workload -> init (shared
 * memory plus pidfd_getfd) -> host side (SCM_RIGHTS), where the supervisor
 * records each syscall and lets it continue.
 */
#define _GNU_SOURCE
#include "nucleus_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int nucleus_trace_socketpair(int fds[2], int min_fd) {
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
        return -errno;
    for (int i = 0; i < 2; i++) {
        if (fds[i] >= min_fd)
            continue;
        int lifted = fcntl(fds[i], F_DUPFD_CLOEXEC, min_fd);
        int saved = errno;
        close(fds[i]);
        fds[i] = lifted;
        if (lifted < 0) {
            close(fds[1 - i]);
            return -saved;
        }
    }
    return 0;
}

int nucleus_send_fd(int socket, int fd) {
    char byte = 0;
    struct iovec iov = {&byte, 1};
    union {
        char buffer[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buffer,
                             .msg_controllen = sizeof control.buffer};
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(header), &fd, sizeof fd);
    return sendmsg(socket, &message, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

int nucleus_receive_fd(int socket) {
    char byte;
    struct iovec iov = {&byte, 1};
    union {
        char buffer[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buffer,
                             .msg_controllen = sizeof control.buffer};
    ssize_t n = recvmsg(socket, &message, MSG_CMSG_CLOEXEC);
    if (n <= 0)
        return n == 0 ? -EPIPE : -errno;
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    if (!header || header->cmsg_type != SCM_RIGHTS)
        return -EPROTO;
    int fd;
    memcpy(&fd, CMSG_DATA(header), sizeof fd);
    return fd;
}

int nucleus_notif_receive(int listener, int32_t *nr, uint32_t *pid, uint64_t *id) {
    struct seccomp_notif notification;
    memset(&notification, 0, sizeof notification);
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &notification) < 0)
        return -errno;
    *nr = notification.data.nr;
    *pid = notification.pid;
    *id = notification.id;
    return 0;
}

int nucleus_notif_continue(int listener, uint64_t id) {
    struct seccomp_notif_resp response;
    memset(&response, 0, sizeof response);
    response.id = id;
    response.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    return ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &response) < 0 ? -errno : 0;
}
