/*
 * The benchmark scenarios of reference/bench-scenarios.md in plain C: the
 * physical limit the Rust library is compared with (`cargo xtask bench`).
 *
 * usage: ipc-bench-c <scenario> [args]
 *   posix_sem_pingpong N | posix_sem_uncontended N | posix_sem_timedwait_timeout TRIES
 *   posix_mq_pingpong N | posix_mq_throughput N S | posix_shm_bandwidth MIB
 *   posix_shm_lifecycle N | sysv_sem_pingpong N | sysv_msg_pingpong N
 *   sysv_shm_bandwidth MIB | robust_mutex_uncontended N | robust_condvar_pingpong N
 *   sysv_shm_first_pass MIB | posix_shm_first_pass MIB
 *
 * The shared-memory bandwidth scenarios take an optional `memcpy` after MIB:
 * the reader then copies the memory into a 64 KiB buffer with memcpy and sums
 * the buffer, the work the safe Rust read does (Region::read_at), and only
 * that read is printed, as `<scenario>.read+memcpy`.
 *
 * The two robust scenarios (beyond the reference's ten) use a process-shared,
 * robust, error-checking pthread mutex and process-shared condition variables
 * on CLOCK_MONOTONIC in a POSIX shared-memory page, made with the attributes
 * the Rust RobustMutex and Condvar use, so both sides make the same pthread
 * calls.
 *
 * Each result is one stdout line `<scenario> <value> <unit>`; errors go to
 * stderr with a non-zero exit status. The parent creates every object
 * exclusively (mode 0600), forks its peer, and the peer opens the objects
 * again by name or key. Every object is removed at the end, on errors, on a
 * failed child, on SIGINT/SIGTERM/SIGHUP, on crash signals and when the
 * watchdog alarm fires.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define W 1000
#define WATCHDOG_SECONDS 300

enum kind { K_SEM, K_MQ, K_SHM, K_SYSV_SEM, K_SYSV_MSG, K_SYSV_SHM };

struct object {
    enum kind kind;
    char name[64];
    key_t key;
};

static struct object objects[4];
static volatile sig_atomic_t nobjects;
static volatile pid_t child_pid;
static int is_child;
static pid_t parent_pid;

/* Removes every registered object; async-signal-safe (only system calls). */
static void cleanup(void)
{
    if (is_child)
        return;
    for (int i = 0; i < nobjects; i++) {
        struct object *o = &objects[i];
        int id;
        switch (o->kind) {
        case K_SEM: sem_unlink(o->name); break;
        case K_MQ: mq_unlink(o->name); break;
        case K_SHM: shm_unlink(o->name); break;
        case K_SYSV_SEM:
            if ((id = semget(o->key, 0, 0)) != -1)
                semctl(id, 0, IPC_RMID);
            break;
        case K_SYSV_MSG:
            if ((id = msgget(o->key, 0)) != -1)
                msgctl(id, IPC_RMID, NULL);
            break;
        case K_SYSV_SHM:
            if ((id = shmget(o->key, 0, 0)) != -1)
                shmctl(id, IPC_RMID, NULL);
            break;
        }
    }
    nobjects = 0;
}

static void kill_child(void)
{
    if (!is_child && child_pid > 0) {
        kill(child_pid, SIGKILL);
        waitpid(child_pid, NULL, 0);
        child_pid = 0;
    }
}

static void on_signal(int sig)
{
    kill_child();
    cleanup();
    signal(sig, SIG_DFL);
    raise(sig);
    _exit(128 + sig);
}

static void install_handlers(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGALRM, SIGSEGV, SIGBUS,
                               SIGFPE, SIGILL, SIGABRT, SIGPIPE};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
    alarm(WATCHDOG_SECONDS);
}

/* A failed peer tells the parent (which may be blocked waiting for it) to clean up and exit. */
static void child_exit(void)
{
    kill(parent_pid, SIGTERM);
    _exit(1);
}

static void die(const char *what)
{
    int e = errno;
    fprintf(stderr, "ipc-bench-c: %s: %s\n", what, strerror(e));
    if (is_child)
        child_exit();
    kill_child();
    cleanup();
    exit(1);
}

static void fail(const char *msg)
{
    fprintf(stderr, "ipc-bench-c: %s\n", msg);
    if (is_child)
        child_exit();
    kill_child();
    cleanup();
    exit(1);
}

