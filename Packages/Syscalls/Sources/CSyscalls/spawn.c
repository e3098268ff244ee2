// dsk_spawn: the one place where Dosirak forks and execs.
//
// Why C? After a fork, the child of a multithreaded process (and every Swift program that
// has used Dispatch, async or Foundation is one) holds copies of locks that other threads
// owned at the moment of the fork. Running Swift there could allocate, take a lock that will
// never be released, and hang. So the child runs only async-signal-safe system calls, all of
// them prepared by the parent beforehand, and either execs or reports why not and _exits.
#define _GNU_SOURCE
#include "CSyscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

// MARK: - The child (async-signal-safe only)

// Sends the stage and errno to the parent, then ends the child without running atexit
// handlers or flushing stdio buffers it copied from the parent.
static void fail(int report_fd, int stage) {
    int message[2] = { stage, errno };
    ssize_t n;
    do {
        n = write(report_fd, message, sizeof message);
    } while (n == -1 && errno == EINTR);
    _exit(127);
}

// Makes the child's descriptor table exactly attr->fds: each `to` a copy of its `from`,
// everything else closed or close-on-exec. Returns the (moved) report descriptor, or -1.
static int arrange_descriptors(const struct dsk_spawn_attr *attr, int report_fd) {
    // 1. Move the report pipe and every source above all numbers in play, so that
    //    filling the targets in step 2 can never overwrite a source not yet copied.
    int high = report_fd;
    int last_target = -1;
    for (int i = 0; i < attr->fd_count; i++) {
        if (attr->fds[i].from > high) high = attr->fds[i].from;
        if (attr->fds[i].to > high) high = attr->fds[i].to;
        if (attr->fds[i].to > last_target) last_target = attr->fds[i].to;
    }
    high += 1;
    int moved_report = fcntl(report_fd, F_DUPFD_CLOEXEC, high);
    if (moved_report == -1) return -1;
    for (int i = 0; i < attr->fd_count; i++) {
        attr->scratch[i] = fcntl(attr->fds[i].from, F_DUPFD_CLOEXEC, high);
        if (attr->scratch[i] == -1) return -1;
    }
    // 2. Copy each source to its target. dup2 clears close-on-exec on the target.
    for (int i = 0; i < attr->fd_count; i++) {
        if (dup2(attr->scratch[i], attr->fds[i].to) == -1) return -1;
    }
    // 3. Close the low descriptors that are not targets...
    for (int fd = 0; fd <= last_target; fd++) {
        int wanted = 0;
        for (int i = 0; i < attr->fd_count; i++) {
            if (attr->fds[i].to == fd) wanted = 1;
        }
        if (!wanted) close(fd);
    }
    // ...and mark everything above them close-on-exec: the report pipe must stay open until
    // exec succeeds, the rest (copies, and descriptors other threads opened without
    // O_CLOEXEC) must not reach the new program.
    if (syscall(SYS_close_range, last_target + 1, ~0U, CLOSE_RANGE_CLOEXEC) == -1) {
        struct rlimit limit;
        if (getrlimit(RLIMIT_NOFILE, &limit) == -1) return -1;
        int end = limit.rlim_cur > 65536 ? 65536 : (int)limit.rlim_cur;
        for (int fd = last_target + 1; fd < end; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    return moved_report;
}

// Closes every descriptor but the `count` in `keep` (which it sorts). A held child calls it
// before it waits: the wait may be long, and meanwhile a copy of another thread's pipe kept open
// here would keep that thread's reader from ever seeing end of file (close-on-exec does not help
// a process that has not exec'd yet).
static void close_all_but(int *keep, int count) {
    for (int i = 1; i < count; i++) {  // insertion sort: a handful of numbers, no allocation
        for (int j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
            int t = keep[j]; keep[j] = keep[j - 1]; keep[j - 1] = t;
        }
    }
    unsigned int next = 0;
    for (int i = 0; i <= count; i++) {
        unsigned int end = i < count ? (unsigned int)keep[i] : ~0U;
        if (i < count && (unsigned int)keep[i] < next) continue;  // a duplicate
        if (end > next) {
            unsigned int last = i < count ? end - 1 : ~0U;
            if (syscall(SYS_close_range, next, last, 0) == -1) {
                for (unsigned int fd = next; fd <= last && fd < 65536; fd++) close((int)fd);
            }
        }
        if (i < count) next = end + 1;
    }
}

static void run_child(const struct dsk_spawn_attr *attr, int report_fd, pid_t parent) {
    // Signal handlers belong to the parent's Swift runtime; dispositions go back to the
    // defaults (ignored ones too, so the new program does not inherit SIGPIPE ignored).
    struct sigaction dfl = {0};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        sigaction(sig, &dfl, NULL); // glibc refuses its internal signals; that is fine
    }

    if (attr->pdeath_signal != 0) {
        if (prctl(PR_SET_PDEATHSIG, attr->pdeath_signal, 0, 0, 0) == -1) fail(report_fd, DSK_SPAWN_PDEATHSIG);
        // The parent may have died before the prctl: then we were already reparented.
        // (In a new PID namespace getppid() is 0 either way; init re-checks on its socket.)
        if (!(attr->clone_flags & CLONE_NEWPID) && getppid() != parent) _exit(127);
    }

    sigset_t none;
    sigemptyset(&none);
    if (sigprocmask(SIG_SETMASK, &none, NULL) == -1) fail(report_fd, DSK_SPAWN_SIGNALS);

    // Wait for the parent's word. A child in a new user namespace waits here until its
    // uid and gid maps are written: only then can it become root inside.
    if (attr->hold_fd >= 0) {
        // Keep only what the rest needs: the map's sources and the report and hold pipes.
        // Our copy of the parent's end of the hold pipe goes with the rest, or we would never
        // see end of file.
        // (A map of more than 64 descriptors keeps everything until exec, as before.)
        int keep[64 + 2];
        int count = 0;
        keep[count++] = report_fd;
        keep[count++] = attr->hold_fd;
        for (int i = 0; i < attr->fd_count && i < 64; i++) keep[count++] = attr->fds[i].from;
        if (attr->fd_count <= 64) close_all_but(keep, count);
        char byte;
        ssize_t n;
        do {
            n = read(attr->hold_fd, &byte, 1);
        } while (n == -1 && errno == EINTR);
        if (n == -1) fail(report_fd, DSK_SPAWN_HOLD);
        if (n == 0) _exit(127); // the parent gave up on us
    }

    // Become uid/gid (0 = root of a new user namespace). Done before exec, because exec
    // keeps capabilities only for a process that is root in its user namespace.
    // The kernel changes credentials per thread; glibc's setgroups, setresgid and setresuid
    // then make every other thread of the process follow. But this child was made by clone3,
    // not by glibc's fork, so glibc still believes the parent's threads are ours: it would
    // signal threads that do not exist here and wait forever for any that was half-started
    // at the moment of the clone. The raw system calls change this one thread, all there is.
    if (attr->set_credentials) {
        if (syscall(SYS_setgroups, 0, NULL) == -1) fail(report_fd, DSK_SPAWN_CREDENTIALS);
        if (syscall(SYS_setresgid, attr->gid, attr->gid, attr->gid) == -1) fail(report_fd, DSK_SPAWN_CREDENTIALS);
        if (syscall(SYS_setresuid, attr->uid, attr->uid, attr->uid) == -1) fail(report_fd, DSK_SPAWN_CREDENTIALS);
        // A change of credentials clears the parent-death signal.
        if (attr->pdeath_signal != 0 && prctl(PR_SET_PDEATHSIG, attr->pdeath_signal, 0, 0, 0) == -1)
            fail(report_fd, DSK_SPAWN_PDEATHSIG);
    }

    if (attr->new_session && setsid() == -1) fail(report_fd, DSK_SPAWN_SETSID);

    int moved = arrange_descriptors(attr, report_fd);
    if (moved == -1) fail(report_fd, DSK_SPAWN_FDS);
    report_fd = moved;

    if (attr->controlling_terminal >= 0 && ioctl(attr->controlling_terminal, TIOCSCTTY, 0) == -1)
        fail(report_fd, DSK_SPAWN_CTTY);

    if (attr->cwd != NULL && chdir(attr->cwd) == -1) fail(report_fd, DSK_SPAWN_CHDIR);

    // Last, the restrictions that could forbid the calls above: no_new_privs, then the
    // seccomp filter (which must allow execve).
    if (attr->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) fail(report_fd, DSK_SPAWN_SECCOMP);
    if (attr->seccomp != NULL) {
        struct sock_fprog program = { .len = attr->seccomp_length, .filter = (struct sock_filter *)attr->seccomp };
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) == -1) fail(report_fd, DSK_SPAWN_SECCOMP);
    }

    execve(attr->path, attr->argv, attr->envp);
    fail(report_fd, DSK_SPAWN_EXEC);
}

