// Thin shims over system calls Swift cannot reach on its own. Each one does exactly
// what its system call does; the Swift wrappers in Syscalls add types and errors.
#define _GNU_SOURCE
#include "CSyscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <net/if.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

const int dsk_O_PATH = O_PATH;
const int dsk_O_TMPFILE = O_TMPFILE;
const int dsk_F_DUPFD_CLOEXEC = F_DUPFD_CLOEXEC;
const int dsk_SOCK_CLOEXEC = SOCK_CLOEXEC;
const int dsk_SOCK_NONBLOCK = SOCK_NONBLOCK;
const int dsk_P_PID = P_PID;
const int dsk_P_PIDFD = 3; // P_PIDFD, Linux 5.4; older glibc headers lack the name

// MARK: - Files and descriptors

int dsk_pipe2(int fds[2], int flags) { return pipe2(fds, flags); }

int dsk_dup3(int oldfd, int newfd, int flags) { return dup3(oldfd, newfd, flags); }

int dsk_accept4(int sockfd, int flags) { return accept4(sockfd, NULL, NULL, flags); }

int dsk_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve) {
    struct open_how how = { .flags = flags, .mode = mode, .resolve = resolve };
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

int dsk_close_range(unsigned int first, unsigned int last, unsigned int flags) {
    return (int)syscall(SYS_close_range, first, last, flags);
}

int dsk_fcntl_int(int fd, int cmd, int arg) { return fcntl(fd, cmd, arg); }

int dsk_send_fd(int socket, int fd) {
    char byte = 0;
    struct iovec vector = { .iov_base = &byte, .iov_len = 1 };
    union {
        char buffer[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr message = {
        .msg_iov = &vector, .msg_iovlen = 1,
        .msg_control = control.buffer, .msg_controllen = sizeof control.buffer,
    };
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(header), &fd, sizeof(int));
    ssize_t n;
    do {
        n = sendmsg(socket, &message, MSG_NOSIGNAL);
    } while (n == -1 && errno == EINTR);
    return n == -1 ? -1 : 0;
}

int dsk_receive_fd(int socket) {
    char byte;
    struct iovec vector = { .iov_base = &byte, .iov_len = 1 };
    union {
        char buffer[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr message = {
        .msg_iov = &vector, .msg_iovlen = 1,
        .msg_control = control.buffer, .msg_controllen = sizeof control.buffer,
    };
    ssize_t n;
    do {
        n = recvmsg(socket, &message, MSG_CMSG_CLOEXEC);
    } while (n == -1 && errno == EINTR);
    if (n == -1) return -1;
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    if (n == 0 || header == NULL || header->cmsg_type != SCM_RIGHTS) {
        errno = EBADMSG;
        return -1;
    }
    int fd;
    memcpy(&fd, CMSG_DATA(header), sizeof(int));
    return fd;
}

// MARK: - Namespaces and mounts

int dsk_pivot_root(const char *new_root, const char *put_old) {
    return (int)syscall(SYS_pivot_root, new_root, put_old);
}

int dsk_setns(int fd, int nstype) { return (int)syscall(SYS_setns, fd, nstype); }

int dsk_unshare(int flags) { return (int)syscall(SYS_unshare, flags); }

// MARK: - Processes

int dsk_pidfd_open(pid_t pid, unsigned int flags) {
    return (int)syscall(SYS_pidfd_open, pid, flags);
}

int dsk_pidfd_send_signal(int pidfd, int sig, unsigned int flags) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, flags);
}

int dsk_waitid(int idtype, int id, int options, struct dsk_wait_info *info) {
    siginfo_t si = {0};
    int rc;
    do {
        rc = waitid((idtype_t)idtype, (id_t)id, &si, options);
    } while (rc == -1 && errno == EINTR);
    if (rc == -1) return -1;
    info->pid = si.si_pid;
    info->code = si.si_code;
    info->status = si.si_status;
    return 0;
}

// MARK: - Credentials

int dsk_setresuid(uid_t real, uid_t effective, uid_t saved) { return setresuid(real, effective, saved); }
int dsk_setresgid(gid_t real, gid_t effective, gid_t saved) { return setresgid(real, effective, saved); }

// MARK: - Network interfaces

const int dsk_IFF_UP = IFF_UP;

static int interface_ioctl(const char *name, unsigned long request, int *flags) {
    struct ifreq request_data;
    memset(&request_data, 0, sizeof request_data);
    if (strlen(name) >= IFNAMSIZ) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(request_data.ifr_name, name);
    request_data.ifr_flags = (short)*flags;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd == -1) return -1;
    int rc = ioctl(fd, request, &request_data);
    int saved = errno;
    close(fd);
    errno = saved;
    if (rc == 0) *flags = (unsigned short)request_data.ifr_flags;
    return rc;
}

int dsk_interface_flags(const char *name, int *flags) {
    *flags = 0;
    return interface_ioctl(name, SIOCGIFFLAGS, flags);
}

int dsk_set_interface_flags(const char *name, int flags) {
    return interface_ioctl(name, SIOCSIFFLAGS, &flags);
}

// MARK: - prctl(2)

int dsk_set_no_new_privs(void) { return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); }
int dsk_get_no_new_privs(void) { return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0); }
int dsk_set_pdeathsig(int signal) { return prctl(PR_SET_PDEATHSIG, signal, 0, 0, 0); }
int dsk_get_pdeathsig(int *signal) { return prctl(PR_GET_PDEATHSIG, signal, 0, 0, 0); }
int dsk_set_child_subreaper(int on) { return prctl(PR_SET_CHILD_SUBREAPER, on, 0, 0, 0); }
int dsk_get_child_subreaper(int *on) { return prctl(PR_GET_CHILD_SUBREAPER, on, 0, 0, 0); }
int dsk_set_keepcaps(int on) { return prctl(PR_SET_KEEPCAPS, on, 0, 0, 0); }
int dsk_get_keepcaps(void) { return prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0); }
int dsk_set_name(const char *name) { return prctl(PR_SET_NAME, name, 0, 0, 0); }
int dsk_capbset_read(int cap) { return prctl(PR_CAPBSET_READ, cap, 0, 0, 0); }
int dsk_capbset_drop(int cap) { return prctl(PR_CAPBSET_DROP, cap, 0, 0, 0); }
int dsk_cap_ambient_raise(int cap) { return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0); }
int dsk_cap_ambient_is_set(int cap) { return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0); }
int dsk_cap_ambient_clear_all(void) { return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); }
int dsk_get_seccomp(void) { return prctl(PR_GET_SECCOMP, 0, 0, 0, 0); }