static const char *posix_name(const char *tag, const char *suffix, enum kind kind)
{
    struct object *o = &objects[nobjects];
    snprintf(o->name, sizeof o->name, "/ipcbench_%s_%d_%s", tag, (int)parent_pid, suffix);
    o->kind = kind;
    nobjects = nobjects + 1;
    return o->name;
}

static key_t sysv_key(int idx, enum kind kind)
{
    struct object *o = &objects[nobjects];
    o->key = (key_t)(0x49000000 | ((parent_pid & 0x3FFFFF) << 2) | idx);
    o->kind = kind;
    nobjects = nobjects + 1;
    return o->key;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Forks the peer: it dies with the parent and exits through _exit. */
static int fork_child(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == -1)
        die("fork");
    if (pid == 0) {
        is_child = 1;
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        signal(SIGALRM, SIG_DFL);
        alarm(0);
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
            die("prctl");
        if (getppid() != parent_pid)
            _exit(1);
        return 1;
    }
    child_pid = pid;
    return 0;
}

static void wait_child(void)
{
    int status;
    pid_t pid = child_pid;
    if (waitpid(pid, &status, 0) == -1)
        die("waitpid");
    child_pid = 0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail("the peer process failed");
}

static long arg_long(int argc, char **argv, int i, const char *what)
{
    if (i >= argc) {
        fprintf(stderr, "ipc-bench-c: missing argument %s\n", what);
        exit(2);
    }
    char *end;
    errno = 0;
    long v = strtol(argv[i], &end, 10);
    if (errno || *end || v <= 0) {
        fprintf(stderr, "ipc-bench-c: %s must be a positive integer, not '%s'\n", what, argv[i]);
        exit(2);
    }
    return v;
}

/* 1 */
static void posix_sem_pingpong(long n)
{
    const char *na = posix_name("psem", "a", K_SEM), *nb = posix_name("psem", "b", K_SEM);
    sem_t *a = sem_open(na, O_CREAT | O_EXCL, 0600, 0);
    if (a == SEM_FAILED)
        die("sem_open A");
    sem_t *b = sem_open(nb, O_CREAT | O_EXCL, 0600, 0);
    if (b == SEM_FAILED)
        die("sem_open B");
    if (fork_child()) {
        sem_t *ca = sem_open(na, 0), *cb = sem_open(nb, 0);
        if (ca == SEM_FAILED || cb == SEM_FAILED)
            die("child sem_open");
        for (long i = 0; i < W + n; i++) {
            if (sem_wait(ca) == -1 || sem_post(cb) == -1)
                die("child sem_wait/sem_post");
        }
        _exit(0);
    }
    uint64_t t0 = 0;
    for (long i = 0; i < W + n; i++) {
        if (i == W)
            t0 = now_ns();
        if (sem_post(a) == -1 || sem_wait(b) == -1)
            die("sem_post/sem_wait");
    }
    uint64_t t1 = now_ns();
    wait_child();
    sem_close(a);
    sem_close(b);
    cleanup();
    printf("posix_sem_pingpong %.1f ns/roundtrip\n", (double)(t1 - t0) / n);
}

/* 2 */
static void posix_sem_uncontended(long n)
{
    const char *name = posix_name("psemu", "s", K_SEM);
    sem_t *s = sem_open(name, O_CREAT | O_EXCL, 0600, 1);
    if (s == SEM_FAILED)
        die("sem_open");
    long warm = n / 10 < 100000 ? n / 10 : 100000;
    for (long i = 0; i < warm; i++)
        if (sem_wait(s) == -1 || sem_post(s) == -1)
            die("sem_wait/sem_post");
    uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++)
        if (sem_wait(s) == -1 || sem_post(s) == -1)
            die("sem_wait/sem_post");
    uint64_t t1 = now_ns();
    int v;
    if (sem_getvalue(s, &v) == -1)
        die("sem_getvalue");
    if (v != 1)
        fail("the semaphore's value is not 1 at the end");
    sem_close(s);
    cleanup();
    printf("posix_sem_uncontended %.2f ns/pair\n", (double)(t1 - t0) / n);
}

