/*
 * What the C library says, for posix-ipc-sys's tests (tests/c_agrees.rs):
 *   c_values            macro values, struct sizes and field offsets
 *   c_values get ID N   GETALL and IPC_STAT of semaphore set ID (N semaphores)
 *   c_values set ID I V SETVAL semaphore I of set ID to V
 * semctl's fourth argument is a `union semun` passed by value, as C programs do.
 */
#define _GNU_SOURCE 1
#include <mqueue.h>
#include <semaphore.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

#define SIZE(t) printf("size_" #t "=%zu\n", sizeof(struct t))
#define OFFSET(t, f) printf("offset_" #t "_" #f "=%zu\n", offsetof(struct t, f))

static int values(void) {
    printf("SIGRTMIN=%d\n", SIGRTMIN);
    printf("SIGRTMAX=%d\n", SIGRTMAX);
    printf("SEM_FAILED=%ld\n", (long)(intptr_t)SEM_FAILED);
    printf("size_sem_t=%zu\n", sizeof(sem_t));
    SIZE(ipc_perm);
    SIZE(sembuf);
    SIZE(semid_ds);
    SIZE(shmid_ds);
    SIZE(msqid_ds);
    SIZE(mq_attr);
    OFFSET(ipc_perm, mode);
    OFFSET(semid_ds, sem_otime);
    OFFSET(semid_ds, sem_ctime);
    OFFSET(semid_ds, sem_nsems);
    OFFSET(shmid_ds, shm_segsz);
    OFFSET(shmid_ds, shm_atime);
    OFFSET(shmid_ds, shm_ctime);
    OFFSET(shmid_ds, shm_cpid);
    OFFSET(shmid_ds, shm_nattch);
    OFFSET(msqid_ds, msg_stime);
    OFFSET(msqid_ds, msg_ctime);
    OFFSET(msqid_ds, msg_qnum);
    OFFSET(msqid_ds, msg_qbytes);
    OFFSET(msqid_ds, msg_lrpid);
    OFFSET(mq_attr, mq_curmsgs);
    return 0;
}

static int get(int id, int n) {
    unsigned short array[64];
    struct semid_ds ds;
    union semun arg;
    if (n < 1 || n > 64) return 2;
    arg.array = array;
    if (semctl(id, 0, GETALL, arg) != 0) { perror("semctl GETALL"); return 1; }
    printf("values=");
    for (int i = 0; i < n; i++) printf(i ? ",%u" : "%u", array[i]);
    printf("\n");
    arg.buf = &ds;
    if (semctl(id, 0, IPC_STAT, arg) != 0) { perror("semctl IPC_STAT"); return 1; }
    printf("nsems=%lu\n", (unsigned long)ds.sem_nsems);
    printf("mode=%o\n", (unsigned)ds.sem_perm.mode & 0777);
    return 0;
}

static int set(int id, int index, int value) {
    union semun arg;
    arg.val = value;
    if (semctl(id, index, SETVAL, arg) != 0) { perror("semctl SETVAL"); return 1; }
    printf("set\n");
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 1) return values();
    if (argc == 4 && argv[1][0] == 'g') return get(atoi(argv[2]), atoi(argv[3]));
    if (argc == 5 && argv[1][0] == 's') return set(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
    fprintf(stderr, "usage: c_values [get ID N | set ID INDEX VALUE]\n");
    return 2;
}