// MARK: - Seccomp

int dsk_seccomp_set_filter(const struct sock_filter *filter, unsigned short count, unsigned int flags) {
    struct sock_fprog prog = { .len = count, .filter = (struct sock_filter *)filter };
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

// MARK: - eBPF programs

static int bpf_call(int command, union bpf_attr *attributes) {
    return (int)syscall(SYS_bpf, command, attributes, sizeof(*attributes));
}

int dsk_bpf_prog_load(uint32_t type, uint32_t expected_attach_type, const uint64_t *instructions,
                      uint32_t count, const char *license, const char *name, char *log, uint32_t log_size) {
    union bpf_attr attributes;
    memset(&attributes, 0, sizeof(attributes));
    attributes.prog_type = type;
    attributes.expected_attach_type = expected_attach_type;
    attributes.insns = (uint64_t)(uintptr_t)instructions;
    attributes.insn_cnt = count;
    attributes.license = (uint64_t)(uintptr_t)license;
    strncpy(attributes.prog_name, name, sizeof(attributes.prog_name) - 1);
    if (log != NULL && log_size > 0) {
        log[0] = 0;
        attributes.log_level = 1;
        attributes.log_buf = (uint64_t)(uintptr_t)log;
        attributes.log_size = log_size;
    }
    return bpf_call(BPF_PROG_LOAD, &attributes);
}

static int attach_or_detach(int command, int target, int program, uint32_t attach_type, uint32_t flags) {
    union bpf_attr attributes;
    memset(&attributes, 0, sizeof(attributes));
    attributes.target_fd = (uint32_t)target;
    attributes.attach_bpf_fd = (uint32_t)program;
    attributes.attach_type = attach_type;
    attributes.attach_flags = flags;
    return bpf_call(command, &attributes);
}

int dsk_bpf_prog_attach(int target, int program, uint32_t attach_type, uint32_t flags) {
    return attach_or_detach(BPF_PROG_ATTACH, target, program, attach_type, flags);
}

int dsk_bpf_prog_detach(int target, int program, uint32_t attach_type) {
    return attach_or_detach(BPF_PROG_DETACH, target, program, attach_type, 0);
}

int dsk_bpf_prog_query(int target, uint32_t attach_type, uint32_t *ids, uint32_t *count) {
    union bpf_attr attributes;
    memset(&attributes, 0, sizeof(attributes));
    attributes.query.target_fd = (uint32_t)target;
    attributes.query.attach_type = attach_type;
    attributes.query.prog_ids = (uint64_t)(uintptr_t)ids;
    attributes.query.prog_cnt = *count;
    int result = bpf_call(BPF_PROG_QUERY, &attributes);
    *count = attributes.query.prog_cnt;
    return result;
}

int dsk_bpf_prog_get_fd_by_id(uint32_t id) {
    union bpf_attr attributes;
    memset(&attributes, 0, sizeof(attributes));
    attributes.prog_id = id;
    return bpf_call(BPF_PROG_GET_FD_BY_ID, &attributes);
}

int dsk_bpf_prog_info(int program, char name[16], uint32_t *id, uint32_t *map_ids, uint32_t *map_count) {
    struct bpf_prog_info info;
    memset(&info, 0, sizeof(info));
    info.nr_map_ids = *map_count;
    info.map_ids = (uint64_t)(uintptr_t)map_ids;
    union bpf_attr attributes;
    memset(&attributes, 0, sizeof(attributes));
    attributes.info.bpf_fd = (uint32_t)program;
    attributes.info.info_len = sizeof(info);
    attributes.info.info = (uint64_t)(uintptr_t)&info;
    int result = bpf_call(BPF_OBJ_GET_INFO_BY_FD, &attributes);
    if (result == 0) {
        memcpy(name, info.name, 16);
        name[15] = 0;
        *id = info.id;
        *map_count = info.nr_map_ids;
    }
    return result;
}

int dsk_bpf_map_create(uint32_t type, uint32_t key_size, uint32_t value_size, uint32_t max_entries, const char *name) {
    union bpf_attr attributes;
    memset(&attributes, 0, sizeof(attributes));
    attributes.map_type = type;
    attributes.key_size = key_size;
    attributes.value_size = value_size;
    attributes.max_entries = max_entries;
    strncpy(attributes.map_name, name, sizeof(attributes.map_name) - 1);
    return bpf_call(BPF_MAP_CREATE, &attributes);
}

int dsk_bpf_map_get_fd_by_id(uint32_t id) {
    union bpf_attr attributes;
    memset(&attributes, 0, sizeof(attributes));
    attributes.map_id = id;
    return bpf_call(BPF_MAP_GET_FD_BY_ID, &attributes);
}

int dsk_bpf_map_lookup(int map, const void *key, void *value) {
    union bpf_attr attributes;
    memset(&attributes, 0, sizeof(attributes));
    attributes.map_fd = (uint32_t)map;
    attributes.key = (uint64_t)(uintptr_t)key;
    attributes.value = (uint64_t)(uintptr_t)value;
    return bpf_call(BPF_MAP_LOOKUP_ELEM, &attributes);
}

// MARK: - Capabilities

int dsk_capget(pid_t pid, struct dsk_capabilities *caps) {
    struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = pid };
    struct __user_cap_data_struct data[2] = {{0}};
    if (syscall(SYS_capget, &header, data) == -1) return -1;
    caps->effective = (uint64_t)data[1].effective << 32 | data[0].effective;
    caps->permitted = (uint64_t)data[1].permitted << 32 | data[0].permitted;
    caps->inheritable = (uint64_t)data[1].inheritable << 32 | data[0].inheritable;
    return 0;
}