/* 3 */
static void posix_sem_timedwait_timeout(long tries)
{
    const char *name = posix_name("psemt", "s", K_SEM);
    sem_t *s = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
    if (s == SEM_FAILED)
        die("sem_open");
    double total = 0;
    for (long i = 0; i < tries; i++) {
        uint64_t t0 = now_ns();
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 10000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_nsec -= 1000000000;
            ts.tv_sec += 1;
        }
        int rc = sem_timedwait(s, &ts);
        uint64_t t1 = now_ns();
        if (rc != -1 || errno != ETIMEDOUT)
            fail("sem_timedwait did not time out");
        total += (double)(t1 - t0) - 10e6;
    }
    sem_close(s);
    cleanup();
    printf("posix_sem_timedwait_timeout %.1f us\n", total / tries / 1e3);
}

/* 4 */
static void posix_mq_pingpong(long n)
{
    const char *n1 = posix_name("pmq", "q1", K_MQ), *n2 = posix_name("pmq", "q2", K_MQ);
    struct mq_attr attr = {.mq_maxmsg = 10, .mq_msgsize = 8192};
    mqd_t q1 = mq_open(n1, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
    if (q1 == (mqd_t)-1)
        die("mq_open Q1");
    mqd_t q2 = mq_open(n2, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
    if (q2 == (mqd_t)-1)
        die("mq_open Q2");
    static char buf[8192];
    char msg[64];
    memset(msg, 'x', sizeof msg);
    if (fork_child()) {
        mqd_t c1 = mq_open(n1, O_RDWR), c2 = mq_open(n2, O_RDWR);
        if (c1 == (mqd_t)-1 || c2 == (mqd_t)-1)
            die("child mq_open");
        for (long i = 0; i < W + n; i++) {
            ssize_t got = mq_receive(c1, buf, sizeof buf, NULL);
            if (got == -1 || mq_send(c2, buf, (size_t)got, 0) == -1)
                die("child mq_receive/mq_send");
        }
        _exit(0);
    }
    uint64_t t0 = 0;
    for (long i = 0; i < W + n; i++) {
        if (i == W)
            t0 = now_ns();
        if (mq_send(q1, msg, sizeof msg, 0) == -1)
            die("mq_send");
        if (mq_receive(q2, buf, sizeof buf, NULL) != (ssize_t)sizeof msg)
            die("mq_receive");
    }
    uint64_t t1 = now_ns();
    wait_child();
    mq_close(q1);
    mq_close(q2);
    cleanup();
    printf("posix_mq_pingpong %.1f ns/roundtrip\n", (double)(t1 - t0) / n);
}

/* 5 */
static void posix_mq_throughput(long n, long s)
{
    const char *name = posix_name("pmqt", "q", K_MQ);
    struct mq_attr attr = {.mq_maxmsg = 10, .mq_msgsize = s};
    mqd_t q = mq_open(name, O_RDONLY | O_CREAT | O_EXCL, 0600, &attr);
    if (q == (mqd_t)-1)
        die("mq_open");
    char *buf = calloc(1, (size_t)s);
    if (!buf)
        die("calloc");
    if (fork_child()) {
        mqd_t c = mq_open(name, O_WRONLY);
        if (c == (mqd_t)-1)
            die("child mq_open");
        memset(buf, 'x', (size_t)s);
        for (long i = 0; i < W + n; i++)
            if (mq_send(c, buf, (size_t)s, 0) == -1)
                die("child mq_send");
        _exit(0);
    }
    uint64_t t0 = 0;
    for (long i = 0; i < W + n; i++) {
        if (mq_receive(q, buf, (size_t)s, NULL) != (ssize_t)s)
            die("mq_receive");
        if (i == W - 1)
            t0 = now_ns();
    }
    uint64_t t1 = now_ns();
    wait_child();
    mq_close(q);
    free(buf);
    cleanup();
    double secs = (double)(t1 - t0) / 1e9;
    printf("posix_mq_throughput.%ldB %.0f msg/s\n", s, n / secs);
    printf("posix_mq_throughput.%ldB %.1f MB/s\n", s, (double)n * s / secs / 1e6);
}

/* The read of scenarios 6 and 10: sum 64-bit words with 4 accumulators. */
static uint64_t sum_words(const volatile void *p, size_t size)
{
    const uint64_t *w = (const uint64_t *)p;
    size_t n = size / 8;
    uint64_t a = 0, b = 0, c = 0, d = 0;
    for (size_t i = 0; i + 4 <= n; i += 4) {
        a += w[i];
        b += w[i + 1];
        c += w[i + 2];
        d += w[i + 3];
    }
    return a + b + c + d;
}

/* The read of the `memcpy` variant: copy through a 64 KiB buffer, sum the buffer. */
static uint64_t copy_and_sum(const volatile void *p, size_t size)
{
    static uint64_t buf[65536 / 8];
    const char *src = (const char *)p;
    uint64_t sum = 0;
    for (size_t off = 0; off < size; off += sizeof buf) {
        size_t len = size - off < sizeof buf ? size - off : sizeof buf;
        memcpy(buf, src + off, len);
        sum += sum_words(buf, len);
    }
    return sum;
}

/* The timed writes of scenarios 6 and 10: the first touch (0xAB), then the
 * warm write (0xCD), the best of WARM_PASSES passes: one pass over 64 MiB
 * takes a few milliseconds, short enough for a neighbour's burst to skew
 * it by 20%. */
#define WARM_PASSES 5
static void timed_writes(void *p, size_t size, uint64_t *w, uint64_t *ww)
{
    uint64_t t0 = now_ns();
    memset(p, 0xAB, size);
    *w = now_ns() - t0;
    *ww = UINT64_MAX;
    for (int pass = 0; pass < WARM_PASSES; pass++) {
        uint64_t t1 = now_ns();
        memset(p, 0xCD, size);
        uint64_t t = now_ns() - t1;
        if (t < *ww)
            *ww = t;
    }
}

/* The timed read of scenarios 6 and 10 (in place, or through memcpy). */
static uint64_t timed_sum(const volatile void *p, size_t size, int through_memcpy, uint64_t *ns)
{
    uint64_t t0 = now_ns();
    uint64_t sum = through_memcpy ? copy_and_sum(p, size) : sum_words(p, size);
    *ns = now_ns() - t0;
    return sum;
}

static void report_child_read(int fd, uint64_t ns)
{
    if (write(fd, &ns, sizeof ns) != (ssize_t)sizeof ns)
        die("child write to pipe");
}

static void print_bandwidth(const char *scenario, int through_memcpy, size_t size, uint64_t w,
                            uint64_t ww, uint64_t r)
{
    if (through_memcpy) {
        printf("%s.read+memcpy %.2f GB/s\n", scenario, (double)size / (double)r);
        return;
    }
    printf("%s.write %.2f GB/s\n", scenario, (double)size / (double)w);
    printf("%s.write_warm %.2f GB/s\n", scenario, (double)size / (double)ww);
    printf("%s.read %.2f GB/s\n", scenario, (double)size / (double)r);
}

/* Parent side of scenarios 6 and 10 after the writes: release the child, get its read time. */
static uint64_t release_and_collect(int release_fd, int result_fd)
{
    char go = 'g';
    if (write(release_fd, &go, 1) != 1)
        die("write to pipe");
    uint64_t ns;
    if (read(result_fd, &ns, sizeof ns) != (ssize_t)sizeof ns)
        fail("the peer did not report its read time");
    wait_child();
    return ns;
}

static const uint64_t PATTERN = 0xCDCDCDCDCDCDCDCDull;

/* 6 */
static void posix_shm_bandwidth(long mib, int through_memcpy)
{
    size_t size = (size_t)mib << 20;
    int release[2], result[2];
    if (pipe(release) == -1 || pipe(result) == -1)
        die("pipe");
    const char *name = posix_name("pshm", "m", K_SHM);
    if (fork_child()) {
        char go;
        if (read(release[0], &go, 1) != 1)
            _exit(1);
        int fd = shm_open(name, O_RDONLY, 0);
        if (fd == -1)
            die("child shm_open");
        void *p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED)
            die("child mmap");
        close(fd);
        uint64_t ns;
        uint64_t sum = timed_sum(p, size, through_memcpy, &ns);
        if (sum != PATTERN * (size / 8))
            fail("child read back the wrong bytes");
        report_child_read(result[1], ns);
        _exit(0);
    }
    int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd == -1)
        die("shm_open");
    if (ftruncate(fd, (off_t)size) == -1)
        die("ftruncate");
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        die("mmap");
    close(fd);
    uint64_t w, ww;
    timed_writes(p, size, &w, &ww);
    uint64_t r = release_and_collect(release[1], result[0]);
    munmap(p, size);
    cleanup();
    print_bandwidth("posix_shm_bandwidth", through_memcpy, size, w, ww, r);
}

