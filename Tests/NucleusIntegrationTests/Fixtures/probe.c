/* Runs inside test containers: tries one system call per argument and prints
 * "name=ERRNO" (0 when it succeeded), so a test sees exactly what the
 * sandbox's seccomp filter, Landlock rules and capabilities allow. An
 * argument "name:ARG" gives the attempt its target (a path, a port, a
 * socket name); the escape suite's attempts come after the syscall probes. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <dirent.h>
#include <linux/limits.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static long result(long rc) { return rc < 0 ? errno : 0; }

/* Numeric entries of /proc: the processes this container can see. */
static long count_pids(void) {
    DIR *proc = opendir("/proc");
    if (!proc) return -1;
    long count = 0;
    for (struct dirent *entry; (entry = readdir(proc));)
        if (entry->d_name[0] >= '1' && entry->d_name[0] <= '9') count++;
    closedir(proc);
    return count;
}

/* Descriptors above 2, besides the one reading the directory. */
static long count_extra_fds(void) {
    DIR *fds = opendir("/proc/self/fd");
    if (!fds) return -1;
    long count = 0;
    for (struct dirent *entry; (entry = readdir(fds));)
        if (atoi(entry->d_name) > 2 && atoi(entry->d_name) != dirfd(fds)) count++;
    closedir(fds);
    return count;
}

static long connect_to(int family, const void *address, socklen_t length) {
    int fd = socket(family, SOCK_STREAM, 0);
    if (fd < 0) return errno;
    long rc = result(connect(fd, address, length));
    close(fd);
    return rc;
}

static long escape_with(const char *name, const char *arg) {
    if (!strcmp(name, "open-read")) return result(open(arg, O_RDONLY));
    if (!strcmp(name, "open-write")) return result(open(arg, O_WRONLY));
    if (!strcmp(name, "readlink")) {
        char target[PATH_MAX];
        return result(readlink(arg, target, sizeof target));
    }
    if (!strcmp(name, "is-dev-null")) {
        struct stat info;
        if (stat(arg, &info) < 0) return errno;
        return S_ISCHR(info.st_mode) && info.st_rdev == makedev(1, 3) ? 0 : -1;
    }
    if (!strcmp(name, "setns")) {
        int fd = open(arg, O_RDONLY);
        if (fd < 0) return errno;
        return result(setns(fd, 0));
    }
    if (!strcmp(name, "connect-abstract")) {
        struct sockaddr_un address = {.sun_family = AF_UNIX};
        size_t length = strlen(arg);
        if (length >= sizeof address.sun_path) return ENAMETOOLONG;
        memcpy(address.sun_path + 1, arg, length);
        return connect_to(AF_UNIX, &address, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + length));
    }
    if (!strcmp(name, "connect-loopback")) {
        struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(arg))};
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return connect_to(AF_INET, &address, sizeof address);
    }
    if (!strcmp(name, "mount-cgroup")) return result(mount("cgroup", "/tmp", "cgroup", 0, arg));
    return -1;
}

static long escape(const char *name) {
    const char *colon = strchr(name, ':');
    if (colon) {
        char base[64];
        size_t length = (size_t)(colon - name);
        if (length >= sizeof base) return -1;
        memcpy(base, name, length);
        base[length] = 0;
        return escape_with(base, colon + 1);
    }
    if (!strcmp(name, "proc-pids")) return count_pids();
    if (!strcmp(name, "extra-fds")) return count_extra_fds();
    if (!strcmp(name, "cwd-reachable")) {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd)) return errno;
        return cwd[0] == '/' ? 0 : ENOENT;
    }
    if (!strcmp(name, "unshare-mount")) return result(unshare(CLONE_NEWNS));
    if (!strcmp(name, "unshare-net")) return result(unshare(CLONE_NEWNET));
    if (!strcmp(name, "ptrace-attach-init")) return result(ptrace(PTRACE_ATTACH, 1, NULL, NULL));
    if (!strcmp(name, "mknod-char")) return result(mknod("/tmp/escape-null", S_IFCHR | 0666, makedev(1, 3)));
    if (!strcmp(name, "mknod-block")) return result(mknod("/tmp/escape-sda", S_IFBLK | 0600, makedev(8, 0)));
    if (!strcmp(name, "open-by-handle")) {
        struct {
            struct file_handle handle;
            unsigned char bytes[128];
        } h = {.handle = {.handle_bytes = 8, .handle_type = 1}};
        return result(syscall(SYS_open_by_handle_at, AT_FDCWD, &h.handle, O_RDONLY));
    }
    if (!strcmp(name, "name-to-handle")) {
        struct {
            struct file_handle handle;
            unsigned char bytes[128];
        } h = {.handle = {.handle_bytes = 128}};
        int mount_id;
        return result(syscall(SYS_name_to_handle_at, AT_FDCWD, "/", &h.handle, &mount_id, 0));
    }
    if (!strcmp(name, "tioclinux")) {
        char subcode = 6; /* TIOCL_GETSHIFTSTATE: harmless if it ever got through */
        return result(ioctl(0, TIOCLINUX, &subcode));
    }
    if (!strcmp(name, "block-devices")) {
        DIR *dev = opendir("/dev");
        if (!dev) return -1;
        long count = 0;
        for (struct dirent *entry; (entry = readdir(dev));) {
            struct stat info;
            char path[300];
            snprintf(path, sizeof path, "/dev/%s", entry->d_name);
            if (lstat(path, &info) == 0 && S_ISBLK(info.st_mode)) count++;
        }
        closedir(dev);
        return count;
    }
    return -1;
}

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
    return escape(name);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) printf("%s=%ld\n", argv[i], probe(argv[i]));
    return 0;
}
