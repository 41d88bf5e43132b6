/* Runs inside test containers: tries one system call per argument and prints
 * "name=ERRNO" (0 when it succeeded), so a test sees exactly what the
 * sandbox's seccomp filter, Landlock rules and capabilities allow. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static long result(long rc) { return rc < 0 ? errno : 0; }

static long probe(const char *name) {
    errno = 0;
    if (!strcmp(name, "unshare-user")) return result(unshare(CLONE_NEWUSER));
    if (!strcmp(name, "unshare-files")) return result(unshare(CLONE_FILES));
    if (!strcmp(name, "clone3")) return result(syscall(SYS_clone3, NULL, 0));
    if (!strcmp(name, "i386")) {
        long rc;
        __asm__ volatile("int $0x80" : "=a"(rc) : "a"(20L) : "memory");
        return rc < 0 ? -rc : 0;
    }
    if (!strcmp(name, "x32")) return result(syscall(39 | 0x40000000));
    if (!strcmp(name, "ptrace")) return result(ptrace(PTRACE_TRACEME, 0, NULL, NULL));
    if (!strcmp(name, "bpf")) return result(syscall(SYS_bpf, 0, NULL, 0));
    if (!strcmp(name, "keyctl")) return result(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, -1, 0));
    if (!strcmp(name, "io_uring_setup")) return result(syscall(SYS_io_uring_setup, 1, NULL));
    if (!strcmp(name, "userfaultfd")) return result(syscall(SYS_userfaultfd, 0));
    if (!strcmp(name, "perf_event_open")) return result(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0));
    if (!strcmp(name, "mount")) return result(syscall(SYS_mount, "none", "/tmp", "tmpfs", 0, NULL));
    if (!strcmp(name, "socket-unix")) return result(socket(AF_UNIX, SOCK_STREAM, 0));
    if (!strcmp(name, "socket-inet")) return result(socket(AF_INET, SOCK_STREAM, 0));
    if (!strcmp(name, "socket-raw")) return result(socket(AF_INET, SOCK_RAW, 1));
    if (!strcmp(name, "socket-packet")) return result(socket(AF_PACKET, SOCK_RAW, 0));
    if (!strcmp(name, "socket-netlink-audit")) return result(socket(AF_NETLINK, SOCK_RAW, 9));
    if (!strcmp(name, "tiocsti")) {
        char c = 'x';
        return result(ioctl(0, TIOCSTI, &c));
    }
    if (!strcmp(name, "tiocsti-high-bits")) {
        char c = 'x';
        return result(syscall(SYS_ioctl, 0, 0x100000000UL | TIOCSTI, &c));
    }
    if (!strcmp(name, "ioctl-fionread")) {
        int n;
        return result(ioctl(0, FIONREAD, &n));
    }
    if (!strcmp(name, "mmap-wx")) {
        void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return p == MAP_FAILED ? errno : 0;
    }
    if (!strcmp(name, "mprotect-wx")) {
        void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return result(mprotect(p, 4096, PROT_READ | PROT_WRITE | PROT_EXEC));
    }
    if (!strcmp(name, "personality-query")) return result(personality(0xffffffff));
    if (!strcmp(name, "personality-change")) return result(personality(ADDR_NO_RANDOMIZE));
    if (!strcmp(name, "getpriority")) return result(syscall(SYS_getpriority, 0, 0));
    if (!strcmp(name, "kill-init")) return result(kill(1, 0));
    return -1;
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) printf("%s=%ld\n", argv[i], probe(argv[i]));
    return 0;
}