/* 7. posix_shm_lifecycle: the cycle reserves the page with posix_fallocate
 * before ftruncate, as the Rust library does by default (so that a full
 * /dev/shm is an error at the call, not SIGBUS at the first touch; see
 * SharedMemory's "Memory is reserved"). Both sides pay the same reservation,
 * so the ratio compares the libraries' own overhead. */
static void posix_shm_lifecycle(long n)
{
    const char *name = posix_name("pshml", "m", K_SHM);
    uint64_t t0 = 0;
    for (long i = 0; i < 100 + n; i++) {
        if (i == 100)
            t0 = now_ns();
        int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
        if (fd == -1)
            die("shm_open");
        int rc = posix_fallocate(fd, 0, 4096);
        if (rc != 0) {
            errno = rc;
            die("posix_fallocate");
        }
        if (ftruncate(fd, 4096) == -1)
            die("ftruncate");
        void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED)
            die("mmap");
        if (munmap(p, 4096) == -1)
            die("munmap");
        if (close(fd) == -1)
            die("close");
        if (shm_unlink(name) == -1)
            die("shm_unlink");
    }
    uint64_t t1 = now_ns();
    cleanup();
    printf("posix_shm_lifecycle %.2f us/cycle\n", (double)(t1 - t0) / n / 1e3);
}

