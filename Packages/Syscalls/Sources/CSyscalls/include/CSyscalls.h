// CSyscalls: the only C in Dosirak.
//
// Swift can call most of glibc directly. What it cannot call lives here:
//   - system calls glibc has no wrapper for (pivot_root, clone3, openat2, pidfd_*),
//   - functions glibc declares only under _GNU_SOURCE (pipe2, dup3, setns, unshare),
//   - variadic functions (prctl, ioctl, syscall),
//   - and the fork/exec child, which must run no Swift at all (dsk_spawn).
//
// Every function returns -1 and sets errno on failure, like the system call it wraps,
// unless its comment says otherwise. _GNU_SOURCE stays in the .c files.
#ifndef CSYSCALLS_H
#define CSYSCALLS_H

#include <stdint.h>
#include <sys/types.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/openat2.h>
#include <sys/xattr.h>  // lsetxattr, lgetxattr, llistxattr (Swift's Glibc module leaves them out)

// Flag values glibc hides behind _GNU_SOURCE, exported from the .c file.
extern const int dsk_O_PATH;
extern const int dsk_O_TMPFILE;
extern const int dsk_F_DUPFD_CLOEXEC;
extern const int dsk_SOCK_CLOEXEC;
extern const int dsk_SOCK_NONBLOCK;

// MARK: - Files and descriptors

int dsk_pipe2(int fds[2], int flags);
int dsk_dup3(int oldfd, int newfd, int flags);
int dsk_accept4(int sockfd, int flags);
int dsk_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve);
int dsk_close_range(unsigned int first, unsigned int last, unsigned int flags);
int dsk_fcntl_int(int fd, int cmd, int arg);

/// Sends one descriptor over a Unix socket (SCM_RIGHTS), with a one-byte message.
int dsk_send_fd(int socket, int fd);
/// Receives one descriptor sent by dsk_send_fd (close-on-exec); returns it, or -1.
int dsk_receive_fd(int socket);

// MARK: - Namespaces and mounts

int dsk_pivot_root(const char *new_root, const char *put_old);
int dsk_setns(int fd, int nstype);
int dsk_unshare(int flags);

// MARK: - Processes

int dsk_pidfd_open(pid_t pid, unsigned int flags);
int dsk_pidfd_send_signal(int pidfd, int sig, unsigned int flags);

/// The part of a `siginfo_t` that waitid(2) fills in for a child.
struct dsk_wait_info {
    pid_t pid;    // 0 when WNOHANG found nothing
    int code;     // CLD_EXITED, CLD_KILLED, CLD_DUMPED, ...
    int status;   // exit code, or signal number
};

/// waitid(2) on a pidfd (P_PIDFD) or a pid (P_PID); returns 0 or -1.
int dsk_waitid(int idtype, int id, int options, struct dsk_wait_info *info);
extern const int dsk_P_PID;
extern const int dsk_P_PIDFD;

// MARK: - Credentials (glibc declares these only under _GNU_SOURCE)

int dsk_setresuid(uid_t real, uid_t effective, uid_t saved);
int dsk_setresgid(gid_t real, gid_t effective, gid_t saved);

// MARK: - Network interfaces (ioctl(2) on a socket, netdevice(7))

/// Reads (SIOCGIFFLAGS) the IFF_* flags of the interface `name`.
int dsk_interface_flags(const char *name, int *flags);
/// Sets (SIOCSIFFLAGS) the IFF_* flags of the interface `name`.
int dsk_set_interface_flags(const char *name, int flags);
extern const int dsk_IFF_UP;

// MARK: - prctl(2)

int dsk_set_no_new_privs(void);
int dsk_get_no_new_privs(void);
int dsk_set_pdeathsig(int signal);
int dsk_get_pdeathsig(int *signal);
int dsk_set_child_subreaper(int on);
int dsk_get_child_subreaper(int *on);
int dsk_set_keepcaps(int on);
int dsk_get_keepcaps(void);
int dsk_set_name(const char *name);
int dsk_capbset_read(int cap);
int dsk_capbset_drop(int cap);
int dsk_cap_ambient_raise(int cap);
int dsk_cap_ambient_is_set(int cap);
int dsk_cap_ambient_clear_all(void);
int dsk_get_seccomp(void);

// MARK: - Seccomp

/// seccomp(SECCOMP_SET_MODE_FILTER, flags, prog); needs no_new_privs or CAP_SYS_ADMIN.
int dsk_seccomp_set_filter(const struct sock_filter *filter, unsigned short count, unsigned int flags);

// MARK: - eBPF programs (bpf(2): one system call, a command and a union of arguments)

/// BPF_PROG_LOAD. `instructions` are `count` 8-byte `struct bpf_insn`; on a refusal the
/// verifier's explanation is left in `log` (`log_size` bytes). Returns the program's fd.
int dsk_bpf_prog_load(uint32_t type, uint32_t expected_attach_type, const uint64_t *instructions,
                      uint32_t count, const char *license, const char *name, char *log, uint32_t log_size);
