/*
 * The C peer of the interoperability tests: a plain C program that makes and
 * inspects the six kinds of IPC objects with the raw system calls, so the tests
 * can check that Rust and C see the same names, keys, values, sizes, mode bits,
 * contents, priorities and types.
 *
 *   peer psem make NAME VALUE MODE      peer psem inspect NAME
 *   peer pshm make NAME SIZE MODE       peer pshm inspect NAME
 *   peer pmq  make NAME MAXMSG MSGSIZE MODE   peer pmq inspect NAME
 *   peer ssem make KEY VALUE MODE       peer ssem inspect KEY
 *   peer sshm make KEY SIZE MODE        peer sshm inspect KEY
 *   peer smsg make KEY MODE             peer smsg inspect KEY
 *
 *   peer rmutex init NAME OFFSET           peer rmutex lock NAME OFFSET COUNTER
 *   peer rmutex die NAME OFFSET COUNTER
 *
 * "make" creates the object exclusively and fills it with the shared test
 * content; "inspect" opens an existing one, prints what it sees as key=value
 * lines, then changes it in a way the other side checks. The Python peer
 * (peer.py) speaks the same protocol. Exit status 0 on success, 1 with a
 * message on stderr otherwise. Keys and modes are given in any C base
 * (0x1c5a0001, 0600).
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>

union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

static int fail(const char *what) {
    fprintf(stderr, "peer.c: %s: %s\n", what, strerror(errno));
    return 1;
}

static long num(const char *s) { return strtol(s, NULL, 0); }

/* The shared content pattern: byte i of a segment. */
static unsigned char pattern(size_t i) { return (unsigned char)((i * 31 + 7) & 0xff); }

/* Writes the pattern into [p, p + n). */
static void fill_pattern(unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] = pattern(i);
}

/* Checks the pattern, prints "pattern=ok" or where it differs, then inverts every byte. */
static void check_and_invert(unsigned char *p, size_t n) {
    size_t bad = n;
    for (size_t i = 0; i < n; i++) {
        if (p[i] != pattern(i)) { bad = i; break; }
    }
    if (bad == n) printf("pattern=ok\n");
    else printf("pattern=bad-at-%zu\n", bad);
    for (size_t i = 0; i < n; i++) p[i] = (unsigned char)~p[i];
    printf("inverted=%zu\n", n);
}

/* Priorities and payloads of the messages "make" sends (POSIX queues). */
static const unsigned mq_prios[] = {1, 7, 3, 31, 0, 7};

static int psem(const char *verb, char **a) {
    if (!strcmp(verb, "make")) {
        sem_t *s = sem_open(a[0], O_CREAT | O_EXCL, (mode_t)num(a[2]), (unsigned)num(a[1]));
        if (s == SEM_FAILED) return fail("sem_open");
        sem_close(s);
        printf("made\n");
        return 0;
    }
    sem_t *s = sem_open(a[0], 0);
    if (s == SEM_FAILED) return fail("sem_open");
    int v;
    if (sem_getvalue(s, &v)) return fail("sem_getvalue");
    printf("value=%d\n", v);
    if (sem_post(s)) return fail("sem_post");
    printf("posted\n");
    sem_close(s);
    return 0;
}

static int pshm(const char *verb, char **a) {
    if (!strcmp(verb, "make")) {
        size_t size = (size_t)num(a[1]);
        int fd = shm_open(a[0], O_CREAT | O_EXCL | O_RDWR, (mode_t)num(a[2]));
        if (fd < 0) return fail("shm_open");
        if (ftruncate(fd, (off_t)size)) return fail("ftruncate");
        unsigned char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) return fail("mmap");
        fill_pattern(p, size);
        munmap(p, size);
        close(fd);
        printf("made\n");
        return 0;
    }
    int fd = shm_open(a[0], O_RDWR, 0);
    if (fd < 0) return fail("shm_open");
    struct stat st;
    if (fstat(fd, &st)) return fail("fstat");
    printf("size=%lld\nmode=0%o\n", (long long)st.st_size, (unsigned)(st.st_mode & 0777));
    size_t size = (size_t)st.st_size;
    unsigned char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return fail("mmap");
    check_and_invert(p, size);
    munmap(p, size);
    close(fd);
    return 0;
}