static int sysv_semop(int id, short delta)
{
    struct sembuf op = {.sem_num = 0, .sem_op = delta, .sem_flg = 0};
    return semop(id, &op, 1);
}

/* 8 */
static void sysv_sem_pingpong(long n)
{
    key_t ka = sysv_key(0, K_SYSV_SEM), kb = sysv_key(1, K_SYSV_SEM);
    int a = semget(ka, 1, IPC_CREAT | IPC_EXCL | 0600);
    if (a == -1)
        die("semget A");
    int b = semget(kb, 1, IPC_CREAT | IPC_EXCL | 0600);
    if (b == -1)
        die("semget B");
    if (semctl(a, 0, SETVAL, 0) == -1 || semctl(b, 0, SETVAL, 0) == -1)
        die("semctl SETVAL");
    if (fork_child()) {
        int ca = semget(ka, 0, 0), cb = semget(kb, 0, 0);
        if (ca == -1 || cb == -1)
            die("child semget");
        for (long i = 0; i < W + n; i++)
            if (sysv_semop(ca, -1) == -1 || sysv_semop(cb, 1) == -1)
                die("child semop");
        _exit(0);
    }
    uint64_t t0 = 0;
    for (long i = 0; i < W + n; i++) {
        if (i == W)
            t0 = now_ns();
        if (sysv_semop(a, 1) == -1 || sysv_semop(b, -1) == -1)
            die("semop");
    }
    uint64_t t1 = now_ns();
    wait_child();
    cleanup();
    printf("sysv_sem_pingpong %.1f ns/roundtrip\n", (double)(t1 - t0) / n);
}

struct msg64 {
    long mtype;
    char mtext[64];
};

/* 9 */
static void sysv_msg_pingpong(long n)
{
    key_t key = sysv_key(0, K_SYSV_MSG);
    int q = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
    if (q == -1)
        die("msgget");
    struct msg64 m;
    memset(&m, 0, sizeof m);
    memset(m.mtext, 'x', sizeof m.mtext);
    if (fork_child()) {
        int c = msgget(key, 0);
        if (c == -1)
            die("child msgget");
        for (long i = 0; i < W + n; i++) {
            ssize_t got = msgrcv(c, &m, sizeof m.mtext, 1, 0);
            if (got == -1)
                die("child msgrcv");
            m.mtype = 2;
            if (msgsnd(c, &m, (size_t)got, 0) == -1)
                die("child msgsnd");
        }
        _exit(0);
    }
    uint64_t t0 = 0;
    for (long i = 0; i < W + n; i++) {
        if (i == W)
            t0 = now_ns();
        m.mtype = 1;
        if (msgsnd(q, &m, sizeof m.mtext, 0) == -1)
            die("msgsnd");
        if (msgrcv(q, &m, sizeof m.mtext, 2, 0) != (ssize_t)sizeof m.mtext)
            die("msgrcv");
    }
    uint64_t t1 = now_ns();
    wait_child();
    cleanup();
    printf("sysv_msg_pingpong %.1f ns/roundtrip\n", (double)(t1 - t0) / n);
}

