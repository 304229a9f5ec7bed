/*
 * What bindgen cannot express, exported as plain functions for posix-ipc-sys:
 * SEM_FAILED (a cast pointer macro), SIGRTMIN/SIGRTMAX (function-like macros on
 * glibc) and semctl with `union semun` (variadic; the caller must define the
 * union, so each argument kind gets its own wrapper).
 */
#define _GNU_SOURCE 1
#include <semaphore.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/sem.h>

union posix_ipc_semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

sem_t *posix_ipc_sem_failed(void) { return SEM_FAILED; }

int posix_ipc_sigrtmin(void) { return SIGRTMIN; }

int posix_ipc_sigrtmax(void) { return SIGRTMAX; }

int posix_ipc_semctl(int semid, int semnum, int cmd) {
    return semctl(semid, semnum, cmd);
}

int posix_ipc_semctl_val(int semid, int semnum, int cmd, int val) {
    union posix_ipc_semun arg;
    arg.val = val;
    return semctl(semid, semnum, cmd, arg);
}

int posix_ipc_semctl_buf(int semid, int semnum, int cmd, struct semid_ds *buf) {
    union posix_ipc_semun arg;
    arg.buf = buf;
    return semctl(semid, semnum, cmd, arg);
}

int posix_ipc_semctl_array(int semid, int semnum, int cmd, unsigned short *array) {
    union posix_ipc_semun arg;
    arg.array = array;
    return semctl(semid, semnum, cmd, arg);
}