static int pmq(const char *verb, char **a) {
    char buf[65536];
    if (!strcmp(verb, "make")) {
        struct mq_attr attr = {0};
        attr.mq_maxmsg = num(a[1]);
        attr.mq_msgsize = num(a[2]);
        mqd_t q = mq_open(a[0], O_CREAT | O_EXCL | O_RDWR, (mode_t)num(a[3]), &attr);
        if (q == (mqd_t)-1) return fail("mq_open");
        for (size_t i = 0; i < sizeof mq_prios / sizeof *mq_prios; i++) {
            int n = snprintf(buf, sizeof buf, "c-%zu-prio-%u", i, mq_prios[i]);
            if (mq_send(q, buf, (size_t)n, mq_prios[i])) return fail("mq_send");
        }
        mq_close(q);
        printf("made\n");
        return 0;
    }
    mqd_t q = mq_open(a[0], O_RDWR | O_NONBLOCK);
    if (q == (mqd_t)-1) return fail("mq_open");
    struct mq_attr attr;
    if (mq_getattr(q, &attr)) return fail("mq_getattr");
    printf("maxmsg=%ld\nmsgsize=%ld\ncurmsgs=%ld\n", attr.mq_maxmsg, attr.mq_msgsize, attr.mq_curmsgs);
    for (;;) {
        unsigned prio;
        ssize_t n = mq_receive(q, buf, sizeof buf, &prio);
        if (n < 0) {
            if (errno == EAGAIN) break;
            return fail("mq_receive");
        }
        printf("recv=%u:%.*s\n", prio, (int)n, buf);
    }
    if (mq_send(q, "from-c", 6, 9)) return fail("mq_send");
    printf("sent=9:from-c\n");
    mq_close(q);
    return 0;
}

static int ssem(const char *verb, char **a) {
    key_t key = (key_t)num(a[0]);
    if (!strcmp(verb, "make")) {
        int id = semget(key, 1, IPC_CREAT | IPC_EXCL | (int)num(a[2]));
        if (id < 0) return fail("semget");
        union semun arg = {.val = (int)num(a[1])};
        if (semctl(id, 0, SETVAL, arg)) return fail("semctl SETVAL");
        printf("made\nid=%d\n", id);
        return 0;
    }
    int id = semget(key, 0, 0);
    if (id < 0) return fail("semget");
    struct semid_ds ds;
    union semun arg = {.buf = &ds};
    if (semctl(id, 0, IPC_STAT, arg)) return fail("semctl IPC_STAT");
    printf("id=%d\nnsems=%lu\nmode=0%o\nvalue=%d\n", id, (unsigned long)ds.sem_nsems,
           (unsigned)(ds.sem_perm.mode & 0777), semctl(id, 0, GETVAL));
    struct sembuf op = {.sem_num = 0, .sem_op = 1, .sem_flg = 0};
    if (semop(id, &op, 1)) return fail("semop");
    printf("posted\n");
    return 0;
}

static int sshm(const char *verb, char **a) {
    key_t key = (key_t)num(a[0]);
    if (!strcmp(verb, "make")) {
        size_t size = (size_t)num(a[1]);
        int id = shmget(key, size, IPC_CREAT | IPC_EXCL | (int)num(a[2]));
        if (id < 0) return fail("shmget");
        unsigned char *p = shmat(id, NULL, 0);
        if (p == (void *)-1) return fail("shmat");
        fill_pattern(p, size);
        shmdt(p);
        printf("made\nid=%d\n", id);
        return 0;
    }
    int id = shmget(key, 0, 0);
    if (id < 0) return fail("shmget");
    struct shmid_ds ds;
    if (shmctl(id, IPC_STAT, &ds)) return fail("shmctl IPC_STAT");
    printf("id=%d\nsize=%zu\nmode=0%o\n", id, ds.shm_segsz, (unsigned)(ds.shm_perm.mode & 0777));
    unsigned char *p = shmat(id, NULL, 0);
    if (p == (void *)-1) return fail("shmat");
    check_and_invert(p, ds.shm_segsz);
    shmdt(p);
    return 0;
}

/* Types and payloads of the messages "make" sends (System V queues). */
static const long msg_types[] = {3, 1, 2, 1};

struct msg {
    long mtype;
    char mtext[8192];
};