/* 10 */
static void sysv_shm_bandwidth(long mib, int through_memcpy)
{
    size_t size = (size_t)mib << 20;
    int release[2], result[2];
    if (pipe(release) == -1 || pipe(result) == -1)
        die("pipe");
    key_t key = sysv_key(0, K_SYSV_SHM);
    if (fork_child()) {
        char go;
        if (read(release[0], &go, 1) != 1)
            _exit(1);
        int id = shmget(key, 0, 0);
        if (id == -1)
            die("child shmget");
        void *p = shmat(id, NULL, SHM_RDONLY);
        if (p == (void *)-1)
            die("child shmat");
        uint64_t ns;
        uint64_t sum = timed_sum(p, size, through_memcpy, &ns);
        if (sum != PATTERN * (size / 8))
            fail("child read back the wrong bytes");
        report_child_read(result[1], ns);
        _exit(0);
    }
    int id = shmget(key, size, IPC_CREAT | IPC_EXCL | 0600);
    if (id == -1)
        die("shmget");
    void *p = shmat(id, NULL, 0);
    if (p == (void *)-1)
        die("shmat");
    uint64_t w, ww;
    timed_writes(p, size, &w, &ww);
    uint64_t r = release_and_collect(release[1], result[0]);
    shmdt(p);
    cleanup();
    print_bandwidth("sysv_shm_bandwidth", through_memcpy, size, w, ww, r);
}

/* sysv_shm_first_pass (beyond the reference): the first pass over a fresh
 * attachment, as a C programmer writes it, each time covering shmat and the
 * pass:
 *   write_new  shmat + memset of a new segment (every page is allocated,
 *              zeroed and faulted in on first touch);
 *   write      a second attachment + memset (the pages exist, but each
 *              faults again: SysV shared memory has no fault-around);
 *   read       a read-only attachment + the word sum (the same faults).
 * The Rust side attaches with pre-faulting. One process. */
static void sysv_shm_first_pass(long mib)
{
    size_t size = (size_t)mib << 20;
    key_t key = sysv_key(0, K_SYSV_SHM);
    int id = shmget(key, size, IPC_CREAT | IPC_EXCL | 0600);
    if (id == -1)
        die("shmget");
    uint64_t ns[3];
    for (int pass = 0; pass < 3; pass++) {
        uint64_t t0 = now_ns();
        void *p = shmat(id, NULL, pass == 2 ? SHM_RDONLY : 0);
        if (p == (void *)-1)
            die("shmat");
        if (pass < 2) {
            memset(p, pass == 0 ? 0xAB : 0xCD, size);
        } else if (sum_words(p, size) != PATTERN * (size / 8)) {
            fail("read back the wrong bytes");
        }
        ns[pass] = now_ns() - t0;
        if (shmdt(p) == -1)
            die("shmdt");
    }
    cleanup();
    printf("sysv_shm_first_pass.write_new %.2f GB/s\n", (double)size / (double)ns[0]);
    printf("sysv_shm_first_pass.write %.2f GB/s\n", (double)size / (double)ns[1]);
    printf("sysv_shm_first_pass.read %.2f GB/s\n", (double)size / (double)ns[2]);
}

/* posix_shm_first_pass (beyond the reference): mmap plus the first write
 * pass (memset) through a fresh mapping of an object in use (written once
 * before, untimed, through another mapping), as a second process would map
 * it: every page write-faults on its own, as fault-around only serves
 * reads. The Rust side maps with pre-faulting. One process. */