int dsk_capset(const struct dsk_capabilities *caps) {
    struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[2] = {
        { (uint32_t)caps->effective, (uint32_t)caps->permitted, (uint32_t)caps->inheritable },
        { (uint32_t)(caps->effective >> 32), (uint32_t)(caps->permitted >> 32),
          (uint32_t)(caps->inheritable >> 32) },
    };
    return (int)syscall(SYS_capset, &header, data);
}

int dsk_cap_last_cap(void) { return CAP_LAST_CAP; }

// MARK: - Terminals

int dsk_set_controlling_terminal(int fd) { return ioctl(fd, TIOCSCTTY, 0); }

int dsk_get_window_size(int fd, unsigned short *rows, unsigned short *columns) {
    struct winsize ws = {0};
    if (ioctl(fd, TIOCGWINSZ, &ws) == -1) return -1;
    *rows = ws.ws_row;
    *columns = ws.ws_col;
    return 0;
}

int dsk_set_window_size(int fd, unsigned short rows, unsigned short columns) {
    struct winsize ws = { .ws_row = rows, .ws_col = columns };
    return ioctl(fd, TIOCSWINSZ, &ws);
}

int dsk_open_pty_peer(int controller) {
    if (unlockpt(controller) == -1) return -1;
    return ioctl(controller, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
}

int dsk_open_pty(int *controller, int *peer) {
    int c = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (c == -1) return -1;
    if (unlockpt(c) == -1) {
        int saved = errno;
        close(c);
        errno = saved;
        return -1;
    }
    // TIOCGPTPEER opens the peer through the controller, so no path lookup can be raced.
    int p = ioctl(c, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (p == -1) {
        int saved = errno;
        close(c);
        errno = saved;
        return -1;
    }
    *controller = c;
    *peer = p;
    return 0;
}