/// BPF_PROG_ATTACH / BPF_PROG_DETACH of `program` at `attach_type` of `target` (a cgroup's fd).
int dsk_bpf_prog_attach(int target, int program, uint32_t attach_type, uint32_t flags);
int dsk_bpf_prog_detach(int target, int program, uint32_t attach_type);
/// BPF_PROG_QUERY: the ids of the programs attached there; `count` in: room, out: how many.
int dsk_bpf_prog_query(int target, uint32_t attach_type, uint32_t *ids, uint32_t *count);
/// BPF_PROG_GET_FD_BY_ID: a descriptor for the loaded program `id`.
int dsk_bpf_prog_get_fd_by_id(uint32_t id);
/// BPF_OBJ_GET_INFO_BY_FD for a program: its name (16 bytes, NUL-terminated), its id, and
/// the ids of the maps it uses (`map_count` in: room in `map_ids`, out: how many it uses).
int dsk_bpf_prog_info(int program, char name[16], uint32_t *id, uint32_t *map_ids, uint32_t *map_count);
/// BPF_MAP_CREATE. Returns the map's fd.
int dsk_bpf_map_create(uint32_t type, uint32_t key_size, uint32_t value_size, uint32_t max_entries, const char *name);
/// BPF_MAP_GET_FD_BY_ID: a descriptor for the map `id`.
int dsk_bpf_map_get_fd_by_id(uint32_t id);
/// BPF_MAP_LOOKUP_ELEM: copies the value under `key` into `value`; ENOENT if there is none.
int dsk_bpf_map_lookup(int map, const void *key, void *value);

// MARK: - Capabilities (capget(2), capset(2), version 3: 64 bits per set)

struct dsk_capabilities {
    uint64_t effective;
    uint64_t permitted;
    uint64_t inheritable;
};

int dsk_capget(pid_t pid, struct dsk_capabilities *caps);
int dsk_capset(const struct dsk_capabilities *caps);
int dsk_cap_last_cap(void);

// MARK: - Terminals (ioctl(2))

int dsk_set_controlling_terminal(int fd);
int dsk_get_window_size(int fd, unsigned short *rows, unsigned short *columns);
int dsk_set_window_size(int fd, unsigned short rows, unsigned short columns);
/// Opens a new pseudo-terminal pair; both ends are close-on-exec.
int dsk_open_pty(int *controller, int *peer);
/// Unlocks the pseudo-terminal `controller` and opens its peer end (close-on-exec).
int dsk_open_pty_peer(int controller);

// MARK: - Spawning: the one fork/exec path

/// In the child, descriptor `to` becomes a copy of the parent's descriptor `from`.
struct dsk_fd_mapping {
    int from;
    int to;
};

/// Where a spawned child failed, reported with errno over a close-on-exec pipe.
enum dsk_spawn_stage {
    DSK_SPAWN_CLONE = 1,        // in the parent: pipe2 or clone3 failed
    DSK_SPAWN_PDEATHSIG = 2,
    DSK_SPAWN_SIGNALS = 3,
    DSK_SPAWN_HOLD = 4,         // reading the hold pipe
    DSK_SPAWN_CREDENTIALS = 5,  // setgroups, setresgid, setresuid
    DSK_SPAWN_SETSID = 6,
    DSK_SPAWN_FDS = 7,
    DSK_SPAWN_CTTY = 8,
    DSK_SPAWN_CHDIR = 9,
    DSK_SPAWN_EXEC = 10,
    DSK_SPAWN_SECCOMP = 11,     // prctl(PR_SET_NO_NEW_PRIVS) or seccomp(2)
};

/// Everything the child needs, prepared by the parent before the fork.
struct dsk_spawn_attr {
    const char *path;                     // executable; no PATH search
    char *const *argv;                    // NULL-terminated
    char *const *envp;                    // NULL-terminated
    const struct dsk_fd_mapping *fds;     // every descriptor the child keeps
    int fd_count;
    int *scratch;                         // fd_count ints the child may use
    const char *cwd;                      // NULL: stay in the parent's directory
    uint64_t clone_flags;                 // CLONE_NEW* flags
    int cgroup_fd;                        // -1, or a cgroup v2 directory (CLONE_INTO_CGROUP)
    int pdeath_signal;                    // 0: none
    int new_session;                      // setsid()
    int controlling_terminal;             // -1, or a child descriptor to make the ctty
    int hold_fd;                          // -1, or a pipe to read one byte from before going on
    int hold_parent_fd;                   // the parent's (write) end of that pipe, closed in the child
    int set_credentials;                  // 1: become uid/gid below, with no supplementary groups
    uid_t uid;
    gid_t gid;
    int no_new_privs;                     // set no_new_privs just before exec
    const struct sock_filter *seccomp;    // NULL, or a filter installed just before exec
    unsigned short seccomp_length;
};

struct dsk_spawn_result {
    pid_t pid;
    int pidfd;                            // close-on-exec, -1 if the kernel gave none
    int report_fd;                        // the parent's end of the report pipe, until finished
    int stage;                            // enum dsk_spawn_stage on failure
    int error;                            // errno on failure
};

/// Forks (clone3) and execs. Returns 0, or -1 with result->stage and result->error set;
/// a child that failed before exec has been reaped. Equivalent to dsk_spawn_start
/// followed by dsk_spawn_finish.
int dsk_spawn(const struct dsk_spawn_attr *attr, struct dsk_spawn_result *result);

/// The first half: forks and returns at once with the pid, while the child goes on (or
/// waits on attr->hold_fd, for the parent to write its user namespace maps, say).
int dsk_spawn_start(const struct dsk_spawn_attr *attr, struct dsk_spawn_result *result);

/// The second half: waits until the child has exec'd (0) or reported a failure (-1, the
/// child reaped, its pidfd closed). Closes result->report_fd either way.
int dsk_spawn_finish(struct dsk_spawn_result *result);

#endif