static void posix_shm_first_pass(long mib)
{
    size_t size = (size_t)mib << 20;
    const char *name = posix_name("pshmf", "m", K_SHM);
    int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd == -1)
        die("shm_open");
    int rc = posix_fallocate(fd, 0, (off_t)size);
    if (rc != 0) {
        errno = rc;
        die("posix_fallocate");
    }
    if (ftruncate(fd, (off_t)size) == -1)
        die("ftruncate");
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        die("mmap");
    memset(p, 0xAB, size);
    munmap(p, size);
    uint64_t t0 = now_ns();
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        die("mmap");
    memset(p, 0xCD, size);
    uint64_t t1 = now_ns();
    munmap(p, size);
    close(fd);
    cleanup();
    printf("posix_shm_first_pass.write %.2f GB/s\n", (double)size / (double)(t1 - t0));
}

/* A POSIX shared-memory page for the robust scenarios, made and mapped by the parent. */
static void *robust_page(const char *name, int create)
{
    int fd = create ? shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600) : shm_open(name, O_RDWR, 0);
    if (fd == -1)
        die("shm_open");
    if (create && ftruncate(fd, 4096) == -1)
        die("ftruncate");
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        die("mmap");
    close(fd);
    return p;
}

static void check(const char *what, int rc)
{
    if (rc != 0) {
        errno = rc;
        die(what);
    }
}

/* What RobustMutex::init_at makes: error-checking, process-shared, robust. */
static void init_robust_mutex(pthread_mutex_t *m)
{
    pthread_mutexattr_t a;
    check("pthread_mutexattr_init", pthread_mutexattr_init(&a));
    check("pthread_mutexattr_settype", pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK));
    check("pthread_mutexattr_setpshared", pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED));
    check("pthread_mutexattr_setrobust", pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST));
    check("pthread_mutex_init", pthread_mutex_init(m, &a));
    pthread_mutexattr_destroy(&a);
}

/* What Condvar::init_at makes: process-shared, on CLOCK_MONOTONIC. */
static void init_shared_cond(pthread_cond_t *c)
{
    pthread_condattr_t a;
    check("pthread_condattr_init", pthread_condattr_init(&a));
    check("pthread_condattr_setpshared", pthread_condattr_setpshared(&a, PTHREAD_PROCESS_SHARED));
    check("pthread_condattr_setclock", pthread_condattr_setclock(&a, CLOCK_MONOTONIC));
    check("pthread_cond_init", pthread_cond_init(c, &a));
    pthread_condattr_destroy(&a);
}

/* 11 (beyond the reference): lock/unlock pairs of an uncontended robust mutex. */
static void robust_mutex_uncontended(long n)
{
    const char *name = posix_name("rmtx", "m", K_SHM);
    pthread_mutex_t *m = robust_page(name, 1);
    init_robust_mutex(m);
    long warm = n / 10 < 100000 ? n / 10 : 100000;
    for (long i = 0; i < warm; i++) {
        check("pthread_mutex_lock", pthread_mutex_lock(m));
        check("pthread_mutex_unlock", pthread_mutex_unlock(m));
    }
    uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++) {
        check("pthread_mutex_lock", pthread_mutex_lock(m));
        check("pthread_mutex_unlock", pthread_mutex_unlock(m));
    }
    uint64_t t1 = now_ns();
    munmap(m, 4096);
    cleanup();
    printf("robust_mutex_uncontended %.2f ns/pair\n", (double)(t1 - t0) / n);
}

/* The layout of the condvar ping-pong page (the Rust side uses the same offsets). */
#define RCV_MUTEX 0
#define RCV_PING 64
#define RCV_PONG 128
#define RCV_TURN 192