// MARK: - The parent

// clone3(2) with CLONE_PIDFD, and CLONE_INTO_CGROUP when a cgroup is given. Without a
// stack the child continues on a copy of ours, like fork(2).
static pid_t clone_child(const struct dsk_spawn_attr *attr, int *pidfd) {
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = attr->clone_flags | CLONE_PIDFD;
    args.pidfd = (uint64_t)(uintptr_t)pidfd;
    args.exit_signal = SIGCHLD;
    if (attr->cgroup_fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = (uint64_t)attr->cgroup_fd;
    }
    pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
    if (pid == -1 && errno == ENOSYS && attr->cgroup_fd < 0) {
        // Kernels before 5.3 have no clone3; clone(2) without a stack is fork with flags.
        *pidfd = -1;
        pid = (pid_t)syscall(SYS_clone, (unsigned long)(attr->clone_flags | SIGCHLD), NULL, NULL, NULL, 0);
    }
    return pid;
}

int dsk_spawn_start(const struct dsk_spawn_attr *attr, struct dsk_spawn_result *result) {
    result->pid = -1;
    result->pidfd = -1;
    result->report_fd = -1;
    result->stage = 0;
    result->error = 0;

    int report[2];
    if (pipe2(report, O_CLOEXEC) == -1) {
        result->stage = DSK_SPAWN_CLONE;
        result->error = errno;
        return -1;
    }

    // Block every signal across the clone, so no handler of the parent's runs in the
    // child before the child has reset the dispositions.
    sigset_t all, saved;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved);

    pid_t parent = getpid();
    int pidfd = -1;
    pid_t pid = clone_child(attr, &pidfd);
    if (pid == 0) {
        close(report[0]);
        run_child(attr, report[1], parent);
        _exit(127); // not reached
    }
    int clone_errno = errno;
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    close(report[1]);

    if (pid == -1) {
        close(report[0]);
        result->stage = DSK_SPAWN_CLONE;
        result->error = clone_errno;
        return -1;
    }
    result->pid = pid;
    result->pidfd = pidfd;
    result->report_fd = report[0];
    return 0;
}

int dsk_spawn_finish(struct dsk_spawn_result *result) {
    // The pipe is close-on-exec: a successful exec closes it and we read end-of-file.
    int message[2];
    ssize_t n;
    do {
        n = read(result->report_fd, message, sizeof message);
    } while (n == -1 && errno == EINTR);
    close(result->report_fd);
    result->report_fd = -1;

    if (n == (ssize_t)sizeof message) {
        int status;
        while (waitpid(result->pid, &status, 0) == -1 && errno == EINTR) {}
        if (result->pidfd >= 0) close(result->pidfd);
        result->pidfd = -1;
        result->stage = message[0];
        result->error = message[1];
        return -1;
    }
    return 0;
}

int dsk_spawn(const struct dsk_spawn_attr *attr, struct dsk_spawn_result *result) {
    if (dsk_spawn_start(attr, result) == -1) return -1;
    return dsk_spawn_finish(result);
}