static int smsg(const char *verb, char **a) {
    key_t key = (key_t)num(a[0]);
    struct msg m;
    if (!strcmp(verb, "make")) {
        int id = msgget(key, IPC_CREAT | IPC_EXCL | (int)num(a[1]));
        if (id < 0) return fail("msgget");
        for (size_t i = 0; i < sizeof msg_types / sizeof *msg_types; i++) {
            m.mtype = msg_types[i];
            int n = snprintf(m.mtext, sizeof m.mtext, "c-%zu-type-%ld", i, msg_types[i]);
            if (msgsnd(id, &m, (size_t)n, 0)) return fail("msgsnd");
        }
        printf("made\nid=%d\n", id);
        return 0;
    }
    int id = msgget(key, 0);
    if (id < 0) return fail("msgget");
    struct msqid_ds ds;
    if (msgctl(id, IPC_STAT, &ds)) return fail("msgctl IPC_STAT");
    printf("id=%d\nqnum=%lu\nmode=0%o\n", id, (unsigned long)ds.msg_qnum, (unsigned)(ds.msg_perm.mode & 0777));
    for (;;) {
        ssize_t n = msgrcv(id, &m, sizeof m.mtext, 0, IPC_NOWAIT);
        if (n < 0) {
            if (errno == ENOMSG) break;
            return fail("msgrcv");
        }
        printf("recv=%ld:%.*s\n", m.mtype, (int)n, m.mtext);
    }
    m.mtype = 7;
    memcpy(m.mtext, "from-c", 6);
    if (msgsnd(id, &m, 6, 0)) return fail("msgsnd");
    printf("sent=7:from-c\n");
    return 0;
}

/*
 * A robust, process-shared pthread mutex at OFFSET of the POSIX shared memory
 * object NAME (the Rust side's RobustMutex is the same pthread_mutex_t):
 * "init" initialises one there; "lock" locks it, prints lock=ok or
 * lock=owner-died (and then marks it consistent), adds 1 to the uint64_t at
 * COUNTER, prints count=N and unlocks; "die" does the same but, holding the
 * mutex, prints holding and kills itself with SIGKILL.
 */
static int rmutex(int argc, char **a) {
    if (argc < 3) return 2;
    const char *verb = a[0];
    int fd = shm_open(a[1], O_RDWR, 0);
    if (fd < 0) return fail("shm_open");
    struct stat st;
    if (fstat(fd, &st)) return fail("fstat");
    unsigned char *p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return fail("mmap");
    pthread_mutex_t *m = (pthread_mutex_t *)(p + num(a[2]));
    if (!strcmp(verb, "init") && argc == 3) {
        pthread_mutexattr_t attr;
        pthread_mutexattr_init(&attr);
        pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
        pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
        int rc = pthread_mutex_init(m, &attr);
        pthread_mutexattr_destroy(&attr);
        if (rc) { errno = rc; return fail("pthread_mutex_init"); }
        printf("made\n");
        return 0;
    }
    int die = !strcmp(verb, "die");
    if ((!die && strcmp(verb, "lock")) || argc != 4) return 2;
    uint64_t *count = (uint64_t *)(p + num(a[3]));
    int rc = pthread_mutex_lock(m);
    if (rc == EOWNERDEAD) {
        printf("lock=owner-died\n");
        rc = pthread_mutex_consistent(m);
        if (rc) { errno = rc; return fail("pthread_mutex_consistent"); }
    } else if (rc) {
        errno = rc;
        return fail("pthread_mutex_lock");
    } else {
        printf("lock=ok\n");
    }
    *count += 1;
    printf("count=%llu\n", (unsigned long long)*count);
    if (die) {
        printf("holding\n");
        fflush(stdout);
        raise(SIGKILL);
    }
    rc = pthread_mutex_unlock(m);
    if (rc) { errno = rc; return fail("pthread_mutex_unlock"); }
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "rmutex")) {
        int rc = rmutex(argc - 2, argv + 2);
        fflush(stdout);
        if (rc == 2) fprintf(stderr, "usage: peer rmutex (init NAME OFFSET|lock|die NAME OFFSET COUNTER)\n");
        return rc;
    }
    static const struct {
        const char *kind;
        int (*run)(const char *, char **);
        int make_args, inspect_args;
    } kinds[] = {
        {"psem", psem, 3, 1}, {"pshm", pshm, 3, 1}, {"pmq", pmq, 4, 1},
        {"ssem", ssem, 3, 1}, {"sshm", sshm, 3, 1}, {"smsg", smsg, 2, 1},
    };
    if (argc >= 3) {
        for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
            if (strcmp(argv[1], kinds[i].kind)) continue;
            int is_make = !strcmp(argv[2], "make");
            if (!is_make && strcmp(argv[2], "inspect")) break;
            if (argc - 3 != (is_make ? kinds[i].make_args : kinds[i].inspect_args)) break;
            int rc = kinds[i].run(argv[2], argv + 3);
            fflush(stdout);
            return rc;
        }
    }
    fprintf(stderr, "usage: peer (psem|pshm|pmq|ssem|sshm|smsg) (make|inspect) ARGS...\n");
    return 2;
}