/* 12 (beyond the reference): a condvar ping-pong between two processes. */
static void robust_condvar_pingpong(long n)
{
    const char *name = posix_name("rcv", "m", K_SHM);
    char *page = robust_page(name, 1);
    pthread_mutex_t *m = (pthread_mutex_t *)(page + RCV_MUTEX);
    pthread_cond_t *ping = (pthread_cond_t *)(page + RCV_PING);
    pthread_cond_t *pong = (pthread_cond_t *)(page + RCV_PONG);
    int *turn = (int *)(page + RCV_TURN);
    init_robust_mutex(m);
    init_shared_cond(ping);
    init_shared_cond(pong);
    if (fork_child()) {
        char *cp = robust_page(name, 0);
        pthread_mutex_t *cm = (pthread_mutex_t *)(cp + RCV_MUTEX);
        pthread_cond_t *cping = (pthread_cond_t *)(cp + RCV_PING);
        pthread_cond_t *cpong = (pthread_cond_t *)(cp + RCV_PONG);
        int *cturn = (int *)(cp + RCV_TURN);
        check("child pthread_mutex_lock", pthread_mutex_lock(cm));
        for (long i = 0; i < W + n; i++) {
            while (*cturn != 1)
                check("child pthread_cond_wait", pthread_cond_wait(cping, cm));
            *cturn = 0;
            check("child pthread_cond_signal", pthread_cond_signal(cpong));
        }
        check("child pthread_mutex_unlock", pthread_mutex_unlock(cm));
        _exit(0);
    }
    uint64_t t0 = 0;
    check("pthread_mutex_lock", pthread_mutex_lock(m));
    for (long i = 0; i < W + n; i++) {
        if (i == W)
            t0 = now_ns();
        *turn = 1;
        check("pthread_cond_signal", pthread_cond_signal(ping));
        while (*turn != 0)
            check("pthread_cond_wait", pthread_cond_wait(pong, m));
    }
    uint64_t t1 = now_ns();
    check("pthread_mutex_unlock", pthread_mutex_unlock(m));
    wait_child();
    munmap(page, 4096);
    cleanup();
    printf("robust_condvar_pingpong %.1f ns/roundtrip\n", (double)(t1 - t0) / n);
}

/* The optional `memcpy` variant of the bandwidth scenarios. */
static int memcpy_variant(int argc, char **argv, int i)
{
    if (i >= argc)
        return 0;
    if (strcmp(argv[i], "memcpy") != 0) {
        fprintf(stderr, "ipc-bench-c: unknown variant '%s' (only 'memcpy')\n", argv[i]);
        exit(2);
    }
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: ipc-bench-c <scenario> [args]\n");
        return 2;
    }
    parent_pid = getpid();
    install_handlers();
    const char *s = argv[1];
    if (!strcmp(s, "posix_sem_pingpong"))
        posix_sem_pingpong(arg_long(argc, argv, 2, "N"));
    else if (!strcmp(s, "posix_sem_uncontended"))
        posix_sem_uncontended(arg_long(argc, argv, 2, "N"));
    else if (!strcmp(s, "posix_sem_timedwait_timeout"))
        posix_sem_timedwait_timeout(arg_long(argc, argv, 2, "TRIES"));
    else if (!strcmp(s, "posix_mq_pingpong"))
        posix_mq_pingpong(arg_long(argc, argv, 2, "N"));
    else if (!strcmp(s, "posix_mq_throughput"))
        posix_mq_throughput(arg_long(argc, argv, 2, "N"), arg_long(argc, argv, 3, "S"));
    else if (!strcmp(s, "posix_shm_bandwidth"))
        posix_shm_bandwidth(arg_long(argc, argv, 2, "MIB"), memcpy_variant(argc, argv, 3));
    else if (!strcmp(s, "posix_shm_lifecycle"))
        posix_shm_lifecycle(arg_long(argc, argv, 2, "N"));
    else if (!strcmp(s, "sysv_sem_pingpong"))
        sysv_sem_pingpong(arg_long(argc, argv, 2, "N"));
    else if (!strcmp(s, "sysv_msg_pingpong"))
        sysv_msg_pingpong(arg_long(argc, argv, 2, "N"));
    else if (!strcmp(s, "sysv_shm_bandwidth"))
        sysv_shm_bandwidth(arg_long(argc, argv, 2, "MIB"), memcpy_variant(argc, argv, 3));
    else if (!strcmp(s, "posix_shm_first_pass"))
        posix_shm_first_pass(arg_long(argc, argv, 2, "MIB"));
    else if (!strcmp(s, "sysv_shm_first_pass"))
        sysv_shm_first_pass(arg_long(argc, argv, 2, "MIB"));
    else if (!strcmp(s, "robust_mutex_uncontended"))
        robust_mutex_uncontended(arg_long(argc, argv, 2, "N"));
    else if (!strcmp(s, "robust_condvar_pingpong"))
        robust_condvar_pingpong(arg_long(argc, argv, 2, "N"));
    else {
        fprintf(stderr, "ipc-bench-c: unknown scenario '%s'\n", s);
        return 2;
    }
    return 0;
}
